use super::{FieldError, text};

/// An email address as people type it: trimmed, with one `@` between a local part and a
/// domain, and nothing invisible in it.
///
/// We deliberately don't implement RFC 5322: the only real check of an address is mail
/// reaching it. Two addresses are the same account when they match case-insensitively
/// ([`Email::normalized`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The longest address SMTP can carry (RFC 5321's path limit, less the brackets).
    pub const MAX_LEN: usize = 254;

    /// Parses what a person typed as an email address.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when the address is empty, too long, contains
    /// whitespace or control characters, or is not `local@domain`.
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        // The bound holds for the field as sent, whitespace included, so that the OpenAPI
        // document can state it as a plain `maxLength`. Both the address as typed and its
        // lower-cased form are stored, and lower-casing can lengthen text (`İ` becomes `i`
        // and a combining dot): bound both, or the normalised one overflows its column.
        if raw.chars().count() > Self::MAX_LEN
            || email.to_lowercase().chars().count() > Self::MAX_LEN
        {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                field,
                "must not contain spaces or control characters",
            ));
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.') =>
            {
                Ok(Self(email.to_owned()))
            }
            _ => Err(FieldError::new(field, "must look like name@example.com")),
        }
    }

    /// Parses the `email` field of a request.
    ///
    /// # Errors
    /// See [`Email::parse_field`].
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "email")
    }

    /// A regular expression (ECMAScript, as JSON Schema's `pattern`) that matches exactly
    /// the shapes [`Self::parse_field`] accepts: `local@domain`, optionally surrounded by
    /// whitespace, with no whitespace or control character inside, one `@`, and a domain
    /// that neither starts nor ends with a dot. The length is bounded apart
    /// ([`Self::MAX_LEN`], as `maxLength`).
    #[must_use]
    pub fn pattern() -> String {
        let ws = format!("[{}]", text::WHITESPACE);
        let local = text::visible_except("@");
        let edge = text::visible_except("@.");
        format!("^{ws}*{local}+@(?:{edge}|{edge}{local}*{edge}){ws}*$")
    }

    /// The OpenAPI schema of an `email` field of a sign-up, from the same rules as
    /// [`Self::parse_field`].
    #[cfg(feature = "ssr")]
    #[must_use]
    pub fn schema() -> utoipa::openapi::Object {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(Self::MAX_LEN))
            .pattern(Some(Self::pattern()))
            .description(Some(format!(
                "`name@example.com`, at most {} characters (also once lower-cased), \
                 trimmed and compared case-insensitively.",
                Self::MAX_LEN
            )))
            .build()
    }

    /// The address as the person typed it, trimmed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to compare addresses: two emails that differ only in case are one account.
    #[must_use]
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(
            Email::parse("  Ada@Example.com\n").unwrap().as_str(),
            "Ada@Example.com"
        );
    }

    #[test]
    fn normalized_form_ignores_case() {
        let a = Email::parse("Ada@Example.COM").unwrap();
        let b = Email::parse("ada@example.com").unwrap();
        assert_eq!(a.normalized(), b.normalized());
    }

    #[test]
    fn malformed_addresses_are_refused_with_the_field_named() {
        let cases = [
            ("", "empty"),
            ("   ", "blank"),
            ("ada", "no @"),
            ("@example.com", "no local part"),
            ("ada@", "no domain"),
            ("ada@@example.com", "two @"),
            ("ada lovelace@example.com", "inner space"),
            ("ada\u{0}@example.com", "NUL byte"),
            ("ada@example.com.", "trailing dot"),
        ];
        for (input, why) in cases {
            let err = Email::parse(input).expect_err(why);
            assert_eq!(err.field, "email", "{why}");
        }
    }

    /// The document's pattern and length and `parse` must agree on every case.
    #[test]
    fn the_pattern_and_length_accept_exactly_what_parse_accepts() {
        let pattern = regex::Regex::new(&Email::pattern()).unwrap();
        let cases = [
            "ada@example.com".to_owned(),
            " ada@example.com\t".to_owned(),
            "a@b".to_owned(),
            "a@b.c".to_owned(),
            "a.b@c-d".to_owned(),
            "ü@ö".to_owned(),
            format!("{}@example.com", "a".repeat(242)),
            format!("{}@example.com", "a".repeat(243)),
            format!(" {}@example.com", "a".repeat(241)),
            format!(" {}@example.com", "a".repeat(242)),
            String::new(),
            "@".to_owned(),
            "a@".to_owned(),
            "@b".to_owned(),
            "a@.b".to_owned(),
            "a@b.".to_owned(),
            "a@.".to_owned(),
            "a@@b".to_owned(),
            "a@b@c".to_owned(),
            "a b@c".to_owned(),
            "a@b\u{a0}c".to_owned(),
            "a\u{0}@b".to_owned(),
            "a\u{85}@b".to_owned(),
        ];
        for case in cases {
            let schema_valid = pattern.is_match(&case) && case.chars().count() <= Email::MAX_LEN;
            assert_eq!(schema_valid, Email::parse(&case).is_ok(), "{case:?}");
        }
    }

    #[test]
    fn overly_long_addresses_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn an_address_that_lower_casing_lengthens_past_the_limit_is_refused() {
        // 200 + 12 characters as typed, 400 + 12 once lower-cased.
        let growing = format!("{}@example.com", "İ".repeat(200));
        assert!(growing.chars().count() <= Email::MAX_LEN);
        let err = Email::parse(&growing).expect_err("too long once normalised");
        assert_eq!(err.field, "email");
        let fits = format!("{}@example.com", "İ".repeat(121));
        assert_eq!(
            Email::parse(&fits).unwrap().normalized().chars().count(),
            254
        );
    }
}

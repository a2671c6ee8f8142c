use super::FieldError;

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
        // Both the address as typed and its lower-cased form are stored, and lower-casing
        // can lengthen text (`İ` becomes `i` and a combining dot): bound both, or the
        // normalised one overflows its column.
        if email.chars().count() > Self::MAX_LEN
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

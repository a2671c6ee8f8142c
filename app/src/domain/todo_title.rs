use super::{FieldError, text};

/// The text of a todo: trimmed, 1 to 500 characters, with no control characters.
///
/// Control characters are refused rather than stripped: a NUL byte in particular is
/// something PostgreSQL cannot store in text, and silently changing a title is worse than
/// saying no.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TodoTitle(String);

impl TodoTitle {
    /// Most characters in a title.
    pub const MAX_CHARS: usize = 500;

    /// Parses the `title` field of a request.
    ///
    /// # Errors
    /// A [`FieldError`] on `title` when the trimmed text is empty, longer than
    /// [`Self::MAX_CHARS`] characters, or contains a control character.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(FieldError::new("title", "must not be empty"));
        }
        if title.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "title",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(FieldError::new(
                "title",
                "must not contain control characters",
            ));
        }
        Ok(Self(title.to_owned()))
    }

    /// A regular expression (ECMAScript, as JSON Schema's `pattern`) that matches exactly
    /// the strings [`Self::parse`] accepts: optional whitespace around 1 to
    /// [`Self::MAX_CHARS`] characters that start and end visibly and hold no control
    /// character.
    #[must_use]
    pub fn pattern() -> String {
        let ws = format!("[{}]", text::WHITESPACE);
        let visible = text::visible_except("");
        let inner = format!("[^{}]", text::CONTROL);
        let max_inner = Self::MAX_CHARS - 2;
        format!("^{ws}*{visible}(?:{inner}{{0,{max_inner}}}{visible})?{ws}*$")
    }

    /// The OpenAPI schema of a `title` field, from the same rules as [`Self::parse`].
    #[cfg(feature = "ssr")]
    #[must_use]
    pub fn schema() -> utoipa::openapi::Object {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .pattern(Some(Self::pattern()))
            .description(Some(format!(
                "Trimmed, then 1–{} characters with no control characters.",
                Self::MAX_CHARS
            )))
            .build()
    }

    /// The title text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The title text, owned.
    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::TodoTitle;

    #[test]
    fn titles_are_trimmed() {
        assert_eq!(
            TodoTitle::parse("  buy milk \t").unwrap().as_str(),
            "buy milk"
        );
    }

    #[test]
    fn length_bounds_count_characters_after_trimming() {
        assert!(TodoTitle::parse(&format!("  {}  ", "ü".repeat(500))).is_ok());
        assert!(TodoTitle::parse(&"ü".repeat(501)).is_err());
        assert!(TodoTitle::parse("x").is_ok());
    }

    /// The document's pattern and `parse` must agree on every case, valid or not.
    #[test]
    fn the_pattern_accepts_exactly_what_parse_accepts() {
        let pattern = regex::Regex::new(&TodoTitle::pattern()).unwrap();
        let cases = [
            "x".to_owned(),
            "  buy milk \t\n".to_owned(),
            "\u{85}x\u{3000}".to_owned(),
            "a b".to_owned(),
            "a\u{a0}b".to_owned(),
            "ü".repeat(500),
            format!(" \t{} \r\n", "ü".repeat(500)),
            "ü".repeat(501),
            format!("{} ", "x".repeat(501)),
            String::new(),
            " \t ".to_owned(),
            "a\tb".to_owned(),
            "a\u{0}b".to_owned(),
            "a\u{85}b".to_owned(),
            "a\u{7f}".to_owned(),
            "\u{1}".to_owned(),
            "🦀".to_owned(),
        ];
        for case in cases {
            assert_eq!(
                pattern.is_match(&case),
                TodoTitle::parse(&case).is_ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn empty_and_control_characters_are_refused() {
        let cases = [
            ("", "empty"),
            ("   ", "only spaces"),
            ("a\u{0}b", "NUL"),
            ("a\nb", "newline inside"),
            ("a\tb", "tab inside"),
            ("a\u{7f}b", "DEL"),
            ("a\u{85}b", "C1 control"),
        ];
        for (input, why) in cases {
            let err = TodoTitle::parse(input).expect_err(why);
            assert_eq!(err.field, "title", "{why}");
        }
    }
}

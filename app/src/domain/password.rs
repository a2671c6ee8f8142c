use super::FieldError;

/// A password as the person chose it: 8 to 128 characters, never trimmed or truncated.
///
/// Deliberately not `Debug`-printable in full and not `Serialize`, so it cannot end up in
/// a log line or a response by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Fewest characters accepted (NIST SP 800-63B's floor).
    pub const MIN_CHARS: usize = 8;
    /// Most characters accepted: long passphrases, but a bounded hashing cost.
    pub const MAX_CHARS: usize = 128;

    /// Checks a new password's length. Every character counts, spaces included.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when the password is shorter than
    /// [`Self::MIN_CHARS`] or longer than [`Self::MAX_CHARS`] characters.
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Parses the `password` field of a request.
    ///
    /// # Errors
    /// See [`Password::parse_field`].
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "password")
    }

    /// The OpenAPI schema of a new password, from the same bounds as [`Self::parse_field`].
    #[cfg(feature = "ssr")]
    #[must_use]
    pub fn schema() -> utoipa::openapi::Object {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(Self::MIN_CHARS))
            .max_length(Some(Self::MAX_CHARS))
            .description(Some(format!(
                "{}–{} characters, used exactly as given (never trimmed or truncated).",
                Self::MIN_CHARS,
                Self::MAX_CHARS
            )))
            .build()
    }

    /// The password itself, for hashing.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::Password;

    #[test]
    fn whitespace_is_part_of_the_password() {
        assert_eq!(
            Password::parse("  spaced  ").unwrap().expose(),
            "  spaced  "
        );
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(
            Password::parse("ééééééé").is_err(),
            "7 characters, 14 bytes"
        );
        assert!(Password::parse("éééééééé").is_ok(), "8 characters");
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(Password::parse(&"x".repeat(7)).is_err());
        assert!(Password::parse(&"x".repeat(8)).is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("hunter22hunter22").unwrap();
        assert!(!format!("{password:?}").contains("hunter"));
    }
}

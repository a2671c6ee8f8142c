use super::FieldError;

/// How many todos one page of `GET /todos` holds: 1 to [`PageLimit::MAX`], the maximum
/// when the client does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    /// The smallest page a client may ask for.
    pub const MIN: u32 = 1;
    /// The largest page a client may ask for, and the default.
    pub const MAX: u32 = 1000;

    /// Reads the `limit` query parameter; absent means [`Self::MAX`].
    ///
    /// # Errors
    /// A [`FieldError`] on `limit` when it is outside [`Self::MIN`]..=[`Self::MAX`].
    pub fn parse(raw: Option<u32>) -> Result<Self, FieldError> {
        let limit = raw.unwrap_or(Self::MAX);
        if (Self::MIN..=Self::MAX).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(FieldError::new(
                "limit",
                format!("must be between {} and {}", Self::MIN, Self::MAX),
            ))
        }
    }

    /// The OpenAPI schema of the `limit` parameter, from the same bounds as [`Self::parse`].
    #[cfg(feature = "ssr")]
    #[must_use]
    pub fn schema() -> utoipa::openapi::Object {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(Self::MIN))
            .maximum(Some(Self::MAX))
            .default(Some(Self::MAX.into()))
            .description(Some(format!(
                "Todos per page, {}–{}; all of them (up to {}) when left out.",
                Self::MIN,
                Self::MAX,
                Self::MAX
            )))
            .build()
    }

    /// The number of todos.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::PageLimit;

    #[test]
    fn an_absent_limit_is_the_largest_page() {
        assert_eq!(PageLimit::parse(None).unwrap().get(), PageLimit::MAX);
    }

    #[test]
    fn bounds_are_inclusive_and_the_field_is_named() {
        assert_eq!(PageLimit::parse(Some(1)).unwrap().get(), 1);
        assert_eq!(PageLimit::parse(Some(1000)).unwrap().get(), 1000);
        for outside in [0, 1001, u32::MAX] {
            assert_eq!(PageLimit::parse(Some(outside)).unwrap_err().field, "limit");
        }
    }
}

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::FieldError;

/// Where a page of `GET /todos` starts: just after the todo with this creation time and id.
///
/// Clients only echo it back, but its spelling is one that a regular expression can
/// describe exactly — `<microseconds since 1970>_<uuid>`, each in its one canonical
/// form — so that the OpenAPI document's `pattern` says precisely which cursors exist.
/// Creation times are stored to the microsecond (`db::now`), so nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor {
    /// The creation time of the last todo of the previous page.
    pub created_at: DateTime<Utc>,
    /// Its id, which orders todos created in the same microsecond.
    pub id: Uuid,
}

impl PageCursor {
    /// The most digits of the microseconds: up to the year 2286.
    pub const MAX_DIGITS: usize = 16;

    /// The cursor as the API sends it.
    #[must_use]
    pub fn encode(self) -> String {
        format!("{}_{}", self.created_at.timestamp_micros(), self.id)
    }

    /// Reads a cursor that a client echoed back: exactly what [`Self::encode`] writes.
    ///
    /// # Errors
    /// A [`FieldError`] on `cursor` for anything else.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "not a cursor this API returned");
        let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
        if micros.len() > Self::MAX_DIGITS {
            return Err(invalid());
        }
        let micros: i64 = micros
            .parse::<u64>()
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or_else(invalid)?;
        let cursor = Self {
            created_at: DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
            id: Uuid::try_parse(id).map_err(|_| invalid())?,
        };
        // Other spellings of the same values (leading zeros, upper-case or braced ids)
        // are refused, so that the pattern below is exact.
        if cursor.encode() == raw {
            Ok(cursor)
        } else {
            Err(invalid())
        }
    }

    /// A regular expression (ECMAScript, as JSON Schema's `pattern`) that matches exactly
    /// the strings [`Self::parse`] accepts.
    #[must_use]
    pub fn pattern() -> String {
        let more_digits = Self::MAX_DIGITS - 1;
        format!(
            "^(?:0|[1-9][0-9]{{0,{more_digits}}})_\
             [0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$"
        )
    }

    /// The OpenAPI schema of the `cursor` parameter, from the same rules as [`Self::parse`].
    #[cfg(feature = "ssr")]
    #[must_use]
    pub fn schema() -> utoipa::openapi::Object {
        use utoipa::openapi::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Self::pattern()))
            .description(Some(
                "`next_cursor` of the previous page, echoed back as it came.",
            ))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::PageCursor;

    fn sample() -> PageCursor {
        PageCursor {
            created_at: chrono::DateTime::from_timestamp_micros(1_764_460_800_123_456).unwrap(),
            id: uuid::Uuid::parse_str("01a22a14-a778-71b6-97c4-5cda57f96f00").unwrap(),
        }
    }

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let cursor = sample();
        assert_eq!(PageCursor::parse(&cursor.encode()).unwrap(), cursor);
    }

    /// The document's pattern and `parse` must agree on every case.
    #[test]
    fn the_pattern_accepts_exactly_what_parse_accepts() {
        let pattern = regex::Regex::new(&PageCursor::pattern()).unwrap();
        let id = "01a22a14-a778-71b6-97c4-5cda57f96f00";
        let cases = [
            sample().encode(),
            format!("0_{id}"),
            format!("9999999999999999_{id}"),
            format!("10000000000000000_{id}"),
            format!("01_{id}"),
            format!("-1_{id}"),
            format!("+1_{id}"),
            format!("1_{}", id.to_uppercase()),
            format!("1_{}", id.replace('-', "")),
            format!("1_{{{id}}}"),
            format!("1_{id}x"),
            format!("_{id}"),
            "1_".to_owned(),
            String::new(),
            "abc".to_owned(),
        ];
        for case in cases {
            assert_eq!(
                pattern.is_match(&case),
                PageCursor::parse(&case).is_ok(),
                "{case:?}"
            );
        }
    }
}

//! sea-query values to SQLite and back, stored exactly as sqlx's SQLite driver stores them:
//! a database written before this module existed reads the same, and keyset cursors that
//! compare stored text keep comparing like with like.
//!
//! | sea-query value | SQLite storage |
//! |---|---|
//! | `Uuid` | a 16-byte blob |
//! | `ChronoDateTimeUtc` | RFC 3339 text, `+00:00`, as few fraction digits as exact (`AutoSi`) |
//! | `Bool` | integer 0 or 1 |
//! | integers, `String`, `Bytes`, `Double` | integer, text, blob, real |
//! | `Json` | its text |
//!
//! SQLite keeps no types with its values, so reading one back needs the type the entity
//! expects: [`ColumnKind`], from the column a result comes from (see `schema`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::{ToSqlOutput, Value as Stored, ValueRef};
use sea_orm::{DbErr, RuntimeErr, sea_query::Value};
use uuid::Uuid;

/// How to read a column back into the [`Value`] that sea-orm's model decoding expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Uuid,
    TimestampUtc,
    Bool,
    /// An `i32` field.
    Int,
    /// An `i64` field, and any integer whose column is unknown (an expression).
    BigInt,
    String,
    Json,
    /// Not a table column: read by what SQLite stored.
    Untyped,
}

/// The SQLite form of `value`, for binding a statement parameter.
///
/// # Errors
/// A [`DbErr`] for a kind of value this schema never stores (and SQLite could not
/// store as sqlx did).
pub fn to_sql(value: &Value) -> Result<ToSqlOutput<'_>, DbErr> {
    let stored = match value {
        Value::Bool(v) => v.map(|b| Stored::Integer(i64::from(b))),
        Value::TinyInt(v) => v.map(|n| Stored::Integer(n.into())),
        Value::SmallInt(v) => v.map(|n| Stored::Integer(n.into())),
        Value::Int(v) => v.map(|n| Stored::Integer(n.into())),
        Value::BigInt(v) => v.map(Stored::Integer),
        Value::TinyUnsigned(v) => v.map(|n| Stored::Integer(n.into())),
        Value::SmallUnsigned(v) => v.map(|n| Stored::Integer(n.into())),
        Value::Unsigned(v) => v.map(|n| Stored::Integer(n.into())),
        Value::BigUnsigned(v) => match v {
            Some(n) => Some(Stored::Integer(i64::try_from(*n).map_err(|_| {
                bind_error(format!("{n} does not fit in SQLite's 64-bit integer"))
            })?)),
            None => None,
        },
        Value::Float(v) => v.map(|x| Stored::Real(x.into())),
        Value::Double(v) => v.map(Stored::Real),
        Value::String(v) => return Ok(v.as_deref().map_or(NULL, ToSqlOutput::from)),
        Value::Char(v) => v.map(|c| Stored::Text(c.to_string())),
        Value::Bytes(v) => {
            return Ok(v
                .as_deref()
                .map_or(NULL, |b| ToSqlOutput::Borrowed(ValueRef::Blob(b))));
        }
        Value::Json(v) => v.as_deref().map(|json| Stored::Text(json.to_string())),
        Value::Uuid(v) => v.map(|id| Stored::Blob(id.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => v.map(|t| Stored::Text(timestamp_text(&t))),
        Value::ChronoDateTimeWithTimeZone(v) => v.map(|t| Stored::Text(timestamp_text(&t))),
        other => return Err(bind_error(format!("unsupported value {other:?}"))),
    };
    Ok(stored.map_or(NULL, ToSqlOutput::Owned))
}

const NULL: ToSqlOutput<'static> = ToSqlOutput::Owned(Stored::Null);

/// A timestamp as sqlx writes one: RFC 3339 with the offset spelled out.
fn timestamp_text<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Reads the stored `raw` as the [`Value`] a field of `kind` expects.
///
/// # Errors
/// A [`DbErr`] when what is stored cannot be that kind (a malformed timestamp).
pub fn from_sql(kind: ColumnKind, raw: ValueRef<'_>) -> Result<Value, DbErr> {
    use ColumnKind as K;
    Ok(match (kind, raw) {
        (K::Uuid, ValueRef::Null) => Value::Uuid(None),
        (K::Uuid, ValueRef::Blob(bytes)) => {
            Value::Uuid(Some(Uuid::from_slice(bytes).map_err(|e| decode_error(&e))?))
        }
        (K::Uuid, ValueRef::Text(text)) => Value::Uuid(Some(
            Uuid::try_parse_ascii(text).map_err(|e| decode_error(&e))?,
        )),
        (K::TimestampUtc, ValueRef::Null) => Value::ChronoDateTimeUtc(None),
        (K::TimestampUtc, ValueRef::Text(text)) => {
            Value::ChronoDateTimeUtc(Some(parse_timestamp(text)?.with_timezone(&Utc)))
        }
        (K::TimestampUtc, ValueRef::Integer(seconds)) => Value::ChronoDateTimeUtc(Some(
            DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| decode_error(&format!("timestamp {seconds} is out of range")))?,
        )),
        (K::Bool, ValueRef::Null) => Value::Bool(None),
        (K::Bool, ValueRef::Integer(n)) => Value::Bool(Some(n != 0)),
        (K::Int, ValueRef::Null) => Value::Int(None),
        (K::Int, ValueRef::Integer(n)) => {
            Value::Int(Some(i32::try_from(n).map_err(|_| {
                decode_error(&format!("{n} does not fit in an i32"))
            })?))
        }
        (K::BigInt, ValueRef::Null) => Value::BigInt(None),
        (K::String, ValueRef::Null) => Value::String(None),
        (K::String, ValueRef::Text(text)) => Value::String(Some(utf8(text)?.to_owned())),
        (K::Json, ValueRef::Null) => Value::Json(None),
        (K::Json, ValueRef::Text(text)) => Value::Json(Some(Box::new(
            serde_json::from_slice(text).map_err(|e| decode_error(&e))?,
        ))),
        (_, ValueRef::Integer(n)) => Value::BigInt(Some(n)),
        (_, ValueRef::Real(x)) => Value::Double(Some(x)),
        (_, ValueRef::Text(text)) => Value::String(Some(utf8(text)?.to_owned())),
        (_, ValueRef::Blob(bytes)) => Value::Bytes(Some(bytes.to_vec())),
        (_, ValueRef::Null) => Value::BigInt(None),
    })
}

/// Parses a stored timestamp in any of the forms sqlx reads: RFC 3339 (what it and
/// [`to_sql`] write), or SQLite's own `YYYY-MM-DD HH:MM:SS[.fff]`, taken as UTC.
fn parse_timestamp(text: &[u8]) -> Result<DateTime<FixedOffset>, DbErr> {
    let text = utf8(text)?;
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    for format in ["%F %T%.f%:z", "%FT%T%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    for format in ["%F %T%.f", "%FT%T%.f", "%F %R", "%FT%R"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Utc.from_utc_datetime(&t).fixed_offset());
        }
    }
    Err(decode_error(&format!("{text:?} is not a timestamp")))
}

fn utf8(text: &[u8]) -> Result<&str, DbErr> {
    std::str::from_utf8(text).map_err(|e| decode_error(&e))
}

fn bind_error(message: String) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(format!(
        "binding a SQLite parameter: {message}"
    )))
}

fn decode_error(cause: &dyn std::fmt::Display) -> DbErr {
    DbErr::Type(format!("reading a SQLite value: {cause}"))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use rusqlite::types::{ToSqlOutput, Value as Stored, ValueRef};
    use sea_orm::sea_query::Value;
    use uuid::Uuid;

    use super::{ColumnKind, from_sql, to_sql};

    fn stored(value: &Value) -> Stored {
        match to_sql(value).unwrap() {
            ToSqlOutput::Owned(v) => v,
            ToSqlOutput::Borrowed(v) => Stored::try_from(v).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn round_trip(kind: ColumnKind, value: Value) {
        let stored = stored(&value);
        assert_eq!(from_sql(kind, ValueRef::from(&stored)).unwrap(), value);
    }

    #[test]
    fn timestamps_are_written_as_sqlx_writes_them() {
        let whole: DateTime<Utc> = "2026-12-02T06:46:09Z".parse().unwrap();
        let micros: DateTime<Utc> = "2026-12-02T06:46:09.123456Z".parse().unwrap();
        let millis: DateTime<Utc> = "2026-12-02T06:46:09.120Z".parse().unwrap();
        let text = |t| match stored(&Value::ChronoDateTimeUtc(Some(t))) {
            Stored::Text(text) => text,
            other => panic!("{other:?}"),
        };
        assert_eq!(text(whole), "2026-12-02T06:46:09+00:00");
        assert_eq!(text(micros), "2026-12-02T06:46:09.123456+00:00");
        assert_eq!(text(millis), "2026-12-02T06:46:09.120+00:00");
    }

    #[test]
    fn every_kind_of_field_reads_back_as_written() {
        let now = crate::db::now();
        round_trip(ColumnKind::Uuid, Value::Uuid(Some(Uuid::now_v7())));
        round_trip(ColumnKind::Uuid, Value::Uuid(None));
        round_trip(
            ColumnKind::TimestampUtc,
            Value::ChronoDateTimeUtc(Some(now)),
        );
        round_trip(ColumnKind::TimestampUtc, Value::ChronoDateTimeUtc(None));
        round_trip(ColumnKind::Bool, Value::Bool(Some(true)));
        round_trip(ColumnKind::Bool, Value::Bool(Some(false)));
        round_trip(ColumnKind::Int, Value::Int(Some(-7)));
        round_trip(ColumnKind::BigInt, Value::BigInt(Some(i64::MAX)));
        round_trip(
            ColumnKind::String,
            Value::String(Some("tâche ✓".to_owned())),
        );
        round_trip(ColumnKind::String, Value::String(None));
        round_trip(
            ColumnKind::Json,
            Value::Json(Some(Box::new(serde_json::json!({"a": [1, 2]})))),
        );
    }

    #[test]
    fn a_uuid_is_a_16_byte_blob_and_a_bool_an_integer() {
        let id = Uuid::now_v7();
        assert_eq!(
            stored(&Value::Uuid(Some(id))),
            Stored::Blob(id.as_bytes().to_vec())
        );
        assert_eq!(stored(&Value::Bool(Some(true))), Stored::Integer(1));
        assert_eq!(stored(&Value::String(None)), Stored::Null);
    }

    #[test]
    fn sqlite_s_own_timestamp_form_reads_as_utc() {
        let read = from_sql(
            ColumnKind::TimestampUtc,
            ValueRef::Text(b"2026-12-02 06:46:09.5"),
        )
        .unwrap();
        let expected: DateTime<Utc> = "2026-12-02T06:46:09.5Z".parse().unwrap();
        assert_eq!(read, Value::ChronoDateTimeUtc(Some(expected)));
    }

    #[test]
    fn what_cannot_be_the_expected_kind_is_an_error_not_a_panic() {
        assert!(from_sql(ColumnKind::TimestampUtc, ValueRef::Text(b"yesterday")).is_err());
        assert!(from_sql(ColumnKind::Uuid, ValueRef::Blob(&[1, 2, 3])).is_err());
        assert!(from_sql(ColumnKind::Int, ValueRef::Integer(i64::MAX)).is_err());
        assert!(to_sql(&Value::BigUnsigned(Some(u64::MAX))).is_err());
    }

    #[test]
    fn expressions_read_by_what_sqlite_stored() {
        assert_eq!(
            from_sql(ColumnKind::Untyped, ValueRef::Integer(3)).unwrap(),
            Value::BigInt(Some(3))
        );
        assert_eq!(
            from_sql(ColumnKind::Untyped, ValueRef::Text(b"x")).unwrap(),
            Value::String(Some("x".to_owned()))
        );
    }
}

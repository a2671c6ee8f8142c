//! The type of every column of the schema, taken from the sea-orm entities, so that a
//! result column that comes from a table (SQLite says which) reads back as the type its
//! entity field has. SQLite itself stores `integer` for an `i32` and an `i64` alike, and
//! a uuid as a bare blob.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, IdenStatic, Iterable, sea_query::ColumnType};

use super::values::ColumnKind;
use crate::entities;

/// Table → column → how to read it.
#[derive(Debug)]
pub struct ColumnKinds(HashMap<String, HashMap<String, ColumnKind>>);

impl ColumnKinds {
    /// The columns of every entity of the server.
    #[must_use]
    pub fn of_the_schema() -> Self {
        let mut kinds = Self(HashMap::new());
        kinds.add::<entities::event::Entity>();
        kinds.add::<entities::event_cursor::Entity>();
        kinds.add::<entities::idempotency_key::Entity>();
        kinds.add::<entities::login_failure::Entity>();
        kinds.add::<entities::password_reset_token::Entity>();
        kinds.add::<entities::session::Entity>();
        kinds.add::<entities::todo::Entity>();
        kinds.add::<entities::todo_count::Entity>();
        kinds.add::<entities::user::Entity>();
        kinds
    }

    fn add<E: EntityTrait>(&mut self) {
        let columns = self
            .0
            .entry(E::default().table_name().to_owned())
            .or_default();
        for column in E::Column::iter() {
            let kind = kind_of(column.def().get_column_type());
            columns.insert(column.as_str().to_owned(), kind);
        }
    }

    /// How to read `column` of `table`; [`ColumnKind::Untyped`] for an unknown one.
    #[must_use]
    pub fn get(&self, table: &str, column: &str) -> ColumnKind {
        self.0
            .get(table)
            .and_then(|columns| columns.get(column))
            .copied()
            .unwrap_or(ColumnKind::Untyped)
    }
}

fn kind_of(column_type: &ColumnType) -> ColumnKind {
    match column_type {
        ColumnType::Uuid => ColumnKind::Uuid,
        ColumnType::TimestampWithTimeZone => ColumnKind::TimestampUtc,
        ColumnType::Boolean => ColumnKind::Bool,
        ColumnType::Integer => ColumnKind::Int,
        ColumnType::BigInteger => ColumnKind::BigInt,
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => ColumnKind::String,
        ColumnType::Json | ColumnType::JsonBinary => ColumnKind::Json,
        _ => ColumnKind::Untyped,
    }
}

#[cfg(test)]
mod tests {
    use super::{ColumnKind, ColumnKinds};

    #[test]
    fn each_column_reads_as_its_entity_field() {
        let kinds = ColumnKinds::of_the_schema();
        assert_eq!(kinds.get("todos", "id"), ColumnKind::Uuid);
        assert_eq!(kinds.get("todos", "completed"), ColumnKind::Bool);
        assert_eq!(kinds.get("todos", "created_at"), ColumnKind::TimestampUtc);
        assert_eq!(kinds.get("events", "id"), ColumnKind::BigInt);
        assert_eq!(kinds.get("login_failures", "slot"), ColumnKind::Int);
        assert_eq!(kinds.get("sessions", "user_agent"), ColumnKind::String);
        assert_eq!(kinds.get("todos", "no_such_column"), ColumnKind::Untyped);
    }
}

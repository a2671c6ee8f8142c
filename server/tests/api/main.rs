//! The API's integration tests: one binary, one module per area. Each test starts the real
//! server on port 0 with a database of its own and talks HTTP to it.
//!
//! Run with `cargo test -p ticked --test api`. With `TEST_DATABASE_URL=postgres://…` set,
//! every test runs on a fresh PostgreSQL database made from that server instead of SQLite.

mod confirmation;
mod docs;
mod durability;
mod event_bursts;
mod events;
mod health;
mod helpers;
mod idempotency;
mod instances;
mod login;
mod mail_sink;
mod migrations;
mod nulls;
mod odd_text;
mod openapi;
mod pages;
mod password_reset;
mod process;
mod readiness;
mod refresh;
mod session_enders;
mod sessions;
mod sse;
mod startup;
mod todo_json;
mod todos;
mod tokens;
mod users;

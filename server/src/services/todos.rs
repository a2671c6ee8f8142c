//! Todos (issue 4).

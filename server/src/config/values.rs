//! Reading one environment variable as a typed value, with the error message that names it.

use std::{fmt::Display, ops::RangeInclusive, str::FromStr, time::Duration};

use super::ConfigError;

/// A view of the environment through a lookup function.
pub(super) struct Lookup<F> {
    get: F,
}

impl<F: Fn(&str) -> Option<String>> Lookup<F> {
    pub(super) fn new(get: F) -> Self {
        Self { get }
    }

    /// The value, if set to something other than whitespace.
    pub(super) fn non_empty(&self, key: &str) -> Option<String> {
        (self.get)(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The raw value, untrimmed (secrets are bytes and keep every one of them).
    pub(super) fn raw(&self, key: &str) -> Option<String> {
        (self.get)(key).filter(|v| !v.is_empty())
    }

    pub(super) fn string_or(&self, key: &str, default: &str) -> String {
        self.non_empty(key).unwrap_or_else(|| default.to_owned())
    }

    /// A comma-separated list, blanks dropped.
    pub(super) fn list(&self, key: &str) -> Vec<String> {
        self.non_empty(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn parse_or<T: FromStr>(
        &self,
        key: &'static str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.non_empty(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::new(key, format!("expected {expected}, got {v:?}"))),
        }
    }

    /// A whole number within `range`.
    pub(super) fn number_in<T>(
        &self,
        key: &'static str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let value = self.parse_or(key, default, "a whole number")?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(ConfigError::new(
                key,
                format!(
                    "must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A duration given in whole seconds, at least `min`.
    pub(super) fn seconds(
        &self,
        key: &'static str,
        default: u64,
        min: u64,
    ) -> Result<Duration, ConfigError> {
        let value = self.parse_or(key, default, "a whole number of seconds")?;
        // Ten years: far beyond any sensible token lifetime, and far from overflowing the
        // timestamp arithmetic that uses it.
        const MAX: u64 = 10 * 365 * 24 * 3600;
        if value < min || value > MAX {
            return Err(ConfigError::new(
                key,
                format!("must be between {min} and {MAX} seconds, got {value}"),
            ));
        }
        Ok(Duration::from_secs(value))
    }
}

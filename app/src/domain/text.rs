//! What the parsers of this module count as whitespace and as control characters, spelled
//! as regular-expression character classes.
//!
//! The OpenAPI document gives each text field a `pattern` built from these, so that what
//! the document calls valid is exactly what [`super::TodoTitle::parse`] and
//! [`super::Email::parse`] accept. The classes use only `\xHH` and `\uHHHH` escapes, which
//! ECMAScript (JSON Schema's dialect), Python (schemathesis) and Rust's `regex` read alike;
//! the tests below hold them to `char::is_whitespace` and `char::is_control` for every
//! character, so the two cannot drift.

/// The inside of a class matching `char::is_whitespace` (Unicode `White_Space`), which is
/// what `str::trim` removes.
pub const WHITESPACE: &str =
    r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The inside of a class matching `char::is_control` (Unicode `Cc`).
pub const CONTROL: &str = r"\x00-\x1F\x7F-\x9F";

/// A class of one character that is neither whitespace nor a control character, and none
/// of `also_excluded` (class syntax, e.g. `@.`).
#[must_use]
pub fn visible_except(also_excluded: &str) -> String {
    format!(
        "[^{also_excluded}{CONTROL} \\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]"
    )
}

#[cfg(test)]
mod tests {
    use super::{CONTROL, WHITESPACE, visible_except};

    fn all_chars() -> impl Iterator<Item = char> {
        (0..=0x10FFFF_u32).filter_map(char::from_u32)
    }

    fn class(inside: &str) -> regex::Regex {
        regex::Regex::new(&format!("^[{inside}]$")).unwrap()
    }

    #[test]
    fn the_whitespace_class_is_exactly_what_trim_removes() {
        let whitespace = class(WHITESPACE);
        for c in all_chars() {
            assert_eq!(
                whitespace.is_match(c.encode_utf8(&mut [0; 4])),
                c.is_whitespace(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn the_control_class_is_exactly_char_is_control() {
        let control = class(CONTROL);
        for c in all_chars() {
            assert_eq!(
                control.is_match(c.encode_utf8(&mut [0; 4])),
                c.is_control(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn a_visible_character_is_neither_whitespace_nor_control_nor_excluded() {
        let visible = regex::Regex::new(&format!("^{}$", visible_except("@"))).unwrap();
        for c in all_chars() {
            let expected = !(c.is_whitespace() || c.is_control() || c == '@');
            assert_eq!(
                visible.is_match(c.encode_utf8(&mut [0; 4])),
                expected,
                "U+{:04X}",
                c as u32
            );
        }
    }
}

//! JSON in and out of the API's bodies, the live stream and the tokens.
//!
//! In the browser the text is parsed and written by the browser's own `JSON`, and serde
//! moves the values between JavaScript and Rust (`serde-wasm-bindgen`): the module then
//! carries no JSON parser of its own, which was serde_json's whole reader and writer,
//! copied per type read (BENCHMARKS.md, "Page weight", step 8). Elsewhere (the server's
//! build of this crate, and its unit tests) serde_json does the same job.

use serde::{Serialize, de::DeserializeOwned};

/// Reads `text` as a `T`; `None` if it is not JSON, or not a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    {
        let value = js_sys::JSON::parse(text).ok()?;
        serde_wasm_bindgen::from_value(value).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).ok()
    }
}

/// Writes `value` as JSON text; `None` if it cannot be (a map with keys that are not
/// strings, which no body of the API has).
pub fn to_string(value: &impl Serialize) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        // `json_compatible`: maps become objects and 64-bit integers numbers, as
        // serde_json writes them, rather than `Map`s and `BigInt`s.
        let value = value
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .ok()?;
        js_sys::JSON::stringify(&value).ok()?.as_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::to_string(value).ok()
    }
}

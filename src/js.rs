//! Reading JSON in the browser without serde_json: the browser's own `JSON.parse`, then
//! [`FromJs`] picks the fields out. serde_json's parser and its error messages were a fifth
//! of the bundle; the server still uses serde for everything it writes.
//!
//! Compiled for both targets (shared types implement [`FromJs`]), called only in the browser.

use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::JsValue;

/// A value read back from what `JSON.parse` made of the server's serde output; `None` if
/// it has another shape.
pub trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Option<Self>;
}

/// Implements [`FromJs`] for a struct, each field read by its name (as serde's derive
/// writes it): `from_js_fields!(Message { id, room, author, body, created_at });`
macro_rules! from_js_fields {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::js::FromJs for $name {
            fn from_js(value: &::wasm_bindgen::JsValue) -> Option<Self> {
                Some(Self { $($field: $crate::js::field(value, stringify!($field))?),+ })
            }
        }
    };
}
pub(crate) use from_js_fields;

/// Parses `text` as JSON into `T`.
pub fn parse<T: FromJs>(text: &str) -> Option<T> {
    T::from_js(&JSON::parse(text).ok()?)
}

/// Field `name` of a JSON object.
pub fn field<T: FromJs>(object: &JsValue, name: &str) -> Option<T> {
    T::from_js(&Reflect::get(object, &JsValue::from_str(name)).ok()?)
}

impl FromJs for String {
    fn from_js(value: &JsValue) -> Option<Self> {
        value.as_string()
    }
}

/// A reply with nothing to say (`null`).
impl FromJs for () {
    fn from_js(_: &JsValue) -> Option<Self> {
        Some(())
    }
}

impl FromJs for bool {
    fn from_js(value: &JsValue) -> Option<Self> {
        value.as_bool()
    }
}

impl FromJs for i64 {
    fn from_js(value: &JsValue) -> Option<Self> {
        // Ids and counts fit in a double's 53 bits.
        value
            .as_f64()
            .filter(|n| n.fract() == 0.0)
            .map(|n| n as i64)
    }
}

/// `null` (or a missing field) is `None`.
impl<T: FromJs> FromJs for Option<T> {
    fn from_js(value: &JsValue) -> Option<Self> {
        if value.is_null() || value.is_undefined() {
            Some(None)
        } else {
            T::from_js(value).map(Some)
        }
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    fn from_js(value: &JsValue) -> Option<Self> {
        if !Array::is_array(value) {
            return None;
        }
        Array::from(value)
            .iter()
            .map(|item| T::from_js(&item))
            .collect()
    }
}

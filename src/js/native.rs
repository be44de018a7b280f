//! The browser's JSON readers over serde_json's values, for native tests: what [`FromJs`]
//! reads of what serde writes, with no browser to run `JSON.parse`.

use serde::Serialize;
use serde_json::Value;

use super::{FromJs, Json};

/// Parses `text` as JSON into `T`, as [`super::parse`] does in the browser.
pub(crate) fn parse<T: FromJs>(text: &str) -> Option<T> {
    T::from_js(&&serde_json::from_str::<Value>(text).ok()?)
}

/// What the browser reads as a `T` of `written` as serde writes it.
pub(crate) fn round_trip<T: FromJs>(written: &impl Serialize) -> Option<T> {
    parse(&serde_json::to_string(written).expect("it serializes"))
}

/// As `JSON.parse` and `Reflect.get` see it: a missing field is `undefined` (here `null`),
/// and only objects (arrays are objects) have fields.
impl Json for &Value {
    fn field(&self, name: &str) -> Option<Self> {
        match self {
            Value::Object(fields) => Some(fields.get(name).unwrap_or(&Value::Null)),
            Value::Array(_) => Some(&Value::Null),
            _ => None,
        }
    }

    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_nothing(&self) -> bool {
        self.is_null()
    }

    fn items<T: FromJs>(&self) -> Option<Vec<T>> {
        self.as_array()?
            .iter()
            .map(|item| T::from_js(&item))
            .collect()
    }
}

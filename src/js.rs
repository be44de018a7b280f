//! Reading JSON in the browser without serde_json: the browser's own `JSON.parse`, then
//! [`FromJs`] picks the fields out. serde_json's parser and its error messages were a fifth
//! of the bundle; the server still uses serde for everything it writes.
//!
//! The readers ask a parsed value only what [`Json`] offers. The browser reads `JsValue`s
//! with them; native tests read serde_json's values with the very same readers
//! (`js/native.rs`), to check that they read back what the server's serde writes.
//!
//! Compiled for both targets (shared types implement [`FromJs`]), called only in the browser.

#[cfg(test)]
pub(crate) mod native;

use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::JsValue;

/// A value read back from what `JSON.parse` made of the server's serde output; `None` if
/// it has another shape.
pub trait FromJs: Sized {
    fn from_js<J: Json>(value: &J) -> Option<Self>;
}

/// What [`FromJs`] asks of a parsed JSON value.
pub trait Json: Sized {
    /// Field `name` of an object, `undefined` (or `null`) if it has none; `None` if the
    /// value is no object.
    fn field(&self, name: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    /// Whether it is `null` or `undefined`.
    fn is_nothing(&self) -> bool;
    /// Each item of an array as a `T`; `None` if the value is no array, or an item is no
    /// `T`.
    fn items<T: FromJs>(&self) -> Option<Vec<T>>;
}

/// Implements [`FromJs`] for a struct, each field read by its name (as serde's derive
/// writes it): `from_js_fields!(Message { id, room, author, body, created_at });`
macro_rules! from_js_fields {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::js::FromJs for $name {
            fn from_js<J: $crate::js::Json>(value: &J) -> Option<Self> {
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
pub fn field<T: FromJs>(object: &impl Json, name: &str) -> Option<T> {
    T::from_js(&object.field(name)?)
}

/// The browser's.
impl Json for JsValue {
    fn field(&self, name: &str) -> Option<Self> {
        Reflect::get(self, &JsValue::from_str(name)).ok()
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_nothing(&self) -> bool {
        self.is_null() || self.is_undefined()
    }

    fn items<T: FromJs>(&self) -> Option<Vec<T>> {
        if !Array::is_array(self) {
            return None;
        }
        Array::from(self)
            .iter()
            .map(|item| T::from_js(&item))
            .collect()
    }
}

impl FromJs for String {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        value.text()
    }
}

/// A reply with nothing to say (`null`).
impl FromJs for () {
    fn from_js<J: Json>(_: &J) -> Option<Self> {
        Some(())
    }
}

impl FromJs for bool {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        value.boolean()
    }
}

impl FromJs for i64 {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        // Ids and counts fit in a double's 53 bits.
        value
            .number()
            .filter(|n| n.fract() == 0.0)
            .map(|n| n as i64)
    }
}

/// `null` (or a missing field) is `None`.
impl<T: FromJs> FromJs for Option<T> {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        if value.is_nothing() {
            Some(None)
        } else {
            T::from_js(value).map(Some)
        }
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        value.items()
    }
}

#[cfg(test)]
mod tests {
    use super::native::{parse, round_trip};

    #[test]
    fn text_numbers_and_booleans_read_back_as_written() {
        assert_eq!(
            round_trip::<String>(&"héllo \"</script>\""),
            Some("héllo \"</script>\"".into())
        );
        for n in [0, -1, 42, 9_007_199_254_740_991] {
            assert_eq!(round_trip::<i64>(&n), Some(n));
        }
        assert_eq!(round_trip::<bool>(&true), Some(true));
        assert_eq!(round_trip::<bool>(&false), Some(false));
        assert_eq!(round_trip::<()>(&()), Some(()));
    }

    #[test]
    fn none_and_some_read_back_as_written_and_a_missing_field_is_none() {
        assert_eq!(round_trip::<Option<i64>>(&None::<i64>), Some(None));
        assert_eq!(round_trip::<Option<i64>>(&Some(3)), Some(Some(3)));
    }

    #[test]
    fn lists_read_back_as_written() {
        let lists = [vec![], vec!["a".to_owned()], vec!["a".into(), "b".into()]];
        for list in lists {
            assert_eq!(round_trip::<Vec<String>>(&list), Some(list));
        }
        let nested = vec![vec![1, 2], vec![]];
        assert_eq!(round_trip::<Vec<Vec<i64>>>(&nested), Some(nested));
    }

    #[test]
    fn a_value_of_another_shape_reads_as_nothing() {
        assert_eq!(parse::<i64>("1.5"), None);
        assert_eq!(parse::<i64>("\"1\""), None);
        assert_eq!(parse::<String>("1"), None);
        assert_eq!(parse::<bool>("null"), None);
        assert_eq!(parse::<Vec<i64>>("{}"), None);
        assert_eq!(parse::<Vec<i64>>("[1, \"2\"]"), None);
        assert_eq!(parse::<Option<i64>>("\"x\""), None);
        assert_eq!(parse::<i64>("not json"), None);
    }
}

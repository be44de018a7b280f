//! Accounts' domain types, shared by both targets: the browser pre-checks a form with the
//! same rules the server enforces.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Shortest and longest username, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=24;
/// Shortest and longest password, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// A username: 3–24 of `[a-z0-9_-]`. Capital letters are taken as their lowercase, so
/// names are unique ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// # Errors
    /// Refuses a name shorter than 3 or longer than 24 characters, or with anything but
    /// ASCII letters, digits, `_` and `-`.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.to_ascii_lowercase();
        let valid_chars = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !USERNAME_CHARS.contains(&name.len()) || !valid_chars {
            return Err(AppError::Invalid(format!(
                "a username is {}–{} lowercase letters, digits, “_” or “-”",
                USERNAME_CHARS.start(),
                USERNAME_CHARS.end()
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed; never shown, logged or stored (only its argon2id hash is).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// # Errors
    /// Refuses a password shorter than 8 or longer than 256 characters.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if !PASSWORD_CHARS.contains(&raw.chars().count()) {
            return Err(AppError::Invalid(format!(
                "a password is {}–{} characters",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Someone with an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The store's id; never shown.
    #[serde(skip)]
    pub id: i64,
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_3_to_24_letters_digits_underscores_or_hyphens() {
        assert_eq!(Username::parse("ada_l-9").unwrap().as_str(), "ada_l-9");
        assert!(Username::parse(&"a".repeat(24)).is_ok());
        for bad in ["ab", "", "a b", "ada!", "ädä", "ada@x", &"a".repeat(25)] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_username_with_capitals_is_the_same_name_in_lowercase() {
        assert_eq!(
            Username::parse("Ada").unwrap(),
            Username::parse("ada").unwrap()
        );
    }

    #[test]
    fn a_password_is_8_to_256_characters_and_never_printed() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"ж".repeat(256)).is_ok());
        assert!(Password::parse(&"ж".repeat(257)).is_err());
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}

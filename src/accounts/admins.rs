//! Who runs this Murmur (`MURMUR_ADMINS`): they moderate every comment thread, and later
//! admin features ask the same list.

use std::sync::Arc;

use super::domain::{Account, Username};

/// The usernames of the admins; none by default.
#[derive(Clone, Debug, Default)]
pub struct Admins(Arc<[String]>);

impl Admins {
    /// Reads a comma-separated list of usernames (`ada,grace`), any case.
    ///
    /// # Errors
    /// Names the entry that can't be a username.
    pub fn parse(list: &str) -> Result<Self, String> {
        let names = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| match Username::parse(entry) {
                Ok(name) => Ok(name.as_str().to_owned()),
                Err(error) => Err(format!("{entry:?}: {error}")),
            })
            .collect::<Result<Vec<String>, String>>()?;
        Ok(Self(names.into()))
    }

    /// Whether `account` is an admin.
    pub fn include(&self, account: &Account) -> bool {
        self.names(&account.username)
    }

    /// Whether the account called `username` is an admin.
    pub fn names(&self, username: &str) -> bool {
        self.0.iter().any(|admin| admin == username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(username: &str) -> Account {
        Account {
            id: 1,
            username: username.into(),
        }
    }

    #[test]
    fn admins_are_named_in_any_case_and_nobody_else_is_one() {
        let admins = Admins::parse(" Ada , grace,").unwrap();
        assert!(admins.include(&account("ada")));
        assert!(admins.include(&account("grace")));
        assert!(!admins.include(&account("mallory")));
        assert!(!Admins::default().include(&account("ada")));
        assert!(Admins::parse("ada,gr ace").is_err());
    }
}

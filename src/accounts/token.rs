//! Session tokens: 256 random bits, shown to the client once as 64 hex digits; the store
//! keeps only their SHA-256, so a copy of the database holds no usable session.

use sha2::{Digest, Sha256};

/// A session token as the client holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

/// What the store keeps of a token.
pub type TokenHash = [u8; 32];

impl SessionToken {
    /// A fresh token from the operating system's randomness.
    ///
    /// # Panics
    /// If the operating system has no randomness to give (nothing can be done then).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS provides randomness");
        Self(to_hex(&bytes))
    }

    /// A token a client sent; `None` if it can't be one of ours (64 lowercase hex digits).
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        hex.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps instead of the token.
    pub fn hash(&self) -> TokenHash {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// 32 bytes (a token, or its hash) as 64 lowercase hex digits.
pub fn to_hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 64 hex digits as the 32 bytes they write; `None` for anything else.
pub fn from_hex(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(bytes)
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_goes_to_hex_and_back_and_nothing_else_reads_as_one() {
        let hash = SessionToken::generate().hash();
        assert_eq!(from_hex(&to_hex(&hash)), Some(hash));
        assert_eq!(from_hex("ab"), None);
        assert_eq!(from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn a_token_is_64_hex_digits_and_two_are_never_alike() {
        let (a, b) = (SessionToken::generate(), SessionToken::generate());
        assert_eq!(SessionToken::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a, b);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn anything_else_is_not_a_token() {
        for bad in ["", "abc", &"g".repeat(64), &"A".repeat(64), &"a".repeat(65)] {
            assert!(SessionToken::parse(bad).is_none(), "{bad:?}");
        }
    }
}

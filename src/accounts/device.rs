//! Device cookies (OWASP's "device cookies" against lock-outs): a browser that signed in as
//! someone carries a cookie, signed by the server, that says so. Guesses at a username are
//! slowed by a budget per username; a browser with that username's device cookie is its
//! owner's, and is held to a budget of its own instead — so a guesser elsewhere can't lock
//! the owner out, and a stolen device cookie can't guess faster than anyone else.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::token::{from_hex, to_hex};

/// The key device cookies are signed with, shared by every instance on the database.
#[derive(Clone)]
pub struct DeviceKey([u8; 32]);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

impl DeviceKey {
    /// A key of these bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A new device cookie's value for `username`: `<username>.<nonce>.<signature>`.
    ///
    /// # Panics
    /// If the operating system has no randomness to give.
    pub fn issue(&self, username: &str) -> String {
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce).expect("the OS provides randomness");
        let signed = format!("{username}.{}", &to_hex(&nonce)[..32]);
        let signature = self.sign(&signed);
        format!("{signed}.{signature}")
    }

    /// The device a cookie's `value` names, if this server signed it for `username`: its
    /// nonce, which its own budget is kept by.
    pub fn recognise<'a>(&self, value: &'a str, username: &str) -> Option<&'a str> {
        let (signed, signature) = value.rsplit_once('.')?;
        let (named, nonce) = signed.rsplit_once('.')?;
        let signature = from_hex(signature)?;
        // Verified in constant time: a signature can't be guessed a byte at a time.
        let genuine = named == username && self.mac(signed).verify_slice(&signature).is_ok();
        genuine.then_some(nonce)
    }

    fn sign(&self, text: &str) -> String {
        to_hex(&self.mac(text).finalize().into_bytes().into())
    }

    fn mac(&self, text: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length works");
        mac.update(text.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_recognised_for_its_username_only() {
        let key = DeviceKey::new([1; 32]);
        let cookie = key.issue("ada");
        assert!(key.recognise(&cookie, "ada").is_some());
        assert_eq!(key.recognise(&cookie, "grace"), None);
        assert_ne!(key.issue("ada"), cookie, "each device its own");
    }

    #[test]
    fn a_forged_or_altered_device_cookie_is_not_recognised() {
        let key = DeviceKey::new([1; 32]);
        let cookie = key.issue("ada");
        let other_server = DeviceKey::new([2; 32]).issue("ada");
        assert_eq!(key.recognise(&other_server, "ada"), None);
        let renamed = cookie.replacen("ada", "eve", 1);
        assert_eq!(key.recognise(&renamed, "eve"), None);
        let mut flipped = cookie.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key.recognise(&flipped, "ada"), None);
        for junk in ["", "ada", "ada.x", "..", "ada..", "ada.x.y.z"] {
            assert_eq!(key.recognise(junk, "ada"), None, "{junk:?}");
        }
    }
}

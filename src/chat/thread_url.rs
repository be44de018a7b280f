//! The page a comment thread is under.

use crate::error::AppError;
use crate::protect::EmbedOrigins;

/// Longest page address, in bytes.
const MAX_URL: usize = 2_000;

/// The page a thread is under: an `http(s)` URL as browsers write it, without its
/// fragment (`#comments` is the same page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadUrl(url::Url);

impl ThreadUrl {
    /// # Errors
    /// Refuses what is not an absolute `http`/`https` URL of at most 2,000 bytes, or has
    /// a user name or password in it.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let invalid = || {
            AppError::Invalid(format!(
                "the page's address must be a full http:// or https:// URL of at most {MAX_URL} bytes"
            ))
        };
        if raw.len() > MAX_URL {
            return Err(invalid());
        }
        let mut url = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
        let web = matches!(url.scheme(), "http" | "https") && url.has_host();
        if !web || !url.username().is_empty() || url.password().is_some() {
            return Err(invalid());
        }
        url.set_fragment(None);
        Ok(Self(url))
    }

    /// # Errors
    /// [`Self::parse`]'s, and refuses a page on a site that may not embed Murmur.
    pub fn parse_allowed(raw: &str, origins: &EmbedOrigins) -> Result<Self, AppError> {
        let url = Self::parse(raw)?;
        let origin = url.0.origin().ascii_serialization();
        if !origins.allows(&origin) {
            return Err(AppError::Invalid(format!(
                "{origin} is not a site allowed to embed Murmur's threads"
            )));
        }
        Ok(url)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_its_address_as_browsers_write_it_without_the_fragment() {
        let url = ThreadUrl::parse(" HTTPS://Blog.Example:443/posts/1?lang=en#comments ");
        assert_eq!(
            url.unwrap().as_str(),
            "https://blog.example/posts/1?lang=en"
        );
        for bad in [
            "",
            "/posts/1",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://blog.example/a",
            "https://ada:secret@blog.example/a",
            &format!("https://blog.example/{}", "a".repeat(2_000)),
        ] {
            assert!(ThreadUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_pages_of_allowed_sites_have_threads() {
        let origins = EmbedOrigins::parse("https://blog.example,http://localhost:4000").unwrap();
        let allowed = ["https://blog.example/a", "http://localhost:4000/b?c=d"];
        for page in allowed {
            assert!(ThreadUrl::parse_allowed(page, &origins).is_ok(), "{page}");
        }
        let others = [
            "http://blog.example/a",
            "https://blog.example:8443/a",
            "https://evil.example/a",
            "https://blog.example.evil.example/a",
            "http://localhost:4001/b",
        ];
        for page in others {
            let refused = ThreadUrl::parse_allowed(page, &origins).unwrap_err();
            assert_eq!(refused.status(), 422, "{page}");
        }
        let none = EmbedOrigins::default();
        assert!(ThreadUrl::parse_allowed(allowed[0], &none).is_err());
    }
}

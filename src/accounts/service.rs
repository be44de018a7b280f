//! The account service: sign up, sign in, sign out, and who a session token belongs to.
//! Passwords are hashed with argon2id on the blocking pool; sessions slide forward with use.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::OnceCell;

use super::domain::{Account, Password, Username};
use super::sessions::KeptSessions;
use super::store::{AccountStore, AccountStoreError};
use super::token::{SessionToken, from_hex, to_hex};
use crate::error::AppError;
use crate::live::{Bus, LiveEvent};
use crate::protect::{RateLimit, RateLimits};
use crate::time::Timestamp;

/// How long a session lasts after its last use.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// A session's expiry is moved forward at most this often, so use costs no write.
const SLIDE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Accounts' operations, backed by a store; cheap to clone.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn AccountStore>,
    limits: Arc<Limits>,
    /// A hash to verify against when the username is unknown, so a wrong name takes as
    /// long to refuse as a wrong password.
    decoy: Arc<OnceCell<String>>,
    /// Live sessions, so a signed-in request costs no query.
    sessions: Arc<KeptSessions>,
    /// Where a sign-out is told to the other instances, which keep sessions too.
    bus: Arc<dyn Bus>,
}

/// The bus topic sign-outs travel on between instances; not a topic clients may ask for.
const SESSIONS_TOPIC: &str = "#sessions";

struct Limits {
    sign_ins_per_address: RateLimit<IpAddr>,
    sign_ins_per_username: RateLimit<String>,
    sign_ups_per_address: RateLimit<IpAddr>,
}

impl AccountService {
    /// A service keeping accounts in `store`, signing in and up within `limits`, telling
    /// sign-outs on `bus` (and forgetting sessions other instances tell of there).
    pub fn new(store: Arc<dyn AccountStore>, bus: Arc<dyn Bus>, limits: &RateLimits) -> Self {
        let sessions = Arc::new(KeptSessions::default());
        let kept = Arc::clone(&sessions);
        bus.watch(Box::new(move |event| match event {
            None => kept.forget_all(),
            Some(event) if &*event.topic == SESSIONS_TOPIC => {
                if let Some(hash) = from_hex(&event.data) {
                    kept.forget(&hash);
                }
            }
            Some(_) => {}
        }));
        Self {
            store,
            limits: Arc::new(Limits {
                sign_ins_per_address: limits.limit("sign-ins", limits.sign_ins_per_address),
                sign_ins_per_username: limits
                    .limit("sign-ins-per-username", limits.sign_ins_per_username),
                sign_ups_per_address: limits.limit("sign-ups", limits.sign_ups_per_address),
            }),
            decoy: Arc::default(),
            sessions,
            bus,
        }
    }

    /// Creates an account and signs it in.
    ///
    /// # Errors
    /// `Invalid` for a malformed username or password, `UsernameTaken`, `RateLimited` after
    /// too many sign-ups from `from`.
    pub async fn sign_up(
        &self,
        from: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<(Account, SessionToken), AppError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        self.limits.sign_ups_per_address.check(from).await?;
        let hash = blocking(move || hash(&password)).await?;
        let account = self
            .store
            .create_account(&username, &hash, Timestamp::now().millis())
            .await?;
        let token = self.start_session(&account).await?;
        Ok((account, token))
    }

    /// Signs in with a username and password.
    ///
    /// # Errors
    /// `BadCredentials` for an unknown username and a wrong password alike (also for a
    /// malformed one), `RateLimited` after too many attempts from `from` or at `username`.
    pub async fn sign_in(
        &self,
        from: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<(Account, SessionToken), AppError> {
        self.limits.sign_ins_per_address.check(from).await?;
        let username = Username::parse(username).map_err(|_| AppError::BadCredentials)?;
        self.limits
            .sign_ins_per_username
            .check(username.as_str().to_owned())
            .await?;
        let password = Password::parse(password).map_err(|_| AppError::BadCredentials)?;
        let found = self.store.credentials(&username).await?;
        let decoy = match found {
            Some(_) => None,
            None => Some(self.decoy().await?),
        };
        let (account, stored) = match found {
            Some((account, stored)) => (Some(account), stored),
            None => (None, decoy.unwrap_or_default()),
        };
        let matches = blocking(move || Ok(verify(&password, &stored))).await?;
        match account {
            Some(account) if matches => {
                let token = self.start_session(&account).await?;
                Ok((account, token))
            }
            _ => Err(AppError::BadCredentials),
        }
    }

    /// The account a session token belongs to, if the session is live, and whether its
    /// expiry was moved forward now (at most once a day).
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn authenticate(
        &self,
        token: &SessionToken,
    ) -> Result<Option<(Account, bool)>, AppError> {
        let now = Timestamp::now().millis();
        let hash = token.hash();
        let (account, expires_at) = match self.sessions.get(&hash, now) {
            Some(kept) => (kept.account, kept.expires_at),
            None => {
                let generation = self.sessions.generation();
                let Some((account, expires_at)) = self.store.session(&hash, now).await? else {
                    return Ok(None);
                };
                self.sessions
                    .keep(generation, hash, account.clone(), expires_at);
                (account, expires_at)
            }
        };
        let slid = now + millis(SESSION_LIFETIME);
        let renewed = slid - expires_at >= millis(SLIDE_EVERY);
        if renewed {
            let generation = self.sessions.generation();
            self.store.extend_session(&hash, slid).await?;
            self.sessions.keep(generation, hash, account.clone(), slid);
        }
        Ok(Some((account, renewed)))
    }

    /// Ends the session: its token never works again.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), AppError> {
        let hash = token.hash();
        self.store.delete_session(&hash).await?;
        self.sessions.forget(&hash);
        let ended = LiveEvent::new(SESSIONS_TOPIC, "ended", None, &to_hex(&hash));
        self.bus.publish(ended);
        Ok(())
    }

    /// The account called `username`.
    ///
    /// # Errors
    /// `AccountNotFound` if there is none (or the name is malformed).
    pub async fn account(&self, username: &str) -> Result<Account, AppError> {
        let missing = || AppError::AccountNotFound(username.to_owned());
        let parsed = Username::parse(username).map_err(|_| missing())?;
        self.store.account(&parsed).await?.ok_or_else(missing)
    }

    async fn start_session(&self, account: &Account) -> Result<SessionToken, AppError> {
        let token = SessionToken::generate();
        let now = Timestamp::now().millis();
        let expires_at = now + millis(SESSION_LIFETIME);
        self.store
            .create_session(account, &token.hash(), now, expires_at)
            .await?;
        Ok(token)
    }

    async fn decoy(&self) -> Result<String, AppError> {
        let decoy = self.decoy.get_or_try_init(|| async {
            let password = Password::parse("not anyone's password").expect("a valid password");
            blocking(move || hash(&password)).await
        });
        Ok(decoy.await?.clone())
    }
}

/// Runs CPU-heavy hashing off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::Internal)?
}

fn hash(password: &Password) -> Result<String, AppError> {
    match Argon2::default().hash_password(password.as_str().as_bytes()) {
        Ok(hash) => Ok(hash.to_string()),
        Err(error) => {
            tracing::error!(%error, "hashing a password failed");
            Err(AppError::Internal)
        }
    }
}

fn verify(password: &Password, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|stored| {
        Argon2::default()
            .verify_password(password.as_str().as_bytes(), &stored)
            .is_ok()
    })
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// What the caller may see of a store failure; database errors are logged, not shown.
impl From<AccountStoreError> for AppError {
    fn from(error: AccountStoreError) -> Self {
        match error {
            AccountStoreError::UsernameTaken(name) => AppError::UsernameTaken(name),
            AccountStoreError::Database(error) => {
                tracing::error!(%error, "account store failed");
                AppError::Internal
            }
        }
    }
}

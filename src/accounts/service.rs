//! The account service: sign up, sign in, sign out, and who a session token belongs to.
//! Passwords are hashed with argon2id on the blocking pool; sessions slide forward with use.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use live_loader::{Bus, LiveEvent, SessionStreams};
use tokio::sync::OnceCell;

use super::device::DeviceKey;
use super::domain::{Account, Password, Username};
use super::sessions::KeptSessions;
use super::store::{AccountStore, AccountStoreError};
use super::token::{SessionToken, from_hex, to_hex};
use crate::activity::Activity;
use crate::error::AppError;
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
    /// What device cookies are signed with: read from (or made in) the store once.
    device_key: Arc<OnceCell<DeviceKey>>,
    /// Live sessions, so a signed-in request costs no query.
    sessions: Arc<KeptSessions>,
    /// Where a sign-out is told to the other instances, which keep sessions too.
    bus: Arc<dyn Bus>,
    /// The open streams, which end with their session.
    streams: SessionStreams,
    /// What is counted for the operations dashboard.
    activity: Activity,
}

/// A live session, as a request that carries its token finds it.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub account: Account,
    /// When the session expires, in ms since the epoch.
    pub expires_at: i64,
    /// Whether this request moved the expiry forward (so the cookie is sent again).
    pub renewed: bool,
}

/// The bus topic sign-outs travel on between instances; not a topic clients may ask for.
const SESSIONS_TOPIC: &str = "#sessions";

struct Limits {
    sign_ins_per_address: RateLimit<IpAddr>,
    /// Failed sign-ins at a username, from browsers without its device cookie.
    sign_ins_per_username: RateLimit<String>,
    /// Failed sign-ins from a browser with a device cookie, by its device: as many as
    /// per username, but its own.
    sign_ins_per_device: RateLimit<String>,
    sign_ups_per_address: RateLimit<IpAddr>,
}

/// A session just started, and the device cookie the browser gets with it.
pub struct Started {
    pub account: Account,
    pub token: SessionToken,
    /// The value of the browser's new device cookie.
    pub device: String,
}

impl AccountService {
    /// A service keeping accounts in `store`, signing in and up within `limits`, telling
    /// sign-outs on `bus` (and forgetting sessions other instances tell of there), and
    /// ending each session's `streams` when it ends.
    pub fn new(
        store: Arc<dyn AccountStore>,
        bus: Arc<dyn Bus>,
        limits: &RateLimits,
        streams: SessionStreams,
        activity: Activity,
    ) -> Self {
        let sessions = Arc::new(KeptSessions::default());
        let (kept, ended) = (Arc::clone(&sessions), streams.clone());
        bus.watch(Box::new(move |event| match event {
            None => {
                kept.forget_all();
                ended.end_all();
            }
            Some(event) if &*event.topic == SESSIONS_TOPIC => {
                if let Some(hash) = from_hex(&event.data) {
                    kept.forget(&hash);
                    ended.end(&event.data);
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
                sign_ins_per_device: limits
                    .limit("sign-ins-per-device", limits.sign_ins_per_username),
                sign_ups_per_address: limits.limit("sign-ups", limits.sign_ups_per_address),
            }),
            decoy: Arc::default(),
            device_key: Arc::default(),
            sessions,
            bus,
            streams,
            activity,
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
    ) -> Result<Started, AppError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        self.limits.sign_ups_per_address.check(from).await?;
        let hash = blocking(move || hash(&password)).await?;
        let account = self
            .store
            .create_account(&username, &hash, Timestamp::now().millis())
            .await?;
        self.activity.signed_up();
        self.start_session(account).await
    }

    /// Signs in with a username and password, from a browser that carries `device` (its
    /// device cookie) if it has one.
    ///
    /// Guesses are slowed per address, and per username — but only failures spend the
    /// username's budget, and a browser with that username's device cookie (its owner's)
    /// spends a budget of its own instead, so guesses elsewhere never lock the owner out.
    ///
    /// # Errors
    /// `BadCredentials` for an unknown username and a wrong password alike (also for a
    /// malformed one), `RateLimited` after too many attempts from `from`, or too many
    /// failures at `username` (or from this device).
    pub async fn sign_in(
        &self,
        from: IpAddr,
        username: &str,
        password: &str,
        device: Option<&str>,
    ) -> Result<Started, AppError> {
        self.limits.sign_ins_per_address.check(from).await?;
        let username = Username::parse(username).map_err(|_| AppError::BadCredentials)?;
        let key = self.device_key().await?;
        let (guesses, guesser) = match device.and_then(|d| key.recognise(d, username.as_str())) {
            Some(device) => (&self.limits.sign_ins_per_device, device.to_owned()),
            None => (
                &self.limits.sign_ins_per_username,
                username.as_str().to_owned(),
            ),
        };
        // Spent before the password is checked, so that tries at once can't all pass;
        // given back if it was right.
        guesses.check(guesser.clone()).await?;
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
                guesses.refund(guesser).await;
                self.activity.signed_in();
                self.start_session(account).await
            }
            _ => Err(AppError::BadCredentials),
        }
    }

    /// The session a token belongs to, if it is live; its expiry is moved forward now and
    /// then (at most once a day).
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Option<SignedIn>, AppError> {
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
        if slid - expires_at < millis(SLIDE_EVERY) {
            return Ok(Some(SignedIn {
                account,
                expires_at,
                renewed: false,
            }));
        }
        // Kept only if no sign-out came meanwhile, and extended only if it still exists.
        let generation = self.sessions.generation();
        if !self.store.extend_session(&hash, slid).await? {
            return Ok(None);
        }
        self.sessions.keep(generation, hash, account.clone(), slid);
        Ok(Some(SignedIn {
            account,
            expires_at: slid,
            renewed: true,
        }))
    }

    /// Ends the session: its token never works again, and the streams it opened end. A
    /// token of no session ends nothing (and costs no more than its look-up).
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), AppError> {
        let hash = token.hash();
        if !self.store.delete_session(&hash).await? {
            return Ok(());
        }
        self.sessions.forget(&hash);
        let key = to_hex(&hash);
        self.streams.end(&key);
        self.bus
            .publish(LiveEvent::new(SESSIONS_TOPIC, "ended", None, &key));
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

    /// A new session for `account`, and a device cookie for the browser that started it.
    async fn start_session(&self, account: Account) -> Result<Started, AppError> {
        let token = SessionToken::generate();
        let now = Timestamp::now().millis();
        let expires_at = now + millis(SESSION_LIFETIME);
        self.store
            .create_session(&account, &token.hash(), now, expires_at)
            .await?;
        let device = self.device_key().await?.issue(&account.username);
        Ok(Started {
            account,
            token,
            device,
        })
    }

    async fn device_key(&self) -> Result<&DeviceKey, AppError> {
        let key = self.device_key.get_or_try_init(|| async {
            let mut fresh = [0u8; 32];
            getrandom::fill(&mut fresh).map_err(|_| AppError::Internal)?;
            let key = self.store.key("device", &fresh).await?;
            let key = <[u8; 32]>::try_from(key).map_err(|_| {
                tracing::error!("the device key in the database is not 32 bytes");
                AppError::Internal
            })?;
            Ok::<_, AppError>(DeviceKey::new(key))
        });
        key.await
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

//! Ids, tokens and password hashing.
//!
//! Tokens are `selector.verifier`: the selector finds the row, and only SHA-256(verifier) is stored
//! and compared in constant time, so neither a database leak nor a timing side channel on the
//! index lookup yields a usable token. Randomness comes from the OS CSPRNG.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::domain::Password;

/// A 24-hex id shaped like a MongoDB ObjectId (4 bytes of seconds, 8 random), as Altogic ids are.
pub fn new_id() -> String {
    let secs = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)) as u32;
    let mut random = [0u8; 8];
    OsRng.fill_bytes(&mut random);
    format!("{}{}", hex::encode(secs.to_be_bytes()), hex::encode(random))
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

/// A freshly minted token: `value` goes to the client once, the rest is stored.
pub struct NewToken {
    pub value: String,
    pub selector: String,
    pub verifier_hash: Vec<u8>,
}

/// 96-bit selector, 256-bit verifier.
pub fn new_token() -> NewToken {
    let selector = random_b64(12);
    let verifier = random_b64(32);
    NewToken { value: format!("{selector}.{verifier}"), verifier_hash: sha256(verifier.as_bytes()), selector }
}

/// A generated key (client key, mailbox token): 352 random bits, URL- and header-safe.
pub fn new_secret() -> String {
    random_b64(44)
}

/// A presented `selector.verifier` token (session, mail link, access token), shape-checked.
/// Parsing is the only way to get one, and [`TokenKey::matches`] the only way to check one.
#[derive(Clone, Copy)]
pub struct TokenKey<'a> {
    pub selector: &'a str,
    verifier: &'a str,
}

impl<'a> TokenKey<'a> {
    /// None when `token` is not shaped like ours.
    pub fn parse(token: &'a str) -> Option<TokenKey<'a>> {
        let (selector, verifier) = token.trim().split_once('.')?;
        let ok = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (ok(selector, 16) && ok(verifier, 43)).then_some(TokenKey { selector, verifier })
    }

    /// The row found by the selector is this token's when its stored hash is SHA-256(verifier)
    /// (compared in constant time) and it has not expired.
    pub fn matches(&self, stored_hash: &[u8], expires_at: i64, now: i64) -> bool {
        let same: bool = sha256(self.verifier.as_bytes()).ct_eq(stored_hash).into();
        same && expires_at > now
    }
}

/// The one PKCE rule: a token bound to a challenge needs the verifier whose SHA-256 it is
/// (compared in constant time), and an unbound token takes no verifier (so a client can tell from
/// a success that the token was bound to its own request).
pub fn pkce_ok(challenge: Option<&str>, verifier: Option<&str>) -> bool {
    match (challenge, verifier) {
        (None, None) => true,
        (Some(challenge), Some(verifier)) => {
            // RFC 7636: 43 to 128 unreserved characters.
            let shaped = (43..=128).contains(&verifier.len()) && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let derived = challenge_of(verifier);
            shaped && bool::from(derived.as_bytes().ct_eq(challenge.as_bytes()))
        }
        _ => false,
    }
}

/// The S256 challenge of a verifier (base64url SHA-256).
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A 6-digit code for mails, uniformly drawn.
pub fn new_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

/// Codes are hashed with their link's selector so equal codes of two links differ in storage.
pub fn code_hash(selector: &str, code: &str) -> Vec<u8> {
    sha256(format!("{selector}:{code}").as_bytes())
}

pub fn code_matches(selector: &str, code: &str, stored_hash: &[u8]) -> bool {
    code_hash(selector, code).ct_eq(stored_hash).into()
}

/// Argon2id with OWASP's first recommended setting: m = 19 MiB, t = 2, p = 1.
pub fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params"))
}

/// Hashing is CPU- and memory-bound: it runs off the async workers, at most one per core at a
/// time, so a burst of sign-ins queues instead of exhausting memory. The queue is bounded: past
/// `max_waiting` callers the pool answers [`Overloaded`] at once (a 503 with Retry-After), so
/// latency under a flood stays near the cost of one hash instead of growing without limit.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    cores: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
    /// The recent time of one hash (a moving average), in microseconds.
    hash_micros: Arc<AtomicU64>,
}

pub use crate::error::Overloaded;

/// Verified against when an e-mail is unknown (or its account has no usable password), so that
/// answer takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let started = Instant::now();
    let hash = hash_blocking("dummy password for timing equality");
    FIRST_HASH_MICROS.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    hash
});

/// How long the process's first hash took: where each pool's estimate of a hash starts.
static FIRST_HASH_MICROS: AtomicU64 = AtomicU64::new(50_000);

/// Stored instead of a hash for an account whose password must not work (it was set by someone
/// who never proved the mailbox). It never parses as a PHC string, so nothing verifies against it.
pub const UNUSABLE_PASSWORD: &str = "!unusable";

fn hash_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

thread_local! {
    /// argon2's working memory (19 MiB at our parameters), kept by each hashing thread. Allocated
    /// afresh for every verification it was handed back to the OS each time, and faulting its
    /// ~4,900 pages in again cost a sign-in about 10 ms on top of the 17 ms hash.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// What `PasswordVerifier::verify_password` does (the stored hash's own algorithm, version,
/// parameters and salt; a constant-time comparison), in this thread's kept memory.
fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else { return false };
    let Ok(version) = parsed.version.map(Version::try_from).transpose() else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let hasher = Argon2::new(algorithm, version.unwrap_or_default(), params);
    let hashed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks]).is_ok()
    });
    hashed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Counts a caller in the queue for as long as it lives.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordHasherPool {
    /// Callers waiting for a core now (the metrics' queue depth).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// At most `max_waiting` callers wait, and none that would wait longer than `max_wait`.
    pub fn new(max_waiting: usize, max_wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1);
        LazyLock::force(&DUMMY_HASH);
        PasswordHasherPool {
            permits: Arc::new(Semaphore::new(cores)),
            cores,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            max_wait,
            hash_micros: Arc::new(AtomicU64::new(FIRST_HASH_MICROS.load(Ordering::Relaxed))),
        }
    }

    /// How long a caller with `ahead` others queued in front of it would wait: they run `cores`
    /// at a time, each taking about the recent time of one hash.
    pub fn expected_wait(&self, ahead: usize) -> Duration {
        let one = self.hash_micros.load(Ordering::Relaxed);
        Duration::from_micros(one.saturating_mul(ahead as u64 + 1) / self.cores as u64)
    }

    /// Folds one hash's time into the moving average (1/8 weight: a few slow hashes move it, one
    /// does not).
    fn record(&self, took: Duration) {
        let sample = took.as_micros().min(u128::from(u32::MAX)) as u64;
        let old = self.hash_micros.load(Ordering::Relaxed);
        self.hash_micros.store(old - old / 8 + sample / 8, Ordering::Relaxed);
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Overloaded> {
        let waiting = Waiting(self.waiting.clone());
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        if ahead >= self.max_waiting || self.expected_wait(ahead) > self.max_wait {
            return Err(Overloaded);
        }
        let _permit = self.permits.acquire().await.expect("semaphore never closed");
        drop(waiting);
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(work).await.expect("hashing task panicked");
        self.record(started.elapsed());
        Ok(out)
    }

    pub async fn hash(&self, password: &Password) -> Result<String, Overloaded> {
        let password = password.expose().to_string();
        self.run(move || hash_blocking(&password)).await
    }

    /// `hash` None means "no such user": a dummy hash is verified so timing does not tell. An
    /// unusable stored hash is timed the same way and never matches.
    pub async fn verify(&self, password: &Password, hash: Option<&str>) -> Result<bool, Overloaded> {
        let password = password.expose().to_string();
        let (hash, real) = match hash {
            Some(h) if PasswordHash::new(h).is_ok() => (h.to_string(), true),
            _ => (DUMMY_HASH.clone(), false),
        };
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(ok && real)
    }
}

/// For the benchmark: one hash at the production parameters.
pub fn hash_password_once(password: &str) -> String {
    hash_blocking(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let t = new_token();
        let key = TokenKey::parse(&t.value).unwrap();
        assert_eq!(key.selector, t.selector);
        assert!(key.matches(&t.verifier_hash, 10, 9));
        assert!(!key.matches(&t.verifier_hash, 10, 10), "expired");
        let (sel, ver) = t.value.split_once('.').unwrap();
        let tampered = format!("{sel}.{}{}", if &ver[..1] == "A" { "B" } else { "A" }, &ver[1..]);
        assert!(!TokenKey::parse(&tampered).unwrap().matches(&t.verifier_hash, 10, 9));
        assert!(TokenKey::parse("abc").is_none());
        assert!(TokenKey::parse(&format!("{sel}.{ver}x")).is_none());
        assert_ne!(new_token().value, t.value);
    }

    #[test]
    fn ids_and_codes_have_the_wire_shape() {
        let id = new_id();
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        let code = new_code();
        assert_eq!(code.len(), 6);
        assert!(code_matches("s", &code, &code_hash("s", &code)));
        assert!(!code_matches("t", &code, &code_hash("s", &code)));
    }

    #[test]
    fn pkce_binds_a_token_to_its_verifier_only() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(Some(challenge), Some(verifier)));
        assert!(!pkce_ok(Some(challenge), None));
        assert!(!pkce_ok(Some(challenge), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")));
        assert!(!pkce_ok(None, Some(verifier)), "an unbound token takes no verifier");
        assert!(pkce_ok(None, None));
    }

    #[test]
    fn hashes_with_argon2id_owasp_params() {
        let h = hash_password_once("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse", &h));
        assert!(!verify_blocking("wrong horse", &h));
    }

    #[test]
    fn verification_uses_the_stored_hash_s_own_parameters_and_refuses_a_tampered_one() {
        // Other parameters (a smaller m first, then ours again: the kept memory is reused).
        let salt = SaltString::generate(&mut OsRng);
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap()).hash_password(b"pw one", &salt).unwrap().to_string();
        assert!(verify_blocking("pw one", &small));
        assert!(!verify_blocking("pw two", &small));
        let ours = hash_password_once("pw one");
        assert!(verify_blocking("pw one", &ours) && verify_blocking("pw one", &small));
        // The same hash under other claimed parameters, or with its output cut, matches nothing.
        assert!(!verify_blocking("pw one", &small.replace("m=8192,t=1", "m=8192,t=2")));
        let cut = &ours[..ours.len() - 4];
        assert!(!verify_blocking("pw one", cut));
        assert!(!verify_blocking("pw one", "not a hash"));
    }
}

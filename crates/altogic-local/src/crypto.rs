//! Ids, tokens and password hashing.
//!
//! Tokens are `selector.verifier`: the selector finds the row, and only SHA-256(verifier) is stored
//! and compared in constant time, so neither a database leak nor a timing side channel on the
//! index lookup yields a usable token. Randomness comes from the OS CSPRNG.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

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

/// Splits a presented token; None when it is not shaped like ours.
pub fn split_token(token: &str) -> Option<(&str, &str)> {
    let (selector, verifier) = token.split_once('.')?;
    let ok = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (ok(selector, 16) && ok(verifier, 43)).then_some((selector, verifier))
}

/// Constant-time check of a presented verifier against the stored hash.
pub fn verifier_matches(verifier: &str, stored_hash: &[u8]) -> bool {
    sha256(verifier.as_bytes()).ct_eq(stored_hash).into()
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

/// Hashing is CPU- and memory-bound: it runs off the async workers, at most a few at a time, so a
/// burst of sign-ins queues instead of exhausting memory.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
}

/// Verified against when an e-mail is unknown, so that answer takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking("dummy password for timing equality"));

fn hash_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

impl PasswordHasherPool {
    pub fn new() -> Self {
        let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
        LazyLock::force(&DUMMY_HASH);
        PasswordHasherPool { permits: Arc::new(Semaphore::new(n)) }
    }

    pub async fn hash(&self, password: &str) -> String {
        let _permit = self.permits.acquire().await.expect("semaphore never closed");
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await.expect("hashing task panicked")
    }

    /// `hash` None means "no such user": a dummy hash is verified so timing does not tell.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let _permit = self.permits.acquire().await.expect("semaphore never closed");
        let password = password.to_string();
        let (hash, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (DUMMY_HASH.clone(), false),
        };
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash)).await.expect("verify task panicked");
        ok && real
    }
}

impl Default for PasswordHasherPool {
    fn default() -> Self {
        Self::new()
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
        let (sel, ver) = split_token(&t.value).unwrap();
        assert_eq!(sel, t.selector);
        assert!(verifier_matches(ver, &t.verifier_hash));
        assert!(!verifier_matches(&ver.replace(&ver[..1], if &ver[..1] == "A" { "B" } else { "A" }), &t.verifier_hash));
        assert!(split_token("abc").is_none());
        assert!(split_token(&format!("{sel}.{ver}x")).is_none());
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
    fn hashes_with_argon2id_owasp_params() {
        let h = hash_password_once("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse", &h));
        assert!(!verify_blocking("wrong horse", &h));
    }
}

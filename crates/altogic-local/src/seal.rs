//! Secrets kept in the database but unreadable from it alone: authenticator secrets are sealed
//! with ChaCha20-Poly1305 under a key that lives outside the database (`--mfa-key-file`,
//! `--mfa-key`, or the data dir's `mfa-key`). Each sealed value is bound to its row (the
//! associated data), so a sealed secret copied into another account's row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

const NONCE_BYTES: usize = 12;

/// The sealing key, derived from a configured secret string.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    /// Keys [`Sealer::mac`]: derived from the same secret, never the cipher's key.
    mac_key: [u8; 32],
    /// Names the key without revealing it: instances that share a database must share the key,
    /// and one started with another key refuses to start instead of failing every sign-in.
    id: String,
}

impl Sealer {
    pub fn new(secret: &str) -> Self {
        let key = Sha256::new().chain_update(b"altogic-local seal key v1\0").chain_update(secret.as_bytes()).finalize();
        let id = hex::encode(&Sha256::new().chain_update(b"altogic-local seal key id v1\0").chain_update(key).finalize()[..12]);
        let mac_key = Sha256::new().chain_update(b"altogic-local mac key v1\0").chain_update(secret.as_bytes()).finalize().into();
        Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)), mac_key, id }
    }

    /// HMAC-SHA-256 of `data` under a key outside the database: what is stored of a short secret
    /// (a recovery code), so that a dump of the database alone cannot be searched for it.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        hmac::Mac::update(&mut mac, data);
        hmac::Mac::finalize(mac).into_bytes().to_vec()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A random nonce, then the ciphertext and its tag.
    pub fn seal(&self, plaintext: &[u8], bound_to: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self.cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: bound_to.as_bytes() }).expect("ChaCha20-Poly1305 seals any length we use");
        [nonce.as_slice(), &sealed].concat()
    }

    /// None when `sealed` was not sealed by this key for `bound_to`, or was altered.
    pub fn open(&self, sealed: &[u8], bound_to: &str) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: bound_to.as_bytes() }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_its_key_and_row() {
        let sealer = Sealer::new("a secret of at least thirty-two characters");
        let sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", "factor-1");
        assert!(!sealed.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"), "the plaintext is not in the sealed bytes");
        assert_eq!(sealer.open(&sealed, "factor-1").as_deref(), Some(&b"JBSWY3DPEHPK3PXP"[..]));
        assert_eq!(sealer.open(&sealed, "factor-2"), None, "another row");
        assert_eq!(Sealer::new("another secret of at least thirty-two chars").open(&sealed, "factor-1"), None, "another key");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(sealer.open(&flipped, "factor-1"), None, "altered");
        assert_ne!(sealer.seal(b"x", "r"), sealer.seal(b"x", "r"), "fresh nonces");
        assert_ne!(sealer.id(), Sealer::new("another secret of at least thirty-two chars").id());
        assert_eq!(sealer.mac(b"code"), Sealer::new("a secret of at least thirty-two characters").mac(b"code"));
        assert_ne!(sealer.mac(b"code"), Sealer::new("another secret of at least thirty-two chars").mac(b"code"));
    }
}

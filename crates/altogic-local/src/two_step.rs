//! Two-step verification's rules outside the store: recovery codes, tickets, and how a presented
//! code is checked against a sealed secret.

use rand::rngs::OsRng;
use rand::Rng;

use crate::crypto::new_token;
use crate::seal::Sealer;
use crate::store::{CodeCheck, FactorRow, TicketRow};
use crate::totp;

/// How long a first step waits for its second (contract: 5 minutes).
pub const TICKET_TTL_SECS: i64 = 300;
/// How long an enrolled factor waits for its first code (contract: 15 minutes).
pub const PENDING_FACTOR_SECS: i64 = 15 * 60;

/// Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A recovery code: ten characters (50 bits), shown as `XXXXX-XXXXX`.
pub fn new_recovery_code() -> String {
    let chars: String = (0..10).map(|_| char::from(RECOVERY_ALPHABET[OsRng.gen_range(0..32)])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// What a typed recovery code is: upper case, without separators, with Crockford's readings of
/// the letters it leaves out (O is 0, I and L are 1).
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// Recovery codes are stored as HMAC-SHA-256, under the MFA key, of the account and the
/// normalized code: 50 random bits would fall to a brute force of a dumped table, but without the
/// key (which is not in the database) there is nothing to test guesses against.
pub fn recovery_code_hash(sealer: &Sealer, user_id: &str, typed: &str) -> Vec<u8> {
    sealer.mac(format!("recovery-code\0{user_id}\0{}", normalize_recovery_code(typed)).as_bytes())
}

/// Ten new recovery codes and their hashes.
pub fn new_recovery_codes(sealer: &Sealer, user_id: &str) -> (Vec<String>, Vec<Vec<u8>>) {
    let codes: Vec<String> = (0..altogic::account_security::RECOVERY_CODE_COUNT).map(|_| new_recovery_code()).collect();
    let hashes = codes.iter().map(|c| recovery_code_hash(sealer, user_id, c)).collect();
    (codes, hashes)
}

/// What a factor's secret is sealed to: its own row.
pub fn seal_binding(factor_id: &str, user_id: &str) -> String {
    format!("mfa-factor:{factor_id}:{user_id}")
}

/// A new pending factor for `user_id` and its secret in the clear (for the enroll answer).
pub fn new_factor(sealer: &Sealer, user_id: &str, now: i64, now_iso: &str) -> (FactorRow, [u8; totp::SECRET_BYTES]) {
    let secret = totp::new_secret();
    let id = crate::crypto::new_id();
    let sealed = sealer.seal(&secret, &seal_binding(&id, user_id));
    let row = FactorRow { id, user_id: user_id.to_string(), secret: sealed, confirmed: false, created_at: now_iso.to_string(), expires_at: now + PENDING_FACTOR_SECS, last_step: 0 };
    (row, secret)
}

/// The check of a presented code against a factor: the step it is of, newer than the factor's
/// last used one, within a step of `now`. A secret that does not open (another key) matches nothing.
pub fn code_check<'a>(sealer: &'a Sealer, code: &'a str, now: i64) -> CodeCheck<'a> {
    Box::new(move |factor: &FactorRow| {
        let secret = sealer.open(&factor.secret, &seal_binding(&factor.id, &factor.user_id))?;
        totp::matching_step(&secret, code.trim(), now, factor.last_step)
    })
}

/// A first step's ticket; the user id and password hash are filled in by the flow that stores it.
pub fn new_ticket(proof: &str, user_agent: &str, throttle_key: &str, new_device: bool, now: i64) -> (TicketRow, String) {
    let token = new_token();
    let row = TicketRow {
        selector: token.selector,
        verifier_hash: token.verifier_hash,
        user_id: String::new(),
        proof: proof.to_string(),
        password_hash: String::new(),
        user_agent: user_agent.chars().take(512).collect(),
        throttle_key: throttle_key.to_string(),
        new_device,
        attempts: 0,
        expires_at: now + TICKET_TTL_SECS,
    };
    (row, token.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_typed_forgivingly_and_hashed_per_account() {
        let sealer = Sealer::new("a secret of at least thirty-two characters");
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(recovery_code_hash(&sealer, "u1", &code), recovery_code_hash(&sealer, "u1", &code.to_lowercase().replace('-', " ")));
        assert_ne!(recovery_code_hash(&sealer, "u1", &code), recovery_code_hash(&sealer, "u2", &code));
        assert_eq!(normalize_recovery_code("o1l-iO"), "01110");
        let (codes, hashes) = new_recovery_codes(&sealer, "u");
        assert_eq!((codes.len(), hashes.len()), (10, 10));
    }
}

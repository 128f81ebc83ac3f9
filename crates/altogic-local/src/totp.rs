//! RFC 6238 time-based codes, as every authenticator app reads them: HMAC-SHA-1, 6 digits,
//! 30-second steps (shared/account-security-api.md §1).

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds a code lives.
pub const STEP_SECS: i64 = 30;
/// Steps of clock drift accepted either way.
pub const DRIFT_STEPS: i64 = 1;
/// 160 bits: RFC 4226's recommended secret length.
pub const SECRET_BYTES: usize = 20;

/// The step `unix` falls in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// A fresh random secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut secret = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

/// The secret as authenticator apps take it: unpadded RFC 4648 base32.
pub fn base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// A base32 secret as typed into an authenticator (spaces and lower case allowed).
pub fn parse_base32(text: &str) -> Option<Vec<u8>> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    data_encoding::BASE32_NOPAD.decode(clean.trim_end_matches('=').as_bytes()).ok()
}

/// The code of `step` (RFC 4226 HOTP with the step as counter, dynamic truncation, 6 digits).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&(step as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", binary % 1_000_000)
}

/// The step whose code `code` is, within the drift around `now` and after `after` (the newest
/// step already used: a code is accepted once). Compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: i64, after: i64) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    for step in current - DRIFT_STEPS..=current + DRIFT_STEPS {
        let same: bool = code_at(secret, step).as_bytes().ct_eq(code.as_bytes()).into();
        if same && step > after && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI of a QR code (Key Uri Format), with the issuer both as label prefix and
/// parameter, as Google Authenticator asks.
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    // RFC 3986 unreserved characters and `@` (a path character) stay as they are.
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30", enc(issuer), enc(account), base32(secret), enc(issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (their 8-digit codes' last 6 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"), (1234567890, "005924"), (2000000000, "279037"), (20000000000, "353130")] {
            assert_eq!(code_at(secret, step_of(time)), code, "t = {time}");
        }
    }

    #[test]
    fn drift_and_replay() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let step = step_of(now);
        assert_eq!(matching_step(&secret, &code_at(&secret, step - 1), now, 0), Some(step - 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, step + 1), now, 0), Some(step + 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, step - 2), now, 0), None, "two steps late");
        assert_eq!(matching_step(&secret, &code_at(&secret, step), now, step), None, "used already");
        assert_eq!(matching_step(&secret, &code_at(&secret, step), now, step + 1), None, "a later step was used");
        assert_eq!(matching_step(&secret, "12345", now, 0), None);
        assert_eq!(matching_step(&secret, "12345a", now, 0), None);
    }

    #[test]
    fn uri_is_what_authenticators_read() {
        let uri = uri("Altogic Auth", "ada@example.com", b"12345678901234567890");
        assert_eq!(uri, "otpauth://totp/Altogic%20Auth:ada@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Altogic%20Auth&algorithm=SHA1&digits=6&period=30");
    }
}

//! Parsed inputs: a value of these types has passed its checks, so code that holds one never
//! re-validates, and secrets never print.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::{codes, AppError};

pub const MAX_PASSWORD: usize = altogic::account_security::MAX_PASSWORD_CHARS;
pub const MAX_NAME: usize = 100;
/// Serialized size limit of a user's extra fields.
pub const MAX_EXTRA_BYTES: usize = 16 * 1024;

/// An e-mail address in its one canonical form, the key of an account.
///
/// Two spellings a person would read as the same address are one account: the address is NFKC
/// normalized (full-width letters become ASCII, a letter and its combining accent become one
/// character) and lowercased, and the domain is converted to its IDNA ASCII form. The mail
/// sender takes an `Email` too, so what is stored is exactly what is mailed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    value: String,
}

impl Email {
    /// A space becomes `+`: altogic-js puts addresses into query strings unencoded, so
    /// `a+b@x.io` arrives as `a b@x.io`.
    pub fn parse(raw: &str) -> Result<Email, AppError> {
        Self::canonical(raw).ok_or_else(|| AppError::validation("email", "Please enter a valid e-mail address."))
    }

    fn canonical(raw: &str) -> Option<Email> {
        let folded: String = raw.trim().replace(' ', "+").nfkc().collect::<String>().to_lowercase();
        if !folded.chars().all(visible_in_address) {
            return None;
        }
        let (local, domain) = folded.rsplit_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| !c.is_control() && !c.is_whitespace() && !"<>()[],;:\\\"@".contains(c));
        if !local_ok {
            return None;
        }
        let domain = idna::domain_to_ascii_strict(domain).ok()?;
        let labels_ok = domain.contains('.')
            && domain.split('.').all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
            && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !labels_ok {
            return None;
        }
        let value = format!("{local}@{domain}");
        (value.len() <= 254).then_some(Email { value })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

}

/// Whether a character may stand in an address: printable ASCII, or a character that UTS #39
/// allows in identifiers. That refuses what would make an address read exactly like another one:
/// control and format characters (zero-width space and joiners, soft hyphen, BOM, bidi controls),
/// default-ignorable ones (the combining grapheme joiner, variation selectors, Hangul fillers).
fn visible_in_address(c: char) -> bool {
    use unicode_security::GeneralSecurityProfile;
    if c.is_ascii() {
        return c.is_ascii_graphic();
    }
    c.identifier_allowed()
}

/// The UTS #39 confusable skeleton of a canonical address (its domain read in Unicode): two
/// addresses with the same skeleton read alike, and only one of them may be an account.
pub fn skeleton(email: &str) -> String {
    use unicode_security::confusable_detection::skeleton as uts39;
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    let (domain, _) = idna::domain_to_unicode(domain);
    format!("{}@{}", uts39(local).collect::<String>().to_lowercase(), uts39(&domain).collect::<String>().to_lowercase())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.value)
    }
}

/// A password that passed the length rules. It has no `Display`, and `Debug` prints no secret, so
/// it cannot end up in a log line or an error by accident.
pub struct Password(String);

impl Password {
    /// A new password (sign-up, change, reset), by the rules of contract §4: 400 `weak_password`
    /// with the reasons and zxcvbn's suggestion. `user_inputs` are the account's own words (its
    /// address, its name), which make a password guessable.
    pub fn new(raw: String, user_inputs: &[&str], min_score: u8) -> Result<Password, AppError> {
        let assessment = altogic::password_policy::assess(&raw, user_inputs, min_score);
        match assessment.weak() {
            None => Ok(Password(raw)),
            Some(weak) => {
                let mut message = String::from("Choose a stronger password.");
                for reason in &weak.reasons {
                    message.push(' ');
                    message.push_str(&reason.explain());
                }
                Err(AppError::bad_request(altogic::account_security::WEAK_PASSWORD, message).with_details(serde_json::to_value(&weak).unwrap_or_default()))
            }
        }
    }

    /// A password presented to be checked (sign-in, current password): never length-checked, so
    /// the rules cannot tell an attacker anything, but capped so a huge one costs nothing.
    pub fn presented(raw: String) -> Password {
        if raw.len() > 4 * MAX_PASSWORD {
            return Password(String::new());
        }
        Password(raw)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A PKCE code challenge (RFC 7636, method `S256` only): 43 base64url characters, the SHA-256 of a
/// verifier the requesting device keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// None when the request carries no challenge (it then behaves as without PKCE).
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Option<CodeChallenge>, AppError> {
        let invalid = |message: &str| AppError::bad_request(codes::INVALID_CODE_CHALLENGE, message).with_details(serde_json::json!({ "param": "codeChallenge" }));
        let challenge = challenge.map(str::trim).filter(|c| !c.is_empty());
        match (challenge, method.map(str::trim).filter(|m| !m.is_empty())) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(invalid("codeChallengeMethod was given without a codeChallenge.")),
            (Some(_), Some(m)) if m != "S256" => Err(invalid("Only the S256 code challenge method is supported.")),
            (Some(c), _) if c.len() != 43 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
                Err(invalid("codeChallenge must be the 43-character base64url SHA-256 of the code verifier."))
            }
            (Some(c), _) => Ok(Some(CodeChallenge(c.to_string()))),
        }
    }

    /// The challenge fields of a request body (sign-up, change of e-mail).
    pub fn from_body(pkce: &altogic::PkceChallenge) -> Result<Option<CodeChallenge>, AppError> {
        Self::parse(pkce.code_challenge.as_deref(), pkce.code_challenge_method.as_deref())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn validate_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "The name cannot be empty."));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::validation("name", format!("The name must be at most {MAX_NAME} characters, without control characters.")));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Option<String> {
        Email::canonical(s).map(|e| e.as_str().to_string())
    }

    #[test]
    fn look_alike_spellings_are_one_address() {
        let plain = canon("Jose@Example.com").unwrap();
        assert_eq!(plain, "jose@example.com");
        // Full-width letters (U+FF4A …) fold to ASCII.
        assert_eq!(canon("\u{ff4a}\u{ff4f}\u{ff53}\u{ff45}@example.com").unwrap(), plain);
        // A combining accent and the precomposed letter are one address.
        assert_eq!(canon("jose\u{301}@example.com"), canon("jos\u{e9}@example.com"));
        // The domain is stored in its IDNA ASCII form.
        assert_eq!(canon("a@B\u{fc}cher.de").unwrap(), "a@xn--bcher-kva.de");
        assert_eq!(canon(" a b@x.io ").unwrap(), "a+b@x.io");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "a", "@x.io", "a@", "a@x", "a@.x.io", "a@x..io", "a b@x", "a@-x.io", "a..b@x.io", ".a@x.io", "a\u{0}@x.io", "a<b@x.io"] {
            assert!(canon(bad).is_none(), "{bad:?} accepted");
        }
        assert!(canon(&format!("{}@x.io", "a".repeat(65))).is_none());
    }

    #[test]
    fn invisible_characters_cannot_make_a_second_address_that_reads_like_the_first() {
        let invisible = [
            '\u{200b}', // zero-width space
            '\u{200c}', // zero-width non-joiner
            '\u{200d}', // zero-width joiner
            '\u{ad}',   // soft hyphen
            '\u{feff}', // BOM / zero-width no-break space
            '\u{202e}', // right-to-left override
            '\u{2066}', // left-to-right isolate
            '\u{34f}',  // combining grapheme joiner
            '\u{fe0f}', // variation selector 16
            '\u{3164}', // Hangul filler
            '\u{7}',    // a control character
        ];
        for c in invisible {
            for spelled in [format!("vi{c}ctim@example.com"), format!("victim@exam{c}ple.com"), format!("victim{c}@example.com")] {
                assert!(canon(&spelled).is_none(), "{spelled:?} ({:04x}) accepted", c as u32);
            }
        }
        // Letters of other scripts stay welcome.
        assert_eq!(canon("\u{4e0a}\u{6d77}@example.com").unwrap(), "\u{4e0a}\u{6d77}@example.com");
        assert_eq!(canon("jos\u{e9}@example.com").unwrap(), "jos\u{e9}@example.com");
    }

    #[test]
    fn addresses_that_read_alike_have_one_skeleton() {
        let same = |a: &str, b: &str| skeleton(&canon(a).unwrap()) == skeleton(&canon(b).unwrap());
        assert!(same("paypal@example.com", "paypa1@example.com"));
        assert!(same("arnold@example.com", "amold@example.com"), "rn and m");
        assert!(same("bob0@example.com", "bobo@example.com"));
        // Cyrillic р, а, у in the local part and о in the domain.
        assert!(same("paypal@example.com", "\u{440}\u{430}\u{443}pal@example.com"));
        assert!(same("a@google.com", "a@g\u{43e}\u{43e}gle.com"));
        assert!(!same("alice@example.com", "bob@example.com"));
        assert!(!same("a@example.com", "a@example.org"));
    }

    #[test]
    fn passwords_never_print() {
        let p = Password::new("correct horse battery".into(), &[], 2).unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(Password::new("short".into(), &[], 2).is_err());
    }
}

//! The password rules of `shared/account-security-api.md` §4, defined once: the server refuses by
//! them, the app's shell shows them as a strength meter while the password is typed.
//!
//! A password is refused when it is shorter than 8 or longer than 256 characters, when it is one
//! of the commonly used passwords (zxcvbn's frequency list of leaked passwords, about 30,000,
//! matched whole, also reversed or with l33t substitutions), or when its zxcvbn score is below the
//! minimum. zxcvbn also knows the account's own words (`user_inputs`: the address, the name).

use zxcvbn::matching::patterns::MatchPattern;
use zxcvbn::matching::Match;

use crate::account_security::{WeakPassword, WeakReason, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// zxcvbn's work grows faster than the length: past this many characters the estimate looks at
/// the start only (a longer password is not weaker than its start).
const ESTIMATED_CHARS: usize = 64;

/// What the rules make of a password.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// zxcvbn's 0 (guessed at once) to 4 (more than 10^10 guesses).
    pub score: u8,
    /// Why it would be refused; empty when it passes.
    pub reasons: Vec<WeakReason>,
    /// zxcvbn's warning, in its words ("This is a top-100 common password.").
    pub warning: Option<String>,
    /// zxcvbn's first suggestion.
    pub suggestion: Option<String>,
}

impl Assessment {
    pub fn passes(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The `details` of the `weak_password` error, when it does not pass.
    pub fn weak(&self) -> Option<WeakPassword> {
        (!self.passes()).then(|| WeakPassword { reasons: self.reasons.clone(), suggestion: self.suggestion.clone() })
    }
}

/// Assesses `password` for an account known by `user_inputs`, against a minimum score.
pub fn assess(password: &str, user_inputs: &[&str], min_score: u8) -> Assessment {
    let chars = password.chars().count();
    let mut reasons = Vec::new();
    if chars < MIN_PASSWORD_CHARS {
        reasons.push(WeakReason::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        reasons.push(WeakReason::TooLong);
    }
    if password.is_empty() {
        return Assessment { score: 0, reasons, warning: None, suggestion: None };
    }
    let estimated: String = password.chars().take(ESTIMATED_CHARS).collect();
    // zxcvbn matches the account's words whole: each word of a name, and the local part and the
    // domain of an address, too.
    let mut inputs: Vec<&str> = Vec::new();
    for input in user_inputs {
        inputs.push(input);
        inputs.extend(input.split_whitespace().filter(|w| *w != *input));
        if let Some((local, domain)) = input.split_once('@') {
            inputs.push(local);
            inputs.push(domain);
        }
    }
    let entropy = zxcvbn::zxcvbn(&estimated, &inputs);
    let score = u8::from(entropy.score());
    if is_common(entropy.sequence(), estimated.chars().count()) {
        reasons.push(WeakReason::Common);
    } else if score < min_score {
        reasons.push(WeakReason::Guessable);
    }
    let feedback = entropy.feedback();
    Assessment {
        score,
        reasons,
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestion: feedback.and_then(|f| f.suggestions().first()).map(|s| s.to_string()),
    }
}

/// Whether the whole password is one entry of the leaked-passwords list.
fn is_common(sequence: &[Match], chars: usize) -> bool {
    // zxcvbn does not export its dictionary type; the leaked-passwords list is its default value.
    matches!(sequence, [m] if m.i == 0 && m.j + 1 == chars && matches!(&m.pattern, MatchPattern::Dictionary(d) if d.dictionary_name == Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(password: &str) -> Vec<WeakReason> {
        assess(password, &["alice@example.com", "Alice Liddell"], 2).reasons
    }

    #[test]
    fn the_rules_of_the_contract() {
        assert_eq!(reasons("dragon"), vec![WeakReason::TooShort, WeakReason::Common]);
        assert_eq!(reasons(&"x".repeat(257)).first(), Some(&WeakReason::TooLong));
        for common in ["password", "password1", "iloveyou", "qwertyuiop", "P@ssw0rd", "drowssap"] {
            assert_eq!(reasons(common), vec![WeakReason::Common], "{common}");
        }
        for guessable in ["alice@example.com1", "aliceliddell", "aaaaaaaaaaaa", "abcdefgh12345678"] {
            assert_eq!(reasons(guessable), vec![WeakReason::Guessable], "{guessable}");
        }
        for fine in ["correct horse battery", "correct-horse-1", "battery-staple-2", "tangerine mosaic lantern"] {
            assert!(reasons(fine).is_empty(), "{fine}: {:?}", assess(fine, &["alice@example.com"], 2));
        }
    }

    #[test]
    fn a_refusal_says_why_and_what_to_do() {
        let weak = assess("password1", &[], 2).weak().unwrap();
        assert_eq!(weak.reasons, vec![WeakReason::Common]);
        assert!(weak.suggestion.is_some());
        assert!(assess("tangerine mosaic lantern", &[], 2).weak().is_none());
    }
}

//! The mail-link flows: issuing a link, a code guess, opening a link, redeeming its access token
//! for a session or a new password.

use super::sql::sql;
use super::steps::{self, activate_registration, claimable, drop_registrations, email_taken, end_credentials, insert_link, insert_session, insert_ticket, insert_token, lock_user, mfa_on, redeem, session_live, set_email, user_by_id, Activation, Ending};
use super::{LinkOpened, LinkProof, LinkRow, NewAccessToken, Redeemed, SessionRow, SignedIn, Store, StoreResult, TicketRow, UserRow, CODE_ATTEMPTS};
use crate::crypto::TokenKey;

impl Store {
    /// Counts a code guess on `throttle_key` in `window` and, while the count is within `limit`
    /// (0: none), reserves one attempt on the newest live link mailed to `recipient`. Returns the
    /// count, and the link when it still had attempts left; the same write happens whether or not
    /// the address has links.
    pub async fn code_attempt(&self, recipient: &str, throttle_key: &str, now: i64, window: i64, limit: u32) -> StoreResult<(i64, Option<LinkRow>)> {
        let mut tx = self.tx().await?;
        let (count, _) = steps::hit(&mut tx, throttle_key, now, window).await?;
        // Past the address's limit no attempt is taken from the mail: the caller is refused anyway.
        let allowed = if limit == 0 { i64::MAX } else { i64::from(limit) };
        // Only the newest mail's code is accepted: one guess tests one code.
        let link: Option<LinkRow> = sql("UPDATE email_links SET code_attempts = code_attempts + 1
             WHERE selector = (SELECT selector FROM email_links WHERE recipient = ? AND consumed = FALSE AND expires_at > ? ORDER BY {seq} DESC LIMIT 1)
               AND code_attempts < ? AND ? <= ?
             RETURNING *")
        .bind(recipient)
        .bind(now)
        .bind(CODE_ATTEMPTS)
        .bind(count)
        .bind(allowed)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((count, link))
    }

    /// Stores a mailed link; `retire` (a resend for a pending sign-up) also spends the live links
    /// of the same sign-up and action, and stores nothing (false) once the sign-up is no longer
    /// pending.
    pub async fn issue_link(&self, link: &LinkRow, retire: bool) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        lock_user(&mut tx, &link.user_id).await?;
        if retire {
            // A resend: only while the pending sign-up can still be confirmed (it may have become
            // the account, or been voided, since it was looked up).
            if !claimable(&mut tx, &link.user_id).await? {
                return Ok(false);
            }
            sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND action = ? AND consumed = FALSE").bind(&link.user_id).bind(&link.action).execute(&mut tx).await?;
        } else if user_by_id(&mut tx, &link.user_id).await?.is_none() {
            // The account was deleted since it was looked up: no link to it, no mail.
            return Ok(false);
        }
        insert_link(&mut tx, link).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Opens a link: confirms a sign-up, verifies the address, mints `token` (actions that have
    /// one) or switches the e-mail (`change-email`). With `strict`, an account whose address is
    /// verified this way by anything but its own sign-up link loses its (unproved) password.
    pub async fn open_link(&self, proof: LinkProof<'_>, now: i64, now_iso: &str, token: &NewAccessToken, strict: bool) -> StoreResult<LinkOpened> {
        let mut tx = self.tx().await?;
        let owner: Option<String> = sql("SELECT user_id FROM email_links WHERE selector = ?").bind(proof.selector()).scalar(&mut tx).await?;
        let Some(owner) = owner else { return Ok(LinkOpened::Invalid) };
        // Its account (or pending sign-up) is locked first, then the link is read as it is now.
        lock_user(&mut tx, &owner).await?;
        let link: Option<LinkRow> = sql("SELECT * FROM email_links WHERE selector = ?").bind(proof.selector()).fetch_optional(&mut tx).await?;
        let Some(link) = link else { return Ok(LinkOpened::Invalid) };
        let user = user_by_id(&mut tx, &link.user_id).await?;

        if link.action == "change-email" {
            let (Some(user), Some(new_email)) = (user, link.new_email.clone()) else { return Ok(LinkOpened::Invalid) };
            // Opening the link again after it applied (a mail scanner was first) answers the same.
            let unspent = proof.proves(&link, now);
            let reopened = link.consumed && user.email == new_email && proof.proves(&LinkRow { consumed: false, ..link.clone() }, now);
            if reopened {
                return Ok(LinkOpened::EmailChanged { user, old_email: None });
            }
            if !unspent {
                return Ok(LinkOpened::Invalid);
            }
            // The change was asked by a session: once it has ended (signed out, password changed),
            // its request is void.
            let asker_live = match link.session_selector.as_deref() {
                Some(asker) => session_live(&mut tx, asker, &user.id, now).await?,
                None => false,
            };
            if !asker_live {
                return Ok(LinkOpened::Invalid);
            }
            if email_taken(&mut tx, &new_email, &user.id).await? {
                return Ok(LinkOpened::EmailTaken { action: link.action });
            }
            let changed = set_email(&mut tx, &user.id, &new_email, true).await?;
            drop_registrations(&mut tx, &new_email).await?;
            // The old address's links and the other devices end with the change.
            end_credentials(&mut tx, &user.id, link.session_selector.as_deref(), Ending::All).await?;
            sql("UPDATE email_links SET consumed = TRUE WHERE selector = ?").bind(&link.selector).execute(&mut tx).await?;
            tx.commit().await?;
            return Ok(LinkOpened::EmailChanged { user: changed, old_email: Some(user.email) });
        }

        if !proof.proves(&link, now) {
            return Ok(LinkOpened::Invalid);
        }
        let mut contended = false;
        match user {
            // A link proves only the mailbox it was sent to: one mailed to an address the account
            // has left since (even one issued in the same instant as the move) opens nothing.
            Some(user) if user.email != link.recipient => return Ok(LinkOpened::Invalid),
            Some(user) => {
                if !user.email_verified {
                    // The mailbox is proved now. Under verification, a password nobody proved the
                    // mailbox for (an account made before verification was turned on) stops working.
                    sql("UPDATE users SET email_verified = TRUE, password_hash = CASE WHEN ? THEN password_hash ELSE ? END WHERE id = ?")
                        .bind(!strict)
                        .bind(crate::crypto::UNUSABLE_PASSWORD)
                        .bind(&user.id)
                        .execute(&mut tx)
                        .await?;
                    drop_registrations(&mut tx, &user.email).await?;
                }
            }
            None => {
                // An `email-confirm` link of a pending sign-up: that sign-up becomes the account,
                // unless the link is bound to a device (PKCE) and was only opened: then the token
                // is minted, and the sign-up becomes the account when that device redeems it with
                // its verifier (a code's verifier was checked already).
                if link.action != "email-confirm" {
                    return Ok(LinkOpened::Invalid);
                }
                let deferred = link.code_challenge.is_some() && matches!(proof, LinkProof::Key(_));
                if deferred {
                    if !claimable(&mut tx, &link.user_id).await? {
                        return Ok(LinkOpened::Invalid);
                    }
                } else {
                    match activate_registration(&mut tx, &link.user_id, &link.selector, now, now_iso).await? {
                        Activation::Done { contended: c } => contended = c,
                        Activation::Taken => return Ok(LinkOpened::EmailTaken { action: link.action }),
                        Activation::Gone => return Ok(LinkOpened::Invalid),
                    }
                }
            }
        }
        insert_token(&mut tx, token, &link.user_id, &link).await?;
        tx.commit().await?;
        Ok(LinkOpened::Granted { action: link.action, user_id: link.user_id, contended, code_challenge: link.code_challenge })
    }

    /// Trades an access token of `actions` (and its PKCE `verifier`, see [`crate::crypto::pkce_ok`])
    /// for a session: burns the token and its link, records the login and stores `session`.
    /// A bound sign-up confirmation whose link was only opened makes the account here; the bool
    /// says it was contended (see [`LinkOpened::Granted`]).
    /// For an account with two-step verification on, the token is spent and `ticket` stored
    /// instead of the session. With `second_step_only`, an account without it gets nothing (the
    /// token stays unspent, `Invalid`).
    pub async fn grant(&self, key: TokenKey<'_>, verifier: Option<&str>, actions: &[&str], now: i64, now_iso: &str, session: &SessionRow, ticket: &TicketRow, second_step_only: bool) -> StoreResult<Redeemed<(SignedIn<UserRow>, bool)>> {
        let mut tx = self.tx().await?;
        let (user_id, link) = match redeem(&mut tx, key, verifier, actions, now).await? {
            Redeemed::Done(found) => found,
            Redeemed::Invalid => return Ok(Redeemed::Invalid),
            Redeemed::WrongVerifier => return Ok(Redeemed::WrongVerifier),
        };
        // A bound sign-up whose link was only opened becomes the account now, on the device that
        // proved it asked for it.
        let mut contended = false;
        let exists = sql("SELECT TRUE FROM users WHERE id = ?").bind(&user_id).exists(&mut tx).await?;
        if !exists {
            match activate_registration(&mut tx, &user_id, link.as_deref().unwrap_or(""), now, now_iso).await? {
                Activation::Done { contended: c } => contended = c,
                Activation::Taken | Activation::Gone => return Ok(Redeemed::Invalid),
            }
        }
        let second_step = mfa_on(&mut tx, &user_id).await?;
        if second_step_only && !second_step {
            return Ok(Redeemed::Invalid);
        }
        if second_step {
            let hash: Option<String> = sql("SELECT password_hash FROM users WHERE id = ?").bind(&user_id).scalar(&mut tx).await?;
            let Some(password_hash) = hash else { return Ok(Redeemed::Invalid) };
            insert_ticket(&mut tx, &TicketRow { user_id, password_hash: super::password_fingerprint(&password_hash), ..ticket.clone() }).await?;
            tx.commit().await?;
            return Ok(Redeemed::Done((SignedIn::SecondStep, contended)));
        }
        let user: Option<UserRow> = sql("UPDATE users SET last_login_at = ? WHERE id = ? RETURNING *").bind(now_iso).bind(&user_id).fetch_optional(&mut tx).await?;
        let Some(user) = user else { return Ok(Redeemed::Invalid) };
        insert_session(&mut tx, &SessionRow { user_id, ..session.clone() }).await?;
        tx.commit().await?;
        Ok(Redeemed::Done((SignedIn::Session(user), contended)))
    }

    /// Redeems a `reset-pwd` token: sets the password and ends every session, link and access token
    /// of the account.
    pub async fn reset_password(&self, key: TokenKey<'_>, verifier: Option<&str>, new_hash: &str, now: i64) -> StoreResult<Redeemed<String>> {
        let mut tx = self.tx().await?;
        let user_id = match redeem(&mut tx, key, verifier, &["reset-pwd"], now).await? {
            Redeemed::Done((user_id, _)) => user_id,
            Redeemed::Invalid => return Ok(Redeemed::Invalid),
            Redeemed::WrongVerifier => return Ok(Redeemed::WrongVerifier),
        };
        let updated = sql("UPDATE users SET password_hash = ? WHERE id = ?").bind(new_hash).bind(&user_id).execute(&mut tx).await?;
        if updated != 1 {
            return Ok(Redeemed::Invalid);
        }
        // The old password may be known to someone else: everything it let anyone obtain ends.
        end_credentials(&mut tx, &user_id, None, Ending::All).await?;
        tx.commit().await?;
        Ok(Redeemed::Done(user_id))
    }
}

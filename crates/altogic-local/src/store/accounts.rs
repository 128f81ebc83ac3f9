//! The account flows: sign-up, password sign-in, changes of credentials and profile, sign-outs.
//! Each is one transaction that re-checks what the request saw when it authenticated.

use super::sql::sql;
use super::steps::{email_taken, insert_registration, insert_user, end_credentials, insert_device, insert_link, insert_session, insert_ticket, lock_email, lock_user, mfa_on, recency, session_live, set_email, user_by_id, Ending, Recency};
use super::{Checked, DeviceRow, SignedIn, TicketRow, EmailChange, LinkRow, ProfilePatch, ProfileUpdate, Registered, RegistrationRow, SessionRow, Store, StoreResult, UserRow};

impl Store {
    /// Verification off: the account and its first session; false when the address is taken.
    pub async fn create_user(&self, u: &UserRow, session: &SessionRow) -> StoreResult<bool> {
        let mut tx = self.tx().await?;
        // An address that reads like an account's is as taken as that account's own.
        if email_taken(&mut tx, &u.email, &u.id).await? {
            return Ok(false);
        }
        if !insert_user(&mut tx, u).await? {
            return Ok(false);
        }
        insert_session(&mut tx, session).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Verification on: a pending sign-up and, when the address is free, its `confirm` link; when
    /// the address has an account, the `exists` link (a sign-in link for the owner, whose id is
    /// filled in here) instead. Either way one transaction of the same shape.
    pub async fn register(&self, r: &RegistrationRow, confirm: &LinkRow, exists: &LinkRow) -> StoreResult<Registered> {
        let mut tx = self.tx().await?;
        lock_email(&mut tx, &r.email).await?;
        let owner: Option<UserRow> = sql("SELECT * FROM users WHERE email = ?").bind(&r.email).fetch_optional(&mut tx).await?;
        insert_registration(&mut tx, &RegistrationRow { claimable: owner.is_none(), ..r.clone() }).await?;
        match &owner {
            None => insert_link(&mut tx, confirm).await?,
            Some(owner) => insert_link(&mut tx, &LinkRow { user_id: owner.id.clone(), ..exists.clone() }).await?,
        }
        tx.commit().await?;
        Ok(match owner {
            Some(owner) => Registered::Taken { owner },
            None => Registered::Pending,
        })
    }

    /// A password sign-in: records the login and stores the session (and `device`, a device token
    /// minted for a device that had none), if the password hash is still `checked_hash`. Clears
    /// the sign-in throttle key the attempt was counted on. For an account with two-step
    /// verification on it stores `ticket` instead, and nothing else: the throttle key keeps
    /// counting until the second step succeeds.
    pub async fn sign_in(&self, user_id: &str, checked_hash: &str, session: &SessionRow, device: Option<&DeviceRow>, ticket: &TicketRow, now_iso: &str, throttle_key: &str) -> StoreResult<Checked<SignedIn<UserRow>>> {
        let mut tx = self.tx().await?;
        lock_user(&mut tx, user_id).await?;
        let unchanged = sql("SELECT TRUE FROM users WHERE id = ? AND password_hash = ?").bind(user_id).bind(checked_hash).exists(&mut tx).await?;
        if !unchanged {
            return Ok(Checked::Stale);
        }
        if mfa_on(&mut tx, user_id).await? {
            insert_ticket(&mut tx, &TicketRow { user_id: user_id.to_string(), password_hash: super::password_fingerprint(checked_hash), ..ticket.clone() }).await?;
            tx.commit().await?;
            return Ok(Checked::Done(SignedIn::SecondStep));
        }
        let user: UserRow = sql("UPDATE users SET last_login_at = ? WHERE id = ? RETURNING *").bind(now_iso).bind(user_id).fetch_one(&mut tx).await?;
        insert_session(&mut tx, session).await?;
        if let Some(d) = device {
            insert_device(&mut tx, d).await?;
        }
        sql("DELETE FROM throttle WHERE key = ?").bind(throttle_key).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Checked::Done(SignedIn::Session(user)))
    }

    /// Sets a new password if the session is live and the hash is still `checked_hash`; ends the
    /// other sessions and every link and access token.
    /// With two-step verification on, the session must have authenticated since `window_start`.
    pub async fn change_password(&self, session: &str, user_id: &str, checked_hash: &str, new_hash: &str, window_start: i64, now: i64) -> StoreResult<Checked<()>> {
        let mut tx = self.tx().await?;
        match recency(&mut tx, session, user_id, window_start, true, now).await? {
            Recency::Ended => return Ok(Checked::SessionEnded),
            Recency::Stale => return Ok(Checked::ReauthRequired),
            Recency::Recent => {}
        }
        let updated = sql("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?").bind(new_hash).bind(user_id).bind(checked_hash).execute(&mut tx).await?;
        if updated != 1 {
            return Ok(Checked::Stale);
        }
        end_credentials(&mut tx, user_id, Some(session), Ending::KeepResets).await?;
        tx.commit().await?;
        Ok(Checked::Done(()))
    }

    /// Verification off: switches the address at once; ends the other sessions, links and tokens.
    pub async fn change_email(&self, session: &str, user_id: &str, checked_hash: &str, new_email: &str, window_start: i64, now: i64) -> StoreResult<EmailChange> {
        let mut tx = self.tx().await?;
        match recency(&mut tx, session, user_id, window_start, true, now).await? {
            Recency::Ended => return Ok(EmailChange::SessionEnded),
            Recency::Stale => return Ok(EmailChange::ReauthRequired),
            Recency::Recent => {}
        }
        let Some(before) = user_by_id(&mut tx, user_id).await? else { return Ok(EmailChange::Stale) };
        if before.password_hash != checked_hash {
            return Ok(EmailChange::Stale);
        }
        if email_taken(&mut tx, new_email, user_id).await? {
            return Ok(EmailChange::Taken);
        }
        // Nobody proved the new mailbox: the address is not verified.
        let user = set_email(&mut tx, user_id, new_email, false).await?;
        end_credentials(&mut tx, user_id, Some(session), Ending::All).await?;
        tx.commit().await?;
        Ok(EmailChange::Done { user, old_email: before.email })
    }

    /// Verification on: stores the confirmation link for the new address (retiring older ones).
    pub async fn request_email_change(&self, session: &str, user_id: &str, checked_hash: &str, link: &LinkRow, window_start: i64, now: i64) -> StoreResult<Checked<()>> {
        let mut tx = self.tx().await?;
        match recency(&mut tx, session, user_id, window_start, true, now).await? {
            Recency::Ended => return Ok(Checked::SessionEnded),
            Recency::Stale => return Ok(Checked::ReauthRequired),
            Recency::Recent => {}
        }
        let unchanged = sql("SELECT TRUE FROM users WHERE id = ? AND password_hash = ?").bind(user_id).bind(checked_hash).exists(&mut tx).await?;
        if !unchanged {
            return Ok(Checked::Stale);
        }
        // Only the newest request counts: an older link must not switch the address back.
        sql("UPDATE email_links SET consumed = TRUE WHERE user_id = ? AND action = 'change-email' AND consumed = FALSE").bind(user_id).execute(&mut tx).await?;
        insert_link(&mut tx, link).await?;
        tx.commit().await?;
        Ok(Checked::Done(()))
    }

    /// Applies the patch to the user's editable fields (and no other column).
    pub async fn update_profile(&self, session: &str, user_id: &str, patch: &ProfilePatch, now: i64) -> StoreResult<ProfileUpdate> {
        let mut tx = self.tx().await?;
        if !session_live(&mut tx, session, user_id, now).await? {
            return Ok(ProfileUpdate::SessionEnded);
        }
        let Some(mut user) = user_by_id(&mut tx, user_id).await? else { return Ok(ProfileUpdate::SessionEnded) };
        if !patch.apply(&mut user) {
            return Ok(ProfileUpdate::TooLarge);
        }
        sql("UPDATE users SET name = ?, profile_picture = ?, extra = ? WHERE id = ?")
            .bind(&user.name)
            .bind(&user.profile_picture)
            .bind(&user.extra)
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(ProfileUpdate::Done(user))
    }

    /// Deletes the session `target` of the user, if the calling `session` is still live; Done(false)
    /// if there was no such session.
    pub async fn sign_out(&self, session: &str, user_id: &str, target: &str, now: i64) -> StoreResult<Checked<bool>> {
        let mut tx = self.tx().await?;
        if !session_live(&mut tx, session, user_id, now).await? {
            return Ok(Checked::SessionEnded);
        }
        let done = sql("DELETE FROM sessions WHERE user_id = ? AND selector = ?").bind(user_id).bind(target).execute(&mut tx).await?;
        tx.commit().await?;
        Ok(Checked::Done(done == 1))
    }

    /// Ends every session of the user (but the caller's with `keep_caller`) and every outstanding
    /// link and access token that signs in, if the calling `session` is still live. Reset links
    /// survive: a thief with a session must not be able to block the owner's recovery.
    pub async fn sign_out_all(&self, session: &str, user_id: &str, keep_caller: bool, now: i64) -> StoreResult<Checked<u64>> {
        let mut tx = self.tx().await?;
        if !session_live(&mut tx, session, user_id, now).await? {
            return Ok(Checked::SessionEnded);
        }
        let ended = end_credentials(&mut tx, user_id, keep_caller.then_some(session), Ending::KeepResets).await?;
        tx.commit().await?;
        Ok(Checked::Done(ended))
    }
}

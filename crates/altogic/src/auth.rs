//! `altogic.auth`: the e-mail methods of altogic-js's `AuthManager` (spec §3).

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{not_requested_here, Body, Result};
use crate::pkce::{LinkPurpose, LinkRequest};
use crate::types::*;
use crate::AltogicClient;

const NO_BODY: Body<'static, ()> = Body::None;

pub struct Auth<'a> {
    pub(crate) client: &'a AltogicClient,
}

impl Auth<'_> {
    /// `signUpWithEmail(email, password, nameOrUserData)`. `name_or_user_data` is a name string or an
    /// object of extra user fields. Stores the session when one comes back (no e-mail verification).
    pub async fn sign_up_with_email(&self, email: &str, password: &str, name_or_user_data: Option<Value>) -> Result<AuthGrant> {
        let pkce = challenge(self.client.new_link_request(LinkPurpose::SignUp, email));
        let body = SignUpRequest { email: email.into(), password: password.into(), name_or_user_data, name: None, pkce };
        let grant: AuthGrant = self.client.json(Method::POST, "/_api/rest/v1/auth/signup-email", &[], Body::Json(&body)).await?;
        if let Some(session) = &grant.session {
            self.client.save_grant(&grant.user, session);
        }
        Ok(grant)
    }

    /// `signInWithEmail(email, password)`. For an account with two-step verification on, the
    /// answer is [`crate::Error::MfaRequired`]: finish with [`Auth::verify_mfa`].
    /// Presents this device's token for the account, if it has one, and keeps the one a sign-in
    /// from an unknown device answers (altogic-local: a known device is never locked out by
    /// others' wrong guesses).
    pub async fn sign_in_with_email(&self, email: &str, password: &str) -> Result<(User, Session)> {
        let body = SignInRequest { email: email.into(), password: password.into() };
        let device = self.client.device_token(email);
        let extra = device.as_deref().map(|token| (crate::DEVICE_TOKEN_HEADER, token));
        let grant: AuthGrant = self.client.json_with(Method::POST, "/_api/rest/v1/auth/signin-email", &[], Body::Json(&body), extra).await.map_err(|e| self.second_step_needed(e, Some(email)))?;
        if let Some(token) = &grant.device_token {
            self.client.remember_device_token(email, token);
        }
        self.session_from(grant)
    }

    /// `getAuthGrant(accessToken)`: trades a redirect's access token for a session. With PKCE the
    /// token must come from a link this device asked for: the verifiers of its requests are tried,
    /// newest first, and a token none of them opens is refused without signing anyone in.
    pub async fn get_auth_grant(&self, access_token: &str) -> Result<(User, Session)> {
        if !self.client.pkce() {
            return self.grant_with(access_token, None).await;
        }
        for request in self.client.link_candidates(LinkPurpose::grants_session)? {
            match self.grant_with(access_token, Some(&request)).await {
                Err(e) if e.has_code("invalid_code_verifier") => continue,
                // The link is spent: the sign-in goes on with the second step.
                Err(e @ crate::Error::MfaRequired { .. }) => {
                    self.client.forget_link_requests(|r| r.verifier() == request.verifier());
                    return Err(e);
                }
                Ok((user, session)) => {
                    // This request, and every other sign-in request for the same account, is done.
                    let email = user.email.clone().unwrap_or_default();
                    self.client.forget_link_requests(|r| r.verifier() == request.verifier() || (r.purpose.grants_session() && r.is_for(&email)));
                    return Ok((user, session));
                }
                Err(e) => return Err(e),
            }
        }
        Err(not_requested_here())
    }

    async fn grant_with(&self, access_token: &str, request: Option<&LinkRequest>) -> Result<(User, Session)> {
        let mut query = vec![("key", access_token)];
        if let Some(r) = request {
            query.push(("codeVerifier", r.verifier()));
        }
        let grant: AuthGrant = self.client.json(Method::GET, "/_api/rest/v1/auth/grant", &query, NO_BODY).await.map_err(|e| self.second_step_needed(e, None))?;
        self.session_from(grant)
    }

    /// A body-less POST with a query, as altogic-js sends the mail requests; with PKCE, the
    /// request's challenge rides along.
    async fn post_query(&self, path: &str, purpose: LinkPurpose, email: &str) -> Result<()> {
        let request = self.client.new_link_request(purpose, email);
        let challenge = request.as_ref().map(LinkRequest::challenge);
        let mut query = vec![("email", email)];
        if let Some(c) = &challenge {
            query.push(("codeChallenge", c));
            query.push(("codeChallengeMethod", "S256"));
        }
        self.client.send(Method::POST, path, &query, NO_BODY).await.map(drop)
    }

    pub(crate) fn session_from(&self, grant: AuthGrant) -> Result<(User, Session)> {
        let session = grant
            .session
            .ok_or_else(|| crate::Error::InvalidResponse("the server granted no session".into()))?;
        self.client.save_grant(&grant.user, &session);
        Ok((grant.user, session))
    }

    /// `sendMagicLinkEmail(email)`.
    pub async fn send_magic_link_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/send-magic", LinkPurpose::MagicLink, email).await
    }

    /// `resendVerificationEmail(email)`.
    pub async fn resend_verification_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/resend", LinkPurpose::Resend, email).await
    }

    /// `sendResetPwdEmail(email)`.
    pub async fn send_reset_pwd_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/send-reset", LinkPurpose::ResetPwd, email).await
    }

    /// `resetPwdWithToken(accessToken, newPassword)`. With PKCE, like [`Auth::get_auth_grant`].
    pub async fn reset_pwd_with_token(&self, access_token: &str, new_password: &str) -> Result<()> {
        if !self.client.pkce() {
            return self.reset_with(access_token, new_password, None).await;
        }
        for request in self.client.link_candidates(LinkPurpose::resets_password)? {
            match self.reset_with(access_token, new_password, Some(&request)).await {
                Err(e) if e.has_code("invalid_code_verifier") => continue,
                Ok(()) => {
                    self.client.forget_link_requests(|r| r.verifier() == request.verifier());
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        Err(not_requested_here())
    }

    async fn reset_with(&self, access_token: &str, new_password: &str, request: Option<&LinkRequest>) -> Result<()> {
        let body = ResetPasswordRequest { new_password: new_password.into() };
        let mut query = vec![("key", access_token)];
        if let Some(r) = request {
            query.push(("codeVerifier", r.verifier()));
        }
        self.client.send(Method::POST, "/_api/rest/v1/auth/reset-pwd", &query, Body::Json(&body)).await.map(drop)
    }

    /// altogic-local extension: trade the 6-digit code of a mail for what its link would have given.
    /// With PKCE the verifier of this device's newest request to that address goes along (only the
    /// newest mail's code is accepted, and every guess counts, so no other is tried).
    pub async fn verify_email_code(&self, email: &str, code: &str) -> Result<CodeExchange> {
        let request = self.client.link_requests().into_iter().find(|r| r.is_for(email));
        let body = VerifyCodeRequest { email: email.into(), code: code.into(), code_verifier: request.map(|r| r.verifier().to_string()) };
        // For an account with two-step verification on the code is a first step: the answer is
        // `Error::MfaRequired`, as for a password.
        self.client.json(Method::POST, "/_api/rest/v1/auth/verify-code", &[], Body::Json(&body)).await.map_err(|e| self.second_step_needed(e, Some(email)))
    }

    /// `signOut(token?)`: ends the given session, or the current one. Local data is cleared when the
    /// current session is the one ended.
    pub async fn sign_out(&self, token: Option<&str>) -> Result<()> {
        let body = SignOutRequest { token: token.map(str::to_string) };
        self.client.send(Method::POST, "/_api/rest/v1/auth/signout", &[], Body::Json(&body)).await?;
        let current = self.client.session().map(|s| s.token);
        if token.is_none() || token.map(str::to_string) == current {
            self.client.clear_local_data();
        }
        Ok(())
    }

    /// `signOutAll()`: ends every session of the user, this one included.
    pub async fn sign_out_all(&self) -> Result<()> {
        self.client.send(Method::POST, "/_api/rest/v1/auth/signout-all", &[], NO_BODY).await?;
        self.client.clear_local_data();
        Ok(())
    }

    /// `signOutAllExceptCurrent()`.
    pub async fn sign_out_all_except_current(&self) -> Result<()> {
        self.client.send(Method::POST, "/_api/rest/v1/auth/signout-all-except", &[], NO_BODY).await.map(drop)
    }

    /// `getAllSessions()`.
    pub async fn get_all_sessions(&self) -> Result<Vec<Session>> {
        self.client.json(Method::GET, "/_api/rest/v1/auth/sessions", &[], NO_BODY).await
    }

    /// `getUserFromDB()`.
    pub async fn get_user_from_db(&self) -> Result<User> {
        self.client.json(Method::GET, "/_api/rest/v1/auth/user", &[], NO_BODY).await
    }

    /// `changePassword(newPassword, oldPassword)`.
    pub async fn change_password(&self, new_password: &str, old_password: &str) -> Result<()> {
        let body = ChangePasswordRequest { new_password: new_password.into(), old_password: old_password.into() };
        self.client.send(Method::POST, "/_api/rest/v1/auth/change-pwd", &[], Body::Json(&body)).await.map(drop)
    }

    /// `changeEmail(currentPassword, newEmail)`. With e-mail verification on, the change happens
    /// when the link mailed to the new address is opened; the returned user still has the old one.
    pub async fn change_email(&self, current_password: &str, new_email: &str) -> Result<User> {
        let pkce = challenge(self.client.new_link_request(LinkPurpose::ChangeEmail, new_email));
        let body = ChangeEmailRequest { current_password: current_password.into(), new_email: new_email.into(), pkce };
        self.client.json(Method::POST, "/_api/rest/v1/auth/change-email", &[], Body::Json(&body)).await
    }

    /// Convenience: sign up with just a name.
    pub async fn sign_up_with_name(&self, email: &str, password: &str, name: &str) -> Result<AuthGrant> {
        self.sign_up_with_email(email, password, Some(json!(name))).await
    }
}

/// The body fields of a request's challenge (empty without PKCE).
fn challenge(request: Option<LinkRequest>) -> PkceChallenge {
    match request {
        Some(r) => PkceChallenge { code_challenge: Some(r.challenge()), code_challenge_method: Some("S256".into()) },
        None => PkceChallenge::default(),
    }
}

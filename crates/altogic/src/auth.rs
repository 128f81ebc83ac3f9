//! `altogic.auth`: the e-mail methods of altogic-js's `AuthManager` (spec §3).

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{Body, Result};
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
        let body = SignUpRequest { email: email.into(), password: password.into(), name_or_user_data, name: None };
        let grant: AuthGrant = self.client.json(Method::POST, "/_api/rest/v1/auth/signup-email", &[], Body::Json(&body)).await?;
        if let Some(session) = &grant.session {
            self.client.save_grant(&grant.user, session);
        }
        Ok(grant)
    }

    /// `signInWithEmail(email, password)`.
    pub async fn sign_in_with_email(&self, email: &str, password: &str) -> Result<(User, Session)> {
        let body = SignInRequest { email: email.into(), password: password.into() };
        let grant: AuthGrant = self.client.json(Method::POST, "/_api/rest/v1/auth/signin-email", &[], Body::Json(&body)).await?;
        self.session_from(grant)
    }

    /// `getAuthGrant(accessToken)`: trades a redirect's access token for a session.
    pub async fn get_auth_grant(&self, access_token: &str) -> Result<(User, Session)> {
        let grant: AuthGrant = self.client.json(Method::GET, "/_api/rest/v1/auth/grant", &[("key", access_token)], NO_BODY).await?;
        self.session_from(grant)
    }

    /// A body-less POST with a query, as altogic-js sends the mail requests.
    async fn post_query(&self, path: &str, query: &[(&str, &str)]) -> Result<()> {
        self.client.send(Method::POST, path, query, NO_BODY).await.map(drop)
    }

    fn session_from(&self, grant: AuthGrant) -> Result<(User, Session)> {
        let session = grant
            .session
            .ok_or_else(|| crate::Error::InvalidResponse("the server granted no session".into()))?;
        self.client.save_grant(&grant.user, &session);
        Ok((grant.user, session))
    }

    /// `sendMagicLinkEmail(email)`.
    pub async fn send_magic_link_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/send-magic", &[("email", email)]).await
    }

    /// `resendVerificationEmail(email)`.
    pub async fn resend_verification_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/resend", &[("email", email)]).await
    }

    /// `sendResetPwdEmail(email)`.
    pub async fn send_reset_pwd_email(&self, email: &str) -> Result<()> {
        self.post_query("/_api/rest/v1/auth/send-reset", &[("email", email)]).await
    }

    /// `resetPwdWithToken(accessToken, newPassword)`.
    pub async fn reset_pwd_with_token(&self, access_token: &str, new_password: &str) -> Result<()> {
        let body = ResetPasswordRequest { new_password: new_password.into() };
        self.client.send(Method::POST, "/_api/rest/v1/auth/reset-pwd", &[("key", access_token)], Body::Json(&body)).await.map(drop)
    }

    /// altogic-local extension: trade the 6-digit code of a mail for what its link would have given.
    pub async fn verify_email_code(&self, email: &str, code: &str) -> Result<CodeExchange> {
        let body = VerifyCodeRequest { email: email.into(), code: code.into() };
        self.client.json(Method::POST, "/_api/rest/v1/auth/verify-code", &[], Body::Json(&body)).await
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
        let body = ChangeEmailRequest { current_password: current_password.into(), new_email: new_email.into() };
        self.client.json(Method::POST, "/_api/rest/v1/auth/change-email", &[], Body::Json(&body)).await
    }

    /// Convenience: sign up with just a name.
    pub async fn sign_up_with_name(&self, email: &str, password: &str, name: &str) -> Result<AuthGrant> {
        self.sign_up_with_email(email, password, Some(json!(name))).await
    }
}

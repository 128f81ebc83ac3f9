//! The HTTP core: base URL, Altogic headers, session attachment and the response rules of
//! altogic-js's `Fetcher` (spec §1), without its failure modes: every answer becomes a value or a
//! typed [`Error`], never a hang or a panic.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::{header::HeaderMap, Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, ErrorEntry};
use crate::pkce::{parse_requests, LinkPurpose, LinkRequest, LINK_REQUESTS_KEY, NOT_REQUESTED_HERE, NOT_REQUESTED_HERE_MESSAGE};
use crate::session_store::{MemoryStore, SessionStore, DEVICE_TOKENS_KEY, SESSION_KEY, USER_KEY};
use crate::types::{Session, User};
use crate::{user_agent, Auth, Bucket, Model};

/// Largest response body the client reads; anything bigger is refused, not buffered.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a non-2xx status.
    #[error("{0}")]
    Api(ApiError),
    /// The server could not be reached or the connection broke.
    #[error("network error: {0}")]
    Network(String),
    /// A 2xx answer the client cannot use (wrong shape, not JSON, too large, cut short).
    #[error("invalid response from the server: {0}")]
    InvalidResponse(String),
    /// Refused locally before any request, like altogic-js's `ClientError`.
    #[error("{code}: {message}")]
    Client { code: &'static str, message: String },
    /// The first step of a sign-in succeeded, and the account has two-step verification on: the
    /// client keeps the server's ticket until [`Auth::verify_mfa`] finishes the sign-in with a code
    /// (or the ticket expires at `expires_at`, ISO 8601).
    #[error("two-step verification needed: enter a code from the authenticator app")]
    MfaRequired { expires_at: String },
}

impl Error {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
    pub fn has_code(&self, code: &str) -> bool {
        self.api().is_some_and(|e| e.has_code(code))
    }
    /// The error as Altogic error entries, for showing a list of messages.
    pub fn entries(&self) -> Vec<ErrorEntry> {
        match self {
            Error::Api(e) => e.items.clone(),
            Error::Network(m) => vec![ErrorEntry::new("client_error", "network_error", m.clone())],
            Error::InvalidResponse(m) => vec![ErrorEntry::new("client_error", "invalid_response", m.clone())],
            Error::Client { code, message } => vec![ErrorEntry::new("client_error", code, message.clone())],
            Error::MfaRequired { .. } => vec![ErrorEntry::new("client_error", crate::account_security::codes::MFA_REQUIRED, self.to_string())],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

type Hook = Arc<dyn Fn() + Send + Sync>;

pub struct ClientOptions {
    /// Sent raw as `Authorization`, like altogic-js.
    pub api_key: Option<String>,
    /// Where `session` and `user` persist; in memory by default.
    pub storage: Arc<dyn SessionStore>,
    /// Called after a `missing_session_token`/`invalid_session_token` answer cleared the session
    /// (altogic-js's `signInRedirect`).
    pub on_session_invalidated: Option<Hook>,
    /// Defaults to [`user_agent::default_user_agent`]; apps should name themselves with [`user_agent::build`].
    pub user_agent: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Bind every mail link this client asks for to this device (PKCE, see [`crate::pkce`]).
    /// Off by default: the server must be altogic-local (Altogic ignores the challenge, so links
    /// still work there, unbound), and a link asked for elsewhere is then refused.
    pub pkce: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_key: None,
            storage: Arc::new(MemoryStore::default()),
            on_session_invalidated: None,
            user_agent: user_agent::default_user_agent(),
            timeout: Duration::from_secs(30),
            pkce: false,
        }
    }
}

/// A cheap-to-clone handle; clones share the session.
#[derive(Clone)]
pub struct AltogicClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    rest_url: String,
    client_key: String,
    api_key: Option<String>,
    storage: Arc<dyn SessionStore>,
    session: RwLock<Option<Session>>,
    on_session_invalidated: Option<Hook>,
    pkce: bool,
    /// Serializes read-modify-write of the stored link requests.
    link_requests: Mutex<()>,
    /// The ticket of a sign-in waiting for its second step (never handed out of the client).
    pub(crate) pending_mfa: Mutex<Option<PendingMfa>>,
}

/// A first step's ticket, and the address it signed in with (for the device token).
pub(crate) struct PendingMfa {
    pub ticket: String,
    pub email: Option<String>,
}

/// What a request sends as its body (altogic-js sends no body and no Content-Type for body-less POSTs).
pub(crate) enum Body<'a, B: Serialize> {
    None,
    Json(&'a B),
    Multipart(reqwest::multipart::Form),
}

impl AltogicClient {
    /// `createClient(envUrl, clientKey, options)`. Restores a stored session, like the JS client.
    pub fn new(env_url: &str, client_key: &str, options: ClientOptions) -> Result<Self> {
        let env_url = env_url.trim();
        if !(env_url.starts_with("https://") || env_url.starts_with("http://")) {
            return Err(Error::Client {
                code: "missing_required_value",
                message: "envUrl is a required parameter and needs to start with https://".into(),
            });
        }
        if client_key.trim().is_empty() {
            return Err(Error::Client { code: "missing_required_value", message: "clientKey is a required parameter".into() });
        }
        let rest_url = env_url.strip_suffix('/').unwrap_or(env_url).to_string();
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(10))
            // Servers close idle keep-alive connections (altogic-local after 60 s): let go of them
            // first, so a request never goes out on a connection the server is closing.
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Client { code: "invalid_client_options", message: e.to_string() })?;
        let session = options
            .storage
            .get_item(SESSION_KEY)
            .and_then(|s| serde_json::from_str::<Session>(&s).ok())
            .filter(|s| !s.token.is_empty());
        Ok(AltogicClient {
            inner: Arc::new(Inner {
                http,
                rest_url,
                client_key: client_key.to_string(),
                api_key: options.api_key,
                storage: options.storage,
                session: RwLock::new(session),
                on_session_invalidated: options.on_session_invalidated,
                pkce: options.pkce,
                link_requests: Mutex::new(()),
                pending_mfa: Mutex::new(None),
            }),
        })
    }

    pub fn auth(&self) -> Auth<'_> {
        Auth { client: self }
    }

    /// `db.model(name)`.
    pub fn model(&self, name: &str) -> Model<'_> {
        Model { client: self, name: name.to_string() }
    }

    /// `storage.bucket(name)`.
    pub fn bucket(&self, name: &str) -> Bucket<'_> {
        Bucket { client: self, name: name.to_string() }
    }

    pub fn env_url(&self) -> &str {
        &self.inner.rest_url
    }

    /// The current session, if any.
    pub fn session(&self) -> Option<Session> {
        self.inner.session.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The stored user (as last returned by sign-in, grant or [`AltogicClient::set_user`]).
    pub fn user(&self) -> Option<User> {
        self.inner.storage.get_item(USER_KEY).and_then(|s| serde_json::from_str(&s).ok())
    }

    /// `auth.setSession`: attach and persist a session.
    pub fn set_session(&self, session: Session) {
        if let Ok(json) = serde_json::to_string(&session) {
            self.inner.storage.set_item(SESSION_KEY, &json);
        }
        *self.inner.session.write().unwrap_or_else(|e| e.into_inner()) = Some(session);
    }

    /// `auth.setUser`: persist the user (after a name or picture change, say).
    pub fn set_user(&self, user: &User) {
        if let Ok(json) = serde_json::to_string(user) {
            self.inner.storage.set_item(USER_KEY, &json);
        }
    }

    /// Drops session and user from memory and storage (`deleteLocalData` + `clearSession`).
    pub fn clear_local_data(&self) {
        *self.inner.pending_mfa.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.inner.storage.remove_item(SESSION_KEY);
        self.inner.storage.remove_item(USER_KEY);
        *self.inner.session.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The device token this client was given for `email`'s account (see
    /// [`crate::AuthGrant::device_token`]). Kept in the store beside the session, and, unlike it,
    /// kept across sign-outs: the device stays known.
    pub(crate) fn device_token(&self, email: &str) -> Option<String> {
        self.device_tokens().remove(&device_key(email))
    }

    pub(crate) fn remember_device_token(&self, email: &str, token: &str) {
        // The store's read-modify-write lock, shared with the link requests.
        let _guard = self.inner.link_requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut tokens = self.device_tokens();
        tokens.insert(device_key(email), token.to_string());
        if let Ok(json) = serde_json::to_string(&tokens) {
            self.inner.storage.set_item(DEVICE_TOKENS_KEY, &json);
        }
    }

    /// Forgets everything this device keeps about `email`'s account: the session and user (when
    /// they are that account's), its device token and the mail links it asked for.
    pub(crate) fn forget_account(&self, email: &str) {
        self.clear_local_data();
        {
            let _guard = self.inner.link_requests.lock().unwrap_or_else(|e| e.into_inner());
            let mut tokens = self.device_tokens();
            tokens.remove(&device_key(email));
            match serde_json::to_string(&tokens) {
                Ok(json) if !tokens.is_empty() => self.inner.storage.set_item(DEVICE_TOKENS_KEY, &json),
                _ => self.inner.storage.remove_item(DEVICE_TOKENS_KEY),
            }
        }
        self.forget_link_requests(|r| r.is_for(email));
    }

    fn device_tokens(&self) -> std::collections::BTreeMap<String, String> {
        self.inner.storage.get_item(DEVICE_TOKENS_KEY).and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
    }

    /// Whether mail links are bound to this device (PKCE).
    pub fn pkce(&self) -> bool {
        self.inner.pkce
    }

    /// The mail links this device has asked for and not used yet, newest first (with PKCE).
    pub fn link_requests(&self) -> Vec<LinkRequest> {
        parse_requests(self.inner.storage.get_item(LINK_REQUESTS_KEY))
    }

    fn update_link_requests(&self, change: impl FnOnce(&mut Vec<LinkRequest>)) {
        let _guard = self.inner.link_requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut list = self.link_requests();
        change(&mut list);
        match serde_json::to_string(&list) {
            Ok(json) => self.inner.storage.set_item(LINK_REQUESTS_KEY, &json),
            Err(_) => self.inner.storage.remove_item(LINK_REQUESTS_KEY),
        }
    }

    /// With PKCE, a fresh request for `purpose` to `email`, remembered before it is sent.
    pub(crate) fn new_link_request(&self, purpose: LinkPurpose, email: &str) -> Option<LinkRequest> {
        if !self.inner.pkce {
            return None;
        }
        let request = LinkRequest::new(purpose, email);
        let remembered = request.clone();
        self.update_link_requests(move |list| list.insert(0, remembered));
        Some(request)
    }

    /// Drops the requests `used` says are done with.
    pub(crate) fn forget_link_requests(&self, used: impl Fn(&LinkRequest) -> bool) {
        self.update_link_requests(|list| list.retain(|r| !used(r)));
    }

    /// The requests whose verifiers may redeem a token, newest first; refused outright when none.
    pub(crate) fn link_candidates(&self, fits: impl Fn(LinkPurpose) -> bool) -> Result<Vec<LinkRequest>> {
        let candidates: Vec<LinkRequest> = self.link_requests().into_iter().filter(|r| fits(r.purpose)).collect();
        if candidates.is_empty() {
            return Err(not_requested_here());
        }
        Ok(candidates)
    }

    pub(crate) fn save_grant(&self, user: &User, session: &Session) {
        self.clear_local_data();
        self.set_user(user);
        self.set_session(session.clone());
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.rest_url, path)
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = value.parse() {
                headers.insert(name, v);
            }
        };
        put("X-Client", "altogic-rs");
        put("X-Client-Key", &self.inner.client_key);
        if let Some(key) = &self.inner.api_key {
            put("Authorization", key);
        }
        if let Some(session) = self.session() {
            put("Session", &session.token);
        }
        headers
    }

    /// Sends a request and returns the raw success body (possibly empty).
    pub(crate) async fn send<B: Serialize>(&self, method: Method, path: &str, query: &[(&str, &str)], body: Body<'_, B>) -> Result<Vec<u8>> {
        self.send_with(method, path, query, body, None).await
    }

    /// [`Self::send`] with one more header.
    async fn send_with<B: Serialize>(&self, method: Method, path: &str, query: &[(&str, &str)], body: Body<'_, B>, extra: Option<(&'static str, &str)>) -> Result<Vec<u8>> {
        let mut headers = self.headers();
        if let Some((name, value)) = extra {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        let mut request: RequestBuilder = self.inner.http.request(method, self.url(path)).headers(headers);
        if !query.is_empty() {
            request = request.query(query);
        }
        request = match body {
            Body::None => request,
            Body::Json(b) => request.json(b),
            Body::Multipart(form) => request.multipart(form),
        };
        let response = request.send().await.map_err(|e| Error::Network(describe(&e)))?;
        let status = response.status();
        let bytes = read_limited(response).await?;
        if status.is_success() {
            return Ok(bytes);
        }
        let error = ApiError::from_response(status.as_u16(), status.canonical_reason().unwrap_or(""), &bytes);
        if error.invalidates_session() {
            self.invalidate_session();
        }
        Err(Error::Api(error))
    }

    /// A request whose success body is JSON of type `T`.
    pub(crate) async fn json<T: DeserializeOwned, B: Serialize>(&self, method: Method, path: &str, query: &[(&str, &str)], body: Body<'_, B>) -> Result<T> {
        self.json_with(method, path, query, body, None).await
    }

    /// [`Self::json`] with one more header.
    pub(crate) async fn json_with<T: DeserializeOwned, B: Serialize>(&self, method: Method, path: &str, query: &[(&str, &str)], body: Body<'_, B>, extra: Option<(&'static str, &str)>) -> Result<T> {
        let bytes = self.send_with(method, path, query, body, extra).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let what = if bytes.is_empty() { "an empty body".to_string() } else { format!("{} bytes that do not parse ({e})", bytes.len()) };
            Error::InvalidResponse(format!("expected JSON from {path}, got {what}"))
        })
    }

    /// altogic-js `invalidateSession`: clear local data and call the sign-in hook.
    fn invalidate_session(&self) {
        self.clear_local_data();
        if let Some(hook) = &self.inner.on_session_invalidated {
            hook();
        }
    }
}

/// Device tokens are kept per address as typed, folded the way servers fold it.
fn device_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A link that no request of this device (or none with a verifier the server accepts) asked for.
pub(crate) fn not_requested_here() -> Error {
    Error::Client { code: NOT_REQUESTED_HERE, message: NOT_REQUESTED_HERE_MESSAGE.into() }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>> {
    if response.content_length().is_some_and(|len| len as usize > MAX_RESPONSE_BYTES) {
        return Err(Error::InvalidResponse(format!("the response is larger than {MAX_RESPONSE_BYTES} bytes")));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| Error::InvalidResponse(format!("the response was cut short: {}", describe(&e))))? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::InvalidResponse(format!("the response is larger than {MAX_RESPONSE_BYTES} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// reqwest's Display hides the cause ("error sending request"); the chain says what happened.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

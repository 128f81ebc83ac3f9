//! Persistence behind one trait, so handlers never see SQL and another database (PostgreSQL) can
//! be added as a second implementation.

mod sqlite;

use async_trait::async_trait;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e-mail already taken, …).
    #[error("conflict")]
    Conflict,
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub profile_picture: Option<String>,
    pub email_verified: bool,
    pub provider: String,
    pub sign_up_at: String,
    pub last_login_at: String,
    /// Extra fields of the `users` model, a JSON object.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: i64,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct LinkRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub action: String,
    pub recipient: String,
    pub new_email: Option<String>,
    pub code_hash: Vec<u8>,
    pub code_attempts: i64,
    pub created_at: String,
    pub expires_at: i64,
    pub consumed: bool,
}

#[derive(Debug, Clone)]
pub struct AccessTokenRow {
    pub selector: String,
    pub verifier_hash: Vec<u8>,
    pub user_id: String,
    pub action: String,
    pub link_selector: Option<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: String,
    pub bucket: String,
    pub owner_id: Option<String>,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub is_public: bool,
    pub tags: Vec<String>,
    pub data: Vec<u8>,
    pub uploaded_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct MailRow {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub action: String,
    pub link: String,
    pub code: String,
    pub text: String,
    pub html: String,
    pub created_at: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A value kept across restarts (the environment id, the generated client key).
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Fails with [`StoreError::Conflict`] when the e-mail is taken.
    async fn insert_user(&self, user: &UserRow) -> StoreResult<()>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    /// Writes every field; [`StoreError::Conflict`] when the new e-mail is taken.
    async fn update_user(&self, user: &UserRow) -> StoreResult<()>;

    async fn insert_session(&self, session: &SessionRow) -> StoreResult<()>;
    async fn session(&self, selector: &str) -> StoreResult<Option<SessionRow>>;
    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionRow>>;
    /// Deletes one session of `user_id`; false if there was none.
    async fn delete_session(&self, user_id: &str, selector: &str) -> StoreResult<bool>;
    /// Deletes all sessions of the user but `keep`.
    async fn delete_sessions_of(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64>;

    async fn insert_link(&self, link: &LinkRow) -> StoreResult<()>;
    async fn link(&self, selector: &str) -> StoreResult<Option<LinkRow>>;
    /// Unconsumed, unexpired links mailed to `recipient`, newest first.
    async fn live_links_for(&self, recipient: &str, now: i64) -> StoreResult<Vec<LinkRow>>;
    async fn add_code_attempt(&self, selector: &str) -> StoreResult<()>;
    /// Marks a link used; false if it already was (so two grants cannot both win).
    async fn consume_link(&self, selector: &str) -> StoreResult<bool>;
    /// Retires every live link of `action` for the user (a newer one replaces them).
    async fn consume_links_of(&self, user_id: &str, action: &str) -> StoreResult<u64>;

    async fn insert_access_token(&self, token: &AccessTokenRow) -> StoreResult<()>;
    async fn access_token(&self, selector: &str) -> StoreResult<Option<AccessTokenRow>>;
    /// Deletes the token; false if another request already did (single use under concurrency).
    async fn burn_access_token(&self, selector: &str) -> StoreResult<bool>;

    /// Inserts the file, or replaces the owner's file of the same bucket and name. A replacement
    /// gets the new id, so a file URL's bytes never change and caches stay correct.
    async fn put_file(&self, file: &FileRow) -> StoreResult<FileRow>;
    async fn file(&self, id: &str) -> StoreResult<Option<FileRow>>;

    async fn insert_mail(&self, mail: &MailRow) -> StoreResult<()>;
    /// Newest first; all recipients when `to` is None.
    async fn mails(&self, to: Option<&str>) -> StoreResult<Vec<MailRow>>;
    async fn clear_mails(&self) -> StoreResult<u64>;

    /// Removes expired sessions, links and tokens.
    async fn purge_expired(&self, now: i64) -> StoreResult<()>;
}

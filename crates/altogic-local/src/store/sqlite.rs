//! [`Store`] on SQLite: WAL journal, `synchronous=FULL` so an acknowledged write survives the
//! process being killed, foreign keys on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::*;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(backend)?;
        sqlx::migrate!("./migrations").run(&pool).await.map_err(backend)?;
        Ok(SqliteStore { pool })
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => backend(e),
    }
}

fn user_from(row: &SqliteRow) -> UserRow {
    let extra: String = row.get("extra");
    UserRow {
        id: row.get("id"),
        email: row.get("email"),
        password_hash: row.get("password_hash"),
        name: row.get("name"),
        profile_picture: row.get("profile_picture"),
        email_verified: row.get("email_verified"),
        provider: row.get("provider"),
        sign_up_at: row.get("sign_up_at"),
        last_login_at: row.get("last_login_at"),
        extra: serde_json::from_str(&extra).unwrap_or_default(),
    }
}

fn session_from(row: &SqliteRow) -> SessionRow {
    SessionRow {
        selector: row.get("selector"),
        verifier_hash: row.get("verifier_hash"),
        user_id: row.get("user_id"),
        created_at: row.get("created_at"),
        expires_at: row.get("expires_at"),
        user_agent: row.get("user_agent"),
    }
}

fn link_from(row: &SqliteRow) -> LinkRow {
    LinkRow {
        selector: row.get("selector"),
        verifier_hash: row.get("verifier_hash"),
        user_id: row.get("user_id"),
        action: row.get("action"),
        recipient: row.get("recipient"),
        new_email: row.get("new_email"),
        code_hash: row.get("code_hash"),
        code_attempts: row.get("code_attempts"),
        created_at: row.get("created_at"),
        expires_at: row.get("expires_at"),
        consumed: row.get("consumed"),
    }
}

fn file_from(row: &SqliteRow) -> FileRow {
    let tags: String = row.get("tags");
    FileRow {
        id: row.get("id"),
        bucket: row.get("bucket"),
        owner_id: row.get("owner_id"),
        file_name: row.get("file_name"),
        mime_type: row.get("mime_type"),
        size: row.get("size"),
        is_public: row.get("is_public"),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        data: row.get("data"),
        uploaded_at: row.get("uploaded_at"),
        updated_at: row.get("updated_at"),
    }
}

fn mail_from(row: &SqliteRow) -> MailRow {
    MailRow {
        id: row.get("id"),
        to: row.get("to_addr"),
        subject: row.get("subject"),
        action: row.get("action"),
        link: row.get("link"),
        code: row.get("code"),
        text: row.get("text_body"),
        html: row.get("html_body"),
        created_at: row.get("created_at"),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await.map_err(map_err)
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_user(&self, u: &UserRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, name, profile_picture, email_verified, provider, sign_up_at, last_login_at, extra)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(&u.name)
        .bind(&u.profile_picture)
        .bind(u.email_verified)
        .bind(&u.provider)
        .bind(&u.sign_up_at)
        .bind(&u.last_login_at)
        .bind(serde_json::Value::Object(u.extra.clone()).to_string())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = ?").bind(email).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn update_user(&self, u: &UserRow) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET email = ?, password_hash = ?, name = ?, profile_picture = ?, email_verified = ?,
             last_login_at = ?, extra = ? WHERE id = ?",
        )
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(&u.name)
        .bind(&u.profile_picture)
        .bind(u.email_verified)
        .bind(&u.last_login_at)
        .bind(serde_json::Value::Object(u.extra.clone()).to_string())
        .bind(&u.id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_session(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (selector, verifier_hash, user_id, created_at, expires_at, user_agent) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&s.selector)
            .bind(&s.verifier_hash)
            .bind(&s.user_id)
            .bind(&s.created_at)
            .bind(s.expires_at)
            .bind(&s.user_agent)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn session(&self, selector: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE selector = ?").bind(selector).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.as_ref().map(session_from))
    }

    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query("SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(session_from).collect())
    }

    async fn delete_session(&self, user_id: &str, selector: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND selector = ?")
            .bind(user_id)
            .bind(selector)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_sessions_of(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND selector IS NOT ?")
            .bind(user_id)
            .bind(keep)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn insert_link(&self, l: &LinkRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO email_links (selector, verifier_hash, user_id, action, recipient, new_email, code_hash, code_attempts, created_at, expires_at, consumed)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&l.selector)
        .bind(&l.verifier_hash)
        .bind(&l.user_id)
        .bind(&l.action)
        .bind(&l.recipient)
        .bind(&l.new_email)
        .bind(&l.code_hash)
        .bind(l.code_attempts)
        .bind(&l.created_at)
        .bind(l.expires_at)
        .bind(l.consumed)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn link(&self, selector: &str) -> StoreResult<Option<LinkRow>> {
        let row = sqlx::query("SELECT * FROM email_links WHERE selector = ?").bind(selector).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.as_ref().map(link_from))
    }

    async fn live_links_for(&self, recipient: &str, now: i64) -> StoreResult<Vec<LinkRow>> {
        let rows = sqlx::query("SELECT * FROM email_links WHERE recipient = ? AND consumed = 0 AND expires_at > ? ORDER BY created_at DESC")
            .bind(recipient)
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(link_from).collect())
    }

    async fn add_code_attempt(&self, selector: &str) -> StoreResult<()> {
        sqlx::query("UPDATE email_links SET code_attempts = code_attempts + 1 WHERE selector = ?")
            .bind(selector)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn consume_link(&self, selector: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE email_links SET consumed = 1 WHERE selector = ? AND consumed = 0")
            .bind(selector)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        // Tokens minted by earlier opens of the same link die with it.
        sqlx::query("DELETE FROM access_tokens WHERE link_selector = ?").bind(selector).execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn consume_links_of(&self, user_id: &str, action: &str) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE email_links SET consumed = 1 WHERE user_id = ? AND action = ? AND consumed = 0")
            .bind(user_id)
            .bind(action)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn insert_access_token(&self, t: &AccessTokenRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO access_tokens (selector, verifier_hash, user_id, action, link_selector, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&t.selector)
            .bind(&t.verifier_hash)
            .bind(&t.user_id)
            .bind(&t.action)
            .bind(&t.link_selector)
            .bind(t.expires_at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn access_token(&self, selector: &str) -> StoreResult<Option<AccessTokenRow>> {
        let row = sqlx::query("SELECT * FROM access_tokens WHERE selector = ?").bind(selector).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(|row| AccessTokenRow {
            selector: row.get("selector"),
            verifier_hash: row.get("verifier_hash"),
            user_id: row.get("user_id"),
            action: row.get("action"),
            link_selector: row.get("link_selector"),
            expires_at: row.get("expires_at"),
        }))
    }

    async fn burn_access_token(&self, selector: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM access_tokens WHERE selector = ?").bind(selector).execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_file(&self, f: &FileRow) -> StoreResult<FileRow> {
        let row = sqlx::query(
            "INSERT INTO files (id, bucket, owner_id, file_name, mime_type, size, is_public, tags, data, uploaded_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(bucket, owner_id, file_name) DO UPDATE SET
               id = excluded.id, uploaded_at = excluded.uploaded_at, mime_type = excluded.mime_type, size = excluded.size, is_public = excluded.is_public,
               tags = excluded.tags, data = excluded.data, updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(&f.id)
        .bind(&f.bucket)
        .bind(&f.owner_id)
        .bind(&f.file_name)
        .bind(&f.mime_type)
        .bind(f.size)
        .bind(f.is_public)
        .bind(serde_json::to_string(&f.tags).unwrap_or_else(|_| "[]".into()))
        .bind(&f.data)
        .bind(&f.uploaded_at)
        .bind(&f.updated_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(file_from(&row))
    }

    async fn file(&self, id: &str) -> StoreResult<Option<FileRow>> {
        let row = sqlx::query("SELECT * FROM files WHERE id = ?").bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.as_ref().map(file_from))
    }

    async fn insert_mail(&self, m: &MailRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mails (id, to_addr, subject, action, link, code, text_body, html_body, created_at, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM mails))",
        )
        .bind(&m.id)
        .bind(&m.to)
        .bind(&m.subject)
        .bind(&m.action)
        .bind(&m.link)
        .bind(&m.code)
        .bind(&m.text)
        .bind(&m.html)
        .bind(&m.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn mails(&self, to: Option<&str>) -> StoreResult<Vec<MailRow>> {
        let rows = sqlx::query("SELECT * FROM mails WHERE ?1 IS NULL OR to_addr = ?1 ORDER BY seq DESC LIMIT 500")
            .bind(to)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(mail_from).collect())
    }

    async fn clear_mails(&self) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM mails").execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<()> {
        for sql in [
            "DELETE FROM sessions WHERE expires_at <= ?",
            "DELETE FROM access_tokens WHERE expires_at <= ?",
            "DELETE FROM email_links WHERE expires_at <= ?",
        ] {
            sqlx::query(sql).bind(now).execute(&self.pool).await.map_err(map_err)?;
        }
        Ok(())
    }
}

-- Schema of altogic-local. Times are ISO-8601 strings (as on the wire) or unix seconds (expiries).
-- Secrets are never stored: tokens are `selector.verifier`, and only SHA-256(verifier) is kept.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    name            TEXT,
    profile_picture TEXT,
    email_verified  INTEGER NOT NULL DEFAULT 0,
    provider        TEXT NOT NULL DEFAULT 'altogic',
    sign_up_at      TEXT NOT NULL,
    last_login_at   TEXT NOT NULL,
    extra           TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE sessions (
    selector      TEXT PRIMARY KEY,
    verifier_hash BLOB NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

-- One row per mailed link. `consumed` is set when its access token is granted (not when the link
-- is opened, so a mail scanner's GET does not burn it).
CREATE TABLE email_links (
    selector      TEXT PRIMARY KEY,
    verifier_hash BLOB NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    new_email     TEXT,
    code_hash     BLOB NOT NULL,
    code_attempts INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    consumed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX email_links_recipient ON email_links(recipient);

-- Single-use, short-lived tokens put in redirects and traded by /auth/grant or /auth/reset-pwd.
CREATE TABLE access_tokens (
    selector      TEXT PRIMARY KEY,
    verifier_hash BLOB NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    link_selector TEXT,
    expires_at    INTEGER NOT NULL
);

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    bucket      TEXT NOT NULL,
    owner_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    file_name   TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    is_public   INTEGER NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    data        BLOB NOT NULL,
    uploaded_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- Names are unique per owner, so no user can take the name another user's avatar will need.
    UNIQUE (bucket, owner_id, file_name)
);

CREATE TABLE mails (
    id         TEXT PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    action     TEXT NOT NULL,
    link       TEXT NOT NULL,
    code       TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq        INTEGER NOT NULL
);
CREATE INDEX mails_to ON mails(to_addr, seq);

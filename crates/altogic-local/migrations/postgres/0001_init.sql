-- Schema of altogic-local on PostgreSQL: the same tables as the SQLite migrations of the same
-- version, in PostgreSQL's types. Times are ISO-8601 strings (as on the wire) or unix seconds.
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
    email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    provider        TEXT NOT NULL DEFAULT 'altogic',
    sign_up_at      TEXT NOT NULL,
    last_login_at   TEXT NOT NULL,
    extra           JSONB NOT NULL DEFAULT '{}'
);

CREATE TABLE sessions (
    selector      TEXT PRIMARY KEY,
    verifier_hash BYTEA NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE email_links (
    selector      TEXT PRIMARY KEY,
    verifier_hash BYTEA NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    new_email     TEXT,
    code_hash     BYTEA NOT NULL,
    code_attempts BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    consumed      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX email_links_recipient ON email_links(recipient);

CREATE TABLE access_tokens (
    selector      TEXT PRIMARY KEY,
    verifier_hash BYTEA NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    link_selector TEXT,
    expires_at    BIGINT NOT NULL
);

-- File bytes live in the object store; `data` stays empty here (kept for the shared row type).
CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    bucket      TEXT NOT NULL,
    owner_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    file_name   TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    is_public   BOOLEAN NOT NULL,
    tags        JSONB NOT NULL DEFAULT '[]',
    data        BYTEA NOT NULL,
    uploaded_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
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
    seq        BIGSERIAL NOT NULL
);
CREATE INDEX mails_to ON mails(to_addr, seq);

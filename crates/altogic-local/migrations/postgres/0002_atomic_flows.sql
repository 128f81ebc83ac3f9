-- Pending sign-ups, link rows that may name one, and counters for limits that must hold under
-- concurrency and across instances (the same changes as the SQLite migration 0002).

CREATE TABLE registrations (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    name            TEXT,
    profile_picture TEXT,
    extra           JSONB NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    claimable       BOOLEAN NOT NULL,
    -- Insertion order (SQLite's rowid): "the newest" pending sign-up.
    seq             BIGSERIAL NOT NULL
);
CREATE INDEX registrations_email ON registrations(email, expires_at);

-- user_id may name a pending registration: no foreign key.
ALTER TABLE email_links DROP CONSTRAINT email_links_user_id_fkey;
ALTER TABLE email_links ADD COLUMN session_selector TEXT;
ALTER TABLE email_links ADD COLUMN seq BIGSERIAL NOT NULL;
DROP INDEX email_links_recipient;
CREATE INDEX email_links_recipient ON email_links(recipient, expires_at);
CREATE INDEX email_links_user ON email_links(user_id);

CREATE INDEX access_tokens_user ON access_tokens(user_id);
CREATE INDEX files_owner ON files(owner_id);

CREATE TABLE throttle (
    key        TEXT PRIMARY KEY,
    count      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

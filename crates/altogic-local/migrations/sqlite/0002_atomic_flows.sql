-- Pending sign-ups, link rows that may name one, and counters for limits that must hold under
-- concurrency and across instances.

-- Each sign-up of an address that has not proved its mailbox is one row with its own link;
-- confirming the link turns exactly that row into the account (keeping its id).
CREATE TABLE registrations (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    name            TEXT,
    profile_picture TEXT,
    extra           TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    claimable       INTEGER NOT NULL
);
CREATE INDEX registrations_email ON registrations(email, expires_at);

-- email_links again, without the foreign key on user_id (it may name a pending registration) and
-- with the session that asked for a change of address.
CREATE TABLE email_links_v2 (
    selector         TEXT PRIMARY KEY,
    verifier_hash    BLOB NOT NULL,
    user_id          TEXT NOT NULL,
    action           TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    new_email        TEXT,
    code_hash        BLOB NOT NULL,
    code_attempts    INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    consumed         INTEGER NOT NULL DEFAULT 0,
    session_selector TEXT
);
INSERT INTO email_links_v2 (selector, verifier_hash, user_id, action, recipient, new_email, code_hash, code_attempts, created_at, expires_at, consumed)
    SELECT selector, verifier_hash, user_id, action, recipient, new_email, code_hash, code_attempts, created_at, expires_at, consumed FROM email_links;
DROP TABLE email_links;
ALTER TABLE email_links_v2 RENAME TO email_links;
CREATE INDEX email_links_recipient ON email_links(recipient, expires_at);
CREATE INDEX email_links_user ON email_links(user_id);

CREATE INDEX access_tokens_user ON access_tokens(user_id);
CREATE INDEX files_owner ON files(owner_id);

-- Fixed-window counters (per-account sign-in throttle, per-address code guesses, per-recipient
-- mail, per-user uploads), updated with one atomic upsert each.
CREATE TABLE throttle (
    key        TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

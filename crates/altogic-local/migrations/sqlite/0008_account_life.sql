-- Session lifetimes, security events (shared/account-security-api.md §3, §6).

-- A session ends `--session-idle-days` after its last use (used_at) and at ends_at whatever its
-- use; expires_at stays the one column every check reads: the lesser of the two, moved forward by
-- a use (written at most once a minute a session). A session from before this migration counts as
-- used now (its last use was not recorded); the server's sweep brings its end within the limits.
ALTER TABLE sessions ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET used_at = CAST(strftime('%s', 'now') AS INTEGER), ends_at = expires_at;

-- What happened to an account, one row per decision, append-only. No secret: the user agent as
-- sent, the client's network with its host part hidden, the handle of the session involved.
-- The rows go with the account.
CREATE TABLE security_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    at_unix     INTEGER NOT NULL,
    user_agent  TEXT NOT NULL,
    network     TEXT NOT NULL,
    session_id  TEXT
);
CREATE INDEX security_events_user ON security_events(user_id, seq);
-- The new-device check reads an account's sign-ins only.
CREATE INDEX security_events_user_type ON security_events(user_id, type, seq);

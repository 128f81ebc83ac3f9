-- Two-step verification (TOTP), recovery codes, sign-in tickets and recent authentication
-- (shared/account-security-api.md §1, §2).

-- When the session last proved who is using it (its sign-in, or POST /auth/reauthenticate), unix
-- seconds. Sessions from before this migration count as never: they re-authenticate first.
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT NOT NULL DEFAULT 0;

-- An authenticator of an account. The secret is sealed (ChaCha20-Poly1305) with a key kept outside
-- the database (--mfa-key-file, or the data dir's mfa-key), so a dump of the database alone does
-- not give it away. A factor is pending until its first code confirms it, and expires meanwhile.
-- last_step is the newest 30-second step whose code was accepted: a code is accepted once.
CREATE TABLE mfa_factors (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret      BYTEA NOT NULL,
    confirmed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    last_step   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mfa_factors_user ON mfa_factors(user_id);

-- Single-use recovery codes: only SHA-256 of the account id and the code is kept; using one
-- deletes its row.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- The proof of a first step (a password, or a spent mail link or code) of an account with
-- two-step verification, waiting for its second step. Only SHA-256 of the ticket's verifier is
-- kept. It ends at its first success, at its fifth wrong code, when it expires, and when the
-- password it was given for changes (password_hash is SHA-256 of the account's password hash
-- when it was given: not another copy of the hash).
CREATE TABLE mfa_tickets (
    selector       TEXT PRIMARY KEY,
    verifier_hash  BYTEA NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    proof          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    throttle_key   TEXT NOT NULL,
    new_device     BOOLEAN NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX mfa_tickets_user ON mfa_tickets(user_id);

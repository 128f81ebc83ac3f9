-- An access token may name a pending sign-up (a PKCE-bound confirmation link that was only
-- opened: the sign-up becomes the account when its device redeems the token), so access_tokens
-- loses its foreign key on user_id, as email_links did in 0002.
CREATE TABLE access_tokens_v2 (
    selector       TEXT PRIMARY KEY,
    verifier_hash  BLOB NOT NULL,
    user_id        TEXT NOT NULL,
    action         TEXT NOT NULL,
    link_selector  TEXT,
    expires_at     INTEGER NOT NULL,
    code_challenge TEXT
);
INSERT INTO access_tokens_v2 SELECT selector, verifier_hash, user_id, action, link_selector, expires_at, code_challenge FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_v2 RENAME TO access_tokens;
CREATE INDEX access_tokens_user ON access_tokens(user_id);
CREATE INDEX access_tokens_link ON access_tokens(link_selector);

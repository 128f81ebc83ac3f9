-- Devices that signed in to an account with its password (OWASP's "device cookies"). A sign-in
-- that presents one of its account's device tokens is counted on that device, not on its network
-- or the account, so an attacker's guesses elsewhere never lock the owner out of a known device.
-- Only SHA-256 of the token's verifier is kept.
CREATE TABLE devices (
    selector      TEXT PRIMARY KEY,
    verifier_hash BYTEA NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);

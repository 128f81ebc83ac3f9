-- PKCE (RFC 7636, S256): a mail link (and its code) requested with a code challenge keeps the
-- challenge, and so does the access token it mints. Only the challenge is stored, never a verifier.
ALTER TABLE email_links ADD COLUMN code_challenge TEXT;
ALTER TABLE access_tokens ADD COLUMN code_challenge TEXT;

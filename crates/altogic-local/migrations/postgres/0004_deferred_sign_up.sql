-- An access token may name a pending sign-up (see the SQLite migration of the same version).
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_user_id_fkey;
CREATE INDEX access_tokens_link ON access_tokens(link_selector);

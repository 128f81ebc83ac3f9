-- The UTS #39 confusable skeleton of each account's address: two addresses with one skeleton read
-- alike (`paypal@` and `paypa1@`, Latin and Cyrillic letters), and only one of them may be an
-- account. Filled by altogic-local for rows written before this migration (see
-- `Store::fill_skeletons`); not UNIQUE, because such older rows may already collide.
ALTER TABLE users ADD COLUMN skeleton TEXT;
CREATE INDEX users_skeleton ON users(skeleton);

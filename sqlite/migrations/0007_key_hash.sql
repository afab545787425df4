-- The findings key index held the whole key, product ARN and Id, about 150
-- bytes an entry: at a million findings it outgrew the page cache, and every
-- new finding dirtied a page of it at a random place. It is replaced by an
-- index of a 64-bit FNV-1a hash of the key (keyHash in Go), about 20 bytes an
-- entry, which stays in the cache. Lookups give sid, hash, product ARN and
-- Id, so a collision of hashes only costs a second row check. The key is
-- unique because the writer, the only one to insert, looks every key up in
-- its transaction first.
ALTER TABLE findings ADD COLUMN kh INTEGER NOT NULL DEFAULT 0;
UPDATE findings SET kh = muster_keyhash(product_arn, id);
CREATE INDEX findings_kh ON findings (sid, kh);
DROP INDEX findings_key;

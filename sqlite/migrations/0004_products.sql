-- Products registered from manifests (the built-in catalog lives in code).
-- The manifest is kept whole as JSON: products are few and read rarely.
CREATE TABLE products (
	company_id TEXT NOT NULL,
	product_id TEXT NOT NULL,
	manifest   TEXT NOT NULL, -- JSON of muster.Product
	PRIMARY KEY (company_id, product_id)
) WITHOUT ROWID;

-- Subscriptions: an account's consent, per region, to a product's
-- findings, with the managed resource policy it carries.
CREATE TABLE subscriptions (
	account         TEXT    NOT NULL,
	region          TEXT    NOT NULL,
	company_id      TEXT    NOT NULL,
	product_id      TEXT    NOT NULL,
	product_arn     TEXT    NOT NULL,
	policy          TEXT    NOT NULL,
	import_policies TEXT    NOT NULL, -- JSON array
	created_at      INTEGER NOT NULL, -- Unix nanoseconds
	PRIMARY KEY (account, region, company_id, product_id)
) WITHOUT ROWID;

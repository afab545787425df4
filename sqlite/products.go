package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/muster-hub/muster"
)

// PutProduct registers p, replacing an earlier registration.
func (db *DB) PutProduct(ctx context.Context, p *muster.Product) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return db.exec(ctx, nil, `INSERT INTO products (company_id, product_id, manifest) VALUES (?, ?, ?)
		ON CONFLICT (company_id, product_id) DO UPDATE SET manifest = excluded.manifest`, p.CompanyID, p.ProductID, string(b))
}

// Products reads the registered products.
func (db *DB) Products(ctx context.Context) ([]*muster.Product, error) {
	return queryAll(ctx, db, scanJSON[muster.Product], `SELECT manifest FROM products ORDER BY company_id, product_id`)
}

// CreateSubscription stores s unless its scope already has one to the
// product.
func (db *DB) CreateSubscription(ctx context.Context, s *muster.Subscription) error {
	types, err := json.Marshal(s.ImportPolicies)
	if err != nil {
		return err
	}
	return db.exec(ctx, muster.Errorf(muster.ResourceConflict, "The product subscription %s already exists", s.ARN()),
		`INSERT INTO subscriptions (account, region, company_id, product_id, product_arn, policy, import_policies, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		s.Account, s.Region, s.CompanyID, s.ProductID, s.ProductARN, s.Policy, string(types), s.CreatedAt.UnixNano())
}

// DeleteSubscription removes one subscription.
func (db *DB) DeleteSubscription(ctx context.Context, scope muster.Scope, company, product string) error {
	return db.exec(ctx, muster.Errorf(muster.ResourceNotFound, "The product subscription %s does not exist", muster.SubscriptionARN(scope, company, product)),
		`DELETE FROM subscriptions WHERE account = ? AND region = ? AND company_id = ? AND product_id = ?`,
		scope.Account, scope.Region, company, product)
}

const subscriptionColumns = `account, region, company_id, product_id, product_arn, policy, import_policies, created_at`

// Subscriptions reads scope's subscriptions.
func (db *DB) Subscriptions(ctx context.Context, scope muster.Scope) ([]*muster.Subscription, error) {
	return queryAll(ctx, db, scanSubscription, `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE account = ? AND region = ? ORDER BY company_id, product_id`, scope.Account, scope.Region)
}

// Subscription reads one subscription; BatchImportFindings asks for one
// per product and target account of a request.
func (db *DB) Subscription(ctx context.Context, scope muster.Scope, company, product string) (*muster.Subscription, error) {
	row := db.rdb.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE account = ? AND region = ? AND company_id = ? AND product_id = ?`, scope.Account, scope.Region, company, product)
	s, err := scanSubscription(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return s, err
}

func scanSubscription(r rowScanner) (*muster.Subscription, error) {
	var (
		s     muster.Subscription
		types string
		at    int64
	)
	if err := r.Scan(&s.Account, &s.Region, &s.CompanyID, &s.ProductID, &s.ProductARN, &s.Policy, &types, &at); err != nil {
		return nil, err
	}
	s.CreatedAt = time.Unix(0, at).UTC()
	if err := json.Unmarshal([]byte(types), &s.ImportPolicies); err != nil {
		return nil, err
	}
	return &s, nil
}

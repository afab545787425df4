package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/muster-hub/muster"
)

// PutRule stores a rule, replacing one of the same name.
func (db *DB) PutRule(ctx context.Context, r *muster.Rule) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO rules (name, rule) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule`, r.Name, string(b))
		return err
	}))
}

// DeleteRule removes a stored rule.
func (db *DB) DeleteRule(ctx context.Context, name string) error {
	return db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `DELETE FROM rules WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return muster.Errorf(muster.ResourceNotFound, "Rule %s does not exist", name)
		}
		return nil
	}))
}

// Rules reads the stored rules.
func (db *DB) Rules(ctx context.Context) ([]*muster.Rule, error) {
	return queryAll(ctx, db, scanJSON[muster.Rule], `SELECT rule FROM rules ORDER BY name`)
}

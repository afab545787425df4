package sqlite

import (
	"context"
	"encoding/json"

	"github.com/muster-hub/muster"
)

// PutRule stores a rule, replacing one of the same name.
func (db *DB) PutRule(ctx context.Context, r *muster.Rule) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return db.exec(ctx, nil, `INSERT INTO rules (name, rule) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule`, r.Name, string(b))
}

// DeleteRule removes a stored rule.
func (db *DB) DeleteRule(ctx context.Context, name string) error {
	return db.exec(ctx, muster.Errorf(muster.ResourceNotFound, "Rule %s does not exist", name), `DELETE FROM rules WHERE name = ?`, name)
}

// Rules reads the stored rules.
func (db *DB) Rules(ctx context.Context) ([]*muster.Rule, error) {
	return queryAll(ctx, db, scanJSON[muster.Rule], `SELECT rule FROM rules ORDER BY name`)
}

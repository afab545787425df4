package sqlite

import (
	"context"
	"database/sql"

	"github.com/muster-hub/muster"
)

// CreateActionTarget checks the quota and inserts in one write, so that
// concurrent creations cannot pass it together.
func (db *DB) CreateActionTarget(ctx context.Context, a *muster.ActionTarget, max int) error {
	return db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		var n int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM action_targets WHERE account = ? AND region = ?`, a.Account, a.Region).Scan(&n); err != nil {
			return err
		}
		res, err := c.ExecContext(ctx, `INSERT INTO action_targets (account, region, id, name, description)
			SELECT ?, ?, ?, ?, ? WHERE ? < ? ON CONFLICT DO NOTHING`, a.Account, a.Region, a.ID, a.Name, a.Description, n, max)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			return nil
		}
		if n >= max {
			var exists int
			c.QueryRowContext(ctx, `SELECT count(*) FROM action_targets WHERE account = ? AND region = ? AND id = ?`, a.Account, a.Region, a.ID).Scan(&exists)
			if exists == 0 {
				return muster.Errorf(muster.LimitExceeded, "Account %s has %d custom actions in %s, the most allowed", a.Account, n, a.Region)
			}
		}
		return muster.Errorf(muster.ResourceConflict, "The custom action %s already exists", a.ARN())
	}))
}

// ActionTargets reads a scope's actions.
func (db *DB) ActionTargets(ctx context.Context, scope muster.Scope) ([]*muster.ActionTarget, error) {
	return queryAll(ctx, db, func(r rowScanner) (*muster.ActionTarget, error) {
		a := &muster.ActionTarget{Scope: scope}
		return a, r.Scan(&a.ID, &a.Name, &a.Description)
	}, `SELECT id, name, description FROM action_targets WHERE account = ? AND region = ? ORDER BY id`, scope.Account, scope.Region)
}

// UpdateActionTarget changes an action's name and description.
func (db *DB) UpdateActionTarget(ctx context.Context, a *muster.ActionTarget) error {
	return db.exec(ctx, actionNotFound(a),
		`UPDATE action_targets SET name = ?, description = ? WHERE account = ? AND region = ? AND id = ?`,
		a.Name, a.Description, a.Account, a.Region, a.ID)
}

// DeleteActionTarget removes an action.
func (db *DB) DeleteActionTarget(ctx context.Context, scope muster.Scope, id string) error {
	return db.exec(ctx, actionNotFound(&muster.ActionTarget{Scope: scope, ID: id}),
		`DELETE FROM action_targets WHERE account = ? AND region = ? AND id = ?`, scope.Account, scope.Region, id)
}

func actionNotFound(a *muster.ActionTarget) error {
	return muster.Errorf(muster.ResourceNotFound, "The custom action %s does not exist", a.ARN())
}

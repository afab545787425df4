package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
)

// rowScanner is what *sql.Row and *sql.Rows have in common, so that one
// scan function reads a row from either.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query on the read pool and returns what scan makes of each
// row, in order.
func queryAll[T any](ctx context.Context, db *DB, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanJSON reads a row of one JSON column into a new T: the tables that
// keep a whole domain value as JSON (products, rules).
func scanJSON[T any](r rowScanner) (*T, error) {
	var b []byte
	if err := r.Scan(&b); err != nil {
		return nil, err
	}
	v := new(T)
	return v, json.Unmarshal(b, v)
}

// exec runs one statement in the writer's next group. When none is not
// nil and the statement changes no row, it fails with none: the conflict
// of an insert that did nothing, or the absence of the row an update or
// delete was for.
func (db *DB) exec(ctx context.Context, none error, query string, args ...any) error {
	return db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); none != nil && (err != nil || n == 0) {
			return none
		}
		return nil
	}))
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

// CreateInsight counts the scope's insights and inserts the new one in one
// transaction of the writer, so that concurrent creations cannot pass max.
func (db *DB) CreateInsight(ctx context.Context, in *muster.Insight, max int) error {
	return db.w.do(ctx, 1, func(ctx context.Context, c *sql.Conn) error {
		var n int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM insights WHERE account = ? AND region = ?`, in.Account, in.Region).Scan(&n); err != nil {
			return cleanError{err}
		}
		if n >= max {
			return cleanError{muster.Errorf(muster.LimitExceeded, "Account %s already has %d custom insights in %s, the most Security Hub allows", in.Account, n, in.Region)}
		}
		res, err := c.ExecContext(ctx, `INSERT INTO insights (account, region, arn, name, filters, group_by) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, in.Account, in.Region, in.ARN, in.Name, in.Filters, in.GroupByAttribute)
		if err != nil {
			// A failed statement is rolled back by SQLite alone.
			return cleanError{err}
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return cleanError{muster.Errorf(muster.ResourceConflict, "Insight %s already exists", in.ARN)}
		}
		return nil
	})
}

func insightNotFound(arn string) error {
	return muster.Errorf(muster.ResourceNotFound, "Insight %s not found", arn)
}

// GetInsight reads one insight from the read pool.
func (db *DB) GetInsight(ctx context.Context, scope muster.Scope, arn string) (*muster.Insight, error) {
	in := &muster.Insight{Scope: scope, ARN: arn}
	err := db.rdb.QueryRowContext(ctx, `SELECT name, filters, group_by FROM insights WHERE account = ? AND region = ? AND arn = ?`,
		scope.Account, scope.Region, arn).Scan(&in.Name, &in.Filters, &in.GroupByAttribute)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, insightNotFound(arn)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get insight: %w", err)
	}
	return in, nil
}

// ListInsights walks the scope's insights in the primary key's order.
func (db *DB) ListInsights(ctx context.Context, scope muster.Scope, after string, limit int) ([]*muster.Insight, error) {
	if limit <= 0 {
		limit = -1
	}
	out, err := queryAll(ctx, db, func(r rowScanner) (*muster.Insight, error) {
		in := &muster.Insight{Scope: scope}
		return in, r.Scan(&in.ARN, &in.Name, &in.Filters, &in.GroupByAttribute)
	}, `SELECT arn, name, filters, group_by FROM insights
		WHERE account = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?`, scope.Account, scope.Region, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list insights: %w", err)
	}
	return out, nil
}

// UpdateInsight rewrites the insight's row in a transaction of the writer.
func (db *DB) UpdateInsight(ctx context.Context, in *muster.Insight) error {
	return db.insightWrite(ctx, in.ARN, `UPDATE insights SET name = ?, filters = ?, group_by = ? WHERE account = ? AND region = ? AND arn = ?`,
		in.Name, in.Filters, in.GroupByAttribute, in.Account, in.Region, in.ARN)
}

// DeleteInsight deletes the insight's row in a transaction of the writer.
func (db *DB) DeleteInsight(ctx context.Context, scope muster.Scope, arn string) error {
	return db.insightWrite(ctx, arn, `DELETE FROM insights WHERE account = ? AND region = ? AND arn = ?`, scope.Account, scope.Region, arn)
}

// insightWrite runs one statement on one insight's row in the writer; no
// row affected is ResourceNotFoundException.
func (db *DB) insightWrite(ctx context.Context, arn, query string, args ...any) error {
	return db.exec(ctx, insightNotFound(arn), query, args...)
}

// GroupFindings counts in the group index when it holds q.GroupBy: the
// conditions on attributes it holds are evaluated there, and any others
// first select findings in SQL. Other attributes are grouped in SQL over
// the documents. Either way the results follow filter.Group.
func (db *DB) GroupFindings(ctx context.Context, q muster.GroupQuery) ([]muster.GroupCount, error) {
	by := filter.LookupField(q.GroupBy)
	if !by.Groupable() {
		return nil, muster.Errorf(muster.InvalidInput, "Findings cannot be grouped by %q: GroupByAttribute must name a string attribute of AwsSecurityFindingFilters", q.GroupBy)
	}
	sidMap, err := db.sids(ctx, q.Region, q.Accounts)
	if err != nil {
		return nil, err
	}
	if len(sidMap) == 0 {
		return nil, nil
	}
	sids := make([]int64, 0, len(sidMap))
	for sid := range sidMap {
		sids = append(sids, sid)
	}
	spec, ok := groupFields[by.Path]
	if !ok {
		return db.groupSQL(ctx, sids, q.Filter, by, q.Limit)
	}
	mem, rest := memConds(q.Filter)
	if err := db.groups.ensure(ctx); err != nil {
		return nil, err
	}
	var rids []int64
	if len(rest) > 0 {
		if rids, err = db.matchingRIDs(ctx, sids, rest); err != nil {
			return nil, err
		}
		if len(rids) == 0 {
			return nil, nil
		}
	}
	return db.groups.group(sids, mem, rids, len(rest) > 0, spec, q.Limit)
}

// sidWhere is the condition on f.sid for sids.
func (b *builder) sidWhere(sids []int64) string {
	ph := make([]string, len(sids))
	for i, sid := range sids {
		ph[i] = b.arg(sid)
	}
	if len(ph) == 1 {
		return "f.sid = " + ph[0]
	}
	return "f.sid IN (" + strings.Join(ph, ", ") + ")"
}

// matchingRIDs returns, in order, the rids of the findings of sids that
// satisfy every condition of conds, compiled as for QueryFindings.
func (db *DB) matchingRIDs(ctx context.Context, sids []int64, conds []filter.Condition) ([]int64, error) {
	b := &builder{}
	where := []string{b.sidWhere(sids)}
	for i := range conds {
		e, err := b.condition(&conds[i])
		if err != nil {
			return nil, err
		}
		where = append(where, e)
	}
	from := "findings f"
	if b.needDoc {
		from += " JOIN docs d ON d.rid = f.rid"
	}
	out, err := queryAll(ctx, db, func(r rowScanner) (rid int64, err error) {
		err = r.Scan(&rid)
		return rid, err
	}, "SELECT f.rid FROM "+from+" WHERE "+strings.Join(where, " AND ")+" ORDER BY f.rid", b.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: group findings: %w", err)
	}
	return out, nil
}

// groupSQL groups by an attribute the index does not hold: each matching
// finding's distinct string values of the attribute, read from its
// document, counted in SQL. Blank values are left out before the LIMIT, so
// that they cannot take a place in the results.
func (db *DB) groupSQL(ctx context.Context, sids []int64, f *filter.Filters, by *filter.Field, limit int) ([]muster.GroupCount, error) {
	b := &builder{}
	where := []string{b.sidWhere(sids)}
	if f != nil {
		for i := range f.Conds {
			e, err := b.condition(&f.Conds[i])
			if err != nil {
				return nil, err
			}
			where = append(where, e)
		}
	}
	src := b.source(by.Path, false)
	v := typed(filter.String, src.t, src.v)
	where = append(where, src.guards...)
	from := append([]string{"findings f JOIN docs d ON d.rid = f.rid"}, src.from...)
	if limit <= 0 {
		limit = -1
	}
	query := "SELECT v, count(*) AS n FROM (SELECT DISTINCT f.rid AS rid, " + v + " AS v FROM " + strings.Join(from, ", ") +
		" WHERE " + strings.Join(where, " AND ") + ") WHERE v IS NOT NULL AND trim(v, char(32, 9, 10, 11, 12, 13)) <> ''" +
		" GROUP BY v ORDER BY n DESC, v LIMIT " + b.arg(limit)
	out, err := queryAll(ctx, db, func(r rowScanner) (g muster.GroupCount, err error) {
		err = r.Scan(&g.Value, &g.Count)
		return g, err
	}, query, b.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: group findings: %w", err)
	}
	return out, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
)

// Attribute fields of the attrs table.
const (
	attrResourceID   = 1
	attrResourceType = 2
)

// attrPaths maps the ASFF paths kept in attrs to their field number.
var attrPaths = map[string]int{
	"Resources[].Id":   attrResourceID,
	"Resources[].Type": attrResourceType,
}

// stmts are the writer's prepared statements, reused for every finding.
type stmts struct {
	sel, ins, insDoc, upd, updDoc, insAttr, delAttr *sql.Stmt
}

func prepare(ctx context.Context, c *sql.Conn) (*stmts, error) {
	var st stmts
	var err error
	p := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = c.PrepareContext(ctx, q)
		}
	}
	p(&st.sel, `SELECT f.rid, f.processed_at, d.doc FROM findings f JOIN docs d ON d.rid = f.rid
		WHERE f.sid = ? AND f.product_arn = ? AND f.id = ?`)
	p(&st.ins, `INSERT INTO findings (sid, account, product_arn, id, updated_at, severity_label, workflow_status, record_state, processed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(&st.insDoc, `INSERT INTO docs (rid, doc) VALUES (?, ?)`)
	p(&st.upd, `UPDATE findings SET updated_at = ?, severity_label = ?, workflow_status = ?, record_state = ?, processed_at = ?
		WHERE rid = ?`)
	p(&st.updDoc, `UPDATE docs SET doc = ? WHERE rid = ?`)
	p(&st.insAttr, `INSERT OR IGNORE INTO attrs (field, value, rid) VALUES (?, ?, ?)`)
	p(&st.delAttr, `DELETE FROM attrs WHERE field = ? AND value = ? AND rid = ?`)
	if err != nil {
		st.close()
		return nil, err
	}
	return &st, nil
}

func (st *stmts) close() {
	for _, s := range []*sql.Stmt{st.sel, st.ins, st.insDoc, st.upd, st.updDoc, st.insAttr, st.delAttr} {
		if s != nil {
			s.Close()
		}
	}
}

// UpsertFindings hands the findings to the writer, which merges and writes
// them in a group commit: all of them or none are written, and the call
// returns after COMMIT.
func (db *DB) UpsertFindings(ctx context.Context, findings []*muster.Finding, merge muster.MergeFunc) ([]muster.UpsertResult, error) {
	var scopes []scopeKey
	seen := map[scopeKey]bool{}
	for _, f := range findings {
		sk := scopeKey{f.Region, f.Account}
		if !seen[sk] {
			seen[sk] = true
			scopes = append(scopes, sk)
		}
	}
	// Column values of the incoming findings are worked out here, on the
	// caller's goroutine, so that the writer only merges and writes.
	pre := make([]prepared, len(findings))
	for i, f := range findings {
		pre[i] = prepare1(f)
	}
	results := make([]muster.UpsertResult, len(findings))
	err := db.w.do(ctx, len(findings), func(ctx context.Context, c *sql.Conn) error {
		return db.w.upsert(ctx, findings, pre, merge, results)
	}, scopes...)
	if err != nil {
		return nil, err
	}
	return results, nil
}

// prepared is a finding's column values, computed once.
type prepared struct {
	f     *muster.Finding
	hot   hot
	attrs []attr
	err   error
}

func prepare1(f *muster.Finding) prepared {
	h, attrs, err := columnValues(f.Doc)
	if err != nil {
		return prepared{f: f, err: fmt.Errorf("sqlite: finding %s: %w", f.ID, err)}
	}
	return prepared{f: f, hot: h, attrs: attrs}
}

// columnValues returns the column values of doc. It reads only the members
// the columns hold, with asff's splitter, rather than decoding the whole
// finding: this runs for every stored and every replaced finding. A member
// of an unexpected type reads as NULL, as hotValues and attrValues make it.
func columnValues(doc []byte) (hot, []attr, error) {
	ob, err := asff.SplitObject(doc)
	if err != nil {
		return hot{}, nil, err
	}
	str := func(o asff.Object, name string) any {
		if s, ok := o.String(name); ok {
			return s
		}
		return nil
	}
	obj := func(name, member string) any {
		if sub, ok := ob.Object(name); ok {
			return map[string]any{member: str(sub, member)}
		}
		return nil
	}
	d := filter.Doc{
		"UpdatedAt":   str(ob, "UpdatedAt"),
		"Severity":    obj("Severity", "Label"),
		"Workflow":    obj("Workflow", "Status"),
		"RecordState": str(ob, "RecordState"),
	}
	var rs []any
	for _, r := range ob.Objects("Resources") {
		rs = append(rs, map[string]any{"Id": str(r, "Id"), "Type": str(r, "Type")})
	}
	d["Resources"] = rs
	return hotValues(d), attrValues(d), nil
}

// planned is one write an upsert decided on.
type planned struct {
	rid      int64 // 0: insert
	key      muster.FindingKey
	sid      int64
	out      prepared
	oldAttrs []attr
}

// upsert merges every finding of one request, then writes the results. It
// reads and merges first so that a merge error leaves nothing to undo
// (cleanError); an error while writing is returned as is and makes the
// writer roll back.
func (w *writer) upsert(ctx context.Context, in []*muster.Finding, pre []prepared, merge muster.MergeFunc, results []muster.UpsertResult) error {
	var plan []*planned
	// Findings of this request not yet written, by key, so that a key
	// given twice merges with its first version.
	pending := map[scopeKey]map[muster.FindingKey]*planned{}
	known, err := w.existing(ctx, in)
	if err != nil {
		return cleanError{err}
	}
	for i, f := range in {
		sk := scopeKey{f.Region, f.Account}
		sid, ok := w.sid(sk)
		if !ok {
			return cleanError{errors.New("sqlite: scope not created")}
		}
		var stored *muster.Finding
		var p *planned
		if p = pending[sk][f.FindingKey]; p != nil {
			stored = p.out.f
		} else {
			var (
				rid, processed int64
				doc            []byte
			)
			var err error
			if known[sk][f.FindingKey] {
				err = w.st.sel.QueryRowContext(ctx, sid, f.ProductARN, f.ID).Scan(&rid, &processed, &doc)
			} else {
				err = sql.ErrNoRows
			}
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return cleanError{err}
			default:
				stored = &muster.Finding{Region: f.Region, FindingKey: f.FindingKey, Doc: doc, ProcessedAt: time.Unix(0, processed).UTC()}
			}
			p = &planned{rid: rid, key: f.FindingKey, sid: sid}
			if stored != nil {
				_, old, err := columnValues(stored.Doc)
				if err != nil {
					return cleanError{fmt.Errorf("sqlite: stored finding %s: %w", f.ID, err)}
				}
				p.oldAttrs = old
			}
		}
		out, err := merge(stored, f)
		if err != nil {
			return cleanError{err}
		}
		switch {
		case out == nil:
			results[i] = muster.Unchanged
			continue
		case stored == nil:
			results[i] = muster.Created
		default:
			results[i] = muster.Updated
		}
		if out == f && pre[i].err == nil {
			p.out = pre[i]
		} else {
			p.out = prepare1(out)
		}
		if p.out.err != nil {
			return cleanError{p.out.err}
		}
		if pending[sk] == nil {
			pending[sk] = map[muster.FindingKey]*planned{}
		}
		if pending[sk][f.FindingKey] == nil {
			pending[sk][f.FindingKey] = p
			plan = append(plan, p)
		}
	}
	for _, p := range plan {
		if err := w.write(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) write(ctx context.Context, p *planned) error {
	out, hot := p.out.f, p.out.hot
	pa := out.ProcessedAt
	if pa.IsZero() {
		pa = time.Now()
	}
	if p.rid == 0 {
		res, err := w.st.ins.ExecContext(ctx, p.sid, p.key.Account, p.key.ProductARN, p.key.ID,
			hot.updatedAt, hot.severity, hot.workflow, hot.recordState, pa.UnixNano())
		if err != nil {
			return err
		}
		rid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := w.st.insDoc.ExecContext(ctx, rid, out.Doc); err != nil {
			return err
		}
		for _, a := range p.out.attrs {
			if _, err := w.st.insAttr.ExecContext(ctx, a.field, a.value, rid); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := w.st.upd.ExecContext(ctx, hot.updatedAt, hot.severity, hot.workflow, hot.recordState, pa.UnixNano(), p.rid); err != nil {
		return err
	}
	if _, err := w.st.updDoc.ExecContext(ctx, out.Doc, p.rid); err != nil {
		return err
	}
	keep := make(map[attr]bool, len(p.out.attrs))
	for _, a := range p.out.attrs {
		keep[a] = true
	}
	had := make(map[attr]bool, len(p.oldAttrs))
	for _, a := range p.oldAttrs {
		had[a] = true
		if !keep[a] {
			if _, err := w.st.delAttr.ExecContext(ctx, a.field, a.value, p.rid); err != nil {
				return err
			}
		}
	}
	for _, a := range p.out.attrs {
		if !had[a] {
			if _, err := w.st.insAttr.ExecContext(ctx, a.field, a.value, p.rid); err != nil {
				return err
			}
		}
	}
	return nil
}

// hot holds the narrow table's filter columns; nil is NULL, a value of the
// wrong type or an unparseable time.
type hot struct {
	updatedAt                       any
	severity, workflow, recordState any
}

func hotValues(d filter.Doc) hot {
	var h hot
	if s, ok := d["UpdatedAt"].(string); ok {
		if t, err := asff.ParseTime(s); err == nil {
			h.updatedAt = t.UnixMilli()
		}
	}
	h.severity = str(lookup(d, "Severity", "Label"))
	h.workflow = str(lookup(d, "Workflow", "Status"))
	h.recordState = str(d["RecordState"])
	return h
}

func lookup(d filter.Doc, keys ...string) any {
	var v any = d
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) any {
	if s, ok := v.(string); ok {
		return s
	}
	return nil
}

type attr struct {
	field int
	value string
}

var attrMembers = []struct {
	member string
	field  int
}{{"Id", attrResourceID}, {"Type", attrResourceType}}

// attrValues returns the distinct string values of the attrs paths.
func attrValues(d filter.Doc) []attr {
	var out []attr
	seen := map[attr]bool{}
	rs, _ := d["Resources"].([]any)
	for _, r := range rs {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range attrMembers {
			if s, ok := m[k.member].(string); ok {
				a := attr{k.field, s}
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// existingChunk bounds the keys looked up by one statement (two bound
// parameters each, far below SQLite's limit).
const existingChunk = 500

// existing returns which of the findings' keys are stored, looking them up
// in one statement per scope and chunk: a request of new findings then
// costs one query instead of one per finding, which was a fifth of the
// writer's time. Only findings found here are read back in full.
func (w *writer) existing(ctx context.Context, in []*muster.Finding) (map[scopeKey]map[muster.FindingKey]bool, error) {
	byScope := map[scopeKey][]*muster.Finding{}
	for _, f := range in {
		sk := scopeKey{f.Region, f.Account}
		byScope[sk] = append(byScope[sk], f)
	}
	known := map[scopeKey]map[muster.FindingKey]bool{}
	for sk, fs := range byScope {
		sid, ok := w.sid(sk)
		if !ok {
			return nil, errors.New("sqlite: scope not created")
		}
		for len(fs) > 0 {
			chunk := fs[:min(len(fs), existingChunk)]
			fs = fs[len(chunk):]
			var q strings.Builder
			args := make([]any, 0, 2*len(chunk)+1)
			q.WriteString("SELECT f.product_arn, f.id FROM (VALUES ")
			for i, f := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?)")
				args = append(args, f.ProductARN, f.ID)
			}
			// CROSS JOIN keeps the key list as the outer loop, so each key
			// is one seek in findings_key.
			q.WriteString(") AS k CROSS JOIN findings f ON f.sid = ? AND f.product_arn = k.column1 AND f.id = k.column2")
			args = append(args, sid)
			rows, err := w.conn.QueryContext(ctx, q.String(), args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var k muster.FindingKey
				if err := rows.Scan(&k.ProductARN, &k.ID); err != nil {
					rows.Close()
					return nil, err
				}
				k.Account = sk.account
				if known[sk] == nil {
					known[sk] = map[muster.FindingKey]bool{}
				}
				known[sk][k] = true
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
	}
	return known, nil
}

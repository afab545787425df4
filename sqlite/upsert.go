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
	sel, ins, insDoc, upd, updDoc, insAttr, delAttr, insHist, addUsage, saveSeq *sql.Stmt
}

func prepare(ctx context.Context, c *sql.Conn) (*stmts, error) {
	var st stmts
	var err error
	p := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = c.PrepareContext(ctx, q)
		}
	}
	p(&st.sel, `SELECT f.rid, f.processed_at, f.customized, d.doc FROM findings f JOIN docs d ON d.rid = f.rid
		WHERE f.sid = ? AND f.product_arn = ? AND f.id = ?`)
	p(&st.ins, `INSERT INTO findings (sid, account, product_arn, id, updated_at, severity_label, workflow_status, record_state, processed_at, customized, retain_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(&st.insDoc, `INSERT INTO docs (rid, doc) VALUES (?, ?)`)
	p(&st.upd, `UPDATE findings SET updated_at = ?, severity_label = ?, workflow_status = ?, record_state = ?, processed_at = ?, customized = ?, retain_at = ?
		WHERE rid = ?`)
	p(&st.updDoc, `UPDATE docs SET doc = ? WHERE rid = ?`)
	p(&st.insAttr, `INSERT OR IGNORE INTO attrs (field, value, rid) VALUES (?, ?, ?)`)
	p(&st.delAttr, `DELETE FROM attrs WHERE field = ? AND value = ? AND rid = ?`)
	p(&st.insHist, `INSERT INTO history (rid, seq, update_time, rec) VALUES (?, ?, ?, ?)`)
	p(&st.addUsage, `INSERT INTO usage (day, account, region, product_arn, findings) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET findings = findings + excluded.findings`)
	p(&st.saveSeq, `UPDATE sequences SET value = ? WHERE name = 'history'`)
	if err != nil {
		st.close()
		return nil, err
	}
	return &st, nil
}

func (st *stmts) close() {
	for _, s := range []*sql.Stmt{st.sel, st.ins, st.insDoc, st.upd, st.updDoc, st.insAttr, st.delAttr, st.insHist, st.addUsage, st.saveSeq} {
		if s != nil {
			s.Close()
		}
	}
}

// UpsertFindings hands the findings to the writer, which merges and writes
// them in a group commit: all of them or none are written, with their
// history and metering, and the call returns after COMMIT.
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

// planned is one finding's writes that a request decided on.
type planned struct {
	rid      int64 // 0: insert
	key      muster.FindingKey
	sid      int64
	out      prepared
	oldAttrs []attr
	// history to append, oldest first: a key given twice in one request
	// records both changes.
	history []*muster.HistoryRecord
}

// usageKey is one row of the usage table.
type usageKey struct {
	day                         int64
	account, region, productARN string
}

// request is what one UpsertFindings or UpdateFindings call writes, built
// by its reads and merges before anything is written.
type request struct {
	// pending holds the findings of this request not yet written, by
	// scope and key, so that a key given twice changes its first version.
	pending map[scopeKey]map[muster.FindingKey]*planned
	plan    []*planned
	usage   map[usageKey]int64
}

func newRequest() *request {
	return &request{pending: map[scopeKey]map[muster.FindingKey]*planned{}}
}

func (r *request) lookup(sk scopeKey, k muster.FindingKey) *planned { return r.pending[sk][k] }

// stored reads the finding under key in scope sid and the attribute
// values it is indexed by; nil when there is none.
func (w *writer) stored(ctx context.Context, sk scopeKey, sid int64, k muster.FindingKey) (*muster.Finding, *planned, error) {
	var (
		rid, processed int64
		custom         int64
		doc            []byte
	)
	err := w.st.sel.QueryRowContext(ctx, sid, k.ProductARN, k.ID).Scan(&rid, &processed, &custom, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	f := &muster.Finding{Region: sk.region, FindingKey: k, Doc: doc, ProcessedAt: time.Unix(0, processed).UTC(), Customized: asff.Customized(custom)}
	_, old, err := columnValues(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: stored finding %s: %w", k.ID, err)
	}
	return f, &planned{rid: rid, key: k, sid: sid, oldAttrs: old}, nil
}

// add records ch, the change of the finding that p plans to write (or
// create), and returns the result. in is the incoming finding of an
// upsert with its precomputed columns, or nil.
func (r *request) add(sk scopeKey, p *planned, created bool, ch *muster.Change, in *prepared) (muster.UpsertResult, error) {
	if ch == nil {
		return muster.Unchanged, nil
	}
	out := ch.Finding
	if out == nil {
		return 0, errors.New("sqlite: a change without a finding")
	}
	if in != nil && in.err == nil && (out == in.f || sameBytes(out.Doc, in.f.Doc)) {
		// The incoming document as it came: its columns are known.
		p.out = *in
		p.out.f = out
	} else {
		p.out = prepare1(out)
	}
	if p.out.err != nil {
		return 0, p.out.err
	}
	if ch.History != nil {
		p.history = append(p.history, ch.History)
	}
	if ch.Meter {
		if r.usage == nil {
			r.usage = map[usageKey]int64{}
		}
		r.usage[usageKey{unixDay(processedAt(out)), p.key.Account, sk.region, p.key.ProductARN}]++
	}
	if r.pending[sk] == nil {
		r.pending[sk] = map[muster.FindingKey]*planned{}
	}
	if r.pending[sk][p.key] == nil {
		r.pending[sk][p.key] = p
		r.plan = append(r.plan, p)
	}
	if created {
		return muster.Created, nil
	}
	return muster.Updated, nil
}

// sameBytes reports whether a and b are the same slice of memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// upsert merges every finding of one request, then writes the results. It
// reads and merges first so that a merge error leaves nothing to undo
// (cleanError); an error while writing is returned as is and makes the
// writer roll back.
func (w *writer) upsert(ctx context.Context, in []*muster.Finding, pre []prepared, merge muster.MergeFunc, results []muster.UpsertResult) error {
	req := newRequest()
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
		p := req.lookup(sk, f.FindingKey)
		if p != nil {
			stored = p.out.f
		} else {
			if known[sk][f.FindingKey] {
				if stored, p, err = w.stored(ctx, sk, sid, f.FindingKey); err != nil {
					return cleanError{err}
				}
			}
			if p == nil {
				p = &planned{key: f.FindingKey, sid: sid}
			}
		}
		ch, err := merge(stored, f)
		if err != nil {
			return cleanError{err}
		}
		if results[i], err = req.add(sk, p, stored == nil, ch, &pre[i]); err != nil {
			return cleanError{err}
		}
	}
	return w.apply(ctx, req)
}

// apply writes what a request planned.
func (w *writer) apply(ctx context.Context, req *request) error {
	for _, p := range req.plan {
		if err := w.write(ctx, p); err != nil {
			return err
		}
	}
	for k, n := range req.usage {
		if _, err := w.st.addUsage.ExecContext(ctx, k.day, k.account, k.region, k.productARN, n); err != nil {
			return err
		}
	}
	return nil
}

// processedAt is when f was processed as the store records it: a finding
// without ProcessedAt is processed now.
func processedAt(f *muster.Finding) time.Time {
	if f.ProcessedAt.IsZero() {
		return time.Now()
	}
	return f.ProcessedAt
}

// unixDay is the number of the UTC day of t, counted from 1970-01-01.
func unixDay(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// retainAt is the retention clock of a finding in Unix milliseconds: the
// later of its UpdatedAt and ProcessedAt.
func retainAt(h hot, processed time.Time) int64 {
	r := processed.UnixMilli()
	if u, ok := h.updatedAt.(int64); ok && u > r {
		r = u
	}
	return r
}

func (w *writer) write(ctx context.Context, p *planned) error {
	out, hot := p.out.f, p.out.hot
	pa := processedAt(out)
	retain := retainAt(hot, pa)
	custom := int64(out.Customized)
	if p.rid == 0 {
		res, err := w.st.ins.ExecContext(ctx, p.sid, p.key.Account, p.key.ProductARN, p.key.ID,
			hot.updatedAt, hot.severity, hot.workflow, hot.recordState, pa.UnixNano(), custom, retain)
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
		return w.appendHistory(ctx, rid, pa, p.history)
	}
	if _, err := w.st.upd.ExecContext(ctx, hot.updatedAt, hot.severity, hot.workflow, hot.recordState, pa.UnixNano(), custom, retain, p.rid); err != nil {
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
	return w.appendHistory(ctx, p.rid, pa, p.history)
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

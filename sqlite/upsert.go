package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
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
	sel, ins, insDoc, updDoc, insAttr, delAttr, insHist, addUsage, saveSeq, saveVer *sql.Stmt
	addEvent                                                                        *sql.Stmt
	// upd holds the UPDATEs of findings rows by the set of indexed
	// columns they set, prepared when first needed.
	upd  [setAll + 1]*sql.Stmt
	conn *sql.Conn
}

func prepare(ctx context.Context, c *sql.Conn) (*stmts, error) {
	st := stmts{conn: c}
	var err error
	p := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = c.PrepareContext(ctx, q)
		}
	}
	p(&st.sel, `SELECT `+baseCols+` FROM findings f`+baseJoin+` WHERE f.rid = ?`)
	p(&st.ins, `INSERT INTO findings (sid, account, product_arn, id, updated_at, severity_label, workflow_status, record_state, processed_at, customized, retain_at, version, last_seq, kh, groupvals)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(&st.insDoc, `INSERT INTO docs (rid, doc) VALUES (?, ?)`)
	p(&st.updDoc, `UPDATE docs SET doc = ? WHERE rid = ?`)
	p(&st.insAttr, `INSERT OR IGNORE INTO attrs (field, value, rid) VALUES (?, ?, ?)`)
	p(&st.delAttr, `DELETE FROM attrs WHERE field = ? AND value = ? AND rid = ?`)
	p(&st.insHist, `INSERT INTO history (seq, rid, prev, update_time, rec) VALUES (?, ?, ?, ?, ?)`)
	p(&st.addUsage, `INSERT INTO usage (day, account, region, product_arn, findings) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET findings = findings + excluded.findings`)
	p(&st.saveSeq, `UPDATE sequences SET value = ? WHERE name = 'history'`)
	p(&st.saveVer, `UPDATE sequences SET value = ? WHERE name = 'version'`)
	p(&st.addEvent, `INSERT INTO events (key, id, at, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		st.close()
		return nil, err
	}
	return &st, nil
}

func (st *stmts) close() {
	all := []*sql.Stmt{st.sel, st.ins, st.insDoc, st.updDoc, st.insAttr, st.delAttr, st.insHist, st.addUsage, st.saveSeq, st.saveVer, st.addEvent}
	for _, s := range append(all, st.upd[:]...) {
		if s != nil {
			s.Close()
		}
	}
}

// colSet is a set of the indexed columns of findings that an UPDATE sets.
// SQLite rewrites the entry of every index that holds a column the UPDATE
// sets, whether or not its value changes: setting only the columns that
// change spares a triage update two to four index entries at random
// places, a page each.
type colSet uint8

const (
	setUpdatedAt colSet = 1 << iota
	setSeverity
	setWorkflow
	setRecordState
	setRetainAt
	setAll = setUpdatedAt | setSeverity | setWorkflow | setRecordState | setRetainAt
)

// setColumns are the columns of colSet's bits, in bit order.
var setColumns = []string{"updated_at", "severity_label", "workflow_status", "record_state", "retain_at"}

// updateSet returns the indexed columns that a finding stored with cols
// and rewritten with hot changes, and their values in bit order.
// retain_at is a lower bound of the retention clock that moves only when
// the finding changes class (ARCHIVED or not), so that most updates leave
// findings_retain alone; DeleteExpired moves the entries it finds behind
// (see deleteExpired).
func updateSet(cols rowCols, hot hot, retain int64) (colSet, []any) {
	var set colSet
	args := make([]any, 0, 10)
	add := func(bit colSet, old, new any) {
		if !sameCol(old, new) {
			set |= bit
			args = append(args, new)
		}
	}
	add(setUpdatedAt, cols.updatedAt, hot.updatedAt)
	add(setSeverity, cols.severity, hot.severity)
	add(setWorkflow, cols.workflow, hot.workflow)
	add(setRecordState, cols.recordState, hot.recordState)
	if archived(cols.recordState) != archived(hot.recordState) {
		set |= setRetainAt
		args = append(args, retain)
	}
	return set, args
}

// sameCol reports whether two column values are equal. A driver may hand
// TEXT back as []byte, which == cannot compare.
func sameCol(a, b any) bool {
	return textCol(a) == textCol(b)
}

// archived reports whether a record_state value is ARCHIVED, as the
// findings_retain index classes it.
func archived(state any) bool {
	return sameCol(state, "ARCHIVED")
}

// update returns the UPDATE of a findings row that sets the columns of set
// (arguments first, in bit order) and then processed_at, customized,
// version, last_seq and groupvals, WHERE rid is the last argument. No index
// holds the last five, and the row is rewritten anyway, so setting them
// unchanged costs nothing.
func (st *stmts) update(ctx context.Context, set colSet) (*sql.Stmt, error) {
	if s := st.upd[set]; s != nil {
		return s, nil
	}
	var q strings.Builder
	q.WriteString("UPDATE findings SET ")
	for i, col := range setColumns {
		if set&(1<<i) != 0 {
			q.WriteString(col + " = ?, ")
		}
	}
	q.WriteString("processed_at = ?, customized = ?, version = ?, last_seq = ?, groupvals = ? WHERE rid = ?")
	s, err := st.conn.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	st.upd[set] = s
	return s, nil
}

// UpsertFindings merges the findings on the caller's goroutine, against
// their stored versions read from the read pool, and hands what it decided
// to the writer, which writes it in a group commit after checking that no
// finding changed since the read (see execute): all of them or none are
// written, with their history and metering, and the call returns after
// COMMIT.
func (db *DB) UpsertFindings(ctx context.Context, findings []*muster.Finding, merge muster.MergeFunc) ([]muster.UpsertResult, error) {
	var scopes []scopeKey
	seen := map[scopeKey]bool{}
	r := newRequest(len(findings))
	for _, f := range findings {
		sk := scopeKey{f.Region, f.Account}
		if !seen[sk] {
			seen[sk] = true
			scopes = append(scopes, sk)
		}
		r.add(sk, f.FindingKey)
	}
	r.call = func(i int, stored *muster.Finding) (*muster.Change, error) { return merge(stored, findings[i]) }
	db.plan(ctx, r)
	results := make([]muster.UpsertResult, len(findings))
	if err := db.w.doPlanned(ctx, r, results, false, scopes...); err != nil {
		return nil, err
	}
	return results, nil
}

// prepared is a finding's column values, computed once.
type prepared struct {
	f     *muster.Finding
	hot   hot
	attrs []attr
	// keepAttrs is set when the finding's attrs rows are the stored ones,
	// which prepareChange then neither derives nor lists in attrs.
	keepAttrs bool
	err       error
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
// of an unexpected type, or an UpdatedAt that does not parse, is NULL.
func columnValues(doc []byte) (hot, []attr, error) {
	ob, err := asff.SplitObject(doc)
	if err != nil {
		return hot{}, nil, err
	}
	h, attrs := columnsOf(ob)
	return h, attrs, nil
}

// columnsOf is columnValues of a split document.
func columnsOf(ob asff.Object) (hot, []attr) {
	var h hot
	if s, ok := ob.String("UpdatedAt"); ok {
		if t, err := asff.ParseTime(s); err == nil {
			h.updatedAt = t.UnixMilli()
		}
	}
	h.severity = textMember(ob, "Severity", "Label")
	h.workflow = textMember(ob, "Workflow", "Status")
	h.recordState = textMember(ob, "RecordState", "")
	// The distinct string values of the attrs paths, in document order;
	// a finding has few resources.
	var attrs []attr
	for _, r := range ob.Objects("Resources") {
		for _, k := range attrMembers {
			if s, ok := r.String(k.member); ok {
				if a := (attr{k.field, s}); !slices.Contains(attrs, a) {
					attrs = append(attrs, a)
				}
			}
		}
	}
	h.groups = encodeGroupVals(ob, attrs)
	return h, attrs
}

// prepareChange is prepare1 for ch, the change of a finding whose columns
// were was (the key's earlier change in the same request) or else those
// stored in b. When ch tells which members it set (Change.Edit), the
// columns of the members it did not set are kept, the attrs rows too
// (keepAttrs), and those of the members it set are read from the document
// it split already: a BatchUpdateFindings of a hundred findings spent a
// third of deciding on splitting them again, and a fifth on deriving the
// stored attrs rows.
func prepareChange(ch *muster.Change, b *base, was *prepared) prepared {
	e := ch.Edit
	if e == nil || (was == nil && (b.stored == nil || b.groups == nil)) {
		return prepare1(ch.Finding)
	}
	out := prepared{f: ch.Finding}
	if was != nil {
		out.hot, out.attrs, out.keepAttrs = was.hot, was.attrs, was.keepAttrs
	} else {
		c := b.cols
		out.hot = hot{updatedAt: c.updatedAt, severity: textCol(c.severity), workflow: textCol(c.workflow), recordState: textCol(c.recordState), groups: b.groups}
		out.keepAttrs = true
	}
	for _, name := range e.Set {
		switch name {
		case "Severity":
			out.hot.severity = textMember(e.Object, "Severity", "Label")
		case "Workflow":
			out.hot.workflow = textMember(e.Object, "Workflow", "Status")
		case "Note", "VerificationState", "Confidence", "Criticality", "RelatedFindings", "UserDefinedFields", "ProcessedAt":
			// No column holds them.
		default:
			// Any other member may be behind a column, an attrs row or
			// the groupvals value.
			out.hot, out.attrs = columnsOf(e.Object)
			out.keepAttrs = false
			return out
		}
	}
	return out
}

// textMember is the column value of the string member name of ob, or of
// member sub of the object name when sub is not empty: nil when it is
// absent or not of that type.
func textMember(ob asff.Object, name, sub string) any {
	if sub != "" {
		o, ok := ob.Object(name)
		if !ok {
			return nil
		}
		ob, name = o, sub
	}
	if s, ok := ob.String(name); ok {
		return s
	}
	return nil
}

// textCol is a column's value as columnsOf gives it: a driver may scan
// TEXT as []byte.
func textCol(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
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

// hot holds the narrow table's filter columns; nil is NULL, a value of the
// wrong type or an unparseable time.
type hot struct {
	updatedAt                       any
	severity, workflow, recordState any
	// groups is the finding's groupvals value (encodeGroupVals).
	groups []byte
}

type attr struct {
	field int
	value string
}

var attrMembers = []struct {
	member string
	field  int
}{{"Id", attrResourceID}, {"Type", attrResourceType}}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	sel, ins, insDoc, upd, updDoc, insAttr, delAttr, insHist, addUsage, saveSeq, saveVer *sql.Stmt
	putGroups                                                                            *sql.Stmt
	addEvent                                                                             *sql.Stmt
}

func prepare(ctx context.Context, c *sql.Conn) (*stmts, error) {
	var st stmts
	var err error
	p := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = c.PrepareContext(ctx, q)
		}
	}
	p(&st.sel, `SELECT f.version, f.last_seq, f.processed_at, f.customized, d.doc FROM findings f CROSS JOIN docs d ON d.rid = f.rid
		WHERE f.rid = ?`)
	p(&st.ins, `INSERT INTO findings (sid, account, product_arn, id, updated_at, severity_label, workflow_status, record_state, processed_at, customized, retain_at, version, last_seq, kh)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(&st.insDoc, `INSERT INTO docs (rid, doc) VALUES (?, ?)`)
	p(&st.upd, `UPDATE findings SET updated_at = ?, severity_label = ?, workflow_status = ?, record_state = ?, processed_at = ?, customized = ?, retain_at = ?, version = ?, last_seq = ?
		WHERE rid = ?`)
	p(&st.updDoc, `UPDATE docs SET doc = ? WHERE rid = ?`)
	p(&st.insAttr, `INSERT OR IGNORE INTO attrs (field, value, rid) VALUES (?, ?, ?)`)
	p(&st.delAttr, `DELETE FROM attrs WHERE field = ? AND value = ? AND rid = ?`)
	p(&st.insHist, `INSERT INTO history (seq, rid, prev, update_time, rec) VALUES (?, ?, ?, ?, ?)`)
	p(&st.addUsage, `INSERT INTO usage (day, account, region, product_arn, findings) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET findings = findings + excluded.findings`)
	p(&st.saveSeq, `UPDATE sequences SET value = ? WHERE name = 'history'`)
	p(&st.saveVer, `UPDATE sequences SET value = ? WHERE name = 'version'`)
	p(&st.putGroups, `INSERT INTO groupvals (rid, v) VALUES (?, ?) ON CONFLICT (rid) DO UPDATE SET v = excluded.v`)
	p(&st.addEvent, `INSERT INTO events (key, id, at, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		st.close()
		return nil, err
	}
	return &st, nil
}

func (st *stmts) close() {
	for _, s := range []*sql.Stmt{st.sel, st.ins, st.insDoc, st.upd, st.updDoc, st.insAttr, st.delAttr, st.insHist, st.addUsage, st.saveSeq, st.saveVer, st.putGroups, st.addEvent} {
		if s != nil {
			s.Close()
		}
	}
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
	err := db.w.do(ctx, len(findings), func(ctx context.Context, c *sql.Conn) error {
		return db.w.execute(ctx, r, results)
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
// of an unexpected type, or an UpdatedAt that does not parse, is NULL.
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
	member := func(name, sub string) any {
		if o, ok := ob.Object(name); ok {
			return str(o, sub)
		}
		return nil
	}
	var h hot
	if s, ok := ob.String("UpdatedAt"); ok {
		if t, err := asff.ParseTime(s); err == nil {
			h.updatedAt = t.UnixMilli()
		}
	}
	h.severity = member("Severity", "Label")
	h.workflow = member("Workflow", "Status")
	h.recordState = str(ob, "RecordState")
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
	return h, attrs, nil
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
	// groups is the finding's groupvals row (encodeGroupVals).
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

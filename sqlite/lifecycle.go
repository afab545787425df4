package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
)

// UpdateFindings reads the findings of keys from the read pool and calls
// update on the caller's goroutine; the writer writes the changes in one
// transaction after checking that none of the findings changed since the
// read, and calls update again, in its transaction, for those that did.
// So concurrent read-modify-writes of one finding are serialised and none
// is lost. A key in a scope that has never held a finding is NotFound too.
func (db *DB) UpdateFindings(ctx context.Context, region string, keys []muster.FindingKey, update muster.UpdateFunc) ([]muster.UpsertResult, error) {
	r := newRequest(len(keys))
	for _, k := range keys {
		r.add(scopeKey{region, k.Account}, k)
	}
	r.update = true
	r.call = func(_ int, stored *muster.Finding) (*muster.Change, error) { return update(stored) }
	db.plan(ctx, r)
	results := make([]muster.UpsertResult, len(keys))
	if err := db.w.doPlanned(ctx, r, results, true); err != nil {
		return nil, err
	}
	return results, nil
}

// histRec is the stored form of a history record apart from its seq and
// UpdateTime, with short member names: a finding gains a record with
// every import that changes it.
type histRec struct {
	Created bool `json:"c,omitempty"`
	// Kind is 1 for SourceImport and 2 for SourceUpdate; any other
	// source type is kept in Type.
	Kind     int         `json:"k,omitempty"`
	Type     string      `json:"t,omitempty"`
	Identity string      `json:"i,omitempty"`
	Updates  [][3]string `json:"u,omitempty"`
}

// encodeHistory writes the histRec of r by hand: it runs for every
// finding an import writes, where encoding/json's reflection was half the
// cost of appending the record.
func encodeHistory(r *muster.HistoryRecord) []byte {
	n := 32 + len(r.SourceType) + len(r.SourceIdentity)
	for _, u := range r.Updates {
		n += 12 + len(u.Field) + len(u.Old) + len(u.New)
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	sep := func() {
		if len(b) > 1 {
			b = append(b, ',')
		}
	}
	if r.Created {
		b = append(b, `"c":true`...)
	}
	switch r.SourceType {
	case muster.SourceImport:
		sep()
		b = append(b, `"k":1`...)
	case muster.SourceUpdate:
		sep()
		b = append(b, `"k":2`...)
	case "":
	default:
		sep()
		b = appendJSONString(append(b, `"t":`...), r.SourceType)
	}
	if r.SourceIdentity != "" {
		sep()
		b = appendJSONString(append(b, `"i":`...), r.SourceIdentity)
	}
	if len(r.Updates) > 0 {
		sep()
		b = append(b, `"u":[`...)
		for i, u := range r.Updates {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendJSONString(b, u.Field)
			b = append(b, ',')
			b = appendJSONString(b, u.Old)
			b = append(b, ',')
			b = appendJSONString(b, u.New)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Bytes that are not UTF-8
// are copied as they are; decoding turns them into U+FFFD, as
// encoding/json would have when encoding.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func decodeHistory(b []byte, r *muster.HistoryRecord) error {
	var h histRec
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	r.Created, r.SourceIdentity = h.Created, h.Identity
	switch h.Kind {
	case 1:
		r.SourceType = muster.SourceImport
	case 2:
		r.SourceType = muster.SourceUpdate
	default:
		r.SourceType = h.Type
	}
	if len(h.Updates) > 0 {
		r.Updates = make([]asff.FieldUpdate, len(h.Updates))
		for i, u := range h.Updates {
			r.Updates[i] = asff.FieldUpdate{Field: u[0], Old: u[1], New: u[2]}
		}
	}
	return nil
}

// The statements of FindingHistory: the finding's newest record, the
// record a listing continues from, and one step along the chain.
const (
	historyHead = `SELECT rid, last_seq FROM findings WHERE sid = ? AND kh = ? AND product_arn = ? AND id = ?`
	historyFrom = `SELECT rid, prev FROM history WHERE seq = ?`
	historyStep = `SELECT prev, update_time, rec FROM history WHERE seq = ?`
)

// FindingHistory walks the finding's chain of records from its newest, in
// one read transaction: each step is a lookup by seq. Before continues
// from the record Before when it is one of the finding's, from its prev;
// otherwise (a record since deleted, or any other number) the walk skips
// the records from Before up. The walk stops at the first record before
// Start: a finding's records are appended as it changes, with the time of
// the change, so the older ones are all before Start too.
func (db *DB) FindingHistory(ctx context.Context, q muster.HistoryQuery) ([]*muster.HistoryRecord, error) {
	sids, err := db.sids(ctx, q.Region, []string{q.Key.Account})
	if err != nil {
		return nil, err
	}
	if len(sids) == 0 {
		return nil, nil
	}
	var sid int64
	for s := range sids {
		sid = s
	}
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: finding history: %w", err)
	}
	defer tx.Rollback()
	var (
		rid  int64
		last sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, historyHead, sid, keyHash(q.Key.ProductARN, q.Key.ID), q.Key.ProductARN, q.Key.ID).Scan(&rid, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: finding history: %w", err)
	}
	next := last.Int64
	skip := false // skip records from q.Before up
	if q.Before != 0 {
		var (
			hrid int64
			prev sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, historyFrom, q.Before).Scan(&hrid, &prev)
		switch {
		case err == nil && hrid == rid:
			next = prev.Int64
		case err == nil || errors.Is(err, sql.ErrNoRows):
			skip = true
		default:
			return nil, fmt.Errorf("sqlite: finding history: %w", err)
		}
	}
	step, err := tx.PrepareContext(ctx, historyStep)
	if err != nil {
		return nil, fmt.Errorf("sqlite: finding history: %w", err)
	}
	defer step.Close()
	var out []*muster.HistoryRecord
	for next != 0 && (q.Limit <= 0 || len(out) < q.Limit) {
		var (
			prev sql.NullInt64
			ut   int64
			rec  []byte
		)
		seq := next
		if err := step.QueryRowContext(ctx, seq).Scan(&prev, &ut, &rec); err != nil {
			return nil, fmt.Errorf("sqlite: history record %d: %w", seq, err)
		}
		next = prev.Int64
		if skip && seq >= q.Before {
			continue
		}
		if !q.Start.IsZero() && ut < q.Start.UnixNano() {
			break
		}
		if !q.End.IsZero() && ut > q.End.UnixNano() {
			continue
		}
		r := &muster.HistoryRecord{Seq: seq, UpdateTime: time.Unix(0, ut).UTC()}
		if err := decodeHistory(rec, r); err != nil {
			return nil, fmt.Errorf("sqlite: history record %d: %w", seq, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// defaultExpireLimit is how many findings DeleteExpired deletes at most
// when the query sets no Limit.
const defaultExpireLimit = 500

// deleteChunk bounds the rows one DELETE names.
const deleteChunk = 500

// DeleteExpired picks aged-out findings from the findings_retain index,
// oldest first (archived ones before the others), and deletes them with
// their documents, attribute rows and history, in transactions of the
// writer of at most Limit findings looked at. A zero cutoff expires
// nothing of its kind; a Limit ≤ 0 means defaultExpireLimit.
//
// The index holds retain_at, a lower bound of each finding's retention
// clock that writes move only when a finding changes class (see
// updateSet). An entry behind its cutoff whose finding has been updated
// since is moved up to the finding's clock instead, once: so most
// re-imports and updates leave the index alone, and the job does the
// moving, a little at a time, for findings that live long enough.
func (db *DB) DeleteExpired(ctx context.Context, q muster.RetentionQuery) (int, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultExpireLimit
	}
	deleted := 0
	for deleted < limit {
		want := limit - deleted
		var n, seen int
		err := db.w.do(ctx, want, func(ctx context.Context, c *sql.Conn) error {
			var err error
			n, seen, err = db.w.deleteExpired(ctx, q, want)
			return err
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		if seen < want {
			break // nothing more behind the cutoffs
		}
	}
	return deleted, nil
}

// expiredQuery selects the findings of one class (ARCHIVED or not) whose
// retain_at is before a cutoff, with what their retention clock is made
// of. INDEXED BY makes it fail rather than scan the table should the index
// ever not fit the query.
const expiredQuery = `SELECT rid, updated_at, processed_at FROM findings INDEXED BY findings_retain
	WHERE (record_state IS 'ARCHIVED') = ? AND retain_at < ? LIMIT ?`

// moveRetain moves a finding's findings_retain entry up to its clock.
const moveRetain = `UPDATE findings SET retain_at = ? WHERE rid = ?`

// deleteChains deletes the history of the findings whose rids fill in the
// %s: it walks each chain from the finding's last_seq by prev, one lookup
// by seq per record.
const deleteChains = `WITH RECURSIVE chain(seq) AS (
		SELECT last_seq FROM findings WHERE rid IN %s AND last_seq IS NOT NULL
		UNION ALL
		SELECT h.prev FROM chain c CROSS JOIN history h ON h.seq = c.seq WHERE h.prev IS NOT NULL)
	DELETE FROM history WHERE seq IN (SELECT seq FROM chain)`

// deleteExpired looks at up to limit findings_retain entries behind their
// cutoffs, deletes the findings whose clock is behind too and moves the
// others' entries; it returns how many it deleted and looked at.
func (w *writer) deleteExpired(ctx context.Context, q muster.RetentionQuery, limit int) (deleted, seen int, err error) {
	var rids []any
	type move struct{ rid, clock int64 }
	var moves []move
	classes := []struct {
		archived int
		before   time.Time
	}{{1, q.ArchivedBefore}, {0, q.ActiveBefore}}
	for _, c := range classes {
		if c.before.IsZero() || seen >= limit {
			continue
		}
		cutoff := c.before.UnixMilli()
		rows, err := w.conn.QueryContext(ctx, expiredQuery, c.archived, cutoff, limit-seen)
		if err != nil {
			return 0, 0, cleanError{err}
		}
		for rows.Next() {
			var (
				rid, processed int64
				h              hot
			)
			if err := rows.Scan(&rid, &h.updatedAt, &processed); err != nil {
				rows.Close()
				return 0, 0, cleanError{err}
			}
			seen++
			clock := retainAt(h, time.Unix(0, processed))
			if clock < cutoff {
				rids = append(rids, rid)
			} else {
				moves = append(moves, move{rid, clock})
			}
		}
		if err := rows.Close(); err != nil {
			return 0, 0, cleanError{err}
		}
	}
	for _, m := range moves {
		if _, err := w.conn.ExecContext(ctx, moveRetain, m.clock, m.rid); err != nil {
			return 0, 0, err
		}
	}
	for start := 0; start < len(rids); start += deleteChunk {
		chunk := rids[start:min(start+deleteChunk, len(rids))]
		in := "(?" + strings.Repeat(",?", len(chunk)-1) + ")"
		// The history chains first, while findings.last_seq leads to them.
		if _, err := w.conn.ExecContext(ctx, fmt.Sprintf(deleteChains, in), chunk...); err != nil {
			return 0, 0, err
		}
		for _, table := range []string{"attrs", "docs", "findings"} {
			if _, err := w.conn.ExecContext(ctx, "DELETE FROM "+table+" WHERE rid IN "+in, chunk...); err != nil {
				return 0, 0, err
			}
		}
	}
	w.noteGroupDeletes(rids)
	return len(rids), seen, nil
}

// Usage reads the usage rows of the UTC days from through to.
func (db *DB) Usage(ctx context.Context, from, to time.Time) ([]muster.Usage, error) {
	rows, err := db.rdb.QueryContext(ctx, `SELECT day, account, region, product_arn, findings FROM usage
		WHERE day BETWEEN ? AND ? ORDER BY day, account, region, product_arn`, unixDay(from), unixDay(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	defer rows.Close()
	var out []muster.Usage
	for rows.Next() {
		var (
			u   muster.Usage
			day int64
		)
		if err := rows.Scan(&day, &u.Account, &u.Region, &u.ProductARN, &u.Findings); err != nil {
			return nil, err
		}
		u.Day = time.Unix(day*86400, 0).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

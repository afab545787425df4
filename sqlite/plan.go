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
)

// Writes are planned outside the writer. A request (one UpsertFindings or
// UpdateFindings call) reads the stored findings of its keys from the read
// pool, calls its MergeFunc or UpdateFunc and works out the column values
// of what they return, all on the caller's goroutine, beside other
// requests. The writer then checks that every key's (rid, version) is what
// the request read, against the versions it has written since the read
// (see versionLog) or else in one statement per scope, writes the planned
// changes of the keys that still match and decides the others again in its
// transaction, as it did everything before. Reading stored findings,
// merging and working out columns were a fifth of the writer's time on
// re-imports; they now run on the callers' goroutines, in parallel.
//
// version is the number of the write that last changed a finding, so a
// key whose version is what the request read has not been written since,
// by an earlier group or by a request earlier in the same group, and a
// plan decided from it is the plan the writer would decide. A key read as
// absent must still be absent. Every key of a request is checked, those
// whose calls changed nothing too, so the request's outcome is the one it
// would have had in the writer's transaction.
//
// When the writer is idle, a request skips the read and the writer
// decides it: it would otherwise wait for the read, and its own page
// cache is warm where a reader's is emptied by every commit. When recent
// imports found almost none of their keys stored, an import plans its
// findings as new without reading (see planAhead).

// keyRef is a finding's key with its scope.
type keyRef struct {
	sk scopeKey
	k  muster.FindingKey
}

// base is the stored state of one key that a request decides from.
type base struct {
	rid, version int64 // rid 0: no finding under the key
	lastSeq      int64 // seq of its newest history record; 0: none
	stored       *muster.Finding
	// cols are the row's indexed columns as stored, so that a write
	// sets only those that change (see updateSet).
	cols rowCols
	// groups is the row's groupvals value; nil if NULL.
	groups []byte
}

// rowCols are the indexed columns of a findings row: nil is NULL.
type rowCols struct {
	updatedAt, severity, workflow, recordState any
}

// baseCols are the columns a base is read from, after the key (readBases)
// or by rid (writer.stored), from findings f joined by baseJoin.
const (
	baseCols = "f.version, f.last_seq, f.processed_at, f.customized, f.updated_at, f.severity_label, f.workflow_status, f.record_state, f.groupvals, d.doc"
	baseJoin = " LEFT JOIN docs d ON d.rid = f.rid"
)

// errNoDoc is a findings row without its document, which the writer never
// leaves. A read finds the row all the same, so that the writer, which
// looks every key up before inserting one, never inserts a second row
// under a key.
var errNoDoc = errors.New("sqlite: a finding without its document")

// baseRow receives baseCols.
type baseRow struct {
	version, processed, custom int64
	last                       sql.NullInt64
	cols                       rowCols
	groups, doc                []byte
}

// dest returns where Scan puts baseCols.
func (r *baseRow) dest() []any {
	return []any{&r.version, &r.last, &r.processed, &r.custom,
		&r.cols.updatedAt, &r.cols.severity, &r.cols.workflow, &r.cols.recordState, &r.groups, &r.doc}
}

// base is the row's base: the finding stored at rid under kr.
func (r *baseRow) base(kr keyRef, rid int64) *base {
	return &base{rid: rid, version: r.version, lastSeq: r.last.Int64, cols: r.cols, groups: r.groups, stored: &muster.Finding{
		Region: kr.sk.region, FindingKey: kr.k, Doc: r.doc,
		ProcessedAt: time.Unix(0, r.processed).UTC(), Customized: asff.Customized(r.custom),
	}}
}

// planned is one key's writes that a request decided on.
type planned struct {
	base *base
	// out is the finding to store under the key, with its columns;
	// processed is its ProcessedAt as the store records it.
	out       prepared
	processed time.Time
	// oldAttrs are the attribute rows of the stored finding, derived
	// (oldRead) only when a change does not keep them.
	oldAttrs []attr
	oldRead  bool
	// history to append, oldest first: a key given twice in one request
	// records both changes.
	history []histRow
	// meters holds the UTC day of each metered change.
	meters []int64
	// events go to the outbox, in order.
	events []*muster.Event
}

// request is what one UpsertFindings or UpdateFindings call writes.
type request struct {
	// items are the findings of the request, an upsert's incoming ones or
	// an update's keys, in order, each as the index of its key in keys.
	items []int
	keys  []keyRef // distinct, in order of first appearance
	khs   []int64  // the keyHash of each key, worked out once
	index map[keyRef]int
	// call decides the change of item i from the finding stored under its
	// key, nil if none.
	call func(i int, stored *muster.Finding) (*muster.Change, error)
	// update: a key without a finding is NotFound and call is not called.
	update bool

	// What was decided outside the writer; bases is nil when the read or
	// a call failed, and the writer decides everything. read is set when
	// bases were read (rather than assumed absent), after snap, the
	// writer's count of commits, was taken (see versionLog).
	read    bool
	snap    int64
	bases   []*base
	plans   []*planned // by key; nil: nothing to write
	results []muster.UpsertResult
}

func newRequest(n int) *request {
	return &request{items: make([]int, 0, n), index: make(map[keyRef]int, n)}
}

func (r *request) add(sk scopeKey, k muster.FindingKey) {
	kr := keyRef{sk, k}
	ki, ok := r.index[kr]
	if !ok {
		ki = len(r.keys)
		r.index[kr] = ki
		r.keys = append(r.keys, kr)
		r.khs = append(r.khs, keyHash(k.ProductARN, k.ID))
	}
	r.items = append(r.items, ki)
}

// decide calls r.call for the items whose key only selects (every item
// when only is nil), in request order, starting from the stored findings
// in bases, and records the writes in plans (by key) and the outcomes in
// results. It writes nothing, so an error leaves nothing to undo.
func (r *request) decide(bases []*base, only []bool, plans []*planned, results []muster.UpsertResult) error {
	for i, ki := range r.items {
		if only != nil && !only[ki] {
			continue
		}
		b, p := bases[ki], plans[ki]
		stored := b.stored
		if p != nil {
			stored = p.out.f
		}
		if stored == nil && r.update {
			results[i] = muster.NotFound
			continue
		}
		ch, err := r.call(i, stored)
		if err != nil {
			return err
		}
		if ch == nil {
			results[i] = muster.Unchanged
			continue
		}
		out := ch.Finding
		if out == nil {
			return errors.New("sqlite: a change without a finding")
		}
		var was *prepared
		if p == nil {
			p = &planned{base: b}
			plans[ki] = p
		} else {
			prev := p.out
			was = &prev
		}
		if p.out = prepareChange(ch, b, was); p.out.err != nil {
			return p.out.err
		}
		if !p.out.keepAttrs && b.stored != nil && !p.oldRead {
			if p.oldAttrs, err = storedAttrs(b); err != nil {
				return fmt.Errorf("sqlite: stored finding %s: %w", b.stored.ID, err)
			}
			p.oldRead = true
		}
		p.processed = processedAt(out)
		if h := ch.History; h != nil {
			p.history = append(p.history, histRow{h.UpdateTime, encodeHistory(h)})
		}
		if ch.Meter {
			p.meters = append(p.meters, unixDay(p.processed))
		}
		p.events = append(p.events, ch.Events...)
		if stored == nil {
			results[i] = muster.Created
		} else {
			results[i] = muster.Updated
		}
	}
	return nil
}

// storedAttrs returns the attrs rows of a stored finding, which the writer
// derived from its document as this does. Deriving them again (12 µs a
// finding at 1M) costs less than reading them from a read connection's
// cold cache.
func storedAttrs(b *base) ([]attr, error) {
	_, attrs, err := columnValues(b.stored.Doc)
	return attrs, err
}

// plan decides r from a read of its keys on the read pool, unless the
// writer is idle. A read or a call that fails leaves r undecided, for the
// writer to decide: a call's error may come from a finding that has
// changed since, and the writer returns the error of the current one.
func (db *DB) plan(ctx context.Context, r *request) {
	if db.w.idle.Load() && len(db.w.reqs) == 0 {
		// The writer would wait for the read and the calls: it does
		// them sooner itself, from its warm page cache.
		return
	}
	db.planAhead(ctx, r)
}

// planAhead is plan whether or not the writer is idle.
func (db *DB) planAhead(ctx context.Context, r *request) {
	var bases []*base
	if !r.update && db.w.found.Load() < foundToRead {
		// Recent imports were of new findings: this one is planned as
		// new without reading, which would most likely find nothing
		// and costs about 8% of the CPU time of importing a new
		// finding. The writer decides the keys it finds stored, as it
		// would have without a plan.
		bases = make([]*base, len(r.keys))
		for ki := range bases {
			bases[ki] = &base{}
		}
	} else {
		var err error
		snap := db.w.log.commits.Load()
		if bases, _, err = r.readBases(ctx, db.rdb, db.scopeID); err != nil {
			return
		}
		r.read, r.snap = true, snap
	}
	plans := make([]*planned, len(r.keys))
	results := make([]muster.UpsertResult, len(r.items))
	if err := r.decide(bases, nil, plans, results); err != nil {
		return
	}
	r.bases, r.plans, r.results = bases, plans, results
}

// foundToRead is the share of the keys of recent imports found stored,
// in 1/1024, from which an import reads its keys ahead of the writer.
const foundToRead = 1024 / 20

// noteFound updates the writer's average share of an import's keys found
// stored, which decides whether imports read their keys ahead.
func (w *writer) noteFound(cur []current) {
	n := 0
	for _, c := range cur {
		if c.rid != 0 {
			n++
		}
	}
	share := int64(n * 1024 / len(cur))
	old := w.found.Load()
	w.found.Store(old + (share-old)/4)
}

// keyChunk bounds the keys looked up by one statement (two bound
// parameters each, far below SQLite's limit).
const keyChunk = 500

// byScope returns the indexes of r's keys by scope, in order of first
// appearance.
func (r *request) byScope() ([]scopeKey, map[scopeKey][]int) {
	var order []scopeKey
	m := map[scopeKey][]int{}
	for ki, k := range r.keys {
		if _, ok := m[k.sk]; !ok {
			order = append(order, k.sk)
		}
		m[k.sk] = append(m[k.sk], ki)
	}
	return order, m
}

// eachChunk calls fn with the indexes of r's keys, a scope and a chunk of
// at most keyChunk keys at a time, with the scope's sid as scopeID finds
// it; keys of a scope that has no sid yet have no finding and are skipped.
func (r *request) eachChunk(ctx context.Context, scopeID func(context.Context, scopeKey) (int64, bool, error), fn func(sk scopeKey, sid int64, kis []int) error) error {
	order, byScope := r.byScope()
	for _, sk := range order {
		sid, ok, err := scopeID(ctx, sk)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		kis := byScope[sk]
		for len(kis) > 0 {
			chunk := kis[:min(len(kis), keyChunk)]
			kis = kis[len(chunk):]
			if err := fn(sk, sid, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// keysQuery returns the statement that joins the keys of kis to the
// findings of scope sid, CROSS JOIN keeping the key list as the outer
// loop so that each key is one seek in findings_kh, with its arguments.
// cols are the columns it returns after the key.
func (r *request) keysQuery(kis []int, sid int64, cols, join string) (string, []any) {
	var q strings.Builder
	args := make([]any, 0, 3*len(kis)+1)
	q.WriteString("SELECT f.product_arn, f.id, " + cols + " FROM (VALUES ")
	for i, ki := range kis {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		k := r.keys[ki].k
		args = append(args, r.khs[ki], k.ProductARN, k.ID)
	}
	q.WriteString(") AS k CROSS JOIN findings f ON f.sid = ? AND f.kh = k.column1 AND f.product_arn = k.column2 AND f.id = k.column3" + join)
	args = append(args, sid)
	return q.String(), args
}

// keysQuery's columns for reading stored findings (readBases, with
// baseJoin) and for checking them (current).
const (
	readCols = "f.rid, " + baseCols
	curCols  = "f.rid, f.version"
)

// readBases reads the stored findings of r's keys with qr, in one
// statement per scope and chunk of keys, and the sid of each key's scope
// (0 when scopeID finds none). Each statement reads one snapshot; on the
// read pool different ones may read different snapshots, which does not
// matter, as the writer checks every key on its own.
func (r *request) readBases(ctx context.Context, qr queryer, scopeID func(context.Context, scopeKey) (int64, bool, error)) ([]*base, []int64, error) {
	bases := make([]*base, len(r.keys))
	for ki := range bases {
		bases[ki] = &base{}
	}
	sids := make([]int64, len(r.keys))
	err := r.eachChunk(ctx, scopeID, func(sk scopeKey, sid int64, kis []int) error {
		for _, ki := range kis {
			sids[ki] = sid
		}
		q, args := r.keysQuery(kis, sid, readCols, baseJoin)
		return r.readChunk(ctx, qr, sk, q, args, bases)
	})
	if err != nil {
		return nil, nil, err
	}
	return bases, sids, nil
}

// queryer is the read pool or the writer's connection.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (r *request) readChunk(ctx context.Context, qr queryer, sk scopeKey, q string, args []any, bases []*base) error {
	rows, err := qr.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k   muster.FindingKey
			rid int64
			row baseRow
		)
		if err := rows.Scan(append([]any{&k.ProductARN, &k.ID, &rid}, row.dest()...)...); err != nil {
			return err
		}
		if row.doc == nil {
			return fmt.Errorf("%w: %s", errNoDoc, k.ID)
		}
		k.Account = sk.account
		kr := keyRef{sk, k}
		ki, ok := r.index[kr]
		if !ok {
			return fmt.Errorf("sqlite: read a key not asked for: %s", k.ID)
		}
		bases[ki] = row.base(kr, rid)
	}
	return rows.Err()
}

// scopeID returns the id of a scope from the cache or the read pool.
func (db *DB) scopeID(ctx context.Context, sk scopeKey) (int64, bool, error) {
	db.scopeMu.RLock()
	sid, ok := db.scopes[sk]
	db.scopeMu.RUnlock()
	if ok {
		return sid, true, nil
	}
	err := db.rdb.QueryRowContext(ctx, `SELECT sid FROM scopes WHERE region = ? AND account = ?`, sk.region, sk.account).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	db.scopeMu.Lock()
	db.scopes[sk] = sid
	db.scopeMu.Unlock()
	return sid, true, nil
}

// current is a key's row as the writer sees it.
type current struct {
	sid          int64 // 0: the scope does not exist
	rid, version int64 // rid 0: no finding under the key
}

// current returns the row of every key of r in the writer's transaction,
// in one statement per scope and chunk of keys.
func (w *writer) current(ctx context.Context, r *request) ([]current, error) {
	cur := make([]current, len(r.keys))
	err := r.eachChunk(ctx, w.lookupScope, func(sk scopeKey, sid int64, kis []int) error {
		for _, ki := range kis {
			cur[ki].sid = sid
		}
		q, args := r.keysQuery(kis, sid, curCols, "")
		return w.currentChunk(ctx, r, sk, q, args, cur)
	})
	if err != nil {
		return nil, err
	}
	return cur, nil
}

func (w *writer) currentChunk(ctx context.Context, r *request, sk scopeKey, q string, args []any, cur []current) error {
	rows, err := w.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k muster.FindingKey
		var rid, version int64
		if err := rows.Scan(&k.ProductARN, &k.ID, &rid, &version); err != nil {
			return err
		}
		k.Account = sk.account
		ki, ok := r.index[keyRef{sk, k}]
		if !ok {
			return fmt.Errorf("sqlite: read a key not asked for: %s", k.ID)
		}
		cur[ki].rid, cur[ki].version = rid, version
	}
	return rows.Err()
}

// stored reads the finding of row rid in the writer's transaction.
func (w *writer) stored(ctx context.Context, kr keyRef, rid int64) (*base, error) {
	var row baseRow
	if err := w.st.sel.QueryRowContext(ctx, rid).Scan(row.dest()...); err != nil {
		return nil, err
	}
	if row.doc == nil {
		return nil, fmt.Errorf("%w: %s", errNoDoc, kr.k.ID)
	}
	return row.base(kr, rid), nil
}

// execute writes request r in the writer's transaction and fills results.
// The keys whose row is what r read get their planned writes; the others
// are read again here and decided again, the calls of their items running
// a second time. Everything is decided before anything is written, so an
// error before writing (a cleanError) leaves nothing to undo; an error
// while writing is returned as is and makes the writer roll back. execute
// does not change r, so that the writer can run it again alone after
// rolling back a group.
func (w *writer) execute(ctx context.Context, r *request, results []muster.UpsertResult) error {
	var (
		cur   []current
		plans = make([]*planned, len(r.keys))
		bases []*base
		stale []bool
		err   error
	)
	if r.bases == nil {
		// Nothing was decided ahead: the stored findings are read with
		// their keys, in one statement per chunk, rather than their
		// versions first and then each finding by rid.
		var sids []int64
		if bases, sids, err = r.readBases(ctx, w.conn, w.lookupScope); err != nil {
			return cleanError{err}
		}
		cur = make([]current, len(r.keys))
		stale = make([]bool, len(r.keys))
		for ki, b := range bases {
			cur[ki] = current{sid: sids[ki], rid: b.rid, version: b.version}
			stale[ki] = true
		}
	} else {
		var logged bool
		if cur, logged, err = w.logged(ctx, r); err == nil && !logged {
			cur, err = w.current(ctx, r)
		}
		if err != nil {
			return cleanError{err}
		}
		for ki, c := range cur {
			if b := r.bases[ki]; b.rid == c.rid && b.version == c.version {
				plans[ki] = r.plans[ki]
				continue
			}
			if stale == nil {
				bases, stale = make([]*base, len(r.keys)), make([]bool, len(r.keys))
			}
			stale[ki] = true
			bases[ki] = &base{}
			if c.rid != 0 {
				if bases[ki], err = w.stored(ctx, r.keys[ki], c.rid); err != nil {
					return cleanError{err}
				}
			}
		}
	}
	if !r.update && len(cur) > 0 {
		w.noteFound(cur)
	}
	if r.bases != nil {
		copy(results, r.results)
	}
	if stale != nil {
		if err := r.decide(bases, stale, plans, results); err != nil {
			return cleanError{err}
		}
	}
	usage := map[usageKey]int64{}
	for ki, p := range plans {
		if p == nil {
			continue
		}
		kr := r.keys[ki]
		if err := w.write(ctx, kr, r.khs[ki], cur[ki].sid, p); err != nil {
			return err
		}
		for _, d := range p.meters {
			usage[usageKey{d, kr.k.Account, kr.sk.region, kr.k.ProductARN}]++
		}
		for _, e := range p.events {
			if err := w.addEvent(ctx, e); err != nil {
				return err
			}
		}
	}
	for k, n := range usage {
		if _, err := w.st.addUsage.ExecContext(ctx, k.day, k.account, k.region, k.productARN, n); err != nil {
			return err
		}
	}
	return nil
}

// histRow is a history record to append, encoded; a zero updateTime is
// the finding's ProcessedAt.
type histRow struct {
	updateTime time.Time
	rec        []byte
}

// usageKey is one row of the usage table.
type usageKey struct {
	day                         int64
	account, region, productARN string
}

// rewriteAttrs replaces the attrs rows old of the finding under rid with
// new, deleting and inserting only those that differ.
func (w *writer) rewriteAttrs(ctx context.Context, rid int64, old, new []attr) error {
	keep := make(map[attr]bool, len(new))
	for _, a := range new {
		keep[a] = true
	}
	had := make(map[attr]bool, len(old))
	for _, a := range old {
		had[a] = true
		if !keep[a] {
			if _, err := w.st.delAttr.ExecContext(ctx, a.field, a.value, rid); err != nil {
				return err
			}
		}
	}
	for _, a := range new {
		if !had[a] {
			if _, err := w.st.insAttr.ExecContext(ctx, a.field, a.value, rid); err != nil {
				return err
			}
		}
	}
	return nil
}

// nullable is n, or NULL for 0.
func nullable(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// write stores p's finding under kr, whose keyHash is kh, in scope sid,
// with a new version, and appends its history records to the finding's
// chain.
func (w *writer) write(ctx context.Context, kr keyRef, kh, sid int64, p *planned) error {
	out, hot := p.out.f, p.out.hot
	pa := p.processed
	retain := retainAt(hot, pa)
	custom := int64(out.Customized)
	w.ver++
	prev := p.base.lastSeq
	first := w.seq + 1
	w.seq += int64(len(p.history))
	last := prev
	if len(p.history) > 0 {
		last = w.seq
	}
	rid := p.base.rid
	if rid == 0 {
		if sid == 0 {
			return errors.New("sqlite: scope not created")
		}
		res, err := w.st.ins.ExecContext(ctx, sid, kr.k.Account, kr.k.ProductARN, kr.k.ID,
			hot.updatedAt, hot.severity, hot.workflow, hot.recordState, pa.UnixNano(), custom, retain, w.ver, nullable(last), kh, hot.groups)
		if err != nil {
			return err
		}
		if rid, err = res.LastInsertId(); err != nil {
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
	} else {
		set, args := updateSet(p.base.cols, hot, retain)
		upd, err := w.st.update(ctx, set)
		if err != nil {
			return err
		}
		args = append(args, pa.UnixNano(), custom, w.ver, nullable(last), hot.groups, rid)
		if _, err := upd.ExecContext(ctx, args...); err != nil {
			return err
		}
		if _, err := w.st.updDoc.ExecContext(ctx, out.Doc, rid); err != nil {
			return err
		}
		if !p.out.keepAttrs {
			if err := w.rewriteAttrs(ctx, rid, p.oldAttrs, p.out.attrs); err != nil {
				return err
			}
		}
	}
	w.noteGroupWrite(rid, sid, kr.k, hot)
	for i, h := range p.history {
		seq := first + int64(i)
		t := h.updateTime
		if t.IsZero() {
			t = pa
		}
		if _, err := w.st.insHist.ExecContext(ctx, seq, rid, nullable(prev), t.UnixNano(), h.rec); err != nil {
			return err
		}
		prev = seq
	}
	w.log.note(logKey{sid, kh}, w.ver)
	return nil
}

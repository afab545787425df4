package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"modernc.org/sqlite"
)

// The group index answers GroupFindings (insight results) from memory.
//
// SQLite cannot count a million findings by a value fast enough: through
// this driver, walking 1.5 million attrs rows in value order and counting
// them took 390 ms with no filter at all, joining each to its finding to
// check the scope and a RecordState filter took 5 s, and grouping by
// Severity.Label under the managed insights' RecordState and
// WorkflowStatus filters 1.4 s. So the store keeps, for every finding, the
// values of the attributes insights group by and filter on most in a
// compact in-memory table — dictionary-encoded strings and two dates, 129
// MiB of heap for a million findings — and counts there: at a million
// findings a query takes under 70 ms (BenchmarkGroupFindings). Like the
// writer, the index assumes that this DB is the only process writing the
// file.
//
// The index is built the first time GroupFindings runs, from one
// sequential scan of the narrow findings table, whose groupvals column
// holds the values its other columns do not (encodeGroupVals). At a million
// findings that takes 5 s, which the first call waits for; a store whose
// insights are never asked for keeps no index. After that the
// writer feeds it: every finding it writes or deletes becomes a
// groupEvent, handed over after COMMIT, so a rolled-back write never
// reaches it and an acknowledged import is visible to the next query.
// Events carry the finding's version, which orders them against the
// snapshot the index was built from (see build).
//
// Filters on the indexed attributes are evaluated in the index; any other
// condition is compiled to SQL as for QueryFindings, and the index counts
// only the findings that query returns. Attributes the index does not hold
// are grouped in SQL over the documents (groupSQL): correct, and slow on
// large stores.

// Indexed attributes: single-valued strings, dates and multi-valued
// strings, each kept in one position of a gslot.
type gkind uint8

const (
	gSingle gkind = iota + 1
	gDate
	gMulti
)

type gspec struct {
	kind gkind
	idx  int
}

// groupFields maps the ASFF paths of the indexed filter fields to their
// place in a gslot.
var groupFields = map[string]gspec{
	"ProductArn":        {gSingle, 0},
	"AwsAccountId":      {gSingle, 1},
	"Severity.Label":    {gSingle, 2},
	"Workflow.Status":   {gSingle, 3},
	"RecordState":       {gSingle, 4},
	"ProductName":       {gSingle, 5},
	"CompanyName":       {gSingle, 6},
	"GeneratorId":       {gSingle, 7},
	"Compliance.Status": {gSingle, 8},
	"UpdatedAt":         {gDate, 0},
	"CreatedAt":         {gDate, 1},
	"Types[]":           {gMulti, 0},
	"Resources[].Id":    {gMulti, 1},
	"Resources[].Type":  {gMulti, 2},
}

const (
	nSingle = 9
	nDates  = 2
	nMulti  = 3
	// noDate marks an absent date.
	noDate = math.MinInt64
	// Singles 5–8, date 1 and all multis come from groupvals.
	firstStored = 5
)

// groupVals are the values the groupvals column holds for one finding.
type groupVals struct {
	single  [nSingle - firstStored]string // "" with has false: absent
	has     [nSingle - firstStored]bool
	created int64 // noDate: absent
	multi   [nMulti][]string
}

const groupValsFormat = 1

// encodeGroupVals reads the groupvals values of a split finding, following
// filter.Field.Values: a member of another JSON type than the field's is
// absent, and so is a CreatedAt that asff.ParseTime refuses. attrs are the
// finding's distinct Resources[].Id and .Type values (columnValues).
func encodeGroupVals(ob asff.Object, attrs []attr) []byte {
	var gv groupVals
	for i, name := range []string{"ProductName", "CompanyName", "GeneratorId"} {
		gv.single[i], gv.has[i] = ob.String(name)
	}
	if c, ok := ob.Object("Compliance"); ok {
		gv.single[3], gv.has[3] = c.String("Status")
	}
	gv.created = noDate
	if s, ok := ob.String("CreatedAt"); ok {
		if t, err := asff.ParseTime(s); err == nil {
			gv.created = t.UnixMilli()
		}
	}
	for _, t := range ob.Strings("Types") {
		if !slices.Contains(gv.multi[0], t) {
			gv.multi[0] = append(gv.multi[0], t)
		}
	}
	for _, a := range attrs {
		switch a.field {
		case attrResourceID:
			gv.multi[1] = append(gv.multi[1], a.value)
		case attrResourceType:
			gv.multi[2] = append(gv.multi[2], a.value)
		}
	}
	return gv.encode()
}

// encode writes gv as: a format byte; each single as uvarint(len+1) and
// its bytes, 0 when absent; CreatedAt as 0, or 1 and a varint; each list
// as uvarint(count) and its strings as uvarint(len) and bytes.
func (gv *groupVals) encode() []byte {
	b := make([]byte, 0, 64)
	b = append(b, groupValsFormat)
	for i, s := range gv.single {
		if !gv.has[i] {
			b = append(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(s))+1)
		b = append(b, s...)
	}
	if gv.created == noDate {
		b = append(b, 0)
	} else {
		b = binary.AppendVarint(append(b, 1), gv.created)
	}
	for _, l := range gv.multi {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

var errGroupVals = errors.New("sqlite: malformed groupvals value")

func decodeGroupVals(b []byte) (groupVals, error) {
	var gv groupVals
	if len(b) == 0 || b[0] != groupValsFormat {
		return gv, errGroupVals
	}
	b = b[1:]
	uv := func() (uint64, bool) {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return x, true
	}
	str := func(n uint64) (string, bool) {
		if uint64(len(b)) < n {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	for i := range gv.single {
		n, ok := uv()
		if !ok {
			return gv, errGroupVals
		}
		if n == 0 {
			continue
		}
		if gv.single[i], ok = str(n - 1); !ok {
			return gv, errGroupVals
		}
		gv.has[i] = true
	}
	flag, ok := uv()
	if !ok {
		return gv, errGroupVals
	}
	gv.created = noDate
	if flag == 1 {
		x, n := binary.Varint(b)
		if n <= 0 {
			return gv, errGroupVals
		}
		b = b[n:]
		gv.created = x
	}
	for i := range gv.multi {
		cnt, ok := uv()
		if !ok || cnt > uint64(len(b)) {
			return gv, errGroupVals
		}
		for range cnt {
			n, ok := uv()
			if !ok {
				return gv, errGroupVals
			}
			s, ok := str(n)
			if !ok {
				return gv, errGroupVals
			}
			gv.multi[i] = append(gv.multi[i], s)
		}
	}
	return gv, nil
}

func init() {
	// muster_groupvals(doc) is encodeGroupVals of a stored document, for
	// migration 0005, which filled the groupvals table (now the column)
	// for the findings it found.
	drv.MustRegisterDeterministicScalarFunction("muster_groupvals", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var doc []byte
		switch x := args[0].(type) {
		case []byte:
			doc = x
		case string:
			doc = []byte(x)
		default:
			return nil, errors.New("muster_groupvals: not a document")
		}
		h, _, err := columnValues(doc)
		if err != nil {
			return nil, err
		}
		return h.groups, nil
	})
}

// gslot is one finding in the index. Strings are dictionary ids, 0 for an
// absent value.
type gslot struct {
	version int64 // 0: no finding
	sid     int64
	dates   [nDates]int64
	single  [nSingle]uint32
	// multi holds each multi-valued attribute in turn: the number of its
	// distinct values, then their ids.
	multi []uint32
}

func (s *gslot) values(i int) []uint32 {
	m := s.multi
	for range i {
		if len(m) == 0 {
			return nil
		}
		m = m[1+m[0]:]
	}
	if len(m) == 0 {
		return nil
	}
	return m[1 : 1+m[0]]
}

// Slots live in chunks of consecutive rids: rids are dense, and a map of
// chunks frees the memory of ranges whose findings have all aged out.
const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
)

type gchunk struct {
	used  int
	slots [chunkSize]gslot
}

// gdict interns strings with reference counts, so that values no finding
// has any more (resources long deleted) do not accumulate.
type gdict struct {
	ids  map[string]uint32
	strs []string // by id; id 0 is the absent value
	refs []int32
	free []uint32
}

func (d *gdict) intern(s string) uint32 {
	if id, ok := d.ids[s]; ok {
		d.refs[id]++
		return id
	}
	var id uint32
	if n := len(d.free); n > 0 {
		id = d.free[n-1]
		d.free = d.free[:n-1]
		d.strs[id] = s
		d.refs[id] = 1
	} else {
		id = uint32(len(d.strs))
		d.strs = append(d.strs, s)
		d.refs = append(d.refs, 1)
	}
	d.ids[s] = id
	return id
}

func (d *gdict) release(id uint32) {
	if id == 0 {
		return
	}
	if d.refs[id]--; d.refs[id] == 0 {
		delete(d.ids, d.strs[id])
		d.strs[id] = ""
		d.free = append(d.free, id)
	}
}

// groupEvent is a write of the writer that the index must apply: a finding
// stored with its columns (hot, with groupvals in hot.groups) or, when
// deleted is set, the finding under rid removed. version orders events
// against the index: a stored finding carries its new version, a deletion
// the writer's version counter at the time, which no finding it deleted
// exceeds.
type groupEvent struct {
	rid, version, sid   int64
	deleted             bool
	account, productARN string
	hot                 hot
}

// groupIndex is the in-memory index of one DB.
type groupIndex struct {
	db *DB

	// recording is set while the index is built or live: only then do
	// writes become events.
	recording atomic.Bool
	qmu       sync.Mutex
	queue     []groupEvent
	kick      chan struct{}

	mu     sync.RWMutex // guards dict and chunks
	dict   gdict
	chunks map[int64]*gchunk

	ready     atomic.Bool
	broken    atomic.Bool // an event could not be applied: rebuild
	stateMu   sync.Mutex
	building  chan struct{} // closed when the current build ends
	err       error         // of the last build, if it failed
	closed    bool
	drainerOn bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// drainAt is the queue length from which the index applies events without
// waiting for a query, to bound the queue's memory.
const drainAt = 8192

func newGroupIndex(db *DB) *groupIndex {
	ctx, cancel := context.WithCancel(context.Background())
	return &groupIndex{
		db:     db,
		kick:   make(chan struct{}, 1),
		dict:   gdict{ids: map[string]uint32{}, strs: []string{""}, refs: []int32{0}},
		chunks: map[int64]*gchunk{},
		ctx:    ctx,
		cancel: cancel,
	}
}

// close stops the build and the drainer and waits for them.
func (ix *groupIndex) close() {
	ix.stateMu.Lock()
	ix.closed = true
	ix.stateMu.Unlock()
	ix.cancel()
	ix.wg.Wait()
}

// ensure builds the index unless it is ready, waiting for a build under
// way. A build that fails is retried by the next call, and so is one whose
// events could not be applied (broken).
func (ix *groupIndex) ensure(ctx context.Context) error {
	if ix.ready.Load() && !ix.broken.Load() {
		return nil
	}
	ix.stateMu.Lock()
	if ix.closed {
		ix.stateMu.Unlock()
		return errClosed
	}
	if ix.building == nil {
		ix.ready.Store(false)
		done := make(chan struct{})
		ix.building = done
		ix.wg.Add(1)
		go ix.build(done)
	}
	done := ix.building
	ix.stateMu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if ix.ready.Load() && !ix.broken.Load() {
		return nil
	}
	ix.stateMu.Lock()
	defer ix.stateMu.Unlock()
	if ix.err == nil {
		return errors.New("sqlite: the group index is being rebuilt")
	}
	return ix.err
}

// build loads the index from a snapshot and makes it live. Writes start
// becoming events before the snapshot is read: recording is set, then a
// writer request that does nothing waits until every transaction begun
// before is committed, and only then does the snapshot begin. So a write
// is either in the snapshot (committed before it began) or an event (made
// after recording was set) or both, and events apply only to findings the
// snapshot holds in an older version. Events queue up while the snapshot
// is read and are applied once it is.
func (ix *groupIndex) build(done chan struct{}) {
	defer ix.wg.Done()
	defer close(done)
	ix.mu.Lock()
	ix.dict = gdict{ids: map[string]uint32{}, strs: []string{""}, refs: []int32{0}}
	ix.chunks = map[int64]*gchunk{}
	ix.mu.Unlock()
	ix.broken.Store(false)
	ix.recording.Store(true)
	err := ix.db.w.do(ix.ctx, 0, func(context.Context, *sql.Conn) error { return nil })
	if err == nil {
		err = ix.load(ix.ctx)
	}
	if err == nil {
		err = ix.drain(true)
	}
	ix.stateMu.Lock()
	defer ix.stateMu.Unlock()
	ix.building = nil
	if err != nil {
		ix.qmu.Lock()
		ix.recording.Store(false)
		ix.queue = nil
		ix.qmu.Unlock()
		ix.mu.Lock()
		ix.dict = gdict{ids: map[string]uint32{}, strs: []string{""}, refs: []int32{0}}
		ix.chunks = map[int64]*gchunk{}
		ix.mu.Unlock()
		ix.err = fmt.Errorf("sqlite: building the group index: %w", err)
		return
	}
	ix.err = nil
	ix.ready.Store(true)
	if !ix.drainerOn && !ix.closed {
		ix.drainerOn = true
		ix.wg.Add(1)
		go ix.drainer()
	}
}

// loadChunk is how many rids one pair of statements of load reads.
const loadChunk = 8192

// load reads every finding's columns in one read transaction, a range of
// rids at a time, and fills the index. A finding without a groupvals value
// has its values read from its document.
func (ix *groupIndex) load(ctx context.Context) error {
	tx, err := ix.db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var maxRID sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(rid) FROM findings`).Scan(&maxRID); err != nil {
		return err
	}
	type row struct {
		rid, sid, version   int64
		account, productARN string
		h                   hot
		vals                []byte
	}
	for lo := int64(0); lo <= maxRID.Int64; lo += loadChunk {
		hi := lo + loadChunk - 1
		rows, err := tx.QueryContext(ctx, `SELECT rid, sid, version, account, product_arn, updated_at, severity_label, workflow_status, record_state, groupvals
			FROM findings WHERE rid BETWEEN ? AND ? ORDER BY rid`, lo, hi)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var (
				r             row
				updated       sql.NullInt64
				sev, wf, rest sql.NullString
			)
			if err := rows.Scan(&r.rid, &r.sid, &r.version, &r.account, &r.productARN, &updated, &sev, &wf, &rest, &r.vals); err != nil {
				rows.Close()
				return err
			}
			r.h = hot{updatedAt: nullInt(updated), severity: nullString(sev), workflow: nullString(wf), recordState: nullString(rest)}
			batch = append(batch, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for i := range batch {
			r := &batch[i]
			if r.vals != nil {
				continue
			}
			var doc []byte
			if err := tx.QueryRowContext(ctx, `SELECT doc FROM docs WHERE rid = ?`, r.rid).Scan(&doc); err != nil {
				return err
			}
			h, _, err := columnValues(doc)
			if err != nil {
				return err
			}
			r.vals = h.groups
		}
		ix.mu.Lock()
		for i := range batch {
			r := &batch[i]
			r.h.groups = r.vals
			if s := ix.slot(r.rid); s != nil && s.version >= r.version {
				continue
			}
			if err := ix.put(r.rid, r.version, r.sid, r.account, r.productARN, &r.h); err != nil {
				ix.mu.Unlock()
				return err
			}
		}
		ix.mu.Unlock()
	}
	return tx.Commit()
}

func nullInt(v sql.NullInt64) any {
	if v.Valid {
		return v.Int64
	}
	return nil
}

func nullString(v sql.NullString) any {
	if v.Valid {
		return v.String
	}
	return nil
}

// slot returns the slot of rid, or nil when its chunk does not exist.
func (ix *groupIndex) slot(rid int64) *gslot {
	c := ix.chunks[rid>>chunkBits]
	if c == nil {
		return nil
	}
	return &c.slots[rid&(chunkSize-1)]
}

// clear removes the finding of rid. ix.mu must be held.
func (ix *groupIndex) clear(rid int64) {
	c := ix.chunks[rid>>chunkBits]
	if c == nil {
		return
	}
	s := &c.slots[rid&(chunkSize-1)]
	if s.version == 0 {
		return
	}
	ix.releaseSlot(s)
	*s = gslot{}
	if c.used--; c.used == 0 {
		delete(ix.chunks, rid>>chunkBits)
	}
}

func (ix *groupIndex) releaseSlot(s *gslot) {
	for _, id := range s.single {
		ix.dict.release(id)
	}
	for i := range nMulti {
		for _, id := range s.values(i) {
			ix.dict.release(id)
		}
	}
}

// put stores a finding under rid, replacing what the slot held. ix.mu
// must be held.
func (ix *groupIndex) put(rid, version, sid int64, account, productARN string, h *hot) error {
	gv, err := decodeGroupVals(h.groups)
	if err != nil {
		return err
	}
	ns := gslot{version: version, sid: sid}
	str := func(v any) uint32 {
		if s, ok := v.(string); ok {
			return ix.dict.intern(s)
		}
		return 0
	}
	ns.single[0] = ix.dict.intern(productARN)
	ns.single[1] = ix.dict.intern(account)
	ns.single[2] = str(h.severity)
	ns.single[3] = str(h.workflow)
	ns.single[4] = str(h.recordState)
	for i, s := range gv.single {
		if gv.has[i] {
			ns.single[firstStored+i] = ix.dict.intern(s)
		}
	}
	ns.dates[0] = noDate
	if u, ok := h.updatedAt.(int64); ok {
		ns.dates[0] = u
	}
	ns.dates[1] = gv.created
	n := nMulti
	for _, l := range gv.multi {
		n += len(l)
	}
	ns.multi = make([]uint32, 0, n)
	for _, l := range gv.multi {
		ns.multi = append(ns.multi, uint32(len(l)))
		for _, s := range l {
			ns.multi = append(ns.multi, ix.dict.intern(s))
		}
	}
	c := ix.chunks[rid>>chunkBits]
	if c == nil {
		c = &gchunk{}
		ix.chunks[rid>>chunkBits] = c
	}
	s := &c.slots[rid&(chunkSize-1)]
	if s.version != 0 {
		ix.releaseSlot(s)
	} else {
		c.used++
	}
	*s = ns
	return nil
}

// apply applies one event unless the index already holds the finding in
// that version or a later one. ix.mu must be held.
func (ix *groupIndex) apply(e *groupEvent) error {
	s := ix.slot(e.rid)
	if e.deleted {
		if s != nil && s.version != 0 && s.version <= e.version {
			ix.clear(e.rid)
		}
		return nil
	}
	if s != nil && s.version >= e.version {
		return nil
	}
	return ix.put(e.rid, e.version, e.sid, e.account, e.productARN, &e.hot)
}

// publish hands the events of a committed transaction to the index.
func (ix *groupIndex) publish(evs []groupEvent) {
	ix.qmu.Lock()
	if !ix.recording.Load() {
		ix.qmu.Unlock()
		return
	}
	ix.queue = append(ix.queue, evs...)
	n := len(ix.queue)
	ix.qmu.Unlock()
	if n >= drainAt && ix.ready.Load() {
		select {
		case ix.kick <- struct{}{}:
		default:
		}
	}
}

// drain applies the queued events, once the index is ready (force: while
// build makes it so). An event that cannot be applied — a groupvals value
// this binary cannot read — leaves the index broken, to be rebuilt by the
// next query, rather than wrong.
func (ix *groupIndex) drain(force bool) error {
	if !force && (!ix.ready.Load() || ix.broken.Load()) {
		return nil
	}
	ix.qmu.Lock()
	q := ix.queue
	ix.queue = nil
	ix.qmu.Unlock()
	if len(q) == 0 {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range q {
		if err := ix.apply(&q[i]); err != nil {
			ix.broken.Store(true)
			return fmt.Errorf("sqlite: group index: finding %d: %w", q[i].rid, err)
		}
	}
	return nil
}

// drainer applies events when the queue grows long between queries.
func (ix *groupIndex) drainer() {
	defer ix.wg.Done()
	for {
		select {
		case <-ix.ctx.Done():
			return
		case <-ix.kick:
			ix.drain(false)
		}
	}
}

// memCond is a filter condition the index evaluates.
type memCond struct {
	spec   gspec
	c      *filter.Condition
	hasPos bool
	// memo caches TestString per dictionary id: 0 not yet known, else
	// 1 | pos<<1 | neg<<2.
	memo []uint8
}

func (mc *memCond) bits(d *gdict, id uint32) uint8 {
	m := mc.memo[id]
	if m == 0 {
		pos, neg := mc.c.TestString(d.strs[id])
		m = 1
		if pos {
			m |= 2
		}
		if neg {
			m |= 4
		}
		mc.memo[id] = m
	}
	return m
}

// match follows filter.Match for one condition.
func (mc *memCond) match(d *gdict, s *gslot) bool {
	switch mc.spec.kind {
	case gDate:
		ms := s.dates[mc.spec.idx]
		if ms == noDate {
			return false
		}
		for i := range mc.c.Dates {
			if mc.c.Dates[i].Match(ms) {
				return true
			}
		}
		return false
	case gSingle:
		id := s.single[mc.spec.idx]
		if id == 0 {
			return !mc.hasPos
		}
		b := mc.bits(d, id)
		return b&4 == 0 && (!mc.hasPos || b&2 != 0)
	}
	pos := false
	for _, id := range s.values(mc.spec.idx) {
		b := mc.bits(d, id)
		if b&4 != 0 {
			return false
		}
		pos = pos || b&2 != 0
	}
	return !mc.hasPos || pos
}

// memConds splits conditions into those the index evaluates and the rest.
func memConds(f *filter.Filters) (mem []*memCond, rest []filter.Condition) {
	if f == nil {
		return nil, nil
	}
	for i := range f.Conds {
		c := &f.Conds[i]
		spec, ok := groupFields[c.Field.Path]
		if ok && (c.Field.Type == filter.String && spec.kind != gDate || c.Field.Type == filter.Date && spec.kind == gDate) {
			mem = append(mem, &memCond{spec: spec, c: c, hasPos: c.HasPositive()})
			continue
		}
		rest = append(rest, *c)
	}
	return mem, rest
}

// group counts the findings of the scopes sids that pass conds by the
// values of the attribute at by; with rids (sorted), only those findings
// are candidates.
func (ix *groupIndex) group(sids []int64, conds []*memCond, rids []int64, onlyRIDs bool, by gspec, limit int) ([]muster.GroupCount, error) {
	if err := ix.drain(false); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if !ix.ready.Load() || ix.broken.Load() {
		return nil, errors.New("sqlite: the group index is being rebuilt; try again")
	}
	n := len(ix.dict.strs)
	for _, mc := range conds {
		mc.memo = make([]uint8, n)
	}
	counts := make([]int64, n)
	one := int64(-1)
	if len(sids) == 1 {
		one = sids[0]
	}
	visit := func(s *gslot) {
		if s.version == 0 {
			return
		}
		if one >= 0 {
			if s.sid != one {
				return
			}
		} else if !slices.Contains(sids, s.sid) {
			return
		}
		for _, mc := range conds {
			if !mc.match(&ix.dict, s) {
				return
			}
		}
		if by.kind == gSingle {
			if id := s.single[by.idx]; id != 0 {
				counts[id]++
			}
			return
		}
		for _, id := range s.values(by.idx) {
			counts[id]++
		}
	}
	if onlyRIDs {
		for _, rid := range rids {
			if s := ix.slot(rid); s != nil {
				visit(s)
			}
		}
	} else {
		for _, c := range ix.chunks {
			for i := range c.slots {
				visit(&c.slots[i])
			}
		}
	}
	return ix.top(counts, limit), nil
}

// top returns the results of counts (by dictionary id). Only values
// counted at least as often as the limit-th most counted can be among
// them, so those alone are sorted: a ResourceId insight counts tens of
// thousands of resources to return a hundred.
func (ix *groupIndex) top(counts []int64, limit int) []muster.GroupCount {
	var ids []uint32
	for id, c := range counts {
		if c > 0 && filter.GroupValue(ix.dict.strs[id]) {
			ids = append(ids, uint32(id))
		}
	}
	if limit > 0 && len(ids) > limit {
		ns := make([]int64, len(ids))
		for i, id := range ids {
			ns[i] = counts[id]
		}
		slices.Sort(ns)
		least := ns[len(ns)-limit]
		kept := ids[:0]
		for _, id := range ids {
			if counts[id] >= least {
				kept = append(kept, id)
			}
		}
		ids = kept
	}
	out := make([]muster.GroupCount, len(ids))
	for i, id := range ids {
		out[i] = muster.GroupCount{Value: ix.dict.strs[id], Count: counts[id]}
	}
	return filter.SortGroups(out, limit)
}

// noteGroupWrite records for the group index a finding the writer wrote
// under rid.
func (w *writer) noteGroupWrite(rid, sid int64, k muster.FindingKey, h hot) {
	if w.db.groups.recording.Load() {
		w.grpEvents = append(w.grpEvents, groupEvent{rid: rid, version: w.ver, sid: sid, account: k.Account, productARN: k.ProductARN, hot: h})
	}
}

// noteGroupDeletes records findings the writer deleted.
func (w *writer) noteGroupDeletes(rids []any) {
	if !w.db.groups.recording.Load() {
		return
	}
	for _, r := range rids {
		w.grpEvents = append(w.grpEvents, groupEvent{rid: r.(int64), version: w.ver, deleted: true})
	}
}

// publishGroups hands the events of the transaction just committed to the
// group index.
func (w *writer) publishGroups() {
	if len(w.grpEvents) > 0 {
		w.db.groups.publish(w.grpEvents)
		w.grpEvents = nil
	}
}

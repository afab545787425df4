package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muster-hub/muster"
)

// errClosed is what writes get once Close has begun.
var errClosed = errors.New("sqlite: database is closed")

// writer owns the one connection that writes. SQLite admits one writer at a
// time, and a commit costs about as much for 2,000 findings as for 100, so
// instead of letting callers queue on the lock it takes every request that
// is waiting and commits them together (group commit). A request that fails
// is left out of the group's transaction without affecting the others (see
// commit). Urgent requests (UpdateFindings) go first, in groups of their
// own, and cut short a group of others that is running (see take).
type writer struct {
	db   *DB
	conn *sql.Conn
	st   *stmts

	mu     sync.RWMutex // held for reading by senders, for writing by close
	closed bool
	reqs   chan *writeReq
	done   chan struct{}

	// queue holds the requests taken from reqs and not yet run, in the
	// order they came; drained is set once reqs is closed and empty.
	queue      []*writeReq
	drained    bool
	lastUrgent bool // the last group was of urgent requests
	// idle is set while the writer waits for a request (see plan).
	idle atomic.Bool
	// found is a moving average of the share of an import's keys that
	// are stored, in 1/1024 (see planAhead); it starts at all.
	found atomic.Int64
	// log holds the versions written in recent transactions, which
	// spare execute reading them back (see versionLog).
	log *versionLog

	sinceAnalyze int

	// seq is the last history seq handed out and ver the last finding
	// version; savedSeq and savedVer are the high-water marks committed
	// in the sequences table, never below a committed row's. Neither
	// number is ever handed out twice.
	seq, savedSeq int64
	ver, savedVer int64

	// grpEvents are the group index's events of the transaction under
	// way, handed over after COMMIT (see groups.go).
	grpEvents []groupEvent
	// outEvents are the outbox events of the transaction under way, for
	// db.recent once it commits.
	outEvents []*muster.Event
	// commitTook is how long the last COMMIT took, for WriteStats.
	commitTook time.Duration

	// The WAL as the checkpointer last measured it: its length in
	// frames and its identity (see walIdentity and walDue).
	walMu     sync.Mutex
	walFrames int64
	walID     [12]byte
	// walSynced is how many frames of that WAL the checkpointer had
	// copied into the database file when it last synced the file.
	walSynced int64
	stopCkpt  chan struct{}
	ckptDone  chan struct{}
}

// walLimit is the WAL size, in frames, beyond which the writer checkpoints
// itself (see run and CheckpointStats).
const walLimit = 32768 // 128 MiB of 4 KiB pages

// syncsAhead is how many times the checkpointer syncs the database file
// while the WAL grows to its limit (see pass).
const syncsAhead = 4

type writeReq struct {
	ctx context.Context
	n   int // findings, for sizing groups
	fn  func(ctx context.Context, c *sql.Conn) error
	// scopes the request needs, created before the group's transaction
	scopes []scopeKey
	urgent bool // see doPlanned
	// planned is set for the requests of doPlanned, whose writes to
	// findings all go through write and so into w.log; any other
	// request makes the log start over.
	planned bool
	err     chan error
	// For WriteStats: when it was sent, and when its statements started
	// and ended.
	sent, began, ended time.Time
}

func newWriter(db *DB, conn *sql.Conn) (*writer, error) {
	st, err := prepare(context.Background(), conn)
	if err != nil {
		return nil, err
	}
	w := &writer{
		db:   db,
		conn: conn,
		st:   st,
		reqs: make(chan *writeReq, 256),
		done: make(chan struct{}),
		log:  newVersionLog(),
	}
	w.found.Store(1024)
	// The counters start from their saved high-water marks rather than
	// from MAX(seq) and MAX(version): a seq or version of rows deleted
	// since is not handed out again, so a listing continued from a
	// history record, or a plan made from a finding's version, never
	// refers to a deleted row's successor.
	for _, c := range []struct {
		name string
		dst  *int64
	}{{"history", &w.seq}, {"version", &w.ver}} {
		if err := conn.QueryRowContext(context.Background(), `SELECT value FROM sequences WHERE name = ?`, c.name).Scan(c.dst); err != nil {
			st.close()
			return nil, fmt.Errorf("sqlite: %s sequence: %w", c.name, err)
		}
	}
	w.savedSeq, w.savedVer = w.seq, w.ver
	// Plans depend on statistics; refresh them if they are missing or
	// stale from a previous run.
	if _, err := conn.ExecContext(context.Background(), `PRAGMA optimize = 0x10002`); err != nil {
		st.close()
		return nil, err
	}
	w.stopCkpt = make(chan struct{})
	w.ckptDone = make(chan struct{})
	go w.run()
	go w.checkpointer()
	return w, nil
}

// do runs fn in the writer's transaction and returns once it is committed
// (nil) or rolled back (fn's error, or the commit's). If ctx ends first, do
// returns ctx.Err() and the write may still commit; if ctx has ended by the
// time the writer picks the request up, it is not run.
func (w *writer) do(ctx context.Context, n int, fn func(context.Context, *sql.Conn) error, scopes ...scopeKey) error {
	return w.send(&writeReq{ctx: ctx, n: n, fn: fn, scopes: scopes, err: make(chan error, 1)})
}

// doPlanned executes r (see execute) in the writer's next group, filling
// results. An urgent request goes before the others waiting: a
// customer's triage (UpdateFindings), which waits on the writer while
// imports keep it busy. It also cuts short the group the writer is
// running when it arrives (see commit).
func (w *writer) doPlanned(ctx context.Context, r *request, results []muster.UpsertResult, urgent bool, scopes ...scopeKey) error {
	return w.send(&writeReq{ctx: ctx, n: len(r.items), scopes: scopes, urgent: urgent, planned: true, err: make(chan error, 1),
		fn: func(ctx context.Context, _ *sql.Conn) error { return w.execute(ctx, r, results) }})
}

func (w *writer) send(r *writeReq) error {
	ctx := r.ctx
	r.sent = w.now()
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errClosed
	}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pull moves the requests waiting on w.reqs to w.queue without blocking.
func (w *writer) pull() {
	for !w.drained {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				w.drained = true
				return
			}
			w.queue = append(w.queue, r)
		default:
			return
		}
	}
}

// urgentWaiting reports whether an urgent request waits.
func (w *writer) urgentWaiting() bool {
	w.pull()
	return slices.ContainsFunc(w.queue, func(r *writeReq) bool { return r.urgent })
}

// take removes the next group from w.queue: the urgent requests alone
// when there are any, so that their transaction is short, or else the
// others in the order they came, up to maxBatch findings (and at least
// one request). After a group of urgent requests the others go first, so
// that a stream of urgent requests cannot starve them; the urgent ones
// that come meanwhile cut that group short after its first request.
func (w *writer) take() []*writeReq {
	urgent := slices.ContainsFunc(w.queue, func(r *writeReq) bool { return r.urgent })
	if urgent && w.lastUrgent && slices.ContainsFunc(w.queue, func(r *writeReq) bool { return !r.urgent }) {
		urgent = false
	}
	w.lastUrgent = urgent
	var group, rest []*writeReq
	n := 0
	for _, r := range w.queue {
		if r.urgent == urgent && (len(group) == 0 || n+r.n <= w.db.cfg.maxBatch) {
			group = append(group, r)
			n += r.n
		} else {
			rest = append(rest, r)
		}
	}
	w.queue = rest
	return group
}

func (w *writer) run() {
	defer close(w.done)
	for {
		if len(w.queue) == 0 {
			w.idle.Store(true)
			r, ok := <-w.reqs
			w.idle.Store(false)
			if !ok {
				return
			}
			w.queue = append(w.queue, r)
		}
		w.pull()
		group := w.take()
		left := w.commit(group)
		// What a cut-short group did not run goes first among the
		// requests that are not urgent.
		w.queue = slices.Concat(left, w.queue)
		n := 0
		for _, r := range group[:len(group)-len(left)] {
			n += r.n
		}
		if w.walDue() {
			// Under sustained load a commit nearly always comes between
			// the background checkpoint that copies the WAL to its end
			// and the next transaction, so SQLite cannot restart it and
			// it grows (see CheckpointStats). A checkpoint here, between
			// groups, copies the little the checkpointer has not and
			// lets the next transaction start the WAL over. It waits for
			// the sync of what the checkpointer's passes left unsynced
			// (see checkpoint).
			w.restartWAL()
		}
		w.sinceAnalyze += n
		if w.sinceAnalyze >= w.db.cfg.analyzeEvery {
			w.sinceAnalyze = 0
			// Keeps the planner's row estimates in step with the data,
			// which decides between walking the sort index and looking
			// up selective filters. analysis_limit bounds its cost.
			w.conn.ExecContext(context.Background(), `PRAGMA analysis_limit = 2000; PRAGMA optimize = 0x10002`)
		}
	}
}

// walDue reports whether the WAL the checkpointer last measured is longer
// than the limit and is still the WAL. A WAL that a checkpoint copied to
// its end starts over with the next commit, without the writer's
// checkpoint; a length measured before that is stale, and checkpointing
// the new WAL would wait for the sync of every page copied since for
// nothing. A measurement over the limit is used once either way: the next
// checkpoint waits for a new one.
func (w *writer) walDue() bool {
	w.walMu.Lock()
	frames, id := w.walFrames, w.walID
	if frames > w.db.cfg.walLimit {
		w.walFrames = 0
	}
	w.walMu.Unlock()
	return frames > w.db.cfg.walLimit && id == w.db.walIdentity()
}

// walIdentity returns the checkpoint sequence number and salts of the WAL
// file's header, which change each time the WAL starts over, or zeros if
// the file cannot be read. Only the header is read; SQLite holds no lock
// on the WAL file that closing a descriptor of it could drop.
func (db *DB) walIdentity() (id [12]byte) {
	f, err := os.Open(db.path + "-wal")
	if err != nil {
		return id
	}
	defer f.Close()
	f.ReadAt(id[:], 12)
	return id
}

// restartWAL runs the writer's own checkpoint (see run) and reports it to
// the checkpoint observer. A checkpoint that could not run, because the
// checkpointer's was under way, is not reported.
func (w *writer) restartWAL() {
	w.walMu.Lock()
	synced := w.walSynced
	w.walMu.Unlock()
	start := time.Now()
	var busy, log, done int64
	err := w.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	if obs := w.db.cfg.observeCkpt; obs != nil && err == nil && log >= 0 {
		obs(CheckpointStats{Took: time.Since(start), Frames: log, Synced: min(synced, log)})
	}
}

// cleanError is a request's failure that wrote nothing (a merge error, a
// read that failed, a single statement that SQLite rolled back), so the
// group's transaction can go on without the request.
type cleanError struct{ err error }

func (e cleanError) Error() string { return e.err.Error() }
func (e cleanError) Unwrap() error { return e.err }

func unwrapClean(err error) error {
	if c, ok := err.(cleanError); ok {
		return c.err
	}
	return err
}

// commit runs a group in one transaction. Requests do their reads and
// merges before they write, so a request that fails cleanly leaves nothing
// to undo and needs no SAVEPOINT; SAVEPOINTs would copy every page a
// request touches into a sub-journal, about a tenth of the writer's time.
// If a write fails midway, the group is rolled back and every request
// retried in a transaction of its own, so only the failing one fails.
//
// When an urgent request waits while a group of others runs, commit
// stops after the request it is running, commits, and returns the
// requests it has not run, so that the urgent one waits for one request
// rather than a whole group.
func (w *writer) commit(group []*writeReq) (left []*writeReq) {
	ctx := context.Background()
	errs := make([]error, len(group))
	for i, r := range group {
		errs[i] = r.ctx.Err()
	}
	// Scopes are created in their own transactions so that the sid cache
	// only ever holds committed rows.
	for i, r := range group {
		if errs[i] != nil {
			continue
		}
		for _, sk := range r.scopes {
			if _, err := w.ensureScope(ctx, sk); err != nil {
				errs[i] = err
				break
			}
		}
	}
	ran := len(group)
	err := w.inTx(ctx, func() error {
		for i, r := range group {
			if i > 0 && !r.urgent && w.urgentWaiting() {
				// An urgent request waits: it goes next.
				ran = i
				return nil
			}
			if errs[i] != nil {
				continue
			}
			if err := w.runReq(r); err != nil {
				if _, ok := err.(cleanError); !ok {
					return err
				}
				errs[i] = err
			}
		}
		return nil
	})
	group, left = group[:ran], group[ran:]
	if err != nil && len(group) > 1 {
		// Alone, each request either commits or fails by itself.
		for i, r := range group {
			if errs[i] == nil {
				errs[i] = w.inTx(ctx, func() error { return w.runReq(r) })
			}
		}
	} else if err != nil {
		errs[0] = err
	}
	for i, r := range group {
		if obs := w.db.cfg.observe; obs != nil && !r.began.IsZero() {
			obs(WriteStats{Urgent: r.urgent, Wait: r.began.Sub(r.sent), Run: r.ended.Sub(r.began), Commit: w.commitTook})
		}
		r.err <- unwrapClean(errs[i])
	}
	return left
}

// runReq runs r's statements in the transaction under way, timing them
// for WriteStats. A request's context was checked before its turn; once
// its statements start they run to the end. Interrupting one would fail
// the whole group's transaction, and the driver watches a cancellable
// context with a goroutine per statement. They run labelled as
// muster_store_write_seconds is, so that a CPU profile (serve --pprof)
// tells the writer's time for updates from that for the others: go tool
// pprof -tagfocus=kind=update.
func (w *writer) runReq(r *writeReq) (err error) {
	if !r.planned {
		w.log.forget() // its writes do not go through write
	}
	r.began = w.now()
	pprof.Do(context.Background(), pprof.Labels("kind", kindOf(r.urgent)), func(context.Context) {
		err = r.fn(context.WithoutCancel(r.ctx), w.conn)
	})
	r.ended = w.now()
	return err
}

// now is the time for WriteStats, and the zero time when nobody observes.
func (w *writer) now() time.Time {
	if w.db.cfg.observe == nil {
		return time.Time{}
	}
	return time.Now()
}

// inTx runs fn in a write transaction and commits unless fn fails with an
// error other than a cleanError; a cleanError is returned after COMMIT.
func (w *writer) inTx(ctx context.Context, fn func() error) error {
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	w.grpEvents, w.outEvents = nil, w.outEvents[:0]
	w.commitTook = 0 // a transaction that rolls back has no COMMIT
	err := fn()
	if _, clean := err.(cleanError); err == nil || clean {
		// Saved with the rows they number. A transaction rolled back
		// leaves a gap in the sequence, never a reuse.
		if serr := w.saveCounters(ctx); serr != nil {
			err = serr
		}
	}
	if _, clean := err.(cleanError); err != nil && !clean {
		if _, rerr := w.conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			return errors.Join(err, fmt.Errorf("sqlite: rollback: %w", rerr))
		}
		return err
	}
	start := w.now()
	_, cerr := w.conn.ExecContext(ctx, "COMMIT")
	if !start.IsZero() {
		w.commitTook = time.Since(start)
	}
	if cerr != nil {
		w.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("sqlite: commit: %w", cerr)
	}
	w.savedSeq, w.savedVer = w.seq, w.ver
	w.log.commits.Add(1)
	w.publishGroups()
	w.db.recent.add(w.outEvents)
	return err
}

// saveCounters saves the counters that changed in the transaction.
func (w *writer) saveCounters(ctx context.Context) error {
	if w.seq != w.savedSeq {
		if _, err := w.st.saveSeq.ExecContext(ctx, w.seq); err != nil {
			return err
		}
	}
	if w.ver != w.savedVer {
		if _, err := w.st.saveVer.ExecContext(ctx, w.ver); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) ensureScope(ctx context.Context, sk scopeKey) (int64, error) {
	db := w.db
	db.scopeMu.RLock()
	sid, ok := db.scopes[sk]
	db.scopeMu.RUnlock()
	if ok {
		return sid, nil
	}
	err := w.conn.QueryRowContext(ctx, `INSERT INTO scopes (region, account) VALUES (?, ?)
		ON CONFLICT DO UPDATE SET region = excluded.region RETURNING sid`, sk.region, sk.account).Scan(&sid)
	if err != nil {
		return 0, err
	}
	db.scopeMu.Lock()
	db.scopes[sk] = sid
	db.scopeMu.Unlock()
	return sid, nil
}

// lookupScope returns the id of a scope that exists, reading it inside the
// writer's transaction when the cache does not hold it. Scope rows are
// committed by ensureScope before any group, so what it reads may be
// cached.
func (w *writer) lookupScope(ctx context.Context, sk scopeKey) (int64, bool, error) {
	if sid, ok := w.sid(sk); ok {
		return sid, true, nil
	}
	var sid int64
	err := w.conn.QueryRowContext(ctx, `SELECT sid FROM scopes WHERE region = ? AND account = ?`, sk.region, sk.account).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	w.db.scopeMu.Lock()
	w.db.scopes[sk] = sid
	w.db.scopeMu.Unlock()
	return sid, true, nil
}

// sid returns the id of a scope that ensureScope has created.
func (w *writer) sid(sk scopeKey) (int64, bool) {
	w.db.scopeMu.RLock()
	defer w.db.scopeMu.RUnlock()
	sid, ok := w.db.scopes[sk]
	return sid, ok
}

// checkpointer copies committed pages from the WAL into the database file
// on its own connection, so that the copying and its fsyncs happen beside
// the writer instead of inside a commit (SQLite's automatic checkpoint
// took a quarter of the writer's time in BenchmarkUpsert).
func (w *writer) checkpointer() {
	defer close(w.ckptDone)
	t := time.NewTicker(w.db.cfg.ckptEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stopCkpt:
			return
		case <-t.C:
		}
		w.checkpoint()
	}
}

// checkpoint is one round of the checkpointer: a pass, and the passes
// that prepare the writer's own checkpoint once the WAL is over the
// limit. It then tells the writer the WAL's length (see walDue).
//
// The writer's checkpoint holds every write while it syncs the WAL
// frames written since the last pass, copies them and syncs the database
// file, which takes 50–400 ms on a slow disk even for a few megabytes.
// Passes back to back, each synced, leave it only what was written
// during the last of them, which is shorter each time while the disk
// keeps ahead of the writes.
func (w *writer) checkpoint() {
	id, log, ok := w.pass(false)
	for i := 0; ok && log > w.db.cfg.walLimit && i < catchUpPasses; i++ {
		prev := log
		if id, log, ok = w.pass(true); log-prev < w.db.cfg.walLimit/catchUpDone {
			break
		}
	}
	if ok {
		w.walMu.Lock()
		w.walFrames, w.walID = log, id
		w.walMu.Unlock()
	}
}

// ckptEvery is how often the checkpointer runs a pass. Each pass copies
// the newest version of every page written since the one before, so a
// page that many commits change, such as an index page every import
// touches, is copied once a pass: at AWS's quotas, passes every 500 ms
// rather than 200 left the server 3 s of CPU a minute more for requests
// and the update's p95 a third lower, the passes before the writer's
// checkpoint (see checkpoint) keeping that checkpoint short.
const ckptEvery = 500 * time.Millisecond

// catchUpPasses bounds the passes that prepare the writer's checkpoint,
// in case the writes outpace the disk; they stop sooner once a pass
// finds fewer than walLimit/catchUpDone frames added during the one
// before.
const (
	catchUpPasses = 4
	catchUpDone   = 64
)

// pass runs one PASSIVE checkpoint on the checkpointer's connection and
// returns the identity and length of the WAL it checkpointed.
//
// The pages a pass copies stay in the page cache until the database file
// is synced, which SQLite does only in a pass that reaches the end of the
// WAL with no commit meanwhile; under sustained writes, that is the
// writer's own checkpoint, which would sync them all while every write
// waits. So pass syncs the file itself, while the writer goes on, each
// time the passes of this WAL have copied another walLimit/syncsAhead
// frames, or whenever sync is set and it copied any. Syncing after every
// pass would write a page that many passes copy, such as an index page
// every import touches, as many times.
func (w *writer) pass(sync bool) (id [12]byte, log int64, ok bool) {
	defer func() {
		if h := w.db.cfg.afterPass; h != nil {
			h()
		}
	}()
	id = w.db.walIdentity()
	var busy, done int64
	if err := w.db.cdb.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		return id, 0, false
	}
	w.walMu.Lock()
	if id != w.walID {
		w.walID, w.walFrames, w.walSynced = id, 0, 0
	}
	synced := w.walSynced
	w.walMu.Unlock()
	// log is -1 when the writer's checkpoint held the lock. A pass that
	// copied the WAL to the end it saw has not always been synced by
	// SQLite: it syncs only if no commit came meanwhile.
	if log < 0 || done <= synced || !sync && done-synced < w.db.cfg.walLimit/syncsAhead {
		return id, log, true
	}
	if w.db.file.Sync() != nil {
		return id, log, true
	}
	w.walMu.Lock()
	if w.walID == id {
		w.walSynced = done
	}
	w.walMu.Unlock()
	return id, log, true
}

func (w *writer) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.reqs)
	w.mu.Unlock()
	<-w.done
	close(w.stopCkpt)
	<-w.ckptDone
	ctx := context.Background()
	_, err1 := w.conn.ExecContext(ctx, `PRAGMA analysis_limit = 2000; PRAGMA optimize`)
	_, err2 := w.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	w.st.close()
	return errors.Join(err1, err2, w.conn.Close())
}

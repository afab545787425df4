package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// errClosed is what writes get once Close has begun.
var errClosed = errors.New("sqlite: database is closed")

// writer owns the one connection that writes. SQLite admits one writer at a
// time, and a commit costs about as much for 2,000 findings as for 100, so
// instead of letting callers queue on the lock it takes every request that
// is waiting and commits them together (group commit). A request that fails
// is left out of the group's transaction without affecting the others (see
// commit).
type writer struct {
	db   *DB
	conn *sql.Conn
	st   *stmts

	mu     sync.RWMutex // held for reading by senders, for writing by close
	closed bool
	reqs   chan *writeReq
	done   chan struct{}

	sinceAnalyze int

	// seq is the last history seq handed out; savedSeq is the
	// high-water mark committed in the sequences table, never below the
	// seq of a committed history row.
	seq, savedSeq int64

	walFrames atomic.Int64 // WAL size the checkpointer last saw
	stopCkpt  chan struct{}
	ckptDone  chan struct{}
}

// walLimit is the WAL size, in frames, beyond which the writer checkpoints
// itself (see checkpointer).
const walLimit = 32768 // 256 MiB of 8 KiB pages

type writeReq struct {
	ctx context.Context
	n   int // findings, for sizing groups
	fn  func(ctx context.Context, c *sql.Conn) error
	// scopes the request needs, created before the group's transaction
	scopes []scopeKey
	err    chan error
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
	}
	// The counter starts from the saved high-water mark rather than
	// MAX(seq), which history's (rid, seq) key cannot answer without
	// reading the whole table.
	if err := conn.QueryRowContext(context.Background(), `SELECT value FROM sequences WHERE name = 'history'`).Scan(&w.seq); err != nil {
		st.close()
		return nil, fmt.Errorf("sqlite: history sequence: %w", err)
	}
	w.savedSeq = w.seq
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
	r := &writeReq{ctx: ctx, n: n, fn: fn, scopes: scopes, err: make(chan error, 1)}
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

func (w *writer) run() {
	defer close(w.done)
	for r := range w.reqs {
		group := []*writeReq{r}
		n := r.n
	fill:
		for n < w.db.cfg.maxBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break fill
				}
				group = append(group, r)
				n += r.n
			default:
				break fill
			}
		}
		w.commit(group)
		if w.walFrames.Load() > walLimit {
			// Under sustained load the background checkpoints never
			// catch up with the end of the WAL, so SQLite cannot restart
			// it and it grows. A checkpoint here, between groups, copies
			// the little the checkpointer has not and lets the next
			// transaction start the WAL over.
			w.walFrames.Store(0)
			w.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
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
func (w *writer) commit(group []*writeReq) {
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
	err := w.inTx(ctx, func() error {
		for i, r := range group {
			if errs[i] != nil {
				continue
			}
			if err := r.fn(r.ctx, w.conn); err != nil {
				if _, ok := err.(cleanError); !ok {
					return err
				}
				errs[i] = err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		// Alone, each request either commits or fails by itself.
		for i, r := range group {
			if errs[i] == nil {
				errs[i] = w.inTx(ctx, func() error { return r.fn(r.ctx, w.conn) })
			}
		}
	} else if err != nil {
		errs[0] = err
	}
	for i, r := range group {
		r.err <- unwrapClean(errs[i])
	}
}

// inTx runs fn in a write transaction and commits unless fn fails with an
// error other than a cleanError; a cleanError is returned after COMMIT.
func (w *writer) inTx(ctx context.Context, fn func() error) error {
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err := fn()
	if _, clean := err.(cleanError); err == nil || clean {
		if w.seq != w.savedSeq {
			// Saved with the history rows it numbers. A transaction
			// rolled back leaves a gap in the sequence, never a reuse.
			if _, serr := w.st.saveSeq.ExecContext(ctx, w.seq); serr != nil {
				err = serr
			}
		}
	}
	if _, clean := err.(cleanError); err != nil && !clean {
		if _, rerr := w.conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			return errors.Join(err, fmt.Errorf("sqlite: rollback: %w", rerr))
		}
		return err
	}
	if _, cerr := w.conn.ExecContext(ctx, "COMMIT"); cerr != nil {
		w.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("sqlite: commit: %w", cerr)
	}
	w.savedSeq = w.seq
	return err
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
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.stopCkpt:
			return
		case <-t.C:
		}
		var busy, log, done int64
		err := w.db.cdb.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
		if err == nil {
			w.walFrames.Store(log)
		}
	}
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

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/muster-hub/muster"
)

// AppendEvents writes events that no finding write carries.
func (db *DB) AppendEvents(ctx context.Context, events []*muster.Event) error {
	return db.w.do(ctx, len(events), func(ctx context.Context, c *sql.Conn) error {
		for _, e := range events {
			if err := db.w.addEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// recentEvents keeps the newest committed outbox events in memory, so that
// delivery, which reads events moments after they are written, does not
// read them back from the database. It holds a run of consecutive
// sequence numbers: the writer adds each transaction's events after it
// commits, in order, and SQLite numbers committed events consecutively
// (AUTOINCREMENT only skips numbers of rolled-back rows, which are
// reused).
type recentEvents struct {
	mu   sync.Mutex
	ring [recentCap]*muster.Event
	n    int   // events held, at most recentCap
	last int64 // Seq of the newest; valid when n > 0
}

// recentCap bounds the memory held: about 14 MB of 3.5 KB events.
const recentCap = 4096

func (r *recentEvents) add(events []*muster.Event) {
	if len(events) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		if r.n > 0 && e.Seq != r.last+1 {
			r.n = 0 // not consecutive: start a new run
		}
		r.ring[e.Seq%recentCap] = e
		r.last = e.Seq
		r.n = min(r.n+1, recentCap)
	}
}

// get returns the events with Seq > after, up to limit, when it holds
// them all; ok is false when the first of them is older than what it
// holds. Past the newest it holds there are no committed events yet.
func (r *recentEvents) get(after int64, limit int) (events []*muster.Event, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 || after < r.last-int64(r.n) {
		return nil, false
	}
	for seq := after + 1; seq <= r.last && len(events) < limit; seq++ {
		events = append(events, r.ring[seq%recentCap])
	}
	return events, true
}

// Events reads the outbox after a sequence number, from memory when the
// events are recent. It does not decode the events: delivery needs their
// bytes, key, id and time, which have columns.
func (db *DB) Events(ctx context.Context, after int64, limit int) ([]*muster.Event, error) {
	if events, ok := db.recent.get(after, limit); ok {
		return events, nil
	}
	return queryAll(ctx, db, func(r rowScanner) (*muster.Event, error) {
		e := new(muster.Event)
		var at int64
		err := r.Scan(&e.Seq, &e.Key, &e.ID, &at, &e.JSON)
		e.Time = time.Unix(0, at).UTC()
		return e, err
	}, `SELECT seq, key, id, at, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// TrimEvents deletes delivered events, a bounded number at a time so that
// imports waiting for the writer wait little.
func (db *DB) TrimEvents(ctx context.Context, through int64) error {
	for {
		var n int64
		err := db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
			res, err := c.ExecContext(ctx, `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? ORDER BY seq LIMIT 2000)`, through)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return nil
		}))
		if err != nil || n < 2000 {
			return err
		}
	}
}

// Cursor reads a target's progress.
func (db *DB) Cursor(ctx context.Context, target string) (int64, error) {
	var seq int64
	err := db.rdb.QueryRowContext(ctx, `SELECT seq FROM event_cursors WHERE target = ?`, target).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	return seq, err
}

// SetCursor records a target's progress.
func (db *DB) SetCursor(ctx context.Context, target string, seq int64) error {
	return db.exec(ctx, nil, `INSERT INTO event_cursors (target, seq) VALUES (?, ?)
		ON CONFLICT (target) DO UPDATE SET seq = excluded.seq`, target, seq)
}

// AddDeadLetter keeps an undeliverable event.
func (db *DB) AddDeadLetter(ctx context.Context, d *muster.DeadLetter) error {
	body, err := json.Marshal(d.Event)
	if err != nil {
		return err
	}
	return db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `INSERT INTO dead_letters (target, key, body, reason, attempts, at) VALUES (?, ?, ?, ?, ?, ?)`,
			d.Target, d.Event.Key, body, d.Reason, d.Attempts, d.At.UnixNano())
		if err != nil {
			return err
		}
		d.ID, err = res.LastInsertId()
		return err
	}))
}

// DeadLetters lists dead letters, oldest first.
func (db *DB) DeadLetters(ctx context.Context, target string) ([]*muster.DeadLetter, error) {
	return queryAll(ctx, db, scanDeadLetter, `SELECT id, target, key, body, reason, attempts, at FROM dead_letters
		WHERE ? = '' OR target = ? ORDER BY id`, target, target)
}

func scanDeadLetter(r rowScanner) (*muster.DeadLetter, error) {
	var (
		d    muster.DeadLetter
		key  string
		body []byte
		at   int64
	)
	if err := r.Scan(&d.ID, &d.Target, &key, &body, &d.Reason, &d.Attempts, &at); err != nil {
		return nil, err
	}
	d.Event = new(muster.Event)
	if err := json.Unmarshal(body, d.Event); err != nil {
		return nil, err
	}
	d.Event.Key, d.At = key, time.Unix(0, at).UTC()
	return &d, nil
}

// DeleteDeadLetter removes a dead letter and returns it.
func (db *DB) DeleteDeadLetter(ctx context.Context, id int64) (*muster.DeadLetter, error) {
	var d *muster.DeadLetter
	err := db.w.do(ctx, 1, single(func(ctx context.Context, c *sql.Conn) error {
		var err error
		d, err = scanDeadLetter(c.QueryRowContext(ctx, `DELETE FROM dead_letters WHERE id = ? RETURNING id, target, key, body, reason, attempts, at`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return muster.Errorf(muster.ResourceNotFound, "Dead letter %d does not exist", id)
		}
		return err
	}))
	return d, err
}

// LastEventSeq reads the highest sequence number given, which outlives
// the events themselves.
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.rdb.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// addEvent appends one event in the writer's transaction. The event's Seq
// is set when the transaction commits, and only then can delivery read it.
func (w *writer) addEvent(ctx context.Context, e *muster.Event) error {
	body := e.JSON
	if body == nil {
		body = e.AppendJSON(nil)
	}
	res, err := w.st.addEvent.ExecContext(ctx, e.Key, e.ID, e.Time.UnixNano(), body)
	if err != nil {
		return err
	}
	if e.Seq, err = res.LastInsertId(); err != nil {
		return err
	}
	w.outEvents = append(w.outEvents, e)
	return nil
}

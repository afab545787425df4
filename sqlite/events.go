package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/muster-hub/muster"
)

// insertEvents appends events to the outbox on c, inside the caller's
// transaction, and sets their Seq.
func insertEvents(ctx context.Context, c *sql.Conn, events []*muster.Event) error {
	for _, e := range events {
		body := e.JSON
		if body == nil {
			body = e.AppendJSON(nil)
		}
		res, err := c.ExecContext(ctx, `INSERT INTO events (key, id, at, body) VALUES (?, ?, ?, ?)`, e.Key, e.ID, e.Time.UnixNano(), body)
		if err != nil {
			return err
		}
		if e.Seq, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// AppendEvents writes events that no finding write carries.
func (db *DB) AppendEvents(ctx context.Context, events []*muster.Event) error {
	return db.w.do(ctx, len(events), func(ctx context.Context, c *sql.Conn) error {
		return insertEvents(ctx, c, events)
	})
}

// Events reads the outbox after a sequence number. It does not decode the
// events: delivery needs their bytes, key, id and time, which have columns.
func (db *DB) Events(ctx context.Context, after int64, limit int) ([]*muster.Event, error) {
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
	e.Seq, err = res.LastInsertId()
	return err
}

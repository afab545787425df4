package sqlite

import (
	"context"
	"sync/atomic"
)

// The writer checks that every key a request planned is as the request
// read it (see execute). It did so with a statement per chunk of keys,
// reading each key's findings row in its transaction: 26 µs a re-imported
// finding at 1M on the project's machine, a seventh of what a re-import
// costs the server beyond a new finding. But the writer made every write
// since the read itself; a log of the versions it wrote answers the same
// question without reading.

// versionLog is the version of each finding the writer wrote (through
// write) in the transactions after horizon, by scope and key hash. A key
// it does not hold has not changed since horizon, so a read that began
// after transaction horizon committed saw its current row. Writes the log
// does not see (deletions by the retention job, any request that does not
// go through execute) move horizon past themselves.
//
// Hash collisions and rolled-back transactions only make the log hold a
// version that a read did not see, never miss one: versions are never
// handed out twice, so such a key reads as changed and is checked in the
// database.
type versionLog struct {
	// commits counts the writer's committed transactions. A request
	// loads it before its read, so that every transaction up to that
	// number is in what the read saw.
	commits atomic.Int64

	// Only the writer's goroutine uses the rest.
	horizon int64
	last    map[logKey]int64
	max     int // entries beyond which the log starts over
}

// logKey is a finding's key in the log: its scope's sid and key hash.
type logKey struct{ sid, kh int64 }

// maxLogged bounds the log: 64k entries, a few MiB, cover the requests
// planned in the seconds before their turn at any rate the writer
// reaches. A request planned before the log last started over is checked
// in the database.
const maxLogged = 1 << 16

func newVersionLog() *versionLog {
	return &versionLog{last: map[logKey]int64{}, max: maxLogged}
}

// note records that version ver of key k is written in the transaction
// under way.
func (l *versionLog) note(k logKey, ver int64) {
	if len(l.last) >= l.max {
		l.forget()
	}
	l.last[k] = ver
}

// forget starts the log over from the transaction under way: only reads
// that begin after it commits can be checked against the log.
func (l *versionLog) forget() {
	clear(l.last)
	l.horizon = l.commits.Load() + 1
}

// logged returns the row of every key of r as r read it, when the log
// shows that none has been written since; ok is false when r did not
// read its keys, read them before the log's horizon, or a key has been
// written since, and the writer must check them in the database.
func (w *writer) logged(ctx context.Context, r *request) (cur []current, ok bool, err error) {
	if !r.read || r.snap < w.log.horizon {
		return nil, false, nil
	}
	cur = make([]current, len(r.keys))
	for ki, kr := range r.keys {
		sid, _, err := w.lookupScope(ctx, kr.sk)
		if err != nil {
			return nil, false, err
		}
		b := r.bases[ki]
		if v, written := w.log.last[logKey{sid, r.khs[ki]}]; written && v != b.version {
			return nil, false, nil
		}
		cur[ki] = current{sid: sid, rid: b.rid, version: b.version}
	}
	return cur, true, nil
}

// Package jsonl delivers events to a file, one JSON event per line, for
// shippers that tail files (Fluent Bit, Vector, Filebeat) and for audits.
//
// Each line is appended (O_APPEND) in one write, one delivery at a time,
// so lines never interleave, and a write that fails midway is cut off
// again, so a later line never continues a partial one. With Sync
// "always" (the default) Deliver returns once the line is on disk:
// concurrent deliveries share one fsync, as database commits do. Delivery
// is at least once: an event whose write or fsync failed is written again,
// so readers should drop lines whose id they have seen.
//
// The file is kept open. To rotate it, rename it and then close and
// recreate the target; a target left writing to a renamed file keeps doing
// so.
package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/muster-hub/muster"
)

// The values of Config.Sync.
const (
	// SyncAlways fsyncs after each line: a delivered event survives a power
	// failure.
	SyncAlways = "always"
	// SyncNone leaves flushing to the operating system: a delivered event
	// survives Muster crashing, but not the machine.
	SyncNone = "none"
)

// Config configures a JSON-lines target.
type Config struct {
	// Path is the file. It and its directory are created if missing, only
	// for Muster's user (0600 and 0700), since events carry findings.
	Path string
	// Sync is SyncAlways (the default when empty) or SyncNone.
	Sync string
}

// Target appends events to a file. It is safe for concurrent use.
type Target struct {
	f    *os.File
	sync bool

	// write is a one-slot semaphore rather than a mutex so that a
	// delivery waiting behind a slow disk can give up at its deadline.
	write chan struct{}
	buf   []byte // the line being written; guarded by write
	// written counts the lines written, each added after its write
	// returned.
	written atomic.Uint64

	// syncing guards synced, the number of lines known to be on disk: an
	// fsync begun after a line's write covers it, so a delivery that finds
	// its line synced by another's fsync returns without one of its own.
	syncing chan struct{}
	synced  uint64
}

// New opens (creating if needed) the file c.Path for appending.
func New(c Config) (*Target, error) {
	if c.Path == "" {
		return nil, errors.New("jsonl: Path is required")
	}
	t := &Target{write: make(chan struct{}, 1), syncing: make(chan struct{}, 1)}
	switch c.Sync {
	case "", SyncAlways:
		t.sync = true
	case SyncNone:
	default:
		return nil, fmt.Errorf("jsonl: Sync is %q, want %q or %q", c.Sync, SyncAlways, SyncNone)
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return nil, fmt.Errorf("jsonl: %w", err)
	}
	f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("jsonl: %w", err)
	}
	t.f = f
	return t, nil
}

// Deliver appends body as one line and, with SyncAlways, waits until it
// is on disk. A body that spans lines (indented JSON) is compacted first.
func (t *Target) Deliver(ctx context.Context, e *muster.Event, body []byte) error {
	if err := acquire(ctx, t.write); err != nil {
		return err
	}
	line := t.buf[:0]
	if bytes.ContainsAny(body, "\r\n") {
		b := bytes.NewBuffer(line)
		if err := json.Compact(b, body); err != nil {
			<-t.write
			return &permanentError{fmt.Errorf("jsonl: event %s spans lines and is not JSON: %w", e.ID, err)}
		}
		line = b.Bytes()
	} else {
		line = append(line, body...)
	}
	line = append(line, '\n')
	t.buf = line
	n, err := t.f.Write(line)
	if err != nil && n > 0 {
		// Take the partial line back, so that the next line does not
		// continue it and both are lost to readers.
		if fi, serr := t.f.Stat(); serr == nil {
			t.f.Truncate(fi.Size() - int64(n))
		}
	}
	<-t.write
	if err != nil {
		return fmt.Errorf("jsonl: %w", err)
	}
	seq := t.written.Add(1)
	if !t.sync {
		return nil
	}

	if err := acquire(ctx, t.syncing); err != nil {
		return err
	}
	defer func() { <-t.syncing }()
	if t.synced >= seq {
		return nil
	}
	upto := t.written.Load()
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("jsonl: %w", err)
	}
	t.synced = upto
	return nil
}

// permanentError is an error no retry can fix. It has the Permanent
// method the dispatcher looks for, so that the event is dead-lettered at
// once.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// acquire takes the one slot of sem, or gives up when ctx is done.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the file. Deliveries after Close fail.
func (t *Target) Close() error {
	t.write <- struct{}{}
	defer func() { <-t.write }()
	if err := t.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("jsonl: %w", err)
	}
	return nil
}

package jsonl

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/muster-hub/muster"
)

// TestDeadline checks that a delivery queued behind a stuck write or
// fsync gives up at its context's deadline.
func TestDeadline(t *testing.T) {
	tg, err := New(Config{Path: filepath.Join(t.TempDir(), "e.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	e := &muster.Event{ID: "1"}
	for name, sem := range map[string]chan struct{}{"write": tg.write, "sync": tg.syncing} {
		sem <- struct{}{} // as a write or fsync that does not return would
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := tg.Deliver(ctx, e, []byte(`{}`))
		cancel()
		if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
			t.Errorf("%s stuck: Deliver returned %v after %v, want the deadline at 100ms", name, err, took)
		}
		<-sem
	}
}

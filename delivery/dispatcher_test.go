package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/eventpattern"
	"github.com/muster-hub/muster/sqlite"
)

// flaky is a target that fails some attempts and records what it took.
type flaky struct {
	mu       sync.Mutex
	got      map[string][]int64 // key → seqs in delivery order
	failRate float64
	perm     map[int64]bool // seqs that fail permanently
	rng      *rand.Rand
}

type permErr struct{}

func (permErr) Error() string   { return "gone" }
func (permErr) Permanent() bool { return true }

func (f *flaky) Deliver(ctx context.Context, e *muster.Event, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.perm[e.Seq] {
		return permErr{}
	}
	if f.rng.Float64() < f.failRate {
		return errors.New("try again")
	}
	f.got[e.Key] = append(f.got[e.Key], e.Seq)
	return nil
}

func (f *flaky) Close() error { return nil }

func (f *flaky) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.got {
		n += len(s)
	}
	return n
}

func openStore(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func events(n, keys int) []*muster.Event {
	var out []*muster.Event
	for i := range n {
		out = append(out, &muster.Event{
			ID: fmt.Sprintf("e-%d", i), DetailType: muster.FindingsImported, Account: "111111111111", Region: "us-east-1",
			Time: time.Now(), Detail: []byte(fmt.Sprintf(`{"n":%d}`, i)), Key: fmt.Sprintf("k%d", i%keys),
		})
	}
	return out
}

func wait(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOrderRetriesAndDeadLetters delivers through a target that fails a
// third of its attempts and one event for good: every other event arrives
// exactly once and in order per key, the bad one is dead-lettered, and a
// restarted dispatcher resumes without delivering again.
func TestOrderRetriesAndDeadLetters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := openStore(t, path)
	ctx := context.Background()
	all, _ := eventpattern.Parse([]byte(`{"source":["aws.securityhub"]}`))
	target := &flaky{got: map[string][]int64{}, failRate: 0.3, perm: map[int64]bool{}, rng: rand.New(rand.NewPCG(1, 2))}
	d := delivery.New(delivery.Options{Store: db, Attempts: 20, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Batch: 64, Lanes: 4, Poll: 20 * time.Millisecond})
	if err := d.SetRoutes(ctx, []delivery.Route{{Name: "t", Target: target, Patterns: []*eventpattern.Pattern{all}}}); err != nil {
		t.Fatal(err)
	}
	evs := events(500, 7)
	if err := db.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	target.mu.Lock()
	target.perm[evs[123].Seq] = true
	target.mu.Unlock()
	d.Notify()
	wait(t, func() bool { return target.total() == 499 })
	wait(t, func() bool { dl, _ := db.DeadLetters(ctx, "t"); return len(dl) == 1 })
	target.mu.Lock()
	for k, seqs := range target.got {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("key %s out of order: %v", k, seqs)
			}
		}
	}
	target.mu.Unlock()
	dl, _ := db.DeadLetters(ctx, "t")
	if dl[0].Event.ID != "e-123" || dl[0].Attempts != 1 {
		t.Fatalf("dead letter %+v", dl[0])
	}
	wait(t, func() bool { c, _ := db.Cursor(ctx, "t"); return c == evs[len(evs)-1].Seq })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// A new dispatcher over the same store starts where the first stopped.
	again := &flaky{got: map[string][]int64{}, rng: rand.New(rand.NewPCG(3, 4))}
	d2 := delivery.New(delivery.Options{Store: db, Poll: 20 * time.Millisecond})
	if err := d2.SetRoutes(ctx, []delivery.Route{{Name: "t", Target: again, Patterns: []*eventpattern.Pattern{all}}}); err != nil {
		t.Fatal(err)
	}
	more := events(10, 2)
	db.AppendEvents(ctx, more)
	d2.Notify()
	wait(t, func() bool { return again.total() == 10 })
	time.Sleep(100 * time.Millisecond)
	if again.total() != 10 {
		t.Fatalf("the restarted dispatcher delivered %d events, want only the 10 new ones", again.total())
	}
	// A route added now sees only what comes after it.
	late := &flaky{got: map[string][]int64{}, rng: rand.New(rand.NewPCG(5, 6))}
	if err := d2.SetRoutes(ctx, []delivery.Route{{Name: "t", Target: again, Patterns: []*eventpattern.Pattern{all}}, {Name: "late", Target: late, Patterns: []*eventpattern.Pattern{all}}}); err != nil {
		t.Fatal(err)
	}
	db.AppendEvents(ctx, events(3, 1))
	d2.Notify()
	wait(t, func() bool { return late.total() == 3 })
	if err := d2.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

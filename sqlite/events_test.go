package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/muster-hub/muster"
)

// TestRecentEvents holds the in-memory outbox to the table: whatever
// Events answers from memory, the table answers the same.
func TestRecentEvents(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	fromTable := func(after int64, limit int) []int64 {
		rows, err := db.rdb.QueryContext(ctx, `SELECT seq FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var seqs []int64
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, s)
		}
		return seqs
	}
	n := 0
	appendN := func(k int) {
		var events []*muster.Event
		for range k {
			n++
			events = append(events, &muster.Event{Key: "k", ID: fmt.Sprint(n), Time: time.Unix(int64(n), 0), JSON: []byte(fmt.Sprintf(`{"n":%d}`, n))})
		}
		if err := db.AppendEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		total := int64(n)
		for _, after := range []int64{-1, 0, 1, total / 2, total - recentCap - 1, total - recentCap, total - 2, total - 1, total, total + 3} {
			for _, limit := range []int{1, 7, 512} {
				events, err := db.Events(ctx, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, e := range events {
					got = append(got, e.Seq)
					if want := fmt.Sprintf(`{"n":%d}`, e.Seq); string(e.JSON) != want {
						t.Errorf("event %d: body %s, want %s", e.Seq, e.JSON, want)
					}
				}
				if want := fromTable(after, limit); !slices.Equal(got, want) {
					t.Errorf("Events(%d, %d) = %v, want %v", after, limit, got, want)
				}
			}
		}
	}
	appendN(3)
	check()
	for range 12 {
		appendN(500)
	}
	check()
	if _, ok := db.recent.get(0, 10); ok {
		t.Error("the oldest events are still in memory after more than recentCap")
	}
	if _, ok := db.recent.get(int64(n)-10, 10); !ok {
		t.Error("the newest events are not in memory")
	}
}

func TestRecentEventsGap(t *testing.T) {
	var r recentEvents
	ev := func(seq int64) *muster.Event { return &muster.Event{Seq: seq} }
	r.add([]*muster.Event{ev(5), ev(6), ev(7)})
	if got, ok := r.get(4, 10); !ok || len(got) != 3 {
		t.Fatalf("get(4) = %d events, %v", len(got), ok)
	}
	if _, ok := r.get(3, 10); ok {
		t.Error("get(3) claims event 4, which it never held")
	}
	r.add([]*muster.Event{ev(10)}) // a gap: the run starts over
	if _, ok := r.get(7, 10); ok {
		t.Error("get(7) answered across a gap in the sequence")
	}
	if got, ok := r.get(9, 10); !ok || len(got) != 1 || got[0].Seq != 10 {
		t.Errorf("get(9) = %v, %v", got, ok)
	}
}

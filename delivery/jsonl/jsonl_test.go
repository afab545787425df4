package jsonl_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/delivery/jsonl"
)

var _ delivery.Target = (*jsonl.Target)(nil)

// event returns event i with a detail of about size bytes.
func event(i, size int) (*muster.Event, []byte) {
	e := &muster.Event{
		ID:         fmt.Sprintf("6f1c0e2a-0000-4000-8000-%012d", i),
		DetailType: muster.FindingsImported,
		Account:    "111122223333",
		Region:     "eu-west-1",
		Time:       time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Resources:  []string{fmt.Sprintf("arn:aws:securityhub:eu-west-1:111122223333:finding/%d", i)},
		Detail:     json.RawMessage(fmt.Sprintf(`{"findings":[{"Id":"f%d","Description":%q}]}`, i, strings.Repeat("d", size))),
	}
	body, err := e.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return e, body
}

func newTarget(t testing.TB, c jsonl.Config) *jsonl.Target {
	t.Helper()
	tg, err := jsonl.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// readEvents reads path as JSON lines, failing on any line that is not a
// whole event.
func readEvents(t *testing.T, path string) ([]muster.Event, [][]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end with a newline", path)
	}
	var (
		events []muster.Event
		lines  [][]byte
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		var e muster.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not an event: %v: %.100s", n, err, sc.Bytes())
		}
		events = append(events, e)
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events, lines
}

func TestDeliver(t *testing.T) {
	for _, sync := range []string{"", jsonl.SyncAlways, jsonl.SyncNone} {
		t.Run("sync="+sync, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "var", "muster")
			path := filepath.Join(dir, "events.jsonl")
			tg := newTarget(t, jsonl.Config{Path: path, Sync: sync})
			var want []*muster.Event
			var bodies [][]byte
			for i := range 3 {
				e, body := event(i, 10)
				if err := tg.Deliver(context.Background(), e, body); err != nil {
					t.Fatal(err)
				}
				want, bodies = append(want, e), append(bodies, body)
			}
			got, lines := readEvents(t, path)
			if len(got) != len(want) {
				t.Fatalf("%d lines, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(lines[i], bodies[i]) {
					t.Errorf("line %d = %s, want %s", i+1, lines[i], bodies[i])
				}
				if g, w := got[i], want[i]; g.ID != w.ID || g.DetailType != w.DetailType || g.Account != w.Account || !g.Time.Equal(w.Time) || string(g.Detail) != string(w.Detail) {
					t.Errorf("line %d = %+v, want %+v", i+1, g, w)
				}
			}
			for p, mode := range map[string]os.FileMode{path: 0o600, dir: 0o700 | os.ModeDir} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode() != mode {
					t.Errorf("%s has mode %v, want %v", p, fi.Mode(), mode)
				}
			}
		})
	}
}

// TestAppend checks that a target appends to the file it finds and leaves
// its mode alone, and that targets opened one after the other add up.
func TestAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	_, first := event(0, 1)
	if err := os.WriteFile(path, append(first, '\n'), 0o640); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		tg, err := jsonl.New(jsonl.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		e, body := event(i, 1)
		if err := tg.Deliver(context.Background(), e, body); err != nil {
			t.Fatal(err)
		}
		if err := tg.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := readEvents(t, path)
	if len(got) != 3 || got[0].ID != "6f1c0e2a-0000-4000-8000-000000000000" || got[2].ID != "6f1c0e2a-0000-4000-8000-000000000002" {
		t.Errorf("file holds %+v", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode() != 0o640 {
		t.Errorf("mode of an existing file changed: %v, %v", fi.Mode(), err)
	}
}

// TestConcurrent writes events of sizes from tiny to 256 KB from 32
// goroutines: every line must be one whole event, each event exactly once.
func TestConcurrent(t *testing.T) {
	const n, workers = 1000, 32
	path := filepath.Join(t.TempDir(), "events.jsonl")
	tg := newTarget(t, jsonl.Config{Path: path})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				size := 10 + i%7*1000
				if i%97 == 0 {
					size = 256 << 10
				}
				e, body := event(i, size)
				if err := tg.Deliver(context.Background(), e, body); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	got, _ := readEvents(t, path)
	seen := make(map[string]int)
	for _, e := range got {
		seen[e.ID]++
	}
	for i := range n {
		if e, _ := event(i, 0); seen[e.ID] != 1 {
			t.Errorf("event %d appears %d times", i, seen[e.ID])
		}
	}
	if len(got) != n {
		t.Errorf("%d lines, want %d", len(got), n)
	}
}

// TestMultiline checks that an indented body is written as one line.
func TestMultiline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	tg := newTarget(t, jsonl.Config{Path: path})
	e, body := event(1, 1)
	var indented bytes.Buffer
	json.Indent(&indented, body, "", "\t")
	if err := tg.Deliver(context.Background(), e, indented.Bytes()); err != nil {
		t.Fatal(err)
	}
	err := tg.Deliver(context.Background(), e, []byte("{\n"))
	var p interface{ Permanent() bool }
	if !errors.As(err, &p) || !p.Permanent() {
		t.Errorf("a body that is not JSON and spans lines: %v, want a permanent error", err)
	}
	_, lines := readEvents(t, path)
	if len(lines) != 1 || !bytes.Equal(lines[0], body) {
		t.Errorf("file holds %q, want the compact body", lines)
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	for _, c := range []jsonl.Config{
		{},
		{Path: filepath.Join(dir, "e.jsonl"), Sync: "sometimes"},
		{Path: filepath.Join(notDir, "e.jsonl")},
		{Path: dir},
	} {
		if tg, err := jsonl.New(c); err == nil {
			tg.Close()
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}

func TestClosed(t *testing.T) {
	tg, err := jsonl.New(jsonl.Config{Path: filepath.Join(t.TempDir(), "e.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Close(); err != nil {
		t.Fatal(err)
	}
	e, body := event(1, 1)
	if err := tg.Deliver(context.Background(), e, body); err == nil {
		t.Error("Deliver after Close succeeded")
	}
	if err := tg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// BenchmarkDeliver appends 2 KB events, one at a time and from 16
// goroutines per CPU, which share fsyncs.
func BenchmarkDeliver(b *testing.B) {
	e, body := event(1, 2000)
	for _, sync := range []string{jsonl.SyncAlways, jsonl.SyncNone} {
		for _, parallel := range []bool{false, true} {
			name := "sync=" + sync + "/serial"
			if parallel {
				name = "sync=" + sync + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				tg := newTarget(b, jsonl.Config{Path: filepath.Join(b.TempDir(), "e.jsonl"), Sync: sync})
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				if !parallel {
					for b.Loop() {
						if err := tg.Deliver(context.Background(), e, body); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism(16)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := tg.Deliver(context.Background(), e, body); err != nil {
								b.Error(err)
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

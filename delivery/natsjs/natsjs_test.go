package natsjs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/delivery/natsjs"
)

var _ delivery.Target = (*natsjs.Target)(nil)

// startServer starts a NATS server with JetStream storing in dir, on port
// (-1 for any free one), so that the tests need nothing from the machine.
func startServer(t testing.TB, dir string, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		JetStream: true,
		StoreDir:  dir,
		Host:      "127.0.0.1",
		Port:      port,
		NoLog:     true,
		NoSigs:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// client returns a JetStream client of s for the test's own checks.
func client(t testing.TB, s *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func newTarget(t testing.TB, c natsjs.Config) *natsjs.Target {
	t.Helper()
	tg, err := natsjs.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func event(i int, detailType string) (*muster.Event, []byte) {
	e := &muster.Event{
		ID:         fmt.Sprintf("0b7e9a4c-0000-4000-8000-%012d", i),
		DetailType: detailType,
		Account:    "111122223333",
		Region:     "us-west-2",
		Time:       time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
		Resources:  []string{},
		Detail:     json.RawMessage(fmt.Sprintf(`{"findings":[{"Id":"f%d"}]}`, i)),
	}
	body, err := e.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return e, body
}

// fetch reads every message of stream with an ordered consumer.
func fetch(t testing.TB, js jetstream.JetStream, stream string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.State.Msgs)
	if n == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	for len(msgs) < n {
		batch, err := cons.Fetch(n-len(msgs), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			msgs = append(msgs, m)
			got++
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if got == 0 {
			t.Fatalf("fetched %d of %d messages", len(msgs), n)
		}
	}
	return msgs
}

func TestDeliver(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER"})
	var bodies [][]byte
	var events []*muster.Event
	for i, dt := range []string{muster.FindingsImported, muster.FindingsCustomAction, muster.InsightResults} {
		e, body := event(i, dt)
		if err := tg.Deliver(context.Background(), e, body); err != nil {
			t.Fatal(err)
		}
		events, bodies = append(events, e), append(bodies, body)
	}

	js := client(t, s)
	msgs := fetch(t, js, "MUSTER")
	if len(msgs) != len(events) {
		t.Fatalf("stream holds %d messages, want %d", len(msgs), len(events))
	}
	for i, m := range msgs {
		if m.Subject() != "muster.events" {
			t.Errorf("message %d on subject %q", i, m.Subject())
		}
		if string(m.Data()) != string(bodies[i]) {
			t.Errorf("message %d = %s, want %s", i, m.Data(), bodies[i])
		}
		var e muster.Event
		if err := json.Unmarshal(m.Data(), &e); err != nil || e.ID != events[i].ID {
			t.Errorf("message %d is not event %s: %v", i, events[i].ID, err)
		}
		if got := m.Headers().Get(natsjs.HeaderEventType); got != events[i].DetailType {
			t.Errorf("message %d: %s = %q, want %q", i, natsjs.HeaderEventType, got, events[i].DetailType)
		}
		if got := m.Headers().Get(jetstream.MsgIDHeader); got != events[i].ID {
			t.Errorf("message %d: %s = %q, want %q", i, jetstream.MsgIDHeader, got, events[i].ID)
		}
	}

	// The stream New created captures the subject and is kept on disk.
	st, err := js.Stream(context.Background(), "MUSTER")
	if err != nil {
		t.Fatal(err)
	}
	if c := st.CachedInfo().Config; c.Storage != jetstream.FileStorage || len(c.Subjects) != 1 || c.Subjects[0] != "muster.events" {
		t.Errorf("stream config: storage %v, subjects %q", c.Storage, c.Subjects)
	}
}

// TestDedupe delivers one event three times, as the dispatcher's retries
// would, from two targets: the stream stores it once.
func TestDedupe(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	c := natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER"}
	tg1, tg2 := newTarget(t, c), newTarget(t, c)
	e, body := event(1, muster.FindingsImported)
	for _, tg := range []*natsjs.Target{tg1, tg1, tg2} {
		if err := tg.Deliver(context.Background(), e, body); err != nil {
			t.Fatal(err)
		}
	}
	other, otherBody := event(2, muster.FindingsImported)
	if err := tg2.Deliver(context.Background(), other, otherBody); err != nil {
		t.Fatal(err)
	}
	msgs := fetch(t, client(t, s), "MUSTER")
	if len(msgs) != 2 {
		t.Fatalf("stream holds %d messages, want 2", len(msgs))
	}
	if string(msgs[0].Data()) != string(body) || string(msgs[1].Data()) != string(otherBody) {
		t.Errorf("stream holds %s and %s", msgs[0].Data(), msgs[1].Data())
	}
}

// TestExistingStream checks that New leaves a stream it finds as it is,
// and publishes into it through a subject its wildcard captures.
func TestExistingStream(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	js := client(t, s)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "SIEM", Subjects: []string{"siem.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "siem.securityhub", Stream: "SIEM"})
	e, body := event(1, muster.FindingsImported)
	if err := tg.Deliver(context.Background(), e, body); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), "SIEM")
	if err != nil {
		t.Fatal(err)
	}
	if c := st.CachedInfo().Config; c.Storage != jetstream.MemoryStorage || len(c.Subjects) != 1 || c.Subjects[0] != "siem.>" {
		t.Errorf("New changed the stream: storage %v, subjects %q", c.Storage, c.Subjects)
	}
	if n := st.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("stream holds %d messages, want 1", n)
	}
}

// TestWrongStream checks the two ways a subject can miss its stream: no
// stream captures it, or another stream than the configured one does.
func TestWrongStream(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	js := client(t, s)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "A", Subjects: []string{"a.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "B", Subjects: []string{"b.>"}}); err != nil {
		t.Fatal(err)
	}
	e, body := event(1, muster.FindingsImported)

	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "nowhere"})
	start := time.Now()
	err := tg.Deliver(context.Background(), e, body)
	if err == nil || !strings.Contains(err.Error(), "no stream") {
		t.Errorf("Deliver to a subject no stream captures: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Deliver to a subject no stream captures took %v", took)
	}

	tg = newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "a.x", Stream: "B"})
	if err := tg.Deliver(context.Background(), e, body); err == nil {
		t.Error("Deliver stored the event in stream A, not the configured B")
	} else {
		t.Logf("stream A captures the subject: %v", err)
	}

	// A new stream whose subject another stream captures cannot be made.
	if tg, err := natsjs.New(context.Background(), natsjs.Config{URL: s.ClientURL(), Subject: "a.y", Stream: "C"}); err == nil {
		tg.Close()
		t.Error("New created a stream overlapping stream A")
	}
}

// TestNoAck checks that Deliver gives up at its deadline when a request
// on the subject gets no ack: here a plain subscriber, not a stream,
// receives it.
func TestNoAck(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Subscribe("silent", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	e, body := event(1, muster.FindingsImported)

	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "silent", Timeout: 300 * time.Millisecond})
	start := time.Now()
	err = tg.Deliver(context.Background(), e, body)
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("Timeout 300ms: Deliver returned %v after %v", err, took)
	}

	tg = newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "silent"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = tg.Deliver(ctx, e, body)
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > 2*time.Second {
		t.Errorf("context of 300ms: Deliver returned %v after %v", err, took)
	}
}

// TestServerDown shuts the server down under a target: Deliver fails
// within its timeout, then at once while the connection is down, and
// succeeds again once the server is back and the connection restored.
func TestServerDown(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, -1)
	port := s.Addr().(*net.TCPAddr).Port
	const timeout = 2 * time.Second
	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER", Timeout: timeout})
	e1, body1 := event(1, muster.FindingsImported)
	if err := tg.Deliver(context.Background(), e1, body1); err != nil {
		t.Fatal(err)
	}

	s.Shutdown()
	s.WaitForShutdown()
	e2, body2 := event(2, muster.FindingsImported)
	start := time.Now()
	err := tg.Deliver(context.Background(), e2, body2)
	if err == nil {
		t.Fatal("Deliver succeeded with the server down")
	}
	t.Logf("server shut down: failed after %v: %v", time.Since(start), err)
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("Deliver took %v to fail, timeout %v", took, timeout)
	}
	// Once the client has seen the connection go, failing takes no time.
	deadline := time.Now().Add(5 * time.Second)
	for {
		start := time.Now()
		err := tg.Deliver(context.Background(), e2, body2)
		if err == nil {
			t.Fatal("Deliver succeeded with the server down")
		}
		if time.Since(start) < 50*time.Millisecond {
			t.Logf("disconnected: failed after %v: %v", time.Since(start), err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deliver still takes %v to fail while disconnected: %v", time.Since(start), err)
		}
	}

	s = startServer(t, dir, port)
	deadline = time.Now().Add(15 * time.Second)
	for {
		err := tg.Deliver(context.Background(), e2, body2)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deliver still fails after the server is back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	msgs := fetch(t, client(t, s), "MUSTER")
	if len(msgs) != 2 || string(msgs[0].Data()) != string(body1) || string(msgs[1].Data()) != string(body2) {
		t.Errorf("after the restart the stream holds %d messages, want events 1 and 2", len(msgs))
	}
}

// TestTooLarge checks that an event larger than the server accepts is
// refused as permanent: no retry will make it smaller.
func TestTooLarge(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER"})
	e, _ := event(1, muster.FindingsCustomAction)
	e.Detail = json.RawMessage(`{"findings":[{"Description":"` + strings.Repeat("x", 2<<20) + `"}]}`)
	body, _ := e.MarshalJSON()
	err := tg.Deliver(context.Background(), e, body)
	var p interface{ Permanent() bool }
	if !errors.Is(err, nats.ErrMaxPayload) || !errors.As(err, &p) || !p.Permanent() {
		t.Errorf("Deliver of %d bytes: %v, want a permanent ErrMaxPayload", len(body), err)
	}
	// Transient failures are not permanent.
	tg = newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "nowhere"})
	e, body = event(2, muster.FindingsImported)
	if err := tg.Deliver(context.Background(), e, body); err == nil || errors.As(err, &p) {
		t.Errorf("Deliver to a subject no stream captures: %v, want a transient error", err)
	}
}

func TestNew(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "nats://" + l.Addr().String()
	l.Close()
	for _, c := range []natsjs.Config{
		{Subject: "s"},
		{URL: closed},
		{URL: closed, Subject: "s", Timeout: -time.Second},
		{URL: closed, Subject: "s", Timeout: time.Second},
	} {
		start := time.Now()
		if tg, err := natsjs.New(context.Background(), c); err == nil {
			tg.Close()
			t.Errorf("New(%+v) succeeded", c)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("New(%+v) took %v to fail", c, took)
		}
	}
}

// TestConcurrent delivers 1,000 events from 20 goroutines on one target.
func TestConcurrent(t *testing.T) {
	const n, workers = 1000, 20
	s := startServer(t, t.TempDir(), -1)
	tg := newTarget(t, natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER"})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				e, body := event(i, muster.FindingsImported)
				if err := tg.Deliver(context.Background(), e, body); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for _, m := range fetch(t, client(t, s), "MUSTER") {
		seen[m.Headers().Get(jetstream.MsgIDHeader)] = true
	}
	for i := range n {
		if e, _ := event(i, ""); !seen[e.ID] {
			t.Errorf("event %d is not in the stream", i)
		}
	}
}

// BenchmarkDeliver publishes to a file-stored stream of an embedded server,
// from 8 goroutines per CPU.
func BenchmarkDeliver(b *testing.B) {
	s := startServer(b, b.TempDir(), -1)
	tg := newTarget(b, natsjs.Config{URL: s.ClientURL(), Subject: "muster.events", Stream: "MUSTER"})
	var mu sync.Mutex
	i := 0
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i++
			e, body := event(i, muster.FindingsImported)
			mu.Unlock()
			if err := tg.Deliver(context.Background(), e, body); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

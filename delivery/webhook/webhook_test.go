package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/delivery/webhook"
)

var _ delivery.Target = (*webhook.Target)(nil)

const secret = "s3cret"

// request is one request a receiver accepted.
type request struct {
	header http.Header
	body   []byte
	event  muster.Event
}

// receiver is a webhook endpoint that checks every request the way a real
// receiver would, and answers with status.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	status atomic.Int64
	conns  atomic.Int64

	mu   sync.Mutex
	reqs []request
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t}
	r.status.Store(http.StatusNoContent)
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: reading body: %v", err)
		return
	}
	if err := webhook.Verify(secret, req.Header, body, time.Minute, time.Now()); err != nil {
		r.t.Errorf("receiver: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e muster.Event
	if err := json.Unmarshal(body, &e); err != nil {
		r.t.Errorf("receiver: body is not an event: %v", err)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, request{req.Header.Clone(), body, e})
	r.mu.Unlock()
	st := int(r.status.Load())
	w.WriteHeader(st)
	if st != http.StatusNoContent {
		fmt.Fprintf(w, "status %d from the receiver", st)
	}
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func newTarget(t testing.TB, c webhook.Config) *webhook.Target {
	t.Helper()
	if c.Secret == "" {
		c.Secret = secret
	}
	tg, err := webhook.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func event(i int) (*muster.Event, []byte) {
	e := &muster.Event{
		ID:         fmt.Sprintf("2d4e5f6a-0000-4000-8000-%012d", i),
		DetailType: muster.FindingsImported,
		Account:    "111122223333",
		Region:     "us-east-1",
		Time:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Resources:  []string{"arn:aws:securityhub:us-east-1::product/aws/guardduty/f" + strconv.Itoa(i)},
		Detail:     json.RawMessage(`{"findings":[{"Id":"f` + strconv.Itoa(i) + `","Title":"Ünïcode & <html>"}]}`),
	}
	body, err := e.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return e, body
}

func TestDeliver(t *testing.T) {
	r := newReceiver(t)
	tg := newTarget(t, webhook.Config{URL: r.srv.URL + "/hook?token=x", Headers: map[string]string{"authorization": "Bearer abc"}})
	e, body := event(1)
	before := time.Now().Unix()
	if err := tg.Deliver(context.Background(), e, body); err != nil {
		t.Fatal(err)
	}
	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if string(got.body) != string(body) {
		t.Errorf("body = %s, want %s", got.body, body)
	}
	if got.event.ID != e.ID || got.event.DetailType != e.DetailType || !got.event.Time.Equal(e.Time) {
		t.Errorf("event = %+v, want %+v", got.event, e)
	}
	for k, want := range map[string]string{
		"Content-Type":          "application/json",
		webhook.HeaderEventID:   e.ID,
		webhook.HeaderEventType: muster.FindingsImported,
		"Authorization":         "Bearer abc",
		"User-Agent":            "Muster",
		"Content-Length":        strconv.Itoa(len(body)),
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	ts, err := strconv.ParseInt(got.header.Get(webhook.HeaderTimestamp), 10, 64)
	if err != nil || ts < before || ts > time.Now().Unix() {
		t.Errorf("%s = %q, want the time of sending", webhook.HeaderTimestamp, got.header.Get(webhook.HeaderTimestamp))
	}
}

func TestStatus(t *testing.T) {
	r := newReceiver(t)
	tg := newTarget(t, webhook.Config{URL: r.srv.URL})
	for _, tc := range []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{200, true, false},
		{202, true, false},
		{204, true, false},
		{301, false, false},
		{400, false, true},
		{401, false, true},
		{404, false, true},
		{408, false, false},
		{410, false, true},
		{425, false, false},
		{429, false, false},
		{500, false, false},
		{502, false, false},
		{503, false, false},
	} {
		r.status.Store(int64(tc.status))
		e, body := event(tc.status)
		err := tg.Deliver(context.Background(), e, body)
		if tc.ok {
			if err != nil {
				t.Errorf("%d: %v", tc.status, err)
			}
			continue
		}
		var se *webhook.StatusError
		if !errors.As(err, &se) || se.StatusCode != tc.status {
			t.Errorf("%d: err = %v, want a StatusError with status %d", tc.status, err, tc.status)
			continue
		}
		if want := fmt.Sprintf("status %d from the receiver", tc.status); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), strconv.Itoa(tc.status)) {
			t.Errorf("%d: error %q does not give the status and the response", tc.status, err)
		}
		if got := webhook.IsPermanent(err); got != tc.permanent {
			t.Errorf("%d: IsPermanent = %v, want %v", tc.status, got, tc.permanent)
		}
		if got := webhook.IsPermanent(fmt.Errorf("wrapped: %w", err)); got != tc.permanent {
			t.Errorf("%d: IsPermanent of a wrapped error = %v, want %v", tc.status, got, tc.permanent)
		}
	}
	if webhook.IsPermanent(errors.New("connection refused")) || webhook.IsPermanent(nil) {
		t.Error("IsPermanent is true for an error that is not a StatusError")
	}
}

// TestRedirect checks that a redirect is a failure and is not followed: a
// POST redirected would arrive as a GET, or be lost.
func TestRedirect(t *testing.T) {
	r := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(r.srv.URL, http.StatusFound))
	defer redirect.Close()
	tg := newTarget(t, webhook.Config{URL: redirect.URL})
	e, body := event(1)
	var se *webhook.StatusError
	if err := tg.Deliver(context.Background(), e, body); !errors.As(err, &se) || se.StatusCode != http.StatusFound {
		t.Errorf("err = %v, want a 302 StatusError", err)
	}
	if n := len(r.requests()); n != 0 {
		t.Errorf("the redirect was followed: %d requests", n)
	}
}

// TestErrorBody checks that an error keeps at most 200 bytes of the
// response and never the URL's path, which may hold a token.
func TestErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, strings.Repeat("x", 150)+strings.Repeat("y", 10000))
	}))
	defer srv.Close()
	tg := newTarget(t, webhook.Config{URL: srv.URL + "/services/T0/B0/tokentoken"})
	e, body := event(1)
	err := tg.Deliver(context.Background(), e, body)
	var se *webhook.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StatusError", err)
	}
	if want := strings.Repeat("x", 150) + strings.Repeat("y", 50); se.Body != want {
		t.Errorf("Body = %q (%d bytes), want the first 200 bytes", se.Body, len(se.Body))
	}
	if strings.Contains(err.Error(), "tokentoken") {
		t.Errorf("error %q shows the URL's path", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	e, body := event(1)

	t.Run("config", func(t *testing.T) {
		tg := newTarget(t, webhook.Config{URL: srv.URL, Timeout: 200 * time.Millisecond})
		start := time.Now()
		err := tg.Deliver(context.Background(), e, body)
		took := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a deadline exceeded", err)
		}
		if took < 200*time.Millisecond || took > time.Second {
			t.Errorf("Deliver took %v with a 200ms timeout", took)
		}
		if webhook.IsPermanent(err) {
			t.Error("a timeout is permanent")
		}
	})
	t.Run("context", func(t *testing.T) {
		tg := newTarget(t, webhook.Config{URL: srv.URL})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := tg.Deliver(ctx, e, body)
		if took := time.Since(start); err == nil || took > time.Second {
			t.Errorf("Deliver took %v and returned %v with a context of 200ms", took, err)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tg := newTarget(t, webhook.Config{URL: "http://" + addr, Timeout: 2 * time.Second})
	e, body := event(1)
	err = tg.Deliver(context.Background(), e, body)
	if err == nil || webhook.IsPermanent(err) {
		t.Errorf("err = %v, want a transient error", err)
	}
}

// TestVerify checks the receiver's side against real requests: a request
// passes only with the target's secret, its own timestamp and body, and
// within maxAge.
func TestVerify(t *testing.T) {
	var (
		mu  sync.Mutex
		got []request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, request{header: r.Header.Clone(), body: body})
		mu.Unlock()
	}))
	defer srv.Close()
	tg := newTarget(t, webhook.Config{URL: srv.URL})
	e, body := event(1)
	if err := tg.Deliver(context.Background(), e, body); err != nil {
		t.Fatal(err)
	}
	req := got[0]
	sent, _ := strconv.ParseInt(req.header.Get(webhook.HeaderTimestamp), 10, 64)
	at := time.Unix(sent, 0)

	if err := webhook.Verify(secret, req.header, req.body, 5*time.Minute, at); err != nil {
		t.Fatalf("the request as sent: %v", err)
	}
	with := func(k, v string) http.Header {
		h := req.header.Clone()
		h.Set(k, v)
		return h
	}
	for _, tc := range []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		maxAge time.Duration
		now    time.Time
		want   error
	}{
		{"wrong secret", "other", req.header, req.body, time.Minute, at, webhook.ErrSignature},
		{"empty secret", "", req.header, req.body, time.Minute, at, webhook.ErrSignature},
		{"body changed", secret, req.header, append([]byte(" "), req.body...), time.Minute, at, webhook.ErrSignature},
		{"replayed later", secret, req.header, req.body, 5 * time.Minute, at.Add(5*time.Minute + time.Second), webhook.ErrTimestamp},
		{"replayed with the default maxAge", secret, req.header, req.body, 0, at.Add(webhook.DefaultMaxAge + time.Second), webhook.ErrTimestamp},
		{"replayed with a new timestamp", secret, with(webhook.HeaderTimestamp, strconv.FormatInt(sent+600, 10)), req.body, time.Minute, at.Add(10 * time.Minute), webhook.ErrSignature},
		{"from the future", secret, req.header, req.body, time.Minute, at.Add(-2 * time.Minute), webhook.ErrTimestamp},
		{"no timestamp", secret, with(webhook.HeaderTimestamp, ""), req.body, time.Minute, at, webhook.ErrTimestamp},
		{"timestamp not a number", secret, with(webhook.HeaderTimestamp, "yesterday"), req.body, time.Minute, at, webhook.ErrTimestamp},
		{"extreme timestamp", secret, with(webhook.HeaderTimestamp, "-9223372036854775808"), req.body, time.Minute, at, webhook.ErrTimestamp},
		{"no signature", secret, with(webhook.HeaderSignature, ""), req.body, time.Minute, at, webhook.ErrSignature},
		{"other algorithm", secret, with(webhook.HeaderSignature, "sha1="+strings.TrimPrefix(req.header.Get(webhook.HeaderSignature), "sha256=")), req.body, time.Minute, at, webhook.ErrSignature},
		{"not hex", secret, with(webhook.HeaderSignature, "sha256=zz"), req.body, time.Minute, at, webhook.ErrSignature},
		{"truncated", secret, with(webhook.HeaderSignature, req.header.Get(webhook.HeaderSignature)[:20]), req.body, time.Minute, at, webhook.ErrSignature},
	} {
		err := webhook.Verify(tc.secret, tc.header, tc.body, tc.maxAge, tc.now)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Within maxAge on either side passes.
	for _, d := range []time.Duration{-time.Minute, time.Minute} {
		if err := webhook.Verify(secret, req.header, req.body, time.Minute, at.Add(d)); err != nil {
			t.Errorf("%v from the timestamp: %v", d, err)
		}
	}
}

// TestConcurrent delivers 1,000 events from 50 goroutines on one target:
// each arrives once, correctly signed, over at most 50 connections.
func TestConcurrent(t *testing.T) {
	const n, workers = 1000, 50
	r := newReceiver(t)
	tg := newTarget(t, webhook.Config{URL: r.srv.URL})
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				e, body := event(i)
				if err := tg.Deliver(context.Background(), e, body); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	seen := make(map[string]bool)
	for _, req := range r.requests() {
		id := req.header.Get(webhook.HeaderEventID)
		if seen[id] {
			t.Errorf("event %s arrived twice", id)
		}
		seen[id] = true
		if req.event.ID != id {
			t.Errorf("event %s arrived with the body of %s", id, req.event.ID)
		}
	}
	for i := range n {
		if e, _ := event(i); !seen[e.ID] {
			t.Errorf("event %d was lost", i)
		}
	}
	// A connection goes back to the pool just after its response is read,
	// so a worker can be quicker and dial a few more; without keep-alive
	// there would be one per event.
	if c := r.conns.Load(); c > 2*workers {
		t.Errorf("%d connections for %d events from %d goroutines: connections are not reused", c, n, workers)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []webhook.Config{
		{URL: "", Secret: secret},
		{URL: "example.com/hook", Secret: secret},
		{URL: "ftp://example.com/hook", Secret: secret},
		{URL: "http://%zz", Secret: secret},
		{URL: "https://example.com/hook"},
		{URL: "https://example.com/hook", Secret: secret, Timeout: -time.Second},
		{URL: "https://example.com/hook", Secret: secret, Headers: map[string]string{"content-type": "text/plain"}},
		{URL: "https://example.com/hook", Secret: secret, Headers: map[string]string{"X-Muster-Signature": "forged"}},
		{URL: "https://example.com/hook", Secret: secret, Headers: map[string]string{"Bad Name": "v"}},
		{URL: "https://example.com/hook", Secret: secret, Headers: map[string]string{"X-Ok": "v\r\nX-Injected: 1"}},
	} {
		if _, err := webhook.New(c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}

func TestHostHeader(t *testing.T) {
	var host string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { host = r.Host }))
	defer srv.Close()
	tg := newTarget(t, webhook.Config{URL: srv.URL, Headers: map[string]string{"Host": "hooks.example.com"}})
	e, body := event(1)
	if err := tg.Deliver(context.Background(), e, body); err != nil {
		t.Fatal(err)
	}
	if host != "hooks.example.com" {
		t.Errorf("Host = %q", host)
	}
}

// BenchmarkDeliver delivers a Findings - Imported event of about 3 KB to a
// receiver on the loopback that verifies each request: one at a time
// (serial), and from 8 goroutines per CPU (parallel).
func BenchmarkDeliver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Minute, time.Now()); err != nil {
			b.Error(err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tg := newTarget(b, webhook.Config{URL: srv.URL})
	e, _ := event(1)
	e.Detail = json.RawMessage(`{"findings":[{"Id":"` + strings.Repeat("f", 2900) + `"}]}`)
	body, _ := e.MarshalJSON()

	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := tg.Deliver(context.Background(), e, body); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := tg.Deliver(context.Background(), e, body); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

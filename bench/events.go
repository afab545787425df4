package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// EventsResult is what an --events run measured: the deliveries of the
// rules' webhook targets and the lag from each finding's ProcessedAt to
// its delivery.
type EventsResult struct {
	Rules      int
	Expected   int // deliveries the rules' patterns call for
	Delivered  int
	Wait       time.Duration // after the import, until the last delivery
	P50, P95   time.Duration
	P99, Max   time.Duration
	DeliveryPS float64 // deliveries per second from first to last
}

// eventRules are the rules of an --events run, as the issue states them:
// three rules and a webhook target. The rules select every Imported event,
// the critical and high ones, and those of a product suffix — patterns of
// the kinds SIEM forwarding and alerting use — and name the same target,
// which therefore gets each matching event once.
func eventRules(url string) []map[string]any {
	target := []map[string]any{{"Name": "bench-webhook", "Type": "webhook", "URL": url, "Secret": "muster-bench"}}
	return []map[string]any{
		{"Name": "bench-all", "Pattern": json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"]}`), "Targets": target},
		{"Name": "bench-severe", "Pattern": json.RawMessage(`{"detail":{"findings":{"Severity":{"Label":["CRITICAL","HIGH"]}}}}`), "Targets": target},
		{"Name": "bench-default", "Pattern": json.RawMessage(`{"detail":{"findings":{"ProductArn":[{"suffix":"/default"}],"RecordState":[{"anything-but":"ARCHIVED"}]}}}`), "Targets": target},
	}
}

// eventSink is the webhook receiver of an --events run.
type eventSink struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	lags  []time.Duration
	first time.Time
	last  time.Time
}

func startEventSink() (*eventSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &eventSink{url: "http://" + l.Addr().String() + "/events"}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.receive)}
	go s.srv.Serve(l)
	return s, nil
}

// processedAt is what the receiver looks for: the receiver shares the
// machine with the server, so it finds the finding's ProcessedAt without
// decoding the event, to leave the CPU to the server.
var processedAt = []byte(`"ProcessedAt":"`)

func (s *eventSink) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	i := bytes.Index(body, processedAt)
	if i < 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	v := body[i+len(processedAt):]
	if j := bytes.IndexByte(v, '"'); j >= 0 {
		v = v[:j]
	}
	at, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = now
	}
	s.last = now
	s.lags = append(s.lags, now.Sub(at))
	s.mu.Unlock()
}

func (s *eventSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lags)
}

func (s *eventSink) close() { s.srv.Close() }

// putRules creates the run's rules through the operator endpoint.
func putRules(ctx context.Context, o Options, rules []map[string]any) error {
	for _, r := range rules {
		body, _ := json.Marshal(r)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, o.Endpoint+"/muster/v1/rules/"+r["Name"].(string), bytes.NewReader(body))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: o.accessKey(), SecretAccessKey: "muster-bench-secret"}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "securityhub", o.Region, time.Now()); err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("bench: creating rule %s: %s %s", r["Name"], resp.Status, b)
		}
	}
	return nil
}

// waitDeliveries waits until the sink has want deliveries, or until none
// has come for idle, and measures them.
func (s *eventSink) waitDeliveries(ctx context.Context, want int, start time.Time, idle time.Duration) *EventsResult {
	lastN, lastChange := -1, time.Now()
	for {
		n := s.count()
		if n != lastN {
			lastN, lastChange = n, time.Now()
		}
		if n >= want || time.Since(lastChange) > idle || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lags := slices.Clone(s.lags)
	slices.Sort(lags)
	r := &EventsResult{Expected: want, Delivered: len(lags)}
	if len(lags) > 0 {
		r.P50, r.P95, r.P99, r.Max = percentile(lags, 50), percentile(lags, 95), percentile(lags, 99), lags[len(lags)-1]
		r.Wait = s.last.Sub(start)
		if d := s.last.Sub(s.first); d > 0 {
			r.DeliveryPS = float64(len(lags)) / d.Seconds()
		}
	}
	return r
}

func (r *EventsResult) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "events\t%d rules, one webhook target\t%d of %d deliveries\t%.0f deliveries/s\n", r.Rules, r.Delivered, r.Expected, r.DeliveryPS)
	fmt.Fprintf(tw, "delivery lag (ProcessedAt to receipt)\tp50 %s\tp95 %s\tp99 %s\tmax %s\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	tw.Flush()
}

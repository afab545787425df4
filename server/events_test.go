package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/delivery/webhook"
	"github.com/muster-hub/muster/server"
)

// receiver is a webhook endpoint that checks each delivery's signature
// and keeps the events.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	events []map[string]any
	fail   bool // answer 500 while set
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := webhook.Verify(r.secret, req.Header, body, time.Minute, time.Now()); err != nil {
			r.t.Errorf("delivery with a bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			r.t.Errorf("delivery is not JSON: %v", err)
		}
		r.events = append(r.events, e)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setFail(v bool) {
	r.mu.Lock()
	r.fail = v
	r.mu.Unlock()
}

// wait returns the events once there are at least n, failing after 10 s.
func (r *receiver) wait(n int) []map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := append([]map[string]any(nil), r.events...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d events delivered, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// eventsConfig is a config with one user of acct and rules.
func eventsConfig(t *testing.T, rules string) *config.Config {
	t.Helper()
	c, err := config.Parse("events.yaml", []byte(`
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: alice-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["securityhub:*", "muster:*"], Resource: "*"}]}]
delivery: {attempts: 3, backoff: 10ms, max_backoff: 50ms}
`+rules))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestImportedEvents routes the events of imports and updates to a
// webhook and checks them field by field against the EventBridge shape of
// AWS's sample events.
func TestImportedEvents(t *testing.T) {
	rcv := newReceiver(t, "hook-secret")
	critical := newReceiver(t, "other-secret")
	s := startWith(t, server.Options{Config: eventsConfig(t, `rules:
  - name: all-findings
    pattern: {source: [aws.securityhub], detail-type: [Security Hub Findings - Imported]}
    targets: [{type: webhook, url: `+rcv.srv.URL+`, secret: hook-secret, timeout: 2s}]
  - name: critical
    pattern: '{"detail": {"findings": {"Severity": {"Label": ["CRITICAL"]}, "Workflow": {"Status": [{"anything-but": "SUPPRESSED"}]}}}}'
    targets: [{type: webhook, url: `+critical.srv.URL+`, secret: other-secret}]
`)})
	c := client(s, "AKIAALICE0000000001", "alice-secret", "us-east-1")
	enable(t, c)
	ctx := context.Background()
	sdkImport(t, c, finding(acct, "us-east-1", "e-1"), strings.Replace(finding(acct, "us-east-1", "e-2"), `"Label":"HIGH"`, `"Label":"CRITICAL"`, 1))
	got := rcv.wait(2)
	stored := getAll(t, c, &securityhub.GetFindingsInput{})
	byID := map[string]types.AwsSecurityFinding{}
	for _, f := range stored {
		byID[aws.ToString(f.Id)] = f
	}
	for _, e := range got {
		if e["version"] != "0" || !uuidForm.MatchString(e["id"].(string)) || e["detail-type"] != "Security Hub Findings - Imported" ||
			e["source"] != "aws.securityhub" || e["account"] != acct || e["region"] != "us-east-1" {
			t.Errorf("envelope: %v", e)
		}
		if _, err := time.Parse(time.RFC3339, e["time"].(string)); err != nil {
			t.Errorf("time %v: %v", e["time"], err)
		}
		keys := []string{}
		for k := range e {
			keys = append(keys, k)
		}
		if len(keys) != 9 {
			t.Errorf("envelope members %v, want the 9 of EventBridge's", keys)
		}
		findings := e["detail"].(map[string]any)["findings"].([]any)
		if len(findings) != 1 {
			t.Fatalf("detail.findings has %d", len(findings))
		}
		f := findings[0].(map[string]any)
		id := f["Id"].(string)
		if res := e["resources"].([]any); len(res) != 1 || res[0] != f["ProductArn"].(string)+"/"+id {
			t.Errorf("resources %v", res)
		}
		// detail.findings holds the finding as stored: as GetFindings
		// returns it.
		want, _ := json.Marshal(byID[id])
		var wantMap map[string]any
		json.Unmarshal(want, &wantMap)
		if f["ProcessedAt"] != *byID[id].ProcessedAt || f["Workflow"].(map[string]any)["Status"] != "NEW" || f["Title"] != wantMap["Title"] {
			t.Errorf("detail finding %s differs from the stored one: %v", id, f)
		}
	}
	crit := critical.wait(1)
	if len(crit) != 1 || crit[0]["detail"].(map[string]any)["findings"].([]any)[0].(map[string]any)["Id"] != "e-2" {
		t.Fatalf("pattern rule delivered %v", crit)
	}

	// A customer's update is an Imported event too, with the finding as
	// updated; suppressing it keeps it from the critical rule.
	_, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{{Id: aws.String("e-2"), ProductArn: aws.String(productARN(acct))}},
		Workflow:           &types.WorkflowUpdate{Status: types.WorkflowStatusSuppressed},
	})
	if err != nil {
		t.Fatal(err)
	}
	got = rcv.wait(3)
	last := got[2]["detail"].(map[string]any)["findings"].([]any)[0].(map[string]any)
	if last["Id"] != "e-2" || last["Workflow"].(map[string]any)["Status"] != "SUPPRESSED" {
		t.Fatalf("update event: %v", last)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(critical.wait(1)); n != 1 {
		t.Fatalf("the suppressed finding reached the critical rule: %d events", n)
	}
	// A stale import changes nothing and sends nothing.
	sdkImport(t, c, at("2023-01-01T00:00:00Z", finding(acct, "us-east-1", "e-1")))
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.wait(3)); n != 3 {
		t.Fatalf("a stale import sent an event: %d", n)
	}
}

// TestDeadTargetDoesNotStallOthers sends one rule's events to a webhook
// that keeps failing and to a file: the file gets every event at once, the
// webhook's events are dead-lettered after their attempts, and an operator
// lists them and replays one once the webhook is back.
func TestDeadTargetDoesNotStallOthers(t *testing.T) {
	flaky := newReceiver(t, "s")
	flaky.setFail(true)
	file := filepath.Join(t.TempDir(), "events", "out.jsonl")
	s := startWith(t, server.Options{Config: eventsConfig(t, `rules:
  - name: both
    pattern: {source: [aws.securityhub]}
    targets:
      - {name: flaky, type: webhook, url: `+flaky.srv.URL+`, secret: s, timeout: 1s}
      - {name: archive, type: file, path: `+file+`}
`)})
	c := client(s, "AKIAALICE0000000001", "alice-secret", "us-east-1")
	enable(t, c)
	var raws []string
	for i := range 20 {
		raws = append(raws, finding(acct, "us-east-1", fmt.Sprintf("d-%02d", i)))
	}
	sdkImport(t, c, raws...)
	lines := waitLines(t, file, 20)
	seen := map[string]bool{}
	for _, l := range lines {
		var e struct {
			Detail struct{ Findings []struct{ Id string } } `json:"detail"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		seen[e.Detail.Findings[0].Id] = true
	}
	if len(seen) != 20 {
		t.Fatalf("file target got %d distinct findings", len(seen))
	}
	// 3 attempts with 10-50 ms backoff each: all dead-lettered soon.
	var dl []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for len(dl) < 20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		r := signedRequest(t, s, "GET", "/muster/v1/dead-letters?target=flaky", "", "AKIAALICE0000000001", "alice-secret", time.Now())
		var out struct{ DeadLetters []map[string]any }
		json.Unmarshal([]byte(r.Body), &out)
		dl = out.DeadLetters
	}
	if len(dl) != 20 || dl[0]["Attempts"] != float64(3) || !strings.Contains(dl[0]["Reason"].(string), "500") {
		t.Fatalf("dead letters: %d %v", len(dl), dl[:min(1, len(dl))])
	}
	metrics, _ := httpGet(s.URL() + "/metrics")
	for _, want := range []string{`muster_event_dead_letters_total{target="flaky"} 20`, `muster_event_deliveries_total{target="archive"} 20`, `muster_event_delivery_failures_total{target="flaky"} 60`} {
		if !strings.Contains(metrics.Body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	flaky.setFail(false)
	id := int64(dl[0]["ID"].(float64))
	r := signedRequest(t, s, "POST", fmt.Sprintf("/muster/v1/dead-letters/%d/replay", id), "", "AKIAALICE0000000001", "alice-secret", time.Now())
	if r.Status != 200 {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	if got := flaky.wait(1); len(got) != 1 {
		t.Fatalf("replayed %d", len(got))
	}
	r = signedRequest(t, s, "POST", fmt.Sprintf("/muster/v1/dead-letters/%d/replay", id), "", "AKIAALICE0000000001", "alice-secret", time.Now())
	if r.Status != 404 {
		t.Fatalf("second replay: %d %s", r.Status, r.Body)
	}
	// A rule of the configuration file changes only there.
	for _, method := range []string{"PUT", "DELETE"} {
		r := signedRequest(t, s, method, "/muster/v1/rules/both", `{"Pattern":{"source":["aws.securityhub"]},"Targets":[{"Type":"file","Path":"`+file+`"}]}`, "AKIAALICE0000000001", "alice-secret", time.Now())
		if r.Status != 409 || !strings.Contains(r.Body, "configuration file") {
			t.Errorf("%s of a configured rule: %d %s", method, r.Status, r.Body)
		}
	}
}

// waitLines waits until path has at least n lines and returns them.
func waitLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var lines []string
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			f.Close()
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d lines, want %d", path, len(lines), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
)

type nopTarget struct{ closed *int }

func (nopTarget) Deliver(context.Context, *muster.Event, []byte) error { return nil }
func (t nopTarget) Close() error                                       { *t.closed++; return nil }

// TestBuildRoutes: rules naming the same target make one route with all
// their patterns, so the target gets each event once; default names,
// disabled rules and bad rules.
func TestBuildRoutes(t *testing.T) {
	closed := 0
	opened := 0
	open := func(*muster.TargetSpec) (delivery.Target, error) { opened++; return nopTarget{&closed}, nil }
	shared := func() []*muster.TargetSpec {
		return []*muster.TargetSpec{{Name: "siem", Type: muster.TargetWebhook, URL: "https://siem.example.com/", Secret: "s"}}
	}
	rules := []*muster.Rule{
		{Name: "a", Pattern: json.RawMessage(`{"source":["aws.securityhub"]}`), Targets: shared()},
		{Name: "b", Pattern: json.RawMessage(`{"detail-type":["x"]}`), Targets: append(shared(), &muster.TargetSpec{Type: muster.TargetFile, Path: "/tmp/b.jsonl"})},
		{Name: "off", Disabled: true, Pattern: json.RawMessage(`{"a":["b"]}`), Targets: []*muster.TargetSpec{{Type: muster.TargetFile, Path: "/tmp/off"}}},
	}
	routes, err := delivery.BuildRoutes(rules, open)
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 2 || routes[0].Name != "siem" || len(routes[0].Patterns) != 2 || routes[1].Name != "b/2" || opened != 2 {
		t.Fatalf("routes %+v (opened %d)", routes, opened)
	}
	for _, tc := range []struct {
		rule *muster.Rule
		want string
	}{
		{&muster.Rule{Name: "bad name!", Pattern: json.RawMessage(`{}`)}, "rule name"},
		{&muster.Rule{Name: "p", Pattern: json.RawMessage(`{"a":"b"}`), Targets: shared()}, "event pattern"},
		{&muster.Rule{Name: "t", Pattern: json.RawMessage(`{"a":["b"]}`)}, "at least one target"},
		{&muster.Rule{Name: "w", Pattern: json.RawMessage(`{"a":["b"]}`), Targets: []*muster.TargetSpec{{Type: muster.TargetWebhook, URL: "ftp://x", Secret: "s"}}}, "http or https"},
		{&muster.Rule{Name: "s", Pattern: json.RawMessage(`{"a":["b"]}`), Targets: []*muster.TargetSpec{{Type: muster.TargetWebhook, URL: "https://x"}}}, "secret"},
		{&muster.Rule{Name: "n", Pattern: json.RawMessage(`{"a":["b"]}`), Targets: []*muster.TargetSpec{{Type: muster.TargetNATS, URL: "nats://x"}}}, "subject"},
		{&muster.Rule{Name: "k", Pattern: json.RawMessage(`{"a":["b"]}`), Targets: []*muster.TargetSpec{{Type: "sqs"}}}, `type "sqs"`},
	} {
		closed = 0
		_, err := delivery.BuildRoutes(append(rules[:1:1], tc.rule), open)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.rule.Name, err, tc.want)
		}
		if closed != 1 {
			t.Errorf("%s: the targets opened before the bad rule were not closed (%d)", tc.rule.Name, closed)
		}
	}
}

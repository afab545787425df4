package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestEventsRealServer runs --events against the real server: every
// delivery the rules call for arrives, and the lag figures come from them.
func TestEventsRealServer(t *testing.T) {
	bin := muster(t)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{ServerCmd: serverCmd(bin), Events: true, Findings: 2000, Concurrency: 4, Queries: 1, Out: &out})
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	e := res.Events
	if e == nil || e.Delivered != e.Expected || e.Expected != 2000 || e.P95 <= 0 || e.Max < e.P95 || !strings.Contains(out.String(), "delivery lag") {
		t.Fatalf("events %+v", e)
	}
}

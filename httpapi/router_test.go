package httpapi

import (
	"net/url"
	"strings"
	"testing"

	"github.com/muster-hub/muster/model"
)

// escapeLabel encodes a path label as botocore does: greedy labels keep
// "/", others escape it.
func escapeLabel(v string, greedy bool) string {
	e := url.PathEscape(v)
	if greedy {
		e = strings.ReplaceAll(e, "%2F", "/")
	}
	return e
}

// TestEveryOperationRoutes fills each operation's path template with an
// ARN full of ':' and '/' and requires the router to find that operation
// and decode the label back, so that no operation of the model is
// unreachable or shadowed by a sibling.
func TestEveryOperationRoutes(t *testing.T) {
	rt := newRouter(model.Operations())
	const arn = "arn:aws:securityhub:us-east-1:123456789012:insight/123456789012/custom/a b"
	for _, op := range model.Operations() {
		var path strings.Builder
		want := map[string]string{}
		for _, seg := range strings.Split(strings.Trim(op.Path, "/"), "/") {
			path.WriteByte('/')
			switch {
			case strings.HasSuffix(seg, "+}"):
				name := seg[1 : len(seg)-2]
				want[name] = arn
				path.WriteString(escapeLabel(arn, true))
			case strings.HasPrefix(seg, "{"):
				name := seg[1 : len(seg)-1]
				want[name] = arn
				path.WriteString(escapeLabel(arn, false))
			default:
				path.WriteString(seg)
			}
		}
		got, labels, _ := rt.match(op.Method, path.String())
		if got == nil || got.Name != op.Name {
			t.Errorf("%s %s routes to %v, want %s", op.Method, path.String(), got, op.Name)
			continue
		}
		for k, v := range want {
			if labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", op.Name, k, labels[k], v)
			}
		}
	}
}

func TestRouteMisses(t *testing.T) {
	rt := newRouter(model.Operations())
	cases := []struct {
		method, path string
		known        bool
	}{
		{"PUT", "/findings", true}, // the path exists for POST and PATCH
		{"POST", "/nothing/here", false},
		{"GET", "/tags/", false}, // an empty label matches nothing
		{"POST", "/findings/import/extra", false},
	}
	for _, c := range cases {
		op, _, known := rt.match(c.method, c.path)
		if op != nil || known != c.known {
			t.Errorf("%s %s = %v known %v", c.method, c.path, op, known)
		}
	}
	// Literal siblings win over greedy labels.
	if op, _, _ := rt.match("POST", "/insights/get"); op == nil || op.Name != "GetInsights" {
		t.Errorf("/insights/get routes to %v", op)
	}
	if op, _, _ := rt.match("PATCH", "/findings/batchupdate"); op == nil || op.Name != "BatchUpdateFindings" {
		t.Errorf("/findings/batchupdate routes to %v", op)
	}
}

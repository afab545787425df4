package muster_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/internal/corpus"
)

// TestEventJSONRoundTrip reads AWS's and producers' sample events into
// Event and writes them back: the envelope comes out as EventBridge's,
// member for member.
func TestEventJSONRoundTrip(t *testing.T) {
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events", "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample events")
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raws []json.RawMessage
		if json.Unmarshal(b, &raws) != nil {
			raws = []json.RawMessage{b}
		}
		for _, raw := range raws {
			var orig map[string]any
			json.Unmarshal(raw, &orig)
			if orig["source"] != "aws.securityhub" || orig["version"] != "0" {
				continue // a collector's own wrapper, not an EventBridge event
			}
			// Cloud Custodian's fixtures carry a "debug" member of
			// their own, which no EventBridge event has.
			delete(orig, "debug")
			var e muster.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var back map[string]any
			if err := json.Unmarshal(e.AppendJSON(nil), &back); err != nil {
				t.Fatalf("%s: AppendJSON wrote invalid JSON: %v", f, err)
			}
			if !reflect.DeepEqual(orig, back) {
				t.Errorf("%s: round trip changed the event:\n%v\n%v", f, orig, back)
			}
			n++
		}
	}
	if n < 5 {
		t.Fatalf("only %d sample events", n)
	}
}

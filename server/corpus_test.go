package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/internal/corpus"
)

// TestCorpusRoundTrip imports every finding of shared/corpus/asff through
// signed BatchImportFindings requests and reads each back with GetFindings:
// findings AWS would reject fail with the expected message, and every other
// one comes back with everything its producer sent.
func TestCorpusRoundTrip(t *testing.T) {
	all, err := corpus.Findings()
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, nil)
	enable(t, client(s, acct, "x", "us-east-1"))

	type sent struct {
		f   corpus.Finding
		raw []byte
	}
	// winner is, per finding key, the import that should be stored: the
	// first one, replaced only by a later one with a newer UpdatedAt.
	winner := map[string]sent{}
	var order []string
	var batch []sent
	rejected := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		parts := make([]string, len(batch))
		for i, b := range batch {
			parts[i] = string(b.raw)
		}
		r := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+strings.Join(parts, ",")+`]}`, acct, "x", now())
		if r.Status != 200 {
			t.Fatalf("import of %s: %d %s", batch[0].f.File, r.Status, r.Body)
		}
		var out struct {
			FailedFindings []struct{ Id, ErrorCode, ErrorMessage string }
		}
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatal(err)
		}
		failed := out.FailedFindings
		for _, b := range batch {
			want, expectFail := corpus.Expected[b.f.Key()]
			if expectFail {
				if len(failed) == 0 || failed[0].Id != asff.FindingID(b.raw) || failed[0].ErrorCode != "InvalidInput" || !strings.Contains(failed[0].ErrorMessage, want) {
					t.Errorf("%s: want failure %q, got %+v", b.f.Key(), want, failed)
				} else {
					failed = failed[1:]
				}
				rejected++
				continue
			}
			key := findingKey(t, b.raw)
			w, seen := winner[key]
			if !seen {
				order = append(order, key)
				winner[key] = b
			} else if newer(t, b.raw, w.raw) {
				winner[key] = b
			}
		}
		if len(failed) != 0 {
			t.Errorf("unexpected failures: %+v", failed)
		}
		batch = batch[:0]
	}
	for i, f := range all {
		raw, err := corpus.Prepare(f.Raw, acct, "us-east-1")
		if err != nil {
			t.Fatalf("%s: %v", f.Key(), err)
		}
		batch = append(batch, sent{f, raw})
		if len(batch) == 100 || i == len(all)-1 || all[i+1].File != f.File {
			flush()
		}
	}
	if rejected != len(corpus.Expected) {
		t.Errorf("%d findings rejected, Expected lists %d", rejected, len(corpus.Expected))
	}

	files := map[string]bool{}
	for _, key := range order {
		w := winner[key]
		files[w.f.File] = true
		var head struct{ Id, ProductArn string }
		json.Unmarshal(w.raw, &head)
		filters := fmt.Sprintf(`{"Id":[{"Value":%q,"Comparison":"EQUALS"}],"ProductArn":[{"Value":%q,"Comparison":"EQUALS"}]}`, head.Id, head.ProductArn)
		r := signedRequest(t, s, "POST", "/findings", `{"Filters":`+filters+`}`, acct, "x", now())
		var out struct{ Findings []map[string]any }
		if err := decodeNumbers(r.Body, &out); err != nil || len(out.Findings) != 1 {
			t.Fatalf("%s: GetFindings: %v %s", w.f.Key(), err, r.Body)
		}
		var sentDoc map[string]any
		if err := decodeNumbers(string(w.raw), &sentDoc); err != nil {
			t.Fatal(err)
		}
		if diff := roundTripDiff(sentDoc, out.Findings[0]); diff != "" {
			t.Errorf("%s (%s) did not round-trip: %s", w.f.Key(), head.Id, diff)
		}
	}
	t.Logf("%d corpus findings from %d files round-tripped (%d distinct keys), %d rejected as AWS rejects them", len(all)-rejected, len(files), len(order), rejected)
	if len(files) < 20 {
		t.Errorf("only %d corpus files had findings stored", len(files))
	}
}

// serverOwned are the members Security Hub sets itself, whatever the
// provider sent.
var serverOwned = map[string]bool{"Region": true, "ProcessedAt": true}

// providerSubset are members Security Hub completes (adds keys to), so the
// stored value must contain what the provider sent rather than equal it.
var providerSubset = map[string]bool{"Severity": true, "ProductFields": true, "FindingProviderFields": true, "Workflow": true}

// roundTripDiff reports the first member the provider sent that did not
// come back as sent.
func roundTripDiff(sent, got map[string]any) string {
	fpf, _ := sent["FindingProviderFields"].(map[string]any)
	for k, v := range sent {
		switch {
		case serverOwned[k]:
		case fpf != nil && fpf[k] != nil && k != "FindingProviderFields":
			// The provider's FindingProviderFields value wins at the top level.
		case providerSubset[k]:
			sm, _ := v.(map[string]any)
			gm, _ := got[k].(map[string]any)
			for sk, sv := range sm {
				if strings.HasPrefix(sk, "aws/securityhub/") {
					continue
				}
				if !reflect.DeepEqual(sv, gm[sk]) {
					return fmt.Sprintf("%s.%s = %v, sent %v", k, sk, gm[sk], sv)
				}
			}
		default:
			if !reflect.DeepEqual(v, got[k]) {
				return fmt.Sprintf("%s = %v, sent %v", k, got[k], v)
			}
		}
	}
	return ""
}

func decodeNumbers(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(v)
}

func findingKey(t *testing.T, raw []byte) string {
	var head struct{ Id, ProductArn string }
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&head); err != nil {
		t.Fatal(err)
	}
	return head.ProductArn + "\x00" + head.Id
}

// newer reports whether a's UpdatedAt is later than b's.
func newer(t *testing.T, a, b []byte) bool {
	var x, y struct{ UpdatedAt string }
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	ta, err1 := asff.ParseTime(x.UpdatedAt)
	tb, err2 := asff.ParseTime(y.UpdatedAt)
	if err1 != nil || err2 != nil {
		t.Fatalf("UpdatedAt: %v %v", err1, err2)
	}
	return ta.After(tb)
}

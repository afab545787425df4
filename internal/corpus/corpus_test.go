package corpus

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/model"
)

const (
	testAccount = "111122223333"
	testRegion  = "eu-west-3"
)

// TestFindingsPassCheck is the corpus gate: every real finding passes
// Check after Prepare unless Expected lists it, and every listed one fails
// with its message, so the table cannot go stale.
func TestFindingsPassCheck(t *testing.T) {
	fs, err := Findings()
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) < 1000 {
		t.Fatalf("only %d corpus findings", len(fs))
	}
	seen := map[string]bool{}
	for _, f := range fs {
		key := f.Key()
		seen[key] = true
		raw, err := Prepare(f.Raw, testAccount, testRegion)
		if err != nil {
			t.Errorf("%s: Prepare: %v", key, err)
			continue
		}
		err = asff.Check(raw)
		want, listed := Expected[key]
		switch {
		case !listed && err != nil:
			t.Errorf("%s: Check = %v; AWS accepts it (or list it in Expected with the evidence)", key, err)
		case listed && err == nil:
			t.Errorf("%s: Check passes; Expected says %q", key, want)
		case listed && !strings.Contains(err.Error(), want):
			t.Errorf("%s: Check = %v, want %q", key, err, want)
		}
	}
	for key := range Expected {
		if !seen[key] {
			t.Errorf("Expected lists %s, which is not in the corpus", key)
		}
	}
}

func TestPrepare(t *testing.T) {
	fs, err := Findings()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		raw, err := Prepare(f.Raw, testAccount, testRegion)
		if err != nil {
			t.Fatalf("%s: %v", f.Key(), err)
		}
		var got, orig map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: Prepare made invalid JSON: %v", f.Key(), err)
		}
		if err := json.Unmarshal(f.Raw, &orig); err != nil {
			t.Fatal(err)
		}
		if got["AwsAccountId"] != testAccount || got["ProductArn"] != "arn:aws:securityhub:eu-west-3:111122223333:product/111122223333/default" {
			t.Fatalf("%s: Prepare set %v and %v", f.Key(), got["AwsAccountId"], got["ProductArn"])
		}
		delete(got, "AwsAccountId")
		delete(got, "ProductArn")
		delete(orig, "AwsAccountId")
		delete(orig, "ProductArn")
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(orig)
		if string(a) != string(b) {
			t.Fatalf("%s: Prepare changed other members", f.Key())
		}
		if asff.FindingID(raw) != asff.FindingID(f.Raw) {
			t.Fatalf("%s: Prepare changed the Id", f.Key())
		}
	}
	// Members are added to a finding that lacks them, in place otherwise.
	for in, want := range map[string]string{
		`{}`:          `{"AwsAccountId": "111122223333", "ProductArn": "arn:aws:securityhub:eu-west-3:111122223333:product/111122223333/default"}`,
		`{"Id": "a"}`: `{"AwsAccountId": "111122223333", "ProductArn": "arn:aws:securityhub:eu-west-3:111122223333:product/111122223333/default", "Id": "a"}`,
		"{\r\n \"AwsAccountId\" : \"x\",\r\n \"Id\": 1}": "{\"ProductArn\": \"arn:aws:securityhub:eu-west-3:111122223333:product/111122223333/default\", \r\n \"AwsAccountId\" : \"111122223333\",\r\n \"Id\": 1}",
	} {
		got, err := Prepare([]byte(in), testAccount, testRegion)
		if err != nil || string(got) != want {
			t.Errorf("Prepare(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := Prepare([]byte(`[]`), testAccount, testRegion); err == nil {
		t.Error("Prepare accepted an array")
	}
}

func TestSplit(t *testing.T) {
	for in, n := range map[string]int{
		`[{"Id": "a"}, {"Id": "b"}]`:                   2,
		`{"Findings": [{"Id": "a"}], "NextToken": ""}`: 1,
		`{"findings": [{"Id": "a"}]}`:                  1,
		`{"SchemaVersion": "2018-10-08", "Id": "a"}`:   1,
	} {
		got, err := Split([]byte(in))
		if err != nil || len(got) != n {
			t.Errorf("Split(%s) = %d findings, %v; want %d", in, len(got), err, n)
		}
	}
	for _, in := range []string{`{"Other": 1}`, `"x"`, `[1,`} {
		if _, err := Split([]byte(in)); err == nil {
			t.Errorf("Split(%s) succeeded", in)
		}
	}
}

// TestMalformed checks that the published findings that are not JSON are
// refused as such (a request-level failure, not a per-finding one), and
// that the finding python-asff calls invalid for its empty ProductFields
// values is accepted, as AWS accepts GuardDuty's.
func TestMalformed(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "malformed", "*-unparseable.json"))
	if len(files) == 0 {
		t.Fatal("no malformed files")
	}
	n := 0
	for _, path := range files {
		var texts []string
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &texts); err != nil {
			t.Fatal(err)
		}
		for i, text := range texts {
			n++
			err := asff.Check([]byte(text))
			if !errors.Is(err, model.ErrNotIJSON) {
				t.Errorf("%s#%d: Check = %v, want a not-JSON error", filepath.Base(path), i, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no malformed findings")
	}
	data, err := os.ReadFile(filepath.Join(dir, "malformed", "python-asff-broken-event-invalid.json"))
	if err != nil {
		t.Fatal(err)
	}
	raws, err := Split(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range raws {
		p, err := Prepare(raw, testAccount, testRegion)
		if err != nil {
			t.Fatal(err)
		}
		if err := asff.Check(p); err != nil {
			t.Errorf("python-asff-broken-event-invalid.json#%d: Check = %v; empty ProductFields values are accepted", i, err)
		}
	}
}

// TestFragments validates the user guide's attribute examples against the
// shapes of the members they show, where a member maps to a shape: a
// member of AwsSecurityFinding, of Resource or of ResourceDetails.
func TestFragments(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "fragments", "aws-docs-securityhub-attribute-examples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var frags []map[string]json.RawMessage
	if err := json.Unmarshal(data, &frags); err != nil {
		t.Fatal(err)
	}
	parents := []*model.Shape{model.Lookup("AwsSecurityFinding"), model.Lookup("Resource"), model.Lookup("ResourceDetails")}
	checked := 0
	for i, frag := range frags {
		for name, raw := range frag {
			var m *model.Member
			for _, p := range parents {
				if m = p.Member(name); m != nil {
					break
				}
			}
			if m == nil {
				continue
			}
			checked++
			if err := model.Validate(model.ShapeAt(m.Shape), raw); err != nil {
				if reason, ok := fragmentErrors[fragKey(i, name)]; !ok || !strings.Contains(err.Error(), reason) {
					t.Errorf("fragment %d %s: %v", i, name, err)
				}
			} else if _, ok := fragmentErrors[fragKey(i, name)]; ok {
				t.Errorf("fragment %d %s: valid, but listed in fragmentErrors", i, name)
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d fragments mapped to shapes", checked)
	}
}

func fragKey(i int, name string) string { return name + "#" + strconv.Itoa(i) }

// fragmentErrors are the user guide's examples that break their shapes,
// keyed "Member#index": errors of the documentation (placeholders such as
// "string" for a list, numbers written as strings and the reverse, an
// enum value in the wrong case, a member given twice), not of the model.
var fragmentErrors = map[string]string{
	"Resources#4":             `data[0] has a duplicate member name "Type"`,
	"AwsBackupBackupVault#12": "data.AccessPolicy should be string",
	"AwsEcsService#27":        "data.CapacityProviderStrategy[0].Weight should be integer",
	"AwsEcsTask#28":           "data.Version should be string",
	"AwsElbv2LoadBalancer#31": "data.AvailabilityZones should be array",
	"AwsRdsDbInstance#41":     "data.Iops should be integer",
	"AwsRedshiftCluster#45":   "data.ClusterRevisionNumber should be string",
	"AwsSnsTopic#49":          "data.Subscription should be array",
	"Network#76":              "data.SourcePort should be integer",
	"VerificationState#89":    "data should be equal to one of the allowed values",
}

// BenchmarkCheck runs Check over every prepared corpus finding; ns/op is
// per finding.
func BenchmarkCheck(b *testing.B) {
	fs, err := Findings()
	if err != nil {
		b.Fatal(err)
	}
	var raws [][]byte
	size := 0
	for _, f := range fs {
		raw, err := Prepare(f.Raw, testAccount, testRegion)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
		size += len(raw)
	}
	b.SetBytes(int64(size / len(raws)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = asff.Check(raws[i%len(raws)])
		i++
	}
}

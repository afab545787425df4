package filtertest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/model"
)

// TestRandomDocValid checks that RandomDoc writes what a JSON decoder
// would produce and what the model and the filter fields expect, so that
// the same findings can be imported.
func TestRandomDocValid(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	finding := model.Lookup("AwsSecurityFinding")
	for range 500 {
		doc := RandomDoc(r)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var back filter.Doc
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, doc) {
			t.Fatalf("doc does not survive JSON:\n%s", b)
		}
		if err := validate(doc, finding, ""); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		for _, f := range filter.Fields {
			for _, v := range f.Values(doc) {
				s, _ := v.(string)
				switch f.Type {
				case filter.Date:
					if _, err := asff.ParseTime(s); err != nil {
						t.Fatalf("%s: %q: %v", f.Name, s, err)
					}
				case filter.IP:
					if _, err := netip.ParseAddr(s); err != nil {
						t.Fatalf("%s: %q: %v", f.Name, s, err)
					}
				}
			}
		}
	}
}

func validate(v any, s *model.Shape, path string) error {
	switch s.Kind {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object", path)
		}
		for k, x := range m {
			mem := s.Member(k)
			if mem == nil {
				return fmt.Errorf("%s: unknown member %s", path, k)
			}
			if err := validate(x, model.ShapeAt(mem.Shape), path+"."+k); err != nil {
				return err
			}
		}
		for _, mem := range s.Members {
			if _, ok := m[mem.Name]; mem.Required && !ok {
				return fmt.Errorf("%s: required member %s missing", path, mem.Name)
			}
		}
	case model.List:
		xs, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not an array", path)
		}
		for i, x := range xs {
			if err := validate(x, model.ShapeAt(s.Elem), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not a map", path)
		}
		for k, x := range m {
			if err := validate(x, model.ShapeAt(s.Elem), path+"."+k); err != nil {
				return err
			}
		}
	case model.String:
		x, ok := v.(string)
		if !ok || strings.TrimSpace(x) == "" {
			return fmt.Errorf("%s: %v is not a non-empty string", path, v)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, x) {
			return fmt.Errorf("%s: %q not in %v", path, x, s.Enum)
		}
	case model.Integer, model.Long, model.Double, model.Float:
		x, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%s: %v is not a number", path, v)
		}
		if (s.Kind == model.Integer || s.Kind == model.Long) && x != math.Trunc(x) {
			return fmt.Errorf("%s: %v is not an integer", path, v)
		}
		if s.HasMin && x < float64(s.Min) || s.HasMax && x > float64(s.Max) {
			return fmt.Errorf("%s: %v out of range", path, v)
		}
	case model.Boolean:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %v is not a boolean", path, v)
		}
	}
	return nil
}

// TestRandomDocCoverage checks that every field is present in some
// findings and absent from others, and that multi-valued fields sometimes
// have several values.
func TestRandomDocCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	present := map[string]int{}
	several := map[string]bool{}
	const n = 500
	for range n {
		doc := RandomMessyDoc(r)
		for _, f := range filter.Fields {
			if vs := f.Values(doc); len(vs) > 0 {
				present[f.Name]++
				if len(vs) > 1 {
					several[f.Name] = true
				}
			}
		}
	}
	for _, f := range filter.Fields {
		if present[f.Name] == 0 || (present[f.Name] == n && !slices.Contains([]string{"Id", "ProductArn", "AwsAccountId", "GeneratorId", "CreatedAt", "UpdatedAt", "Title", "Description", "ResourceType", "ResourceId", "Keyword"}, f.Name)) {
			t.Errorf("%s present in %d of %d findings", f.Name, present[f.Name], n)
		}
		if f.Multi && !several[f.Name] {
			t.Errorf("%s never has several values", f.Name)
		}
	}
}

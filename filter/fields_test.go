package filter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muster-hub/muster/model"
)

var listTypes = map[string]Type{
	"StringFilterList":  String,
	"NumberFilterList":  Number,
	"DateFilterList":    Date,
	"MapFilterList":     Map,
	"BooleanFilterList": Boolean,
	"IpFilterList":      IP,
	"KeywordFilterList": Keyword,
}

// TestFieldsMatchModel checks Fields against the API model: the same
// members in the same order with the types of their list shapes, and a
// Path that exists in AwsSecurityFinding, ends in a shape of the right
// kind and crosses a list exactly where it says "[]".
func TestFieldsMatchModel(t *testing.T) {
	filters := model.Lookup("AwsSecurityFindingFilters")
	if len(filters.Members) != len(Fields) {
		t.Fatalf("model has %d filter members, Fields has %d", len(filters.Members), len(Fields))
	}
	finding := model.Lookup("AwsSecurityFinding")
	paths := map[string]string{}
	for i, m := range filters.Members {
		f := &Fields[i]
		if f.Name != m.Name {
			t.Errorf("Fields[%d] is %s, model member is %s", i, f.Name, m.Name)
			continue
		}
		if LookupField(m.Name) != f {
			t.Errorf("LookupField(%q) does not return &Fields[%d]", m.Name, i)
		}
		list := model.ShapeAt(m.Shape).Name
		want, ok := listTypes[list]
		if !ok {
			t.Errorf("%s: unknown list shape %s", m.Name, list)
		}
		if f.Type != want {
			t.Errorf("%s: Type %v, model says %s", m.Name, f.Type, list)
		}
		if f.Deprecated != m.Deprecated {
			t.Errorf("%s: Deprecated %v, model says %v", m.Name, f.Deprecated, m.Deprecated)
		}
		if f.Type == Keyword {
			if f.Path != "" || f.Multi {
				t.Errorf("Keyword has a Path or Multi")
			}
			continue
		}
		if other, dup := paths[f.Path]; dup {
			t.Errorf("%s and %s share the path %s", other, f.Name, f.Path)
		}
		paths[f.Path] = f.Name
		shape, crossed, err := resolve(finding, f.Path)
		if err != nil {
			t.Errorf("%s: path %s: %v", f.Name, f.Path, err)
			continue
		}
		if crossed != f.Multi {
			t.Errorf("%s: Multi %v but path crosses a list: %v", f.Name, f.Multi, crossed)
		}
		var kindOK bool
		switch f.Type {
		case String, Date, IP:
			kindOK = shape.Kind == model.String
		case Number:
			kindOK = shape.Kind == model.Integer || shape.Kind == model.Long || shape.Kind == model.Double || shape.Kind == model.Float
		case Map:
			kindOK = shape.Kind == model.Map && model.ShapeAt(shape.Elem).Kind == model.String
		case Boolean:
			kindOK = shape.Kind == model.Boolean
		}
		if !kindOK {
			t.Errorf("%s: path %s ends in %s (%v), not fit for a %v filter", f.Name, f.Path, shape.Name, shape.Kind, f.Type)
		}
	}
	for _, p := range KeywordPaths {
		if s, _, err := resolve(finding, p); err != nil || s.Kind != model.String {
			t.Errorf("KeywordPaths %s: %v", p, err)
		}
	}
}

func resolve(s *model.Shape, path string) (*model.Shape, bool, error) {
	crossed := false
	for _, seg := range strings.Split(path, ".") {
		name, arr := strings.CutSuffix(seg, "[]")
		if s.Kind != model.Structure {
			return nil, false, errf("%s is not a structure before %s", s.Name, name)
		}
		m := s.Member(name)
		if m == nil {
			return nil, false, errf("%s has no member %s", s.Name, name)
		}
		s = model.ShapeAt(m.Shape)
		if arr {
			if s.Kind != model.List {
				return nil, false, errf("%s.%s is not a list", s.Name, name)
			}
			s = model.ShapeAt(s.Elem)
			crossed = true
		} else if s.Kind == model.List {
			return nil, false, errf("%s is a list but the path has no []", name)
		}
	}
	return s, crossed, nil
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

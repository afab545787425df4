package importer

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// The SDK's types carry no JSON tags, but their field names are the ASFF
// member names (checked against the SDK's serializers), so encoding/json
// fills them from a producer's document. What it cannot fill it drops
// without a word; memberCheck finds those members so the summary can say
// that they were not sent.

// fieldSet maps the member names of one struct type, folded to lower case,
// to the exact name and type of the Go field that encoding/json fills.
type fieldSet map[string]field

type field struct {
	name string
	typ  reflect.Type
}

var fieldSets sync.Map // reflect.Type -> fieldSet

func fieldsOf(t reflect.Type) fieldSet {
	if fs, ok := fieldSets.Load(t); ok {
		return fs.(fieldSet)
	}
	fs := fieldSet{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		fs[strings.ToLower(f.Name)] = field{f.Name, f.Type}
	}
	fieldSets.Store(t, fs)
	return fs
}

var findingType = reflect.TypeFor[types.AwsSecurityFinding]()

// decodeFinding fills the SDK's type from a producer's document and reports
// the member paths that the SDK will not send (dropped) or will send under
// another spelling (renamed, e.g. "id" sent as "Id").
func decodeFinding(raw json.RawMessage, dropped, renamed func(path string)) (types.AwsSecurityFinding, error) {
	var f types.AwsSecurityFinding
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return f, err
	}
	checkMembers(doc, findingType, "", dropped, renamed)
	return f, nil
}

func checkMembers(v any, t reflect.Type, path string, dropped, renamed func(string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fs := fieldsOf(t)
			for k, sub := range v {
				p := join(path, k)
				f, ok := fs[strings.ToLower(k)]
				if !ok {
					dropped(p)
					continue
				}
				if f.name != k {
					renamed(p + " (sent as " + f.name + ")")
				}
				checkMembers(sub, f.typ, join(path, f.name), dropped, renamed)
			}
		case reflect.Map:
			for _, sub := range v {
				checkMembers(sub, t.Elem(), path+".*", dropped, renamed)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for _, sub := range v {
				checkMembers(sub, t.Elem(), path+"[]", dropped, renamed)
			}
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

package bench

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// wireValue turns an SDK value into what the SDK's REST-JSON serializer
// writes: nil members left out, field names as they are. The serializer
// itself is unexported; this lets sizes be known without a server.
func wireValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return wireValue(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			fv := v.Field(i)
			if fv.IsZero() && (fv.Kind() != reflect.Slice && fv.Kind() != reflect.Map || fv.IsNil()) {
				continue
			}
			if w := wireValue(fv); w != nil {
				m[f.Name] = w
			}
		}
		return m
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = wireValue(v.Index(i))
		}
		return out
	case reflect.Map:
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = wireValue(it.Value())
		}
		return m
	default:
		return v.Interface()
	}
}

// WireJSON is a finding as BatchImportFindings sends it, member order
// aside.
func WireJSON(f *types.AwsSecurityFinding) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(wireValue(reflect.ValueOf(f)))
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// EstimateSize is the mean size of findings on the wire.
func EstimateSize(findings []types.AwsSecurityFinding) int {
	if len(findings) == 0 {
		return 0
	}
	total := 0
	for i := range findings {
		total += len(WireJSON(&findings[i]))
	}
	return total / len(findings)
}

package asff

import (
	"bytes"
	"errors"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster/model"
)

// object is a JSON object split into its members, each value kept as the
// producer's bytes. Completing and merging findings only touches a few
// top-level members, so splitting once and splicing raw bytes back is far
// cheaper than decoding and re-encoding whole findings — this runs for
// every imported finding.
type object struct {
	names []string
	vals  [][]byte
}

// splitObject splits raw, which must be a valid JSON object, into members.
// The values alias raw. It scans bytes rather than decoding because the
// finding was validated as I-JSON already, and this is on the import path.
func splitObject(raw []byte) (*object, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	// About one member per 64 bytes: nested objects (Severity, Workflow,
	// a resource) are small and there are many of them per finding.
	n := min(32, max(4, len(raw)/64))
	o := &object{names: make([]string, 0, n), vals: make([][]byte, 0, n)}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return o, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, errNotObject
		}
		end, err := skipValue(raw, i)
		if err != nil {
			return nil, err
		}
		name, err := unquote(raw[i:end])
		if err != nil {
			return nil, err
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(raw, i+1)
		end, err = skipValue(raw, i)
		if err != nil {
			return nil, err
		}
		o.names = append(o.names, name)
		o.vals = append(o.vals, raw[i:end:end])
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, errNotObject
		}
		if raw[i] == '}' {
			break
		}
		if raw[i] != ',' {
			return nil, errNotObject
		}
		i = skipSpace(raw, i+1)
	}
	if skipSpace(raw, i+1) != len(raw) {
		return nil, errNotObject
	}
	return o, nil
}

var errNotObject = errors.New("not a valid JSON object")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i].
// Splitting findings runs it over every byte of every document an import
// or update reads (four documents for a re-import), so it jumps to the
// bytes that matter: most of a finding is strings, whose end IndexByte
// finds many bytes at a time.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errNotObject
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			for j < len(b) && !structural[b[j]] {
				j++
			}
			if j == len(b) {
				break
			}
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotObject
	default:
		j := i
		for j < len(b) && !scalarEnd[b[j]] {
			j++
		}
		if j == i {
			return 0, errNotObject
		}
		return j, nil
	}
}

// skipString returns the index just past the string literal at b[i]. A
// quote ends it unless an odd run of backslashes comes before it: in JSON a
// backslash only begins an escape, so pairs of them are escaped
// backslashes.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errNotObject
		}
		end := j + k
		n := 0
		for p := end - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return end + 1, nil
		}
		j = end + 1
	}
}

// structural marks the bytes a container's scan stops at; scalarEnd those
// that end a number or literal.
var structural, scalarEnd = func() (s, e [256]bool) {
	for _, c := range `"{}[]` {
		s[c] = true
	}
	for _, c := range ",}] \t\r\n" {
		e[c] = true
	}
	return s, e
}()

// unquote decodes a JSON string literal.
func unquote(v []byte) (string, error) {
	if bytes.IndexByte(v, '\\') < 0 {
		if s, ok := memberNames[string(v[1:len(v)-1])]; ok {
			return s, nil // no allocation for the names the model knows
		}
		return string(v[1 : len(v)-1]), nil
	}
	tok, err := jsontext.NewDecoder(bytes.NewReader(v)).ReadToken()
	if err != nil {
		return "", err
	}
	return tok.String(), nil
}

// member returns the raw value of name, or nil when it is absent or null:
// the validator, like AWS, treats a null member as absent, so a null must
// neither block a default nor overwrite a value.
func (o *object) member(name string) []byte {
	for i, n := range o.names {
		if n == name {
			if string(o.vals[i]) == "null" {
				return nil
			}
			return o.vals[i]
		}
	}
	return nil
}

func (o *object) has(name string) bool { return o.member(name) != nil }

// str returns member name as a string, or "" when it is absent or not a
// string.
func (o *object) str(name string) string {
	s, _ := o.stringMember(name)
	return s
}

// stringMember returns member name if it is a JSON string.
func (o *object) stringMember(name string) (string, bool) {
	v := o.member(name)
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	s, err := unquote(v)
	return s, err == nil
}

// object returns member name split as an object; an absent member, or one
// that is not an object, gives an empty one.
func (o *object) object(name string) *object {
	if sub, ok := o.objectMember(name); ok {
		return sub
	}
	return &object{}
}

// objectMember returns member name split, if it is a JSON object.
func (o *object) objectMember(name string) (*object, bool) {
	v := o.member(name)
	if len(v) == 0 || v[0] != '{' {
		return nil, false
	}
	sub, err := splitObject(v)
	return sub, err == nil
}

// set replaces or appends member name with the raw value v.
func (o *object) set(name string, v []byte) {
	for i, n := range o.names {
		if n == name {
			o.vals[i] = v
			return
		}
	}
	o.names = append(o.names, name)
	o.vals = append(o.vals, v)
}

func (o *object) setString(name, s string) {
	v, _ := jsontext.AppendQuote(nil, s)
	o.set(name, v)
}

func (o *object) setObject(name string, sub *object) { o.set(name, sub.bytes()) }

func (o *object) delete(name string) {
	for i, n := range o.names {
		if n == name {
			o.names = append(o.names[:i], o.names[i+1:]...)
			o.vals = append(o.vals[:i], o.vals[i+1:]...)
			return
		}
	}
}

func (o *object) len() int { return len(o.names) }

// bytes encodes the object, members in their order.
func (o *object) bytes() []byte {
	n := 2
	for i := range o.names {
		n += len(o.names[i]) + len(o.vals[i]) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, name := range o.names {
		if i > 0 {
			b = append(b, ',')
		}
		b, _ = jsontext.AppendQuote(b, name)
		b = append(b, ':')
		b = append(b, o.vals[i]...)
	}
	return append(b, '}')
}

// Object gives read access to a few members of a large JSON object
// without decoding the rest — what a store needs to fill its columns from
// a stored finding. Its input must be valid JSON (a stored or checked
// finding); a null member reads as absent.
type Object struct{ o *object }

// SplitObject splits raw, which must be a valid JSON object.
func SplitObject(raw []byte) (Object, error) {
	o, err := splitObject(raw)
	if err != nil {
		return Object{}, err
	}
	return Object{o}, nil
}

// String returns member name if it is a JSON string.
func (ob Object) String(name string) (string, bool) { return ob.o.stringMember(name) }

// Object returns member name if it is a JSON object.
func (ob Object) Object(name string) (Object, bool) {
	sub, ok := ob.o.objectMember(name)
	return Object{sub}, ok
}

// Objects returns the elements of member name that are JSON objects, when
// the member is an array.
func (ob Object) Objects(name string) []Object {
	v := ob.o.member(name)
	if len(v) == 0 || v[0] != '[' {
		return nil
	}
	var out []Object
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != ']' {
		end, err := skipValue(v, i)
		if err != nil {
			return out
		}
		if v[i] == '{' {
			if sub, err := splitObject(v[i:end]); err == nil {
				out = append(out, Object{sub})
			}
		}
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return out
}

// Strings returns the elements of member name that are JSON strings, when
// the member is an array; other elements, null included, are skipped, as
// filters skip values of the wrong type.
func (ob Object) Strings(name string) []string {
	v := ob.o.member(name)
	if len(v) == 0 || v[0] != '[' {
		return nil
	}
	var out []string
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != ']' {
		end, err := skipValue(v, i)
		if err != nil {
			return out
		}
		if v[i] == '"' {
			if s, err := unquote(v[i:end]); err == nil {
				out = append(out, s)
			}
		}
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return out
}

// memberNames holds the member names of AwsSecurityFinding and every
// structure below it, so that splitting a finding does not allocate a
// string for each of its member names.
var memberNames = func() map[string]string {
	names := map[string]string{}
	seen := map[*model.Shape]bool{}
	var walk func(s *model.Shape)
	walk = func(s *model.Shape) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, m := range s.Members {
			names[m.Name] = m.Name
			walk(model.ShapeAt(m.Shape))
		}
		if s.Kind == model.List || s.Kind == model.Map {
			walk(model.ShapeAt(s.Elem))
		}
	}
	walk(model.Lookup("AwsSecurityFinding"))
	return names
}()

package model

import (
	"bytes"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrNotIJSON is wrapped by the *ValidationError that Validate returns when
// raw is not an I-JSON document (RFC 7493): not JSON at all, invalid UTF-8,
// a duplicate member name, a number that does not fit a double, or data
// after the value. Such input cannot be stored and returned unchanged, so
// callers reject the whole request rather than one item of it.
var ErrNotIJSON = errors.New("not an I-JSON document")

// ValidationError says where a document breaks its shape and how, in the
// words of the AJV validator behind Security Hub's own messages, so that
// they can be returned to clients as AWS returns them.
type ValidationError struct {
	// Path locates the offending value in JavaScript notation rooted at
	// "data", e.g. "data.Resources[0].Type" or "data.ProductFields['a/b']".
	Path string
	// Reason is AJV's message, e.g. "should NOT be longer than 512 characters".
	Reason string
	// Err is ErrNotIJSON for documents that are not I-JSON, nil otherwise.
	Err error
}

func (e *ValidationError) Error() string { return e.Path + " " + e.Reason }

// Unwrap lets callers tell malformed documents (errors.Is ErrNotIJSON) from
// documents that merely break their shape.
func (e *ValidationError) Unwrap() error { return e.Err }

// Field tells a Visitor where a scalar sits: the structure member it belongs
// to, directly or as an element of the list or map that the member holds.
type Field struct {
	// Parent is the structure that declares Member; nil at the root.
	Parent *Shape
	Member *Member
	// Shape is the shape of the scalar itself.
	Shape *Shape
	// Elem is set for an element of a list or a value of a map; Key for a
	// key of a map.
	Elem, Key bool
}

// A Visitor adds rules to the single pass of ValidateWith, for constraints
// that the model tables do not carry (package asff uses one for the ASFF
// rules). Methods are called in document order, for known members only.
type Visitor interface {
	// Member is called when a member is present with a non-null value,
	// before the value is read.
	Member(parent *Shape, m *Member)
	// Scalar is called for each string, number or boolean (and each map key)
	// that passed the shape's own checks. v is the unquoted string, the
	// number's literal or "true"/"false"; it is only valid during the call.
	// A non-empty result fails the document with that reason at the value's
	// path (at the map's path for a key).
	Scalar(f Field, v []byte) (reason string)
}

// A KeyCounter is a Visitor that also decides which keys of a map count
// toward the map's item limits (Security Hub does not count the
// ProductFields keys it adds itself).
type KeyCounter interface {
	Visitor
	CountsKey(f Field, key []byte) bool
}

// Validate checks the JSON value raw against shape s: I-JSON (RFC 7493: no
// duplicate member names, valid UTF-8, numbers that are finite), JSON types,
// required members, enums, string length / list and map item counts /
// number ranges from the shape (HasMin/HasMax) and from the member (Min/Max
// documented limits), unions (exactly one member). Unknown members are
// allowed and ignored (producers send members newer than our model; they
// are stored and returned unchanged).
//
// It reports the first problem in document order (missing required members
// when their object ends). It returns a *ValidationError, which wraps
// ErrNotIJSON when raw is not I-JSON; such problems are reported even when
// a schema problem comes first.
//
// Decisions that the model leaves open:
//   - Only body members count: a member bound to the URI, query string or
//     a header is neither required in the document nor checked there.
//   - A member whose value is null is treated as absent, as the AWS JSON
//     protocols do. null as a list element or map value is a type error.
//   - Lengths count UTF-16 code units, as AJV's ucs2length does (a character
//     outside the BMP counts 2), so limits bite exactly where AWS's do.
//   - The pattern `.*\S.*` of NonEmptyString is not enforced: AWS accepts
//     empty and blank strings in members without a documented minimum
//     length (Trivy sends empty Resources[].Details.Other values, and
//     GuardDuty's own findings carry empty ProductFields values). Where a
//     minimum is documented it is enforced as a length.
//   - Other patterns are enforced where RE2 can express them; a leading
//     negative lookahead such as TagKey's `(?!aws:)` is checked by hand.
//   - Timestamp shapes must be RFC 3339 strings (the model's timestampFormat
//     is iso8601). Integer and Long values must be integral, and may be
//     written with a fraction or an exponent (1.0, 1e2) as in JavaScript.
func Validate(s *Shape, raw []byte) error {
	return ValidateWith(s, raw, nil)
}

// ValidateWith is Validate with extra rules from v (which may be nil),
// checked in the same pass.
func ValidateWith(s *Shape, raw []byte, v Visitor) error {
	w := getWalker(raw, v)
	err := w.run(s)
	putWalker(w)
	if err != nil {
		return err
	}
	return nil
}

// ValidateMember validates raw as the value of member name of structure s,
// as ValidateWith(s, …) does when it meets the member in a document: the
// same rules and paths (data.name…), the same calls of v. It lets a caller
// that changed a few members of a valid document check only those. A null
// value is an absent member; a name s does not define is checked as
// I-JSON only.
func ValidateMember(s *Shape, name string, raw []byte, v Visitor) error {
	w := getWalker(raw, v)
	w.path = AppendPathName(w.path, name)
	var verr *ValidationError
	i, ok := infoOf(s).lookup([]byte(name))
	switch {
	case !ok || s.Members[i].Location != "":
		verr = w.any()
	case w.dec.PeekKind() == 'n':
		if _, err := w.dec.ReadToken(); err != nil {
			verr = w.syntax(err)
		}
	default:
		m := &s.Members[i]
		if w.vis != nil {
			w.vis.Member(s, m)
		}
		verr = w.value(&shapes[m.Shape], Field{Parent: s, Member: m, Shape: &shapes[m.Shape]}, m)
	}
	if verr == nil {
		if _, err := w.dec.ReadToken(); err != io.EOF {
			verr = &ValidationError{Path: string(w.path), Reason: "is not valid JSON: data after the value", Err: ErrNotIJSON}
		}
	}
	putWalker(w)
	if verr != nil {
		return verr
	}
	return nil
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// getWalker takes a walker from the pool, reading raw at path "data" and
// calling v.
func getWalker(raw []byte, v Visitor) *walker {
	w := walkers.Get().(*walker)
	w.rd.Reset(raw)
	w.dec.Reset(&w.rd)
	w.vis = v
	w.counter, _ = v.(KeyCounter)
	w.path = append(w.path[:0], "data"...)
	return w
}

// putWalker returns w to the pool, without the buffers a huge document
// grew, which the pool would otherwise keep.
func putWalker(w *walker) {
	w.vis, w.counter = nil, nil
	if cap(w.path) > 4096 || cap(w.scratch) > 1<<16 {
		w.path, w.scratch = nil, nil
	}
	walkers.Put(w)
}

type walker struct {
	rd      bytes.Reader
	dec     jsontext.Decoder
	vis     Visitor
	counter KeyCounter
	path    []byte // rendered path of the current value
	scratch []byte // unquoted strings
	name    []byte // unquoted member names
}

// run validates the document and, if it breaks its shape, keeps reading to
// report a later I-JSON problem instead.
func (w *walker) run(s *Shape) *ValidationError {
	verr := w.value(s, Field{Shape: s}, nil)
	if verr != nil && verr.Err != nil {
		return verr
	}
	if verr != nil {
		if e := w.drain(); e != nil {
			return e
		}
		return verr
	}
	switch _, err := w.dec.ReadToken(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return w.syntax(err)
	default:
		w.path = append(w.path[:0], "data"...)
		return &ValidationError{Path: "data", Reason: "is not valid JSON: data after the top-level value", Err: ErrNotIJSON}
	}
}

// drain reads the rest of the input for I-JSON problems only.
func (w *walker) drain() *ValidationError {
	for {
		tok, err := w.dec.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return w.syntax(err)
		}
		if tok.Kind() == '0' {
			if f, err := tok.Float(); err != nil && math.IsInf(f, 0) {
				return &ValidationError{Path: pointerPath(w.dec.StackPointer()), Reason: "is a number that is not finite", Err: ErrNotIJSON}
			}
		}
	}
}

// syntax turns a decoder error into an I-JSON ValidationError at the
// current path.
func (w *walker) syntax(err error) *ValidationError {
	e := &ValidationError{Path: string(w.path), Err: ErrNotIJSON}
	var serr *jsontext.SyntacticError
	if errors.As(err, &serr) {
		ptr := serr.JSONPointer
		if serr.Err == jsontext.ErrDuplicateName {
			ptr = ptr.Parent()
		}
		e.Path = pointerPath(ptr)
	}
	switch {
	case serr != nil && serr.Err == jsontext.ErrDuplicateName:
		e.Reason = "has a duplicate member name " + strconv.Quote(serr.JSONPointer.LastToken())
	case serr != nil && serr.Err != nil && strings.Contains(serr.Err.Error(), "invalid UTF-8"):
		e.Reason = "is not valid UTF-8"
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		e.Reason = "is not valid JSON: unexpected end of input"
	default:
		e.Reason = "is not valid JSON: " + strings.TrimPrefix(err.Error(), "jsontext: ")
	}
	return e
}

// pointerPath renders a JSON pointer as an AJV path; a token of digits is
// taken for an array index.
func pointerPath(p jsontext.Pointer) string {
	b := []byte("data")
	for tok := range p.Tokens() {
		digits := tok != ""
		for i := 0; i < len(tok) && digits; i++ {
			digits = '0' <= tok[i] && tok[i] <= '9'
		}
		if digits {
			b = append(append(append(b, '['), tok...), ']')
		} else {
			b = AppendPathName(b, tok)
		}
	}
	return string(b)
}

func (w *walker) fail(reason string) *ValidationError {
	return &ValidationError{Path: string(w.path), Reason: reason}
}

func (w *walker) typeErr(s *Shape) *ValidationError {
	return w.fail("should be " + s.Kind.String())
}

// value validates the next value against s. m is the member holding the
// value directly (its documented limits apply), nil for list elements and
// map values.
func (w *walker) value(s *Shape, f Field, m *Member) *ValidationError {
	if s.Document {
		return w.any()
	}
	k := w.dec.PeekKind()
	if k == 0 {
		_, err := w.dec.ReadToken()
		return w.syntax(err)
	}
	switch s.Kind {
	case Structure:
		if k != '{' {
			return w.mismatch(s)
		}
		return w.structure(s)
	case List:
		if k != '[' {
			return w.mismatch(s)
		}
		return w.list(s, f, m)
	case Map:
		if k != '{' {
			return w.mismatch(s)
		}
		return w.mapping(s, f, m)
	case String, Timestamp:
		if k != '"' {
			return w.mismatch(s)
		}
		return w.str(s, f, m)
	case Integer, Long, Double, Float:
		if k != '0' {
			return w.mismatch(s)
		}
		return w.number(s, f)
	case Boolean:
		if k != 't' && k != 'f' {
			return w.mismatch(s)
		}
		if _, err := w.dec.ReadToken(); err != nil {
			return w.syntax(err)
		}
		if w.vis != nil {
			v := "false"
			if k == 't' {
				v = "true"
			}
			if r := w.vis.Scalar(f, unsafe.Slice(unsafe.StringData(v), len(v))); r != "" {
				return w.fail(r)
			}
		}
		return nil
	}
	return w.any()
}

// mismatch reports a type error, unless the value is not valid JSON, which
// takes precedence.
func (w *walker) mismatch(s *Shape) *ValidationError {
	mark := len(w.path)
	if verr := w.any(); verr != nil {
		return verr
	}
	w.path = w.path[:mark]
	return w.typeErr(s)
}

func (w *walker) structure(s *Shape) *ValidationError {
	info := infoOf(s)
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	var seen uint64
	present := 0
	for w.dec.PeekKind() != '}' {
		name, verr := w.readName()
		if verr != nil {
			return verr
		}
		i, ok := info.lookup(name)
		mark := len(w.path)
		if !ok || s.Members[i].Location != "" {
			w.pushName(name)
			if verr := w.any(); verr != nil {
				return verr
			}
			w.path = w.path[:mark]
			continue
		}
		m := &s.Members[i]
		if w.dec.PeekKind() == 'n' {
			if _, err := w.dec.ReadToken(); err != nil {
				return w.syntax(err)
			}
			continue
		}
		if b := info.reqBit[i]; b >= 0 {
			seen |= 1 << uint(b)
		}
		present++
		if w.vis != nil {
			w.vis.Member(s, m)
		}
		w.path = AppendPathName(w.path, m.Name)
		if verr := w.value(&shapes[m.Shape], Field{Parent: s, Member: m, Shape: &shapes[m.Shape]}, m); verr != nil {
			return verr
		}
		w.path = w.path[:mark]
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	if seen != info.reqMask {
		for i := range s.Members {
			if b := info.reqBit[i]; b >= 0 && seen&(1<<uint(b)) == 0 {
				return w.fail("should have required property '" + s.Members[i].Name + "'")
			}
		}
	}
	if s.Union && present != 1 {
		return w.fail("should match exactly one schema in oneOf")
	}
	return nil
}

// readName reads an object member name, unquoted into w.name.
func (w *walker) readName() ([]byte, *ValidationError) {
	raw, err := w.dec.ReadValue()
	if err != nil {
		return nil, w.syntax(err)
	}
	return w.unquote(raw, &w.name), nil
}

// unquote returns the content of the JSON string raw, using *buf only when
// raw has escapes.
func (w *walker) unquote(raw []byte, buf *[]byte) []byte {
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s
	}
	b, err := jsontext.AppendUnquote((*buf)[:0], raw)
	if err != nil { // cannot happen: the decoder validated raw
		return s
	}
	*buf = b
	return b
}

func (w *walker) list(s *Shape, f Field, m *Member) *ValidationError {
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	elem := &shapes[s.Elem]
	ef := Field{Parent: f.Parent, Member: f.Member, Shape: elem, Elem: true}
	mark := len(w.path)
	n := int64(0)
	for w.dec.PeekKind() != ']' {
		w.path = append(w.path, '[')
		w.path = strconv.AppendInt(w.path, n, 10)
		w.path = append(w.path, ']')
		if verr := w.value(elem, ef, nil); verr != nil {
			return verr
		}
		w.path = w.path[:mark]
		n++
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	return w.count(s, m, n, "items")
}

func (w *walker) mapping(s *Shape, f Field, m *Member) *ValidationError {
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	key, elem := &shapes[s.Key], &shapes[s.Elem]
	kf := Field{Parent: f.Parent, Member: f.Member, Shape: key, Key: true}
	ef := Field{Parent: f.Parent, Member: f.Member, Shape: elem, Elem: true}
	mark := len(w.path)
	n := int64(0)
	for w.dec.PeekKind() != '}' {
		name, verr := w.readName()
		if verr != nil {
			return verr
		}
		if r := w.strRules(key, nil, name); r == "" && w.vis != nil {
			if r := w.vis.Scalar(kf, name); r != "" {
				return w.fail(r)
			}
		} else if r != "" {
			return w.fail("property name '" + string(name) + "' is invalid")
		}
		w.pushName(name)
		if w.dec.PeekKind() == 'n' {
			if _, err := w.dec.ReadToken(); err != nil {
				return w.syntax(err)
			}
			return w.typeErr(elem)
		}
		counts := w.counter == nil || w.counter.CountsKey(kf, name)
		if verr := w.value(elem, ef, nil); verr != nil {
			return verr
		}
		w.path = w.path[:mark]
		if counts {
			n++
		}
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return w.syntax(err)
	}
	return w.count(s, m, n, "properties")
}

// count checks the number of items of a list or map against the shape's
// and the member's limits.
func (w *walker) count(s *Shape, m *Member, n int64, what string) *ValidationError {
	max, hasMax := s.Max, s.HasMax
	min, hasMin := s.Min, s.HasMin
	if m != nil {
		if m.Max > 0 && (!hasMax || m.Max < max) {
			max, hasMax = m.Max, true
		}
		if m.Min > 0 && (!hasMin || m.Min > min) {
			min, hasMin = m.Min, true
		}
	}
	if hasMax && n > max {
		return w.fail("should NOT have more than " + strconv.FormatInt(max, 10) + " " + what)
	}
	if hasMin && n < min {
		return w.fail("should NOT have fewer than " + strconv.FormatInt(min, 10) + " " + what)
	}
	return nil
}

func (w *walker) str(s *Shape, f Field, m *Member) *ValidationError {
	raw, err := w.dec.ReadValue()
	if err != nil {
		return w.syntax(err)
	}
	v := w.unquote(raw, &w.scratch)
	if r := w.strRules(s, m, v); r != "" {
		return w.fail(r)
	}
	if w.vis != nil {
		if r := w.vis.Scalar(f, v); r != "" {
			return w.fail(r)
		}
	}
	return nil
}

// strRules checks a string against its shape and member, in AJV's order
// (maxLength, minLength, pattern, format, enum), returning the reason of
// the first failure.
func (w *walker) strRules(s *Shape, m *Member, v []byte) string {
	max, hasMax := s.Max, s.HasMax
	min, hasMin := s.Min, s.HasMin
	if m != nil {
		if m.Max > 0 && (!hasMax || m.Max < max) {
			max, hasMax = m.Max, true
		}
		if m.Min > 0 && (!hasMin || m.Min > min) {
			min, hasMin = m.Min, true
		}
	}
	if hasMax || hasMin {
		n := int64(UTF16Len(v))
		if hasMax && n > max {
			return "should NOT be longer than " + strconv.FormatInt(max, 10) + " characters"
		}
		if hasMin && n < min {
			return "should NOT be shorter than " + strconv.FormatInt(min, 10) + " characters"
		}
	}
	if s.Pattern != "" {
		if p := patternOf(s); p != nil && !p.match(v) {
			return `should match pattern "` + s.Pattern + `"`
		}
	}
	if s.Kind == Timestamp {
		if _, err := time.Parse(time.RFC3339, unsafe.String(unsafe.SliceData(v), len(v))); err != nil {
			return `should match format "date-time"`
		}
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if e == string(v) {
				return ""
			}
		}
		return "should be equal to one of the allowed values"
	}
	return ""
}

// UTF16Len returns the length of the UTF-8 text b in UTF-16 code units,
// which is what AJV (and so Security Hub) counts as characters.
func UTF16Len(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 { // not a continuation byte
			n++
			if c >= 0xF0 { // four-byte sequence: a surrogate pair
				n++
			}
		}
	}
	return n
}

func (w *walker) number(s *Shape, f Field) *ValidationError {
	raw, err := w.dec.ReadValue()
	if err != nil {
		return w.syntax(err)
	}
	x, perr := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64)
	if perr != nil && math.IsInf(x, 0) {
		return &ValidationError{Path: string(w.path), Reason: "is a number that is not finite", Err: ErrNotIJSON}
	}
	if (s.Kind == Integer || s.Kind == Long) && x != math.Trunc(x) {
		return w.fail("should be integer")
	}
	if s.HasMax && x > float64(s.Max) {
		return w.fail("should be <= " + strconv.FormatInt(s.Max, 10))
	}
	if s.HasMin && x < float64(s.Min) {
		return w.fail("should be >= " + strconv.FormatInt(s.Min, 10))
	}
	if w.vis != nil {
		if r := w.vis.Scalar(f, raw); r != "" {
			return w.fail(r)
		}
	}
	return nil
}

// any reads a value of unknown or document shape, checking only I-JSON.
func (w *walker) any() *ValidationError {
	switch w.dec.PeekKind() {
	case '{':
		if _, err := w.dec.ReadToken(); err != nil {
			return w.syntax(err)
		}
		mark := len(w.path)
		for w.dec.PeekKind() != '}' {
			name, verr := w.readName()
			if verr != nil {
				return verr
			}
			w.pushName(name)
			if verr := w.any(); verr != nil {
				return verr
			}
			w.path = w.path[:mark]
		}
		if _, err := w.dec.ReadToken(); err != nil {
			return w.syntax(err)
		}
	case '[':
		if _, err := w.dec.ReadToken(); err != nil {
			return w.syntax(err)
		}
		mark := len(w.path)
		for i := int64(0); w.dec.PeekKind() != ']'; i++ {
			w.path = append(w.path, '[')
			w.path = strconv.AppendInt(w.path, i, 10)
			w.path = append(w.path, ']')
			if verr := w.any(); verr != nil {
				return verr
			}
			w.path = w.path[:mark]
		}
		if _, err := w.dec.ReadToken(); err != nil {
			return w.syntax(err)
		}
	case '0':
		raw, err := w.dec.ReadValue()
		if err != nil {
			return w.syntax(err)
		}
		if x, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64); err != nil && math.IsInf(x, 0) {
			return &ValidationError{Path: string(w.path), Reason: "is a number that is not finite", Err: ErrNotIJSON}
		}
	default:
		if _, err := w.dec.ReadValue(); err != nil {
			return w.syntax(err)
		}
	}
	return nil
}

// pushName appends a member name to the path as AJV renders it: .Name for
// identifiers, ['name'] otherwise.
func (w *walker) pushName(name []byte) { w.path = AppendPathName(w.path, name) }

// AppendPathName appends the member name to the AJV-style path b, as
// ".Name" or "['a/b']", so that callers can build paths that match
// Validate's.
func AppendPathName[T string | []byte](b []byte, name T) []byte {
	ident := len(name) > 0
	for i := 0; i < len(name) && ident; i++ {
		c := name[i]
		ident = c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9'
	}
	if ident {
		b = append(b, '.')
		return append(b, name...)
	}
	b = append(b, "['"...)
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '\'', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, "']"...)
}

// shapeInfo is what the walker precomputes for a structure.
type shapeInfo struct {
	names   map[string]int // member index by name, for large structures
	reqBit  []int8         // bit of each member in the required mask, -1 if optional
	reqMask uint64
}

func (in *shapeInfo) lookup(name []byte) (int, bool) {
	i, ok := in.names[string(name)]
	return i, ok
}

var (
	infos     []shapeInfo
	infosOnce sync.Once
)

func buildInfo(s *Shape) shapeInfo {
	in := shapeInfo{names: make(map[string]int, len(s.Members)), reqBit: make([]int8, len(s.Members))}
	n := 0
	for i, m := range s.Members {
		in.names[m.Name] = i
		in.reqBit[i] = -1
		if m.Required && m.Location == "" {
			if n == 64 {
				panic("model: more than 64 required members in " + s.Name)
			}
			in.reqBit[i] = int8(n)
			in.reqMask |= 1 << uint(n)
			n++
		}
	}
	return in
}

// infoOf returns the precomputed information of structure s.
func infoOf(s *Shape) *shapeInfo {
	infosOnce.Do(func() {
		infos = make([]shapeInfo, len(shapes))
		for i := range shapes {
			if shapes[i].Kind == Structure {
				infos[i] = buildInfo(&shapes[i])
			}
		}
	})
	base := uintptr(unsafe.Pointer(&shapes[0]))
	p := uintptr(unsafe.Pointer(s))
	if p >= base && p < base+uintptr(len(shapes))*unsafe.Sizeof(shapes[0]) {
		return &infos[(p-base)/unsafe.Sizeof(shapes[0])]
	}
	in := buildInfo(s) // a shape built by the caller, not from the tables
	return &in
}

// pattern is a compiled shape pattern.
type pattern struct {
	re        *regexp.Regexp
	notPrefix string // from a leading (?!prefix) lookahead
}

func (p *pattern) match(v []byte) bool {
	if p.notPrefix != "" && bytes.HasPrefix(v, []byte(p.notPrefix)) {
		return false
	}
	return p.re.Match(v)
}

var (
	patterns     map[string]*pattern
	patternsOnce sync.Once
	// lookahead is a leading negative lookahead of a literal, which RE2
	// lacks; TagKey's "^(?!aws:)..." is the one in the model.
	lookahead = regexp.MustCompile(`^\^\(\?!([A-Za-z0-9:_/-]+)\)`)
	uEscape   = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)
)

// patternOf returns the compiled pattern of s, or nil when it is not
// enforced (NonEmptyString's, see Validate) or RE2 cannot express it.
func patternOf(s *Shape) *pattern {
	patternsOnce.Do(func() {
		patterns = map[string]*pattern{}
		for i := range shapes {
			if p := compilePattern(shapes[i].Pattern); p != nil {
				patterns[shapes[i].Pattern] = p
			}
		}
	})
	p, ok := patterns[s.Pattern]
	if !ok && s.Pattern != "" && s.Pattern != nonEmptyPattern {
		return compilePattern(s.Pattern) // a shape not from the tables
	}
	return p
}

// nonEmptyPattern is NonEmptyString's pattern, which Validate does not
// enforce.
const nonEmptyPattern = `.*\S.*`

func compilePattern(src string) *pattern {
	if src == "" || src == nonEmptyPattern {
		return nil
	}
	p := &pattern{}
	if m := lookahead.FindStringSubmatch(src); m != nil {
		p.notPrefix = m[1]
		src = "^" + src[len(m[0]):]
	}
	// ECMAScript's \uXXXX is RE2's \x{XXXX}.
	src = uEscape.ReplaceAllString(src, `\x{$1}`)
	re, err := regexp.Compile(src)
	if err != nil {
		return nil
	}
	p.re = re
	return p
}

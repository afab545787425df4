package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A node is one JSON value of a policy document. The document is read
// into nodes before it is interpreted, rather than decoded into structs,
// so that duplicate keys (which the policy grammar forbids and
// encoding/json would silently merge) are caught, the order of keys is
// kept for deterministic errors, and every value knows where it starts.
type node struct {
	kind nodeKind
	off  int64  // byte offset of the value in the document
	text string // a string's value, a number's literal, "true" or "false"
	obj  []member
	arr  []*node
}

type nodeKind uint8

const (
	nodeNull nodeKind = iota
	nodeBool
	nodeNumber
	nodeString
	nodeArray
	nodeObject
)

func (k nodeKind) String() string {
	switch k {
	case nodeBool:
		return "a boolean"
	case nodeNumber:
		return "a number"
	case nodeString:
		return "a string"
	case nodeArray:
		return "an array"
	case nodeObject:
		return "an object"
	}
	return "null"
}

type member struct {
	key    string
	keyOff int64
	val    *node
}

// maxDepth bounds nesting, which no valid policy takes beyond 5 levels, so
// that a hostile document cannot make the reader recurse without limit.
const maxDepth = 32

type treeReader struct {
	dec *json.Decoder
	doc []byte
}

func readTree(doc []byte) (*node, error) {
	r := &treeReader{dec: json.NewDecoder(bytes.NewReader(doc)), doc: doc}
	r.dec.UseNumber()
	n, err := r.value("", 0)
	if err != nil {
		return nil, err
	}
	off := r.start()
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, &Error{Offset: off, Msg: "invalid JSON: data after the policy document"}
	}
	return n, nil
}

// start returns the offset at which the next value or key begins: the
// decoder's offset is the end of the last token, which may be followed by
// white space and a separator.
func (r *treeReader) start() int64 {
	i := r.dec.InputOffset()
	for i < int64(len(r.doc)) {
		switch r.doc[i] {
		case ' ', '\t', '\n', '\r', ':', ',':
			i++
			continue
		}
		break
	}
	return i
}

func (r *treeReader) value(path string, depth int) (*node, error) {
	off := r.start()
	tok, err := r.dec.Token()
	if err != nil {
		return nil, r.syntaxError(err, off)
	}
	n := &node{off: off}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, &Error{Element: path, Offset: off, Msg: "nested too deeply"}
		}
		if t == '{' {
			n.kind = nodeObject
			for r.dec.More() {
				koff := r.start()
				ktok, err := r.dec.Token()
				if err != nil {
					return nil, r.syntaxError(err, koff)
				}
				key, _ := ktok.(string)
				for _, m := range n.obj {
					if m.key == key {
						return nil, &Error{Element: path, Offset: koff, Msg: fmt.Sprintf("duplicate element %q", key)}
					}
				}
				v, err := r.value(join(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				n.obj = append(n.obj, member{key: key, keyOff: koff, val: v})
			}
		} else {
			n.kind = nodeArray
			for r.dec.More() {
				v, err := r.value(path+"["+strconv.Itoa(len(n.arr))+"]", depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
		}
		end := r.start()
		if _, err := r.dec.Token(); err != nil {
			return nil, r.syntaxError(err, end)
		}
	case string:
		n.kind, n.text = nodeString, t
	case json.Number:
		n.kind, n.text = nodeNumber, string(t)
	case bool:
		n.kind, n.text = nodeBool, strconv.FormatBool(t)
	case nil:
		n.kind = nodeNull
	}
	return n, nil
}

func (r *treeReader) syntaxError(err error, off int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Offset: se.Offset, Msg: "invalid JSON: " + se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Offset: int64(len(r.doc)), Msg: "invalid JSON: unexpected end of document"}
	}
	return &Error{Offset: off, Msg: "invalid JSON: " + err.Error()}
}

// join names the member key of the element path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

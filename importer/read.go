package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// item is one finding as read from a file, kept as the producer wrote it
// so that its size is judged on its own bytes and failures can point back
// to where it came from.
type item struct {
	raw  json.RawMessage
	file string
	pos  int // 1-based ordinal of the finding within its file
}

// wrapper recognises the documents that carry findings rather than being
// one: a BatchImportFindings request or GetFindings response ("Findings"),
// and an EventBridge event of Security Hub ("detail"."findings").
type wrapper struct {
	Findings json.RawMessage `json:"Findings"`
	Detail   *struct {
		Findings json.RawMessage `json:"findings"`
	} `json:"detail"`
	DetailType *string `json:"detail-type"`
}

// readFindings streams the findings of one input to emit, whatever form the
// producer chose: a JSON array, a wrapper object, JSON lines or several
// concatenated JSON values. It returns the errors that made it skip part of
// the input; a syntax error in JSON lines costs only its line.
func readFindings(r io.Reader, emit func(json.RawMessage) error) (errs []error, err error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var base int64 // offset of the current decoder's input in the file
	skip := func(err error) { errs = append(errs, err) }
	for {
		if len(errs) >= maxFileErrors {
			return append(errs, errors.New("too many errors, rest of input skipped")), nil
		}
		c, n, perr := peekNonSpace(br)
		base += n
		if perr == io.EOF {
			return errs, nil
		}
		if perr != nil {
			return errs, perr
		}
		dec := json.NewDecoder(br)
		var derr error
		if c == '[' {
			derr = streamArray(dec, emit, skip)
		} else {
			derr = streamValues(dec, emit, skip)
		}
		if derr == nil {
			return errs, nil
		}
		var ee emitError
		if errors.As(derr, &ee) {
			return errs, ee.err
		}
		off := base + dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(derr, &se) {
			off = base + se.Offset
		}
		errs = append(errs, fmt.Errorf("offset %d: %w", off, derr))
		if c == '[' || errors.Is(derr, io.ErrUnexpectedEOF) || !errors.As(derr, &se) {
			// A broken array cannot be resynchronised: its remaining
			// elements have no line boundaries to trust.
			return errs, nil
		}
		// JSON lines: skip the rest of the bad line and go on.
		rest := io.MultiReader(dec.Buffered(), br)
		nbr := bufio.NewReaderSize(rest, 256<<10)
		_, ws, _ := peekNonSpace(nbr)
		skipped, serr := nbr.ReadBytes('\n')
		base += dec.InputOffset() + ws + int64(len(skipped))
		if serr != nil {
			return errs, nil
		}
		br = nbr
	}
}

// emitError marks an error from emit, which stops reading altogether,
// apart from decoding errors, which only skip input.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

// maxFileErrors bounds the errors kept for one input, so that a file that
// is not JSON at all yields a short report rather than one line per line.
const maxFileErrors = 10

// peekNonSpace returns the first byte of the next value, unread, and how
// many bytes it skipped to get there.
func peekNonSpace(br *bufio.Reader) (byte, int64, error) {
	var n int64
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, n, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			n++
			continue
		case 0xEF: // a UTF-8 byte order mark, as some Windows tools write
			if next, _ := br.Peek(2); bytes.Equal(next, []byte{0xBB, 0xBF}) {
				br.Discard(2)
				n += 3
				continue
			}
		}
		return b, n, br.UnreadByte()
	}
}

// streamArray reads a top-level array element by element, so that a file
// of a million findings never sits whole in memory, then any values that
// follow it.
func streamArray(dec *json.Decoder, emit func(json.RawMessage) error, skip func(error)) error {
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := classify(raw, emit, skip, 0); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	return streamValues(dec, emit, skip)
}

// streamValues reads JSON lines, or any sequence of concatenated values.
func streamValues(dec *json.Decoder, emit func(json.RawMessage) error, skip func(error)) error {
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := classify(raw, emit, skip, 0); err != nil {
			return err
		}
	}
}

// classify emits raw if it is a finding, or the findings it carries if it
// is an array or a wrapper.
func classify(raw json.RawMessage, emit func(json.RawMessage) error, skip func(error), depth int) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if depth > 3 {
		skip(errors.New("findings nested too deep, skipped"))
		return nil
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return err
		}
		for _, r := range list {
			if err := classify(r, emit, skip, depth+1); err != nil {
				return err
			}
		}
		return nil
	case '{':
		var w wrapper
		if err := json.Unmarshal(raw, &w); err == nil {
			switch {
			case isArray(w.Findings):
				return classify(w.Findings, emit, skip, depth+1)
			case w.Detail != nil && isArray(w.Detail.Findings):
				return classify(w.Detail.Findings, emit, skip, depth+1)
			case w.DetailType != nil:
				// An event without findings, such as Insight Results.
				return nil
			}
		}
		if err := emit(raw); err != nil {
			return emitError{err}
		}
		return nil
	case 'n': // null, as some producers write for "no findings"
		return nil
	default:
		skip(fmt.Errorf("a finding must be a JSON object, got %.20s", raw))
		return nil
	}
}

func isArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

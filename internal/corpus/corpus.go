// Package corpus gives tests the real ASFF findings of shared/corpus, so
// that every layer is tested against what producers actually send rather
// than against hand-written examples.
package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// Dir returns the corpus directory: $MUSTER_CORPUS when set, else the
// first shared/corpus found walking up from the working directory (tests
// run in package dirs); returns an error if absent. CI clones the repository
// with shared/ beside it, so the corpus is ../shared/corpus from the
// repository root; scripts/test.sh sets MUSTER_CORPUS for a clone made
// elsewhere from a local checkout that has shared/ beside it.
func Dir() (string, error) {
	if c := os.Getenv("MUSTER_CORPUS"); c != "" {
		if fi, err := os.Stat(filepath.Join(c, "asff")); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("corpus: MUSTER_CORPUS=%s has no asff directory", c)
		}
		return filepath.Clean(c), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		for _, c := range []string{
			filepath.Join(dir, "shared", "corpus"),
			filepath.Join(dir, "..", "shared", "corpus"),
		} {
			if fi, err := os.Stat(filepath.Join(c, "asff")); err == nil && fi.IsDir() {
				return filepath.Clean(c), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("corpus: no shared/corpus above %s", wd)
		}
		dir = parent
	}
}

// Finding is one finding of the corpus, its bytes exactly as in the file
// (indentation, key order, escapes), because producers' formatting is part
// of what the server must accept and return unchanged.
type Finding struct {
	File  string // base name of the file in corpus/asff
	Index int    // position in the file, from 0
	Raw   []byte
}

// Key names the finding as "file#index", the key of Expected.
func (f Finding) Key() string { return f.File + "#" + strconv.Itoa(f.Index) }

// Findings returns every finding of corpus/asff/*.json (files are arrays, or objects with "Findings", or other wrappers — look at each file).
// Files are read in name order, so that indexes are stable.
func Findings() ([]Finding, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "asff", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Finding
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		raws, err := Split(data)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: %w", path, err)
		}
		for i, raw := range raws {
			all = append(all, Finding{File: filepath.Base(path), Index: i, Raw: raw})
		}
	}
	if len(all) == 0 {
		return nil, errors.New("corpus: no findings in " + dir)
	}
	return all, nil
}

// Split returns the findings of one file, each as its exact bytes: the
// elements of a JSON array, the elements of the "Findings" (or "findings")
// array of an object such as a BatchImportFindings request or a
// GetFindings response, or the object itself when it is a single finding.
func Split(data []byte) ([][]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	switch dec.PeekKind() {
	case '[':
		return elements(dec)
	case '{':
	default:
		return nil, errors.New("neither an array nor an object")
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	single := false
	for dec.PeekKind() == '"' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch n := name.String(); {
		case (n == "Findings" || n == "findings") && dec.PeekKind() == '[':
			return elements(dec)
		case n == "SchemaVersion":
			single = true
		}
		if err := dec.SkipValue(); err != nil {
			return nil, err
		}
	}
	if single {
		return [][]byte{bytes.TrimSpace(data)}, nil
	}
	return nil, errors.New("an object that is neither a finding nor holds Findings")
}

// elements reads the array at the decoder's position, returning its
// elements' bytes.
func elements(dec *jsontext.Decoder) ([][]byte, error) {
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var out [][]byte
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		out = append(out, bytes.Clone(v))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	return out, nil
}

// Prepare rewrites a corpus finding for import into a test account: sets AwsAccountId to account and ProductArn to the account's default product "arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default" (keeping everything else as sent). Returns the new raw JSON.
// The default product needs no subscription, so every corpus finding can
// be imported by the account it names whatever product it came from.
// Members are replaced in place (or added at the start of the object), so
// the rest of the bytes are unchanged.
func Prepare(raw []byte, account, region string) ([]byte, error) {
	arn := "arn:aws:securityhub:" + region + ":" + account + ":product/" + account + "/default"
	values := map[string]string{"AwsAccountId": account, "ProductArn": arn}
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, errors.New("corpus: finding is not an object")
	}
	open := dec.InputOffset()
	type span struct {
		start, end int64
		value      string
	}
	var spans []span
	seen := map[string]bool{}
	members := 0
	for dec.PeekKind() == '"' {
		members++
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if nv, ok := values[name]; ok {
			end := dec.InputOffset()
			spans = append(spans, span{end - int64(len(v)), end, strconv.Quote(nv)})
			seen[name] = true
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("corpus: data after the finding")
	}
	var insert []byte
	for _, name := range []string{"AwsAccountId", "ProductArn"} {
		if !seen[name] {
			insert = append(insert, strconv.Quote(name)+": "+strconv.Quote(values[name])+", "...)
		}
	}
	if members == 0 && len(insert) > 0 {
		insert = insert[:len(insert)-2] // no member follows: drop ", "
	}
	out := make([]byte, 0, len(raw)+len(insert)+len(arn))
	out = append(out, raw[:open]...)
	out = append(out, insert...)
	pos := open
	for _, s := range spans {
		out = append(out, raw[pos:s.start]...)
		out = append(out, s.value...)
		pos = s.end
	}
	out = append(out, raw[pos:]...)
	if len(insert) > 0 && len(spans) == 0 && bytes.HasSuffix(bytes.TrimSpace(out[:len(out)-len(raw)+int(open)]), []byte(",")) {
		// An empty object gained members: drop the trailing comma.
		if t := bytes.TrimSpace(raw[open:]); len(t) == 1 {
			out = append(append(out[:int(open)], insert[:len(insert)-2]...), raw[open:]...)
		}
	}
	return out, nil
}

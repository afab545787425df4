package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/google/go-cmp/cmp"
)

const corpusDir = "../../shared/corpus"

func corpus(t *testing.T, sub string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, sub, "*.json"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s", corpusDir)
	}
	return files
}

// readAll runs readFindings over data and returns the findings and errors.
func readAll(t *testing.T, data []byte) ([]json.RawMessage, []error) {
	t.Helper()
	var out []json.RawMessage
	errs, err := readFindings(bytes.NewReader(data), func(raw json.RawMessage) error {
		out = append(out, raw)
		return nil
	})
	if err != nil {
		t.Fatalf("readFindings: %v", err)
	}
	return out, errs
}

func loadArray(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return list
}

func compact(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadFormats reads every corpus file in each form that producers
// write and expects the same findings from each.
func TestReadFormats(t *testing.T) {
	for _, path := range corpus(t, "asff") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := loadArray(t, path)
			data, _ := os.ReadFile(path)

			var lines, concat, crlf bytes.Buffer
			for _, raw := range want {
				lines.Write(compact(t, raw))
				lines.WriteByte('\n')
				concat.Write(raw)
				crlf.Write(compact(t, raw))
				crlf.WriteString("\r\n")
			}
			request, _ := json.Marshal(map[string]any{"Findings": want})
			response, _ := json.Marshal(map[string]any{"Findings": want, "NextToken": "abc"})
			forms := map[string][]byte{
				"array":      data,
				"bom+array":  append([]byte("\xEF\xBB\xBF"), data...),
				"jsonlines":  lines.Bytes(),
				"crlf lines": crlf.Bytes(),
				"concat":     concat.Bytes(),
				"request":    request,
				"response":   response,
				"two arrays": append(append(slicesClone(data), '\n'), data...),
			}
			for name, in := range forms {
				got, errs := readAll(t, in)
				if len(errs) > 0 {
					t.Errorf("%s: errors %v", name, errs)
				}
				n := len(want)
				if name == "two arrays" {
					n *= 2
				}
				if len(got) != n {
					t.Fatalf("%s: read %d findings, want %d", name, len(got), n)
				}
				for i := range got {
					var a, b any
					json.Unmarshal(got[i], &a)
					json.Unmarshal(want[i%len(want)], &b)
					if !cmp.Equal(a, b) {
						t.Fatalf("%s: finding %d differs", name, i)
					}
				}
			}
		})
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// TestReadEvents reads EventBridge events, whose findings sit in
// detail.findings.
func TestReadEvents(t *testing.T) {
	for _, path := range corpus(t, "events") {
		events := loadArray(t, path)
		want := 0
		for _, e := range events {
			var ev struct {
				Detail struct{ Findings []json.RawMessage } `json:"detail"`
			}
			json.Unmarshal(e, &ev)
			want += len(ev.Detail.Findings)
		}
		data, _ := os.ReadFile(path)
		got, errs := readAll(t, data)
		if len(got) != want || len(errs) > 0 {
			t.Errorf("%s: read %d findings (errors %v), want %d", filepath.Base(path), len(got), errs, want)
		}
	}
}

// TestReadBrokenLines keeps the good lines of a JSON lines file around a
// broken one, and says where the broken one is.
func TestReadBrokenLines(t *testing.T) {
	in := `{"Id":"a"}
{"Id":"b", broken
{"Id":"c"}
42
{"Id":"d"}
`
	got, errs := readAll(t, []byte(in))
	var ids []string
	for _, raw := range got {
		var f struct{ Id string }
		json.Unmarshal(raw, &f)
		ids = append(ids, f.Id)
	}
	if diff := cmp.Diff([]string{"a", "c", "d"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "offset 23:") {
		t.Errorf("errors = %v, want 2, the first at offset 23", errs)
	}

	// A truncated array keeps what came before the break.
	got, errs = readAll(t, []byte(`[{"Id":"a"},{"Id":"b"},{"Id":`))
	if len(got) != 2 || len(errs) != 1 {
		t.Errorf("truncated array: %d findings, errors %v", len(got), errs)
	}
}

// server is a fake Security Hub that answers BatchImportFindings with
// answer, and keeps every request's findings.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests [][]json.RawMessage
	calls    atomic.Int32
}

func newServer(t *testing.T, answer func(n int, findings []json.RawMessage, w http.ResponseWriter)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/findings/import" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		var body struct{ Findings []json.RawMessage }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := int(s.calls.Add(1))
		s.mu.Lock()
		s.requests = append(s.requests, body.Findings)
		s.mu.Unlock()
		answer(n, body.Findings, w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) client() *securityhub.Client {
	return securityhub.New(securityhub.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func ok(_ int, findings []json.RawMessage, w http.ResponseWriter) {
	writeJSON(w, 200, map[string]any{"FailedCount": 0, "SuccessCount": len(findings), "FailedFindings": []any{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	writeJSON(w, status, map[string]any{"message": msg})
}

// finding returns a valid minimal finding.
func finding(id string) map[string]any {
	return map[string]any{
		"SchemaVersion": "2018-10-08",
		"Id":            id,
		"ProductArn":    "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
		"GeneratorId":   "gen",
		"AwsAccountId":  "123456789012",
		"Types":         []string{"Software and Configuration Checks"},
		"CreatedAt":     "2024-01-01T00:00:00Z",
		"UpdatedAt":     "2024-01-01T00:00:00Z",
		"Severity":      map[string]any{"Label": "HIGH"},
		"Title":         "t",
		"Description":   "d",
		"Resources":     []any{map[string]any{"Type": "Other", "Id": "r"}},
	}
}

func writeFindings(t *testing.T, findings ...map[string]any) string {
	t.Helper()
	var b bytes.Buffer
	for _, f := range findings {
		json.NewEncoder(&b).Encode(f)
	}
	path := filepath.Join(t.TempDir(), "findings.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func many(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = finding(fmt.Sprintf("f-%04d", i))
	}
	return out
}

func runImport(t *testing.T, o Options) *Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s
}

// TestCorpusRoundTrip sends every corpus finding through the real SDK and
// expects each to arrive as written, except for members the summary
// reports as dropped or renamed.
func TestCorpusRoundTrip(t *testing.T) {
	files := corpus(t, "asff")
	srv := newServer(t, ok)
	s := runImport(t, Options{Files: files, Client: srv.client(), Concurrency: 1})

	var want []json.RawMessage
	for _, f := range files {
		want = append(want, loadArray(t, f)...)
	}
	if s.Read != len(want) {
		t.Fatalf("read %d, want %d", s.Read, len(want))
	}
	var sent []json.RawMessage
	for _, r := range srv.requests {
		sent = append(sent, r...)
	}
	// Findings that failed locally are not sent: line them up by skipping.
	failed := map[string]bool{}
	for _, fs := range s.FailuresByError {
		for _, f := range fs {
			failed[fmt.Sprintf("%s#%d", f.File, f.Pos)] = true
		}
	}
	var kept []json.RawMessage
	i := 0
	for _, f := range files {
		for pos := range loadArray(t, f) {
			if !failed[fmt.Sprintf("%s#%d", f, pos+1)] {
				kept = append(kept, want[i])
			}
			i++
		}
	}
	if len(sent) != len(kept) {
		t.Fatalf("sent %d findings, want %d", len(sent), len(kept))
	}
	for i := range sent {
		var a, b any
		json.Unmarshal(kept[i], &a)
		json.Unmarshal(sent[i], &b)
		a = dropNulls(a)
		a = stripReported(a, "", s.Dropped, s.Renamed)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("finding %d changed on the wire (-file +sent):\n%s", i, diff)
		}
	}
	if s.Imported != len(sent) || s.Failed != len(want)-len(sent) {
		t.Errorf("imported %d failed %d, want %d and %d", s.Imported, s.Failed, len(sent), len(want)-len(sent))
	}
	var out bytes.Buffer
	s.Print(&out)
	t.Logf("summary:\n%s", out.String())
}

// dropNulls removes null members, which the SDK cannot tell from absent.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			if sub == nil {
				delete(v, k)
				continue
			}
			v[k] = dropNulls(sub)
		}
	case []any:
		for i := range v {
			v[i] = dropNulls(v[i])
		}
	}
	return v
}

// stripReported applies to a file's finding what the summary says the SDK
// did to it.
func stripReported(v any, path string, dropped, renamed map[string]int) any {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			p := join(path, k)
			if path != "" && strings.HasSuffix(path, ".*") {
				p = path
			}
			if _, ok := dropped[p]; ok {
				delete(v, k)
				continue
			}
			name := k
			for r := range renamed {
				if strings.HasPrefix(r, p+" (sent as ") {
					name = strings.TrimSuffix(strings.TrimPrefix(r, p+" (sent as "), ")")
					delete(v, k)
				}
			}
			v[name] = stripReported(sub, join(path, name), dropped, renamed)
		}
	case []any:
		for i := range v {
			v[i] = stripReported(v[i], path+"[]", dropped, renamed)
		}
	}
	return v
}

// TestBatching sends batches of at most BatchSize, every finding once.
func TestBatching(t *testing.T) {
	path := writeFindings(t, many(250)...)
	for _, tc := range []struct{ size, requests int }{{0, 3}, {100, 3}, {30, 9}, {500, 3}} {
		srv := newServer(t, ok)
		s := runImport(t, Options{Files: []string{path}, Client: srv.client(), BatchSize: tc.size, Concurrency: 3})
		if len(srv.requests) != tc.requests || s.Requests != tc.requests {
			t.Errorf("batch size %d: %d requests, want %d", tc.size, len(srv.requests), tc.requests)
		}
		seen := map[string]bool{}
		for _, r := range srv.requests {
			if len(r) > max(tc.size, 1) && tc.size > 0 && tc.size <= 100 || len(r) > 100 {
				t.Errorf("batch size %d: a request of %d", tc.size, len(r))
			}
			for _, raw := range r {
				var f struct{ Id string }
				json.Unmarshal(raw, &f)
				if seen[f.Id] {
					t.Errorf("%s sent twice", f.Id)
				}
				seen[f.Id] = true
			}
		}
		if len(seen) != 250 || s.Read != 250 || s.Sent != 250 || s.Imported != 250 || s.Failed != 0 {
			t.Errorf("batch size %d: seen %d, summary %+v", tc.size, len(seen), s)
		}
	}
}

// TestRetriesThrottling gets throttled twice, in each way Security Hub and
// proxies throttle, and then succeeds.
func TestRetriesThrottling(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{429, "TooManyRequestsException"},
		{429, "LimitExceededException"},
		{400, "ThrottlingException"},
		{429, ""},
	} {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
				if n <= 2 {
					if tc.code == "" {
						http.Error(w, "slow down", tc.status)
						return
					}
					writeError(w, tc.status, tc.code, "Rate exceeded")
					return
				}
				ok(n, findings, w)
			})
			path := writeFindings(t, many(5)...)
			s := runImport(t, Options{Files: []string{path}, Client: srv.client(), MaxBackoff: 5 * time.Millisecond})
			if got := srv.calls.Load(); got != 3 {
				t.Errorf("%d calls, want 3", got)
			}
			if s.Imported != 5 || s.Failed != 0 {
				t.Errorf("imported %d failed %d", s.Imported, s.Failed)
			}
		})
	}

	// Throttled for good: the findings fail with the throttling error after
	// MaxAttempts tries.
	srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
		writeError(w, 429, "TooManyRequestsException", "Rate exceeded")
	})
	path := writeFindings(t, many(5)...)
	s := runImport(t, Options{Files: []string{path}, Client: srv.client(), MaxAttempts: 4, MaxBackoff: time.Millisecond})
	if srv.calls.Load() != 4 || s.Failed != 5 || len(s.FailuresByError["TooManyRequestsException: Rate exceeded"]) != 5 {
		t.Errorf("calls %d, failures %v", srv.calls.Load(), s.FailuresByError)
	}
}

// TestFailedFindings groups the findings the endpoint rejects by code and
// message, and names some of them.
func TestFailedFindings(t *testing.T) {
	srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
		var failed []any
		for _, raw := range findings {
			var f struct{ Id string }
			json.Unmarshal(raw, &f)
			switch {
			case strings.HasSuffix(f.Id, "0"), strings.HasSuffix(f.Id, "5"):
				failed = append(failed, map[string]any{"Id": f.Id, "ErrorCode": "InvalidInput", "ErrorMessage": "Finding does not adhere to Amazon Finding Format. data.Resources[0].Type should NOT be shorter than 1 characters."})
			case strings.HasSuffix(f.Id, "7"):
				failed = append(failed, map[string]any{"Id": f.Id, "ErrorCode": "AccessDeniedException", "ErrorMessage": "not authorized"})
			}
		}
		writeJSON(w, 200, map[string]any{"FailedCount": len(failed), "SuccessCount": len(findings) - len(failed), "FailedFindings": failed})
	})
	path := writeFindings(t, many(40)...)
	s := runImport(t, Options{Files: []string{path}, Client: srv.client(), BatchSize: 15})
	if s.Imported != 28 || s.Failed != 12 || s.Sent != 40 {
		t.Errorf("imported %d failed %d sent %d", s.Imported, s.Failed, s.Sent)
	}
	invalid := s.FailuresByError["InvalidInput: Finding does not adhere to Amazon Finding Format. data.Resources[0].Type should NOT be shorter than 1 characters."]
	denied := s.FailuresByError["AccessDeniedException: not authorized"]
	if len(invalid) != 8 || len(denied) != 4 || len(s.FailuresByError) != 2 {
		t.Fatalf("failures %v", s.FailuresByError)
	}
	for _, f := range denied {
		if f.File != path || f.Pos != atoi(strings.TrimPrefix(f.ID, "f-"))+1 || f.ProductArn == "" {
			t.Errorf("failure %+v not traced to its line", f)
		}
	}
	var out bytes.Buffer
	s.Print(&out)
	text := out.String()
	for _, want := range []string{
		"Imported:  28", "Failed:    12",
		"       8  InvalidInput: Finding does not adhere",
		"f-0000 (" + path + " #1)", "f-0005 (", "f-0010 (", "… and 5 more",
		"       4  AccessDeniedException: not authorized",
		"… and 1 more",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "InvalidInput") > strings.Index(text, "AccessDenied") {
		t.Errorf("bigger group not first:\n%s", text)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestRequestErrors fails a whole batch with the error of its request,
// without retrying errors that are not transient.
func TestRequestErrors(t *testing.T) {
	srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
		if n == 1 {
			writeError(w, 403, "AccessDeniedException", "User is not authorized to perform: securityhub:BatchImportFindings")
			return
		}
		ok(n, findings, w)
	})
	path := writeFindings(t, many(150)...)
	s := runImport(t, Options{Files: []string{path}, Client: srv.client(), Concurrency: 1})
	fs := s.FailuresByError["AccessDeniedException: User is not authorized to perform: securityhub:BatchImportFindings"]
	if srv.calls.Load() != 2 || len(fs) != 100 || s.Imported != 50 || s.Failed != 100 {
		t.Errorf("calls %d, imported %d, failures %v", srv.calls.Load(), s.Imported, s.FailuresByError)
	}
}

// TestTooLarge does not send a finding over 240 KB and lists it.
func TestTooLarge(t *testing.T) {
	srv := newServer(t, ok)
	big := finding("big")
	big["Description"] = strings.Repeat("x", MaxFindingSize)
	edge := finding("edge") // indentation does not count
	path := writeFindings(t, finding("a"), big, finding("b"))
	pretty, _ := json.MarshalIndent(edge, "", strings.Repeat(" ", 4000))
	os.WriteFile(path+"2", pretty, 0o644)
	s := runImport(t, Options{Files: []string{path, path + "2"}, Client: srv.client()})
	if s.Read != 4 || s.Imported != 3 || s.Failed != 1 || len(s.TooLarge) != 1 || s.TooLarge[0].ID != "big" {
		t.Fatalf("summary %+v", s)
	}
	if fs := s.FailuresByError["FindingSizeExceeded: Finding size exceeded 240 KB"]; len(fs) != 1 || fs[0].Pos != 2 {
		t.Errorf("failures %v", s.FailuresByError)
	}
}

// TestLocalFailures fails findings that the SDK cannot carry or refuses to
// send, and sends the rest of their batch.
func TestLocalFailures(t *testing.T) {
	srv := newServer(t, ok)
	noTitle := finding("no-title")
	delete(noTitle, "Title")
	noResID := finding("no-resource-id")
	noResID["Resources"] = []any{map[string]any{"Type": "Other"}}
	badType := finding("bad-type")
	badType["Severity"] = map[string]any{"Label": "HIGH", "Normalized": 40.5}
	extra := finding("extra")
	extra["NotAMember"] = true
	extra["Resources"] = []any{map[string]any{"Type": "Other", "Id": "r", "Details": map[string]any{"Other": map[string]any{"k": "v"}, "AwsNothing": map[string]any{}}}}
	extra["title"] = extra["Title"]
	delete(extra, "Title")
	path := writeFindings(t, finding("a"), noTitle, noResID, badType, extra, finding("b"))
	s := runImport(t, Options{Files: []string{path}, Client: srv.client()})
	if s.Read != 6 || s.Imported != 3 || s.Failed != 3 {
		t.Errorf("summary %+v", s)
	}
	want := map[string]int{
		"ParamValidationError: missing required field: Title":                                   1,
		"ParamValidationError: missing required field: Resources[0].Id":                         1,
		"InvalidJSON: Severity.Normalized: cannot be a JSON number (the API model wants int32)": 1,
	}
	got := map[string]int{}
	for k, v := range s.FailuresByError {
		got[k] = len(v)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"NotAMember": 1, "Resources[].Details.AwsNothing": 1}, s.Dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"title (sent as Title)": 1}, s.Renamed); diff != "" {
		t.Errorf("renamed (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	s.Print(&out)
	if !strings.Contains(out.String(), "Resources[].Details.AwsNothing  (1 finding)") {
		t.Errorf("summary lacks the dropped member:\n%s", out.String())
	}
}

// TestSplitsTooLargeRequests halves a batch that the endpoint finds too
// large until it takes it.
func TestSplitsTooLargeRequests(t *testing.T) {
	srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
		if len(findings) > 20 {
			writeError(w, 413, "RequestEntityTooLargeException", "too large")
			return
		}
		ok(n, findings, w)
	})
	path := writeFindings(t, many(100)...)
	s := runImport(t, Options{Files: []string{path}, Client: srv.client()})
	if s.Imported != 100 || s.Failed != 0 || s.Sent != 100 {
		t.Errorf("summary %+v", s)
	}
}

// TestStdinAndMissingFile reads "-" from Stdin and reports a file that
// cannot be opened without stopping.
func TestStdinAndMissingFile(t *testing.T) {
	srv := newServer(t, ok)
	in, _ := json.Marshal(map[string]any{"Findings": many(3)})
	s := runImport(t, Options{Files: []string{"/nonexistent/x.json", "-"}, Stdin: bytes.NewReader(in), Client: srv.client()})
	if s.Files != 1 || s.Imported != 3 || len(s.FileErrors) != 1 || s.OK() {
		t.Errorf("summary %+v", s)
	}
}

// TestCancel stops sending when the context ends and says so.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := newServer(t, func(n int, findings []json.RawMessage, w http.ResponseWriter) {
		cancel()
		ok(n, findings, w)
	})
	path := writeFindings(t, many(1000)...)
	s, err := Run(ctx, Options{Files: []string{path}, Client: srv.client(), Concurrency: 1})
	if err == nil || s == nil || s.Imported+s.Failed > s.Read || srv.calls.Load() > 2 {
		t.Errorf("err %v calls %d summary %+v", err, srv.calls.Load(), s)
	}
}

// TestProgressOnlyOnTerminal writes nothing to a writer that is not a
// terminal.
func TestProgressOnlyOnTerminal(t *testing.T) {
	srv := newServer(t, ok)
	f, _ := os.Create(filepath.Join(t.TempDir(), "progress"))
	defer f.Close()
	path := writeFindings(t, many(3)...)
	runImport(t, Options{Files: []string{path}, Client: srv.client(), Progress: f})
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Errorf("progress written to a file")
	}
	var buf bytes.Buffer
	runImport(t, Options{Files: []string{path}, Client: srv.client(), Progress: &buf})
	if buf.Len() != 0 {
		t.Errorf("progress written to a buffer")
	}
	_ = io.Discard
}

// Package importer sends ASFF findings from files to a Security Hub
// endpoint, Muster's or AWS's, through the AWS SDK, so that what it proves
// about an endpoint holds for every other SDK client too. It is the logic of
// `muster import`.
package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

// BatchImporter is the one call the importer needs, so that tests and
// wrappers can stand in for a *securityhub.Client.
type BatchImporter interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Limits that Security Hub sets on BatchImportFindings.
const (
	MaxBatchSize   = 100
	MaxFindingSize = 240 << 10
)

// Error codes of failures that the importer finds itself, before or
// instead of sending. They sit beside the service's codes in the summary.
const (
	CodeFindingSizeExceeded = "FindingSizeExceeded"
	CodeInvalidJSON         = "InvalidJSON"          // the finding does not fit the SDK's types
	CodeParamValidation     = "ParamValidationError" // the SDK refused to send it
	CodeNotSent             = "NotSent"              // the import was cancelled first
	messageSizeExceeded     = "Finding size exceeded 240 KB"
	defaultConcurrency      = 4
	defaultMaxAttempts      = 10
	defaultMaxBackoff       = 20 * time.Second
	progressInterval        = 200 * time.Millisecond
	maxWarningPathsReported = 50
)

// Options says what to import and where. Only Files and Client are needed.
type Options struct {
	// Files are read in order; "-" is standard input.
	Files []string
	// Stdin is what "-" reads; os.Stdin when nil.
	Stdin io.Reader
	// Client sends the batches; normally a *securityhub.Client that the
	// caller built with its endpoint, region and credentials.
	Client BatchImporter
	// BatchSize is the findings per request, at most MaxBatchSize (the
	// default).
	BatchSize int
	// Concurrency is how many requests are in flight at once; default 4.
	Concurrency int
	// MaxAttempts bounds the tries of one request against throttling and
	// transient errors; default 10.
	MaxAttempts int
	// MaxBackoff caps the wait between tries; default 20s.
	MaxBackoff time.Duration
	// KeepClientRetryer leaves the client's own retryer in charge instead of
	// the importer's (MaxAttempts and MaxBackoff are then ignored).
	KeepClientRetryer bool
	// Progress receives a progress line that redraws itself, but only when
	// it is a terminal: a log file or pipe gets nothing.
	Progress io.Writer
}

// Failure is one finding that was not imported, with where it came from.
type Failure struct {
	File         string
	Pos          int // 1-based ordinal of the finding in File
	ID           string
	ProductArn   string
	ErrorCode    string
	ErrorMessage string
}

// Key is how failures are grouped: findings rejected for the same reason
// are one line of the summary however many there are.
func (f Failure) Key() string { return f.ErrorCode + ": " + f.ErrorMessage }

// Summary is what an import did; Print renders it for people.
type Summary struct {
	Files    int // inputs opened
	Read     int // findings read from them
	Sent     int // findings put in requests that reached the endpoint
	Imported int // findings the endpoint accepted (SuccessCount)
	Failed   int // findings not imported, for any reason
	Requests int // BatchImportFindings calls that got an answer
	// FailuresByError groups failed findings by Failure.Key.
	FailuresByError map[string][]Failure
	// TooLarge lists the findings that were not sent because they exceed
	// MaxFindingSize; they are in FailuresByError too.
	TooLarge []Failure
	// FileErrors are inputs, or parts of inputs, that could not be read.
	FileErrors []error
	// Dropped maps member paths that the SDK's types cannot carry, and so
	// were not sent, to how many findings had them.
	Dropped map[string]int
	// Renamed maps member paths spelt in another case than ASFF's, which
	// the SDK sends under ASFF's spelling, to how many findings had them.
	Renamed  map[string]int
	Duration time.Duration

	mu sync.Mutex
}

// OK reports whether everything read was imported and every input read.
func (s *Summary) OK() bool { return s.Failed == 0 && len(s.FileErrors) == 0 }

func (s *Summary) fail(f Failure) {
	s.Failed++
	if s.FailuresByError == nil {
		s.FailuresByError = map[string][]Failure{}
	}
	s.FailuresByError[f.Key()] = append(s.FailuresByError[f.Key()], f)
}

// NewRetryer returns the retryer the importer uses: the SDK's standard one,
// with HTTP 429 retried as well and without the client-side retry quota,
// which a bulk import under throttling would drain and then fail fast.
// LimitExceededException, TooManyRequestsException and ThrottlingException
// are among the standard throttling codes.
func NewRetryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	if maxBackoff <= 0 {
		maxBackoff = defaultMaxBackoff
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableHTTPStatusCode{
			Codes: map[int]struct{}{http.StatusTooManyRequests: {}},
		})
		o.Throttles = append(o.Throttles, throttleStatus{})
	})
}

// throttleStatus counts a bare 429 as throttling, as the SDK does for the
// throttling codes.
type throttleStatus struct{}

func (throttleStatus) IsErrorThrottle(err error) aws.Ternary {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// Run reads every file, sends its findings in batches and returns what
// happened. Problems with findings or files are in the summary; the error
// is for a run that could not be done (no client, cancelled).
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Client == nil {
		return nil, errors.New("importer: no client")
	}
	if o.BatchSize <= 0 || o.BatchSize > MaxBatchSize {
		o.BatchSize = MaxBatchSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	r := &run{o: o, s: &Summary{Dropped: map[string]int{}, Renamed: map[string]int{}, FailuresByError: map[string][]Failure{}}}
	if !o.KeepClientRetryer {
		retryer := NewRetryer(o.MaxAttempts, o.MaxBackoff)
		r.optFns = append(r.optFns, func(so *securityhub.Options) {
			so.Retryer = retryer
			so.RetryMaxAttempts = 0
		})
	}
	start := time.Now()
	r.progress = newProgress(o.Progress, o.Files, r.s)
	defer r.progress.stop()

	batches := make(chan []item)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				r.send(ctx, b)
			}
		}()
	}
	readErr := r.read(ctx, batches)
	close(batches)
	wg.Wait()
	r.s.Duration = time.Since(start)
	if readErr != nil {
		return r.s, readErr
	}
	return r.s, ctx.Err()
}

type run struct {
	o        Options
	s        *Summary
	optFns   []func(*securityhub.Options)
	progress *progress
}

// read feeds batches from every file in turn; it stops early only when ctx
// is done.
func (r *run) read(ctx context.Context, batches chan<- []item) error {
	batch := make([]item, 0, r.o.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case batches <- batch:
			batch = make([]item, 0, r.o.BatchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, name := range r.o.Files {
		var in io.Reader
		if name == "-" {
			in = r.o.Stdin
		} else {
			f, err := os.Open(name)
			if err != nil {
				r.fileError(err)
				continue
			}
			defer f.Close()
			in = f
		}
		r.s.mu.Lock()
		r.s.Files++
		r.s.mu.Unlock()
		pos := 0
		errs, err := readFindings(r.progress.count(in), func(raw json.RawMessage) error {
			pos++
			it := item{raw: raw, file: name, pos: pos}
			r.s.mu.Lock()
			r.s.Read++
			r.s.mu.Unlock()
			if size := findingSize(raw); size > MaxFindingSize {
				f := it.failure(CodeFindingSizeExceeded, messageSizeExceeded)
				r.s.mu.Lock()
				r.s.TooLarge = append(r.s.TooLarge, f)
				r.s.fail(f)
				r.s.mu.Unlock()
				return nil
			}
			batch = append(batch, it)
			if len(batch) == r.o.BatchSize {
				return flush()
			}
			return nil
		})
		for _, e := range errs {
			r.fileError(fmt.Errorf("%s: %w", name, e))
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.fileError(fmt.Errorf("%s: %w", name, err))
		}
	}
	return flush()
}

func (r *run) fileError(err error) {
	r.s.mu.Lock()
	r.s.FileErrors = append(r.s.FileErrors, err)
	r.s.mu.Unlock()
}

// findingSize is the size of the finding as it goes on the wire, without
// the producer's indentation.
func findingSize(raw json.RawMessage) int {
	if len(raw) <= MaxFindingSize {
		return len(raw) // compacting never makes it bigger
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	if err := json.Compact(&out, raw); err != nil {
		return len(raw)
	}
	return out.Len()
}

func (it item) failure(code, msg string) Failure {
	var id struct{ Id, ProductArn string }
	_ = json.Unmarshal(it.raw, &id)
	return Failure{File: it.file, Pos: it.pos, ID: id.Id, ProductArn: id.ProductArn, ErrorCode: code, ErrorMessage: msg}
}

// send imports one batch: decodes it into the SDK's types, drops what the
// SDK refuses to send, and splits the batch when the endpoint finds the
// request too large.
func (r *run) send(ctx context.Context, batch []item) {
	findings := make([]types.AwsSecurityFinding, 0, len(batch))
	items := make([]item, 0, len(batch))
	var failures []Failure
	dropped, renamed := map[string]bool{}, map[string]bool{}
	for _, it := range batch {
		f, err := decodeFinding(it.raw,
			func(p string) { dropped[p] = true },
			func(p string) { renamed[p] = true })
		if err != nil {
			failures = append(failures, it.failure(CodeInvalidJSON, jsonErrorMessage(err)))
			clear(dropped)
			clear(renamed)
			continue
		}
		r.s.mu.Lock()
		for p := range dropped {
			r.s.Dropped[p]++
		}
		for p := range renamed {
			r.s.Renamed[p]++
		}
		r.s.mu.Unlock()
		clear(dropped)
		clear(renamed)
		findings = append(findings, f)
		items = append(items, it)
	}
	r.record(failures)
	r.sendFindings(ctx, findings, items)
}

var findingIndex = regexp.MustCompile(`Findings\[(\d+)\]\.?`)

func (r *run) sendFindings(ctx context.Context, findings []types.AwsSecurityFinding, items []item) {
	for len(findings) > 0 {
		if ctx.Err() != nil {
			r.record(failAll(items, CodeNotSent, ctx.Err().Error()))
			return
		}
		out, err := r.o.Client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: findings}, r.optFns...)
		var invalid smithy.InvalidParamsError
		if errors.As(err, &invalid) {
			// The SDK checks required members before sending anything:
			// fail the findings it names and send the others.
			bad := map[int][]string{}
			for _, e := range invalid.Errs() {
				var pe smithy.InvalidParamError
				field := e.Error()
				if errors.As(e, &pe) {
					field = pe.Field()
				}
				m := findingIndex.FindStringSubmatchIndex(field)
				if m == nil {
					continue
				}
				i, _ := strconv.Atoi(field[m[2]:m[3]])
				reason, _, _ := strings.Cut(e.Error(), ",")
				bad[i] = append(bad[i], reason+": "+field[m[1]:])
			}
			if len(bad) == 0 { // not understood: the batch fails whole
				r.record(failAll(items, CodeParamValidation, strings.TrimSpace(invalid.Error())))
				return
			}
			var failures []Failure
			keepF, keepI := findings[:0:0], items[:0:0]
			for i := range findings {
				if reasons, ok := bad[i]; ok {
					failures = append(failures, items[i].failure(CodeParamValidation, strings.Join(reasons, "; ")))
					continue
				}
				keepF, keepI = append(keepF, findings[i]), append(keepI, items[i])
			}
			r.record(failures)
			findings, items = keepF, keepI
			continue
		}
		if err != nil && len(findings) > 1 && tooLarge(err) {
			half := len(findings) / 2
			r.sendFindings(ctx, findings[:half], items[:half])
			r.sendFindings(ctx, findings[half:], items[half:])
			return
		}
		r.s.mu.Lock()
		r.s.Requests++
		r.s.Sent += len(findings)
		r.s.mu.Unlock()
		if err != nil {
			code, msg := errorCodeMessage(err)
			r.record(failAll(items, code, msg))
			return
		}
		r.result(out, findings, items)
		return
	}
}

// result books a BatchImportFindings answer: the findings it lists as
// failed, and the others as imported.
func (r *run) result(out *securityhub.BatchImportFindingsOutput, findings []types.AwsSecurityFinding, items []item) {
	// FailedFindings name findings by Id alone.
	byID := make(map[string][]int, len(items))
	for i := range items {
		id := aws.ToString(findings[i].Id)
		byID[id] = append(byID[id], i)
	}
	var failures []Failure
	for _, ff := range out.FailedFindings {
		f := Failure{ID: aws.ToString(ff.Id), ErrorCode: aws.ToString(ff.ErrorCode), ErrorMessage: aws.ToString(ff.ErrorMessage)}
		if is := byID[f.ID]; len(is) > 0 {
			i := is[0]
			byID[f.ID] = is[1:]
			f.File, f.Pos, f.ProductArn = items[i].file, items[i].pos, aws.ToString(findings[i].ProductArn)
		}
		failures = append(failures, f)
	}
	imported := int(aws.ToInt32(out.SuccessCount))
	failed := int(aws.ToInt32(out.FailedCount))
	r.s.mu.Lock()
	r.s.Imported += imported
	r.s.mu.Unlock()
	r.record(failures)
	// An endpoint whose counts disagree with its list: trust the counts for
	// the total, so that Read = Imported + Failed still adds up.
	if missing := len(items) - imported - max(failed, len(failures)); missing > 0 {
		f := Failure{ErrorCode: "Unaccounted", ErrorMessage: fmt.Sprintf("the endpoint reported neither success nor failure for %d findings of a batch", missing)}
		r.s.mu.Lock()
		for range missing {
			r.s.fail(f)
		}
		r.s.mu.Unlock()
	}
}

func (r *run) record(failures []Failure) {
	if len(failures) == 0 {
		return
	}
	r.s.mu.Lock()
	for _, f := range failures {
		r.s.fail(f)
	}
	r.s.mu.Unlock()
}

func failAll(items []item, code, msg string) []Failure {
	out := make([]Failure, len(items))
	for i, it := range items {
		out[i] = it.failure(code, msg)
	}
	return out
}

// errorCodeMessage names a request's error as the service did, so that
// one AccessDeniedException for a whole batch reads as that and not as the
// SDK's wrapping.
func errorCodeMessage(err error) (string, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return "HTTP" + strconv.Itoa(re.HTTPStatusCode()), re.Err.Error()
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return "RequestError", oe.Err.Error()
	}
	return "RequestError", err.Error()
}

func tooLarge(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "RequestEntityTooLargeException" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestEntityTooLarge
}

// jsonErrorMessage drops the value from a type error so that findings
// failing on the same member group together.
func jsonErrorMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		what, _, _ := strings.Cut(te.Value, " ")
		return fmt.Sprintf("%s: cannot be a JSON %s (the API model wants %s)", te.Field, what, te.Type)
	}
	return err.Error()
}

package asff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster/model"
)

// MaxFindingSize is the largest finding BatchImportFindings accepts, in
// bytes of JSON as sent: AWS fails "any finding larger than 240 KB" on its
// own, leaving the rest of the batch to be imported.
const MaxFindingSize = 240 << 10

// MaxFieldLength bounds every string in a finding: AWS rejects a finding
// with a string of MaxFieldLength characters or more, whatever the member
// ("The maximum size of an individual field should be less than 32768").
const MaxFieldLength = 32768

// SchemaVersion is the only ASFF version Security Hub has published and
// accepts.
const SchemaVersion = "2018-10-08"

// The messages of the failures that are not schema violations, as AWS
// words them in FailedFindings.
const (
	msgTooLarge = "Finding size exceeded 240 KB"
	msgField    = "The maximum size of an individual field should be less than 32768"
	msgPrefix   = "Finding does not adhere to Amazon Finding Format. "
)

// Invalid is why one finding of a BatchImportFindings request is rejected.
// Its Error is the ErrorMessage AWS puts in FailedFindings (with ErrorCode
// InvalidInput), so clients that match on AWS's messages keep working.
type Invalid struct {
	// Path is the AJV path of the offending value ("data.Title"); empty for
	// the failures that AWS reports without one (size limits).
	Path string
	// Reason is AJV's message for Path, or the whole message when Path is
	// empty.
	Reason string
	// Err is model.ErrNotIJSON when the finding is not an I-JSON document;
	// callers should then reject the whole request.
	Err error
}

func (e *Invalid) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return msgPrefix + e.Path + " " + e.Reason + "."
}

// Unwrap exposes model.ErrNotIJSON for findings that are not I-JSON.
func (e *Invalid) Unwrap() error { return e.Err }

// Check validates one element of BatchImportFindings' Findings: model.Validate
// against AwsSecurityFinding plus the rules below. Errors are *Invalid whose
// Error() is the AWS message, e.g. "Finding does not adhere to Amazon Finding
// Format. data.Title should NOT be longer than 256 characters."
//
// The rules beyond the model's shapes, from the Security Hub guides and
// AWS's observed rejections:
//   - at most MaxFindingSize bytes, and every string (member names
//     included) shorter than MaxFieldLength characters;
//   - SchemaVersion is "2018-10-08"; AwsAccountId is 12 digits; ProductArn
//     has the form ParseProductARN accepts (whether its region is the
//     request's is for the caller to check);
//   - every member documented as a timestamp parses with ParseTime;
//   - Types and FindingProviderFields.Types entries match
//     ^([^/]+)(/[^/]+){0,2}$, the pattern AWS names when it rejects one
//     (namespace[/category[/classifier]], no empty segment; the namespace
//     is not checked against the documented list, which AWS does not
//     enforce: Prowler sends "IAM");
//   - Severity.Normalized, Confidence and Criticality are 0–100;
//   - ProductFields and UserDefinedFields keys have at most 128 characters,
//     values at most 2048 and 1024; the keys under aws/securityhub/ that
//     Security Hub adds do not count toward ProductFields' 50 pairs;
//   - the finding has a severity (Severity.Label or Severity.Normalized, or
//     FindingProviderFields.Severity.Label) and types (Types or
//     FindingProviderFields.Types), which AWS words as an anyOf failure.
//
// Only the first failure is reported: size limits first, then the first
// violation in document order, then the severity and types rule.
func Check(raw []byte) error {
	if len(raw) > MaxFindingSize {
		return &Invalid{Reason: msgTooLarge}
	}
	if len(raw) >= MaxFieldLength { // a shorter document cannot hold such a string
		if err := checkFieldLengths(raw); err != nil {
			return err
		}
	}
	c := checkers.Get().(*checker)
	*c = checker{}
	err := model.ValidateWith(findingShape, raw, c)
	if err == nil {
		err = c.anyOf()
	}
	checkers.Put(c)
	if err == nil {
		return nil
	}
	var verr *model.ValidationError
	if errors.As(err, &verr) {
		return &Invalid{Path: verr.Path, Reason: verr.Reason, Err: verr.Err}
	}
	return err
}

var checkers = sync.Pool{New: func() any { return new(checker) }}

// checkFieldLengths fails raw if it holds a string of MaxFieldLength
// characters or more.
func checkFieldLengths(raw []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	var buf []byte
	for {
		if dec.PeekKind() != '"' {
			if _, err := dec.ReadToken(); err != nil {
				if err == io.EOF {
					return nil
				}
				return nil // Validate reports the syntax error
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil
		}
		s := v[1 : len(v)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			buf, _ = jsontext.AppendUnquote(buf[:0], v)
			s = buf
		}
		if model.UTF16Len(s) >= MaxFieldLength {
			return &Invalid{Reason: msgField}
		}
	}
}

// The shapes and members the rules refer to, resolved once.
var (
	findingShape = model.Lookup("AwsSecurityFinding")

	mSchemaVersion = findingShape.Member("SchemaVersion")
	mAccount       = findingShape.Member("AwsAccountId")
	mProductArn    = findingShape.Member("ProductArn")
	mTypes         = findingShape.Member("Types")
	mConfidence    = findingShape.Member("Confidence")
	mCriticality   = findingShape.Member("Criticality")
	mProductFields = findingShape.Member("ProductFields")
	mUserFields    = findingShape.Member("UserDefinedFields")
	mFPF           = findingShape.Member("FindingProviderFields")

	severityShape = model.Lookup("Severity")
	mSevLabel     = severityShape.Member("Label")
	mSevNorm      = severityShape.Member("Normalized")

	fpfShape     = model.Lookup("FindingProviderFields")
	mFPFTypes    = fpfShape.Member("Types")
	mFPFSeverity = fpfShape.Member("Severity")
	mFPFSevLabel = model.Lookup("FindingProviderSeverity").Member("Label")

	isTimestamp = func() map[*model.Member]bool {
		m := make(map[*model.Member]bool, len(timestampMembers))
		for _, name := range timestampMembers {
			sname, mname, _ := strings.Cut(name, ".")
			s := model.Lookup(sname)
			if s == nil || s.Member(mname) == nil {
				panic("asff: unknown timestamp member " + name)
			}
			m[s.Member(mname)] = true
		}
		return m
	}()
)

// typesPattern is the pattern AWS reports for a malformed Types entry
// (prowler-cloud/prowler#2519).
const typesPattern = `^([^/]+)(/[^/]+){0,2}$`

// accountPattern is the rule for AwsAccountId ("must be 12 digits exactly").
const accountPattern = `^\d{12}$`

// productARNPattern is the form ParseProductARN accepts, for messages.
const productARNPattern = `^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:(\d{12})?:product/[^/]+/[^/]+$`

// checker is the Visitor that applies Check's rules during Validate's pass
// and records what the severity and types rule needs.
type checker struct {
	severity    bool // Severity.Label or Severity.Normalized
	types       bool
	fpf         bool
	fpfSeverity bool
	fpfSevLabel bool
	fpfTypes    bool
}

func (c *checker) Member(parent *model.Shape, m *model.Member) {
	switch m {
	case mSevLabel, mSevNorm:
		c.severity = true
	case mTypes:
		c.types = true
	case mFPF:
		c.fpf = true
	case mFPFSeverity:
		c.fpfSeverity = true
	case mFPFSevLabel:
		c.fpfSevLabel = true
	case mFPFTypes:
		c.fpfTypes = true
	}
}

func (c *checker) Scalar(f model.Field, v []byte) string {
	m := f.Member
	if f.Elem || f.Key {
		switch m {
		case mTypes, mFPFTypes:
			if !validType(v) {
				return `should match pattern "` + typesPattern + `"`
			}
		case mProductFields, mUserFields:
			if f.Key && model.UTF16Len(v) > 128 {
				return "property name '" + string(v) + "' is invalid"
			}
			if max := fieldValueMax(m); f.Elem && model.UTF16Len(v) > max {
				return "should NOT be longer than " + strconv.Itoa(max) + " characters"
			}
		}
		return ""
	}
	switch m {
	case mSchemaVersion:
		if string(v) != SchemaVersion {
			return "should be equal to one of the allowed values"
		}
	case mAccount:
		if !digits(v, 12) {
			return `should match pattern "` + accountPattern + `"`
		}
	case mProductArn:
		if _, err := ParseProductARN(string(v)); err != nil {
			return `should match pattern "` + productARNPattern + `"`
		}
	case mSevNorm, mConfidence, mCriticality:
		// integral, as Validate has checked
		n, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
		if n > 100 {
			return "should be <= 100"
		}
		if n < 0 {
			return "should be >= 0"
		}
	default:
		if isTimestamp[m] {
			if _, err := ParseTime(string(v)); err != nil {
				return `should match format "date-time"`
			}
		}
	}
	return ""
}

// serverKeyPrefix starts the ProductFields keys that Security Hub adds to
// every finding it stores (aws/securityhub/FindingId, …ProductName,
// …CompanyName).
const serverKeyPrefix = "aws/securityhub/"

// CountsKey leaves the ProductFields keys that Security Hub adds out of the
// 50-pair limit: providers such as Prowler re-import findings as
// GetFindings returned them, and AWS stores findings with 50 provider keys
// plus its own 3 (GuardDuty's, in shared/corpus), which a re-import must
// not turn into a failure.
func (c *checker) CountsKey(f model.Field, key []byte) bool {
	return f.Member != mProductFields || !bytes.HasPrefix(key, []byte(serverKeyPrefix))
}

func fieldValueMax(m *model.Member) int {
	if m == mUserFields {
		return 1024
	}
	return 2048
}

// anyOf applies the rule that a finding has a severity and types, given
// either at the top level or in FindingProviderFields.
func (c *checker) anyOf() error {
	sevOK := c.severity || c.fpfSevLabel
	if sevOK && (c.types || c.fpfTypes) {
		return nil
	}
	const tail = ", data should match some schema in anyOf"
	switch {
	case !c.fpf:
		return &model.ValidationError{Path: "data", Reason: "should have required property 'FindingProviderFields'" + tail}
	case !sevOK && !c.fpfSeverity:
		return &model.ValidationError{Path: "data.FindingProviderFields", Reason: "should have required property 'Severity'" + tail}
	case !sevOK:
		return &model.ValidationError{Path: "data.FindingProviderFields.Severity", Reason: "should have required property 'Label'" + tail}
	default:
		return &model.ValidationError{Path: "data.FindingProviderFields", Reason: "should have required property 'Types'" + tail}
	}
}

// validType reports whether v matches typesPattern: one to three non-empty
// segments separated by "/".
func validType(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	segs := 1
	prev := byte('/')
	for _, b := range v {
		if b == '/' {
			if prev == '/' {
				return false
			}
			segs++
		}
		prev = b
	}
	return prev != '/' && segs <= 3
}

func digits(v []byte, n int) bool {
	if len(v) != n {
		return false
	}
	for _, b := range v {
		if b < '0' || b > '9' {
			return false
		}
	}
	return true
}

// FindingID returns the finding's Id (best effort, "" if absent or not a
// string), so that FailedFindings can name even findings that fail Check
// or are not valid JSON after their Id.
func FindingID(raw []byte) string {
	return topStrings(raw, "Id")["Id"]
}

// CheckAuthorization checks the members that decide who may import a
// finding — AwsAccountId and ProductArn — before anything else is checked.
// On AWS a request authorizer reads them first, and a malformed one fails
// the whole request (once as AuthorizerConfigurationException, today as
// InvalidInputException), not just the finding. Absent members are left to
// Check, which reports them per finding.
func CheckAuthorization(raw []byte) error {
	v := topStrings(raw, "Id", "AwsAccountId", "ProductArn")
	const older = "; AWS's request authorizer rejects the whole request for it (older AWS APIs answered AuthorizerConfigurationException)"
	if a, ok := v["AwsAccountId"]; ok && !digits([]byte(a), 12) {
		return fmt.Errorf("finding %q: AwsAccountId %q should match pattern %q: an account id is exactly 12 digits%s", v["Id"], a, accountPattern, older)
	}
	if p, ok := v["ProductArn"]; ok {
		if _, err := ParseProductARN(p); err != nil {
			return fmt.Errorf("finding %q: ProductArn %q should match pattern %q: it %v%s", v["Id"], p, productARNPattern, err, older)
		}
	}
	return nil
}

// topStrings returns the string values of the named top-level members of
// raw, best effort: it stops at the first syntax error.
func topStrings(raw []byte, names ...string) map[string]string {
	out := make(map[string]string, len(names))
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return out
	}
	for dec.PeekKind() == '"' && len(out) < len(names) {
		tok, err := dec.ReadToken()
		if err != nil {
			return out
		}
		name := tok.String()
		if slices.Contains(names, name) && dec.PeekKind() == '"' {
			v, err := dec.ReadToken()
			if err != nil {
				return out
			}
			out[name] = v.String()
			continue
		}
		if err := dec.SkipValue(); err != nil {
			return out
		}
	}
	return out
}

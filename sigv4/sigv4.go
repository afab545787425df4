// Package sigv4 verifies AWS Signature Version 4 on the server side, for
// the JSON services that Muster emulates (securityhub now, sts later).
//
// It rebuilds the canonical request the way the AWS SDKs build it for
// services other than S3 and compares signatures in constant time. Errors
// are *muster.Error values whose codes and messages follow what AWS sends,
// so that SDKs raise the same exception types against Muster as against
// AWS. Where a message below is not confirmed by a captured AWS response,
// its comment says so.
package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/muster-hub/muster"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	timeFormat      = "20060102T150405Z" // ISO 8601 basic, as in X-Amz-Date
	dateFormat      = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	// DefaultMaxSkew is how far a header signature's time may be from the
	// server's clock. AWS allows 15 minutes either way.
	DefaultMaxSkew = 15 * time.Minute
	// MaxExpires is the longest validity of a presigned request, a week:
	// SigV4 signing keys are only good for seven days.
	MaxExpires = 604800
)

// Verifier checks SigV4 signatures of requests to one service. Its zero
// value is not usable: Service must be set. A Verifier must not be copied
// after first use, as it holds a cache of signing keys.
type Verifier struct {
	// Service is the signing name that credential scopes must carry, for
	// example "securityhub".
	Service string
	// Secret returns the secret access key of accessKeyID (sessionToken is
	// the X-Amz-Security-Token sent with it, or ""). When the key or token
	// is unknown it returns an error, normally UnknownKey(); the error is
	// returned from Verify unchanged.
	//
	// A nil Secret is open mode: signatures must still be well formed,
	// scoped to Service and fresh, but they are not checked against any
	// secret. It suits local use, where clients sign with made-up keys.
	Secret func(accessKeyID, sessionToken string) (string, error)
	// MaxSkew bounds the difference between a header signature's time and
	// the server's clock; zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	keys keyCache
}

// Identity is who signed a verified request, and for what.
type Identity struct {
	AccessKeyID  string
	SessionToken string
	// Region is the region of the credential scope. The signature binds
	// it, so it is the region the caller means to address.
	Region   string
	Service  string
	SignedAt time.Time
	// Presigned is true when the signature came in the query string.
	Presigned bool
}

// UnknownKey returns the error AWS sends for an access key id or session
// token it does not know. Secret functions return it.
func UnknownKey() error {
	// Confirmed: captured AWS responses (e.g. aws-sdk-php#2444, dynalite).
	return &muster.Error{Code: muster.UnrecognizedClient, Message: "The security token included in the request is invalid."}
}

// sig is a request's signature with its parameters, from whichever form it
// came in.
type sig struct {
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	amzDate       string // the time as it goes into the string to sign
	signedAt      time.Time
	token         string
	presigned     bool
	expires       time.Duration // presigned only; <0 when not given
}

// Verify checks the signature of r, whose body has already been read into
// body (the caller restores r.Body). It returns the signer's identity, or a
// *muster.Error with the code AWS would send.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Identity, error) {
	query := parseQuery(r.URL.RawQuery)
	auth := r.Header.Get("Authorization")
	_, inQuery := query.get("X-Amz-Algorithm")
	var s sig
	var err error
	switch {
	case auth != "" && inQuery:
		// Confirmed wording as dynalite reproduces DynamoDB's front end;
		// unconfirmed for securityhub.
		return nil, muster.Errorf(muster.InvalidSignature, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case auth == "" && !inQuery:
		// Confirmed as kinesalite reproduces Kinesis; DynamoDB once said
		// "Request is missing Authentication Token". Unconfirmed for
		// securityhub.
		return nil, muster.Errorf(muster.MissingAuthentication, "Missing Authentication Token")
	case inQuery:
		s, err = parsePresigned(query)
	default:
		s, err = parseHeader(r, auth)
	}
	if err != nil {
		return nil, err
	}

	// The checks below run in the order that AWS's front end runs them, as
	// captured in dynalite's notes: time, host, algorithm, credential shape,
	// scope, key, signature.
	if err := v.checkTime(&s); err != nil {
		return nil, err
	}
	if !hasHost(s.signedHeaders) {
		return nil, muster.Errorf(muster.InvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if s.algorithm != algorithm {
		return nil, muster.Errorf(muster.IncompleteSignature, "Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ", s.algorithm)
	}
	// AWS ignores trailing slashes of the credential.
	parts := strings.Split(strings.TrimRight(s.credential, "/"), "/")
	if len(parts) != 5 {
		return nil, muster.Errorf(muster.IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", s.credential)
	}
	akid, date, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	if err := v.checkScope(date, region, service, term, s.amzDate); err != nil {
		return nil, err
	}

	id := &Identity{AccessKeyID: akid, SessionToken: s.token, Region: region, Service: service, SignedAt: s.signedAt, Presigned: s.presigned}

	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" && s.presigned {
		payloadHash, _ = query.get("X-Amz-Content-Sha256")
	}
	// A declared hash is what the client signed; otherwise it signed the
	// body's hash. Open mode with no declared hash never hashes the body.
	declared := payloadHash != ""

	if v.Secret != nil {
		if !declared {
			payloadHash = sha256Hex(body)
		}
		secret, err := v.Secret(akid, s.token)
		if err != nil {
			return nil, err
		}
		key := v.keys.signingKey(secret, date, region, service)
		scope := date + "/" + region + "/" + service + "/" + terminator
		path := rawPath(r)
		canonical, ok := check(key, r, path, query, &s, scope, payloadHash)
		if !ok {
			// botocore removes dot segments and empty segments from the
			// path before signing; the Go SDK signs it as sent. Try the
			// former only when it differs, so the common case costs one
			// pass.
			if norm := normalizePath(path); norm != path {
				_, ok = check(key, r, norm, query, &s, scope, payloadHash)
			}
		}
		if !ok {
			return nil, mismatch(canonical, stringToSign(s.amzDate, scope, canonical))
		}
	}
	if declared && payloadHash != unsignedPayload && payloadHash != sha256Hex(body) {
		// The S3 wording (XAmzContentSHA256Mismatch); what non-S3 services
		// send is unconfirmed.
		return nil, muster.Errorf(muster.InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return id, nil
}

// check builds the canonical request for path and reports whether the
// signature matches it.
func check(key []byte, r *http.Request, path string, query queryParams, s *sig, scope, payloadHash string) (string, bool) {
	canonical := canonicalRequest(r, path, query, s.signedHeaders, payloadHash, s.presigned)
	want := hex.EncodeToString(hmacSHA256(key, stringToSign(s.amzDate, scope, canonical)))
	return canonical, subtle.ConstantTimeCompare([]byte(want), []byte(s.signature)) == 1
}

// mismatch is the error for a signature that does not match. Like AWS it
// shows the canonical request and string to sign it expected, which holds
// nothing secret and is how clients debug their signing.
func mismatch(canonical, toSign string) error {
	// Confirmed: first sentence in many captured responses; the appended
	// details as captured by dynalite and aws-sdk-js#168.
	return muster.Errorf(muster.InvalidSignature, "The request signature we calculated does not match the signature you provided. "+
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n"+
		"The Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n", canonical, toSign)
}

// parseHeader reads the signature from an Authorization header.
func parseHeader(r *http.Request, auth string) (sig, error) {
	s := sig{expires: -1}
	algo, rest, _ := strings.Cut(strings.TrimSpace(auth), " ")
	s.algorithm = algo
	// AWS splits the parameters on commas and spaces alike, so
	// "Credential= AKID/..." is two fields and the second has no '='.
	for _, f := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' }) {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			// Confirmed: cloud9-sync#10, fhir-works-on-aws-deployment#379.
			return s, muster.Errorf(muster.IncompleteSignature, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", f, auth)
		}
		switch k {
		case "Credential":
			s.credential = val
		case "SignedHeaders":
			s.signedHeaders = val
		case "Signature":
			s.signature = val
		}
	}
	date := r.Header.Get("X-Amz-Date")
	httpDate := r.Header.Get("Date")
	// Confirmed: aws/chalice#828, aws-sdk-ruby#317 (same order and text).
	var msg strings.Builder
	for _, m := range [...]struct{ name, val string }{{"Credential", s.credential}, {"Signature", s.signature}, {"SignedHeaders", s.signedHeaders}} {
		if m.val == "" {
			msg.WriteString("Authorization header requires '" + m.name + "' parameter. ")
		}
	}
	if date == "" && httpDate == "" {
		msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if msg.Len() > 0 {
		return s, muster.Errorf(muster.IncompleteSignature, "%sAuthorization=%s", msg.String(), auth)
	}
	var err error
	if date != "" {
		s.signedAt, err = parseAmzDate(date)
	} else if s.signedAt, err = http.ParseTime(httpDate); err != nil {
		err = badDate(httpDate)
	}
	if err != nil {
		return s, err
	}
	s.signedAt = s.signedAt.UTC()
	s.amzDate = s.signedAt.Format(timeFormat)
	s.token = r.Header.Get("X-Amz-Security-Token")
	return s, nil
}

// parsePresigned reads the signature from the query string of a presigned
// request.
func parsePresigned(q queryParams) (sig, error) {
	s := sig{presigned: true, expires: -1}
	var msg strings.Builder
	// Confirmed wording and order: dynalite and kinesalite, which copy
	// DynamoDB's and Kinesis's front end.
	for _, p := range [...]struct {
		name string
		dst  *string
	}{{"X-Amz-Algorithm", &s.algorithm}, {"X-Amz-Credential", &s.credential}, {"X-Amz-Signature", &s.signature}, {"X-Amz-SignedHeaders", &s.signedHeaders}, {"X-Amz-Date", &s.amzDate}} {
		*p.dst, _ = q.get(p.name)
		if *p.dst == "" {
			msg.WriteString("AWS query-string parameters must include '" + p.name + "'. ")
		}
	}
	if msg.Len() > 0 {
		return s, muster.Errorf(muster.IncompleteSignature, "%sRe-examine the query-string parameters.", msg.String())
	}
	var err error
	if s.signedAt, err = parseAmzDate(s.amzDate); err != nil {
		return s, err
	}
	if e, ok := q.get("X-Amz-Expires"); ok {
		// The wording is S3's (AuthorizationQueryParametersError); the code
		// and text for JSON services are unconfirmed.
		n, err := strconv.Atoi(e)
		switch {
		case err != nil:
			return s, muster.Errorf(muster.IncompleteSignature, "X-Amz-Expires should be a number")
		case n < 0:
			return s, muster.Errorf(muster.IncompleteSignature, "X-Amz-Expires must be non-negative")
		case n > MaxExpires:
			return s, muster.Errorf(muster.IncompleteSignature, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", MaxExpires)
		}
		s.expires = time.Duration(n) * time.Second
	}
	s.token, _ = q.get("X-Amz-Security-Token")
	return s, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func parseAmzDate(d string) (time.Time, error) {
	t, err := time.Parse(timeFormat, d)
	if err != nil {
		return t, badDate(d)
	}
	return t, nil
}

func badDate(d string) error {
	// Confirmed: dynalite's captured DynamoDB response.
	return muster.Errorf(muster.IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", d)
}

// checkTime rejects signatures from too far in the past or future, and
// presigned requests past their expiry.
func (v *Verifier) checkTime(s *sig) error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	now = now.UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	// Confirmed format: "Signature expired: 20140325T143453Z is now earlier
	// than 20140325T143751Z (20140325T145251Z - 15 min.)" (aws-sdk-js#254)
	// and "Signature not yet current: ... is still later than ... (... + 5
	// min.)" (awsbeats#48).
	if s.signedAt.After(now.Add(skew)) {
		return muster.Errorf(muster.InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s)",
			s.amzDate, now.Add(skew).Format(timeFormat), now.Format(timeFormat), span(skew))
	}
	window := skew
	if s.presigned && s.expires >= 0 {
		// A presigned request is good until its expiry, however long ago
		// it was signed. The message for this case is unconfirmed; it
		// follows the header form with the expiry in place of the skew.
		window = s.expires
	}
	if s.signedAt.Before(now.Add(-window)) {
		return muster.Errorf(muster.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s)",
			s.amzDate, now.Add(-window).Format(timeFormat), now.Format(timeFormat), span(window))
	}
	return nil
}

// span formats a duration as AWS does in time errors ("15 min."); the
// seconds form for other durations is unconfirmed.
func span(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// checkScope checks the credential scope. AWS reports every fault at once,
// each sentence ending in ". ", so it is done the same way here.
func (v *Verifier) checkScope(date, region, service, term, amzDate string) error {
	// Confirmed: the full four-fault message captured by dynalite; the
	// service sentence alone in aws-signing-proxy#25 and arnemolland/sigv4#15.
	var msg strings.Builder
	if region == "" {
		// Any region is valid: it becomes the request's region.
		msg.WriteString("Credential should be scoped to a valid region, not ''. ")
	}
	if service != v.Service {
		fmt.Fprintf(&msg, "Credential should be scoped to correct service: '%s'. ", v.Service)
	}
	if term != terminator {
		fmt.Fprintf(&msg, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", terminator, term)
	}
	if want := amzDate[:len(dateFormat)]; date != want {
		fmt.Fprintf(&msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", date, want, amzDate)
	}
	if msg.Len() > 0 {
		return muster.Errorf(muster.InvalidSignature, "%s", msg.String())
	}
	return nil
}

// hasHost reports whether host is among the signed headers; without it a
// signature could be replayed against another endpoint.
func hasHost(signedHeaders string) bool {
	for h := range strings.SplitSeq(signedHeaders, ";") {
		if strings.EqualFold(h, "host") {
			return true
		}
	}
	return false
}

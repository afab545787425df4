// Package webhook delivers events to an HTTP endpoint: one JSON POST per
// event, signed with a secret shared with the receiver.
//
// # Requests
//
// The body is the event exactly as EventBridge delivers it, with
// Content-Type application/json, and these headers:
//
//	X-Muster-Event-Id:    the event's id
//	X-Muster-Event-Type:  the event's detail-type
//	X-Muster-Timestamp:   when this attempt was sent, in Unix seconds
//	X-Muster-Signature:   sha256=HEX
//
// where HEX is the lowercase hex HMAC-SHA256, keyed with the target's
// secret, of the timestamp, a full stop and the body:
//
//	HMAC-SHA256(secret, "1767225600." + body)
//
// Any 2xx response means delivered. Anything else — another status, a
// timeout, a refused connection — is an error, and the dispatcher sends the
// event again later; redirects are not followed.
//
// # Verifying a request
//
// A receiver checks a request before it trusts it:
//
//  1. Read the raw body; do not parse and re-encode it first.
//  2. Read X-Muster-Timestamp and refuse the request if it is further than a
//     few minutes from the receiver's clock. Because the timestamp is signed,
//     this refuses a captured request replayed later.
//  3. Compute HMAC-SHA256 of timestamp + "." + body with the secret and
//     compare its hex form with X-Muster-Signature after "sha256=", in
//     constant time.
//  4. Delivery is at least once: a retry carries the same X-Muster-Event-Id
//     (with a new timestamp and signature), so use the id to drop duplicates.
//
// Receivers written in Go call [Verify], which does steps 2 and 3.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/muster-hub/muster"
)

// The headers of a delivery.
const (
	HeaderEventID   = "X-Muster-Event-Id"
	HeaderEventType = "X-Muster-Event-Type"
	HeaderTimestamp = "X-Muster-Timestamp"
	HeaderSignature = "X-Muster-Signature"
)

// DefaultTimeout is how long one delivery may take when Config.Timeout is
// zero.
const DefaultTimeout = 10 * time.Second

// DefaultMaxAge is the oldest request [Verify] accepts when given no
// maxAge.
const DefaultMaxAge = 5 * time.Minute

// Config configures a webhook target.
type Config struct {
	// URL is where events are POSTed: http or https.
	URL string
	// Secret keys the HMAC of every request; the receiver holds the same.
	Secret string
	// Timeout bounds one delivery, from dialling to reading the response;
	// a shorter deadline on Deliver's context wins. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Headers are added to every request (an Authorization header, say).
	// They may not replace Content-Type or the X-Muster- headers, which the
	// signature and the receiver depend on. A Host header sets the
	// request's host.
	Headers map[string]string
}

// Target POSTs events to a webhook. It is safe for concurrent use.
type Target struct {
	url string
	// origin is the URL's scheme and host, for errors: the rest of a
	// webhook URL often holds a token (as Slack's do), and errors end up in
	// logs and dead letters.
	origin  string
	secret  []byte
	timeout time.Duration
	host    string
	header  http.Header
	client  *http.Client
}

// New returns a target for c, or an error if c is invalid. It does not
// contact the receiver.
func New(c Config) (*Target, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("webhook: URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("webhook: URL %q is not an absolute http or https URL", c.URL)
	}
	if c.Secret == "" {
		return nil, errors.New("webhook: Secret is required: receivers need it to tell Muster's requests from forgeries")
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("webhook: negative Timeout %v", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	t := &Target{
		url:     u.String(),
		origin:  u.Scheme + "://" + u.Host,
		secret:  []byte(c.Secret),
		timeout: c.Timeout,
		header:  http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Muster"}},
	}
	for k, v := range c.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("webhook: invalid header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("webhook: header %s: value contains a line break or NUL", k)
		}
		ck := http.CanonicalHeaderKey(k)
		switch {
		case ck == "Content-Type" || ck == "Content-Length" || strings.HasPrefix(ck, "X-Muster-"):
			return nil, fmt.Errorf("webhook: header %s is set by Muster and cannot be configured", ck)
		case ck == "Host":
			t.host = v
		default:
			t.header.Set(ck, v)
		}
	}

	// One transport for the target's life, so that deliveries reuse
	// connections. The default of two idle connections per host would make
	// every concurrent delivery past the second open (and TIME_WAIT) a new
	// connection.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 256
	t.client = &http.Client{
		Transport: tr,
		// A POST redirected would be resent as a GET or not at all; a
		// redirect is reported as the failure it is for a webhook.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return t, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 section 5.1).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Deliver POSTs body once. A response other than 2xx is a *StatusError.
func (t *Target) Deliver(ctx context.Context, e *muster.Event, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	if t.host != "" {
		req.Host = t.host
	}
	h := req.Header
	for k, v := range t.header {
		h[k] = v
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h[HeaderEventID] = []string{e.ID}
	h[HeaderEventType] = []string{e.DetailType}
	h[HeaderTimestamp] = []string{ts}
	h[HeaderSignature] = []string{"sha256=" + hex.EncodeToString(sign(t.secret, ts, body))}

	resp, err := t.client.Do(req)
	if err != nil {
		// The url.Error would print the whole URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: POST %s: %w", t.origin, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Reading the rest of a short body lets the connection be reused;
		// a receiver that answers with megabytes gets its connection closed
		// instead.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	prefix, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return &StatusError{StatusCode: resp.StatusCode, Body: string(prefix), origin: t.origin}
}

// Close closes the target's idle connections.
func (t *Target) Close() error {
	t.client.CloseIdleConnections()
	return nil
}

// sign returns the HMAC-SHA256 of ts "." body under secret.
func sign(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// maxErrorBody is how much of a failed response's body a StatusError
// keeps: enough for the receiver's reason, not enough to flood logs and
// dead letters.
const maxErrorBody = 200

// StatusError is a delivery the receiver answered with a status other than
// 2xx.
type StatusError struct {
	StatusCode int
	// Body is the start of the response body, at most 200 bytes.
	Body   string
	origin string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("webhook: POST %s: %d %s", e.origin, e.StatusCode, http.StatusText(e.StatusCode))
	if b := strings.TrimSpace(e.Body); b != "" {
		s += ": " + strconv.Quote(b)
	}
	return s
}

// Permanent reports whether sending the event again cannot succeed: a 4xx
// status says the request itself is refused (410 Gone, 404, 401, 400),
// except 408 Request Timeout, 425 Too Early and 429 Too Many Requests,
// which ask to try later.
func (e *StatusError) Permanent() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return e.StatusCode/100 == 4
}

// IsPermanent reports whether err, or an error it wraps, has a Permanent
// method that reports true. It knows nothing of package delivery, so any
// target's errors can use the same method.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Errors Verify returns, wrapped with the details.
var (
	// ErrSignature is a signature header missing, malformed or not the
	// secret's signature of the timestamp and body.
	ErrSignature = errors.New("webhook: invalid signature")
	// ErrTimestamp is a timestamp header missing, malformed, or further
	// than maxAge from now: a replay, or a clock far off.
	ErrTimestamp = errors.New("webhook: invalid timestamp")
)

// Verify checks a request a webhook target sent: that header's
// X-Muster-Signature is secret's signature of its X-Muster-Timestamp and
// body, and that the timestamp is within maxAge of now (either side, for
// clocks that disagree). A maxAge of zero means DefaultMaxAge. body must be
// the request body exactly as received.
func Verify(secret string, header http.Header, body []byte, maxAge time.Duration, now time.Time) error {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	ts := header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrTimestamp, HeaderTimestamp, ts)
	}
	// Compared in seconds and without a subtraction involving sec, so that
	// no forged timestamp overflows.
	n, limit := now.Unix(), int64(maxAge/time.Second)
	if sec < n-limit || sec > n+limit {
		return fmt.Errorf("%w: %s %s is more than %v from %s", ErrTimestamp, HeaderTimestamp, ts, maxAge, strconv.FormatInt(n, 10))
	}
	sig, ok := strings.CutPrefix(header.Get(HeaderSignature), "sha256=")
	if !ok {
		return fmt.Errorf("%w: no sha256= %s", ErrSignature, HeaderSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrSignature, HeaderSignature)
	}
	if !hmac.Equal(got, sign([]byte(secret), ts, body)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignature, HeaderSignature)
	}
	return nil
}

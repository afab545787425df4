package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/muster-hub/muster"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempKey    = "ASIATEMPEXAMPLE"
	tempSecret = "tempsecretEXAMPLE"
	tempToken  = "FwoGZXIvYXdzEXAMPLETOKEN//+="
)

var (
	creds     = aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	tempCreds = aws.Credentials{AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken}
	// fixedNow is the server's clock in tests that need exact times.
	fixedNow = time.Date(2024, 1, 1, 0, 25, 0, 0, time.UTC)
)

// testSecrets knows one long-term key and one temporary key whose token
// must match.
func testSecrets(akid, token string) (string, error) {
	switch {
	case akid == testKey:
		return testSecret, nil
	case akid == tempKey && token == tempToken:
		return tempSecret, nil
	}
	return "", UnknownKey()
}

type result struct {
	id  *Identity
	err error
}

// harness runs a Verifier behind a real HTTP server, so requests reach it
// as net/http delivers them: Host and Content-Length moved out of the
// header map, the path as sent on the wire.
type harness struct {
	srv     *httptest.Server
	results chan result
}

func newHarness(t *testing.T, v *Verifier) *harness {
	t.Helper()
	h := &harness{results: make(chan result, 1)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		id, err := v.Verify(r, body)
		h.results <- result{id, err}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) send(t *testing.T, req *http.Request) (*Identity, error) {
	t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	resp.Body.Close()
	r := <-h.results
	return r.id, r.err
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newRequest builds a client request; path and query are sent as written.
func (h *harness) newRequest(t *testing.T, method, pathQuery string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+pathQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func signReq(t *testing.T, req *http.Request, body []byte, c aws.Credentials, service, region string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), c, req, hashHex(body), service, region, at); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var me *muster.Error
	if !errors.As(err, &me) {
		t.Fatalf("error = %v, want *muster.Error with code %s", err, code)
	}
	if me.Code != code {
		t.Fatalf("code = %s (%s), want %s", me.Code, me.Message, code)
	}
}

func wantMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	wantCode(t, err, code)
	if got := err.(*muster.Error).Message; got != msg {
		t.Fatalf("message = %q\nwant      %q", got, msg)
	}
}

func TestAcceptsSDKSignatures(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets})
	body := []byte(`{"Findings":[{"Id":"f-1"}]}`)
	cases := []struct {
		name, method, path string
		body               []byte
		creds              aws.Credentials
	}{
		{"import", "POST", "/findings/import", body, creds},
		{"greedy ARN label encoded", "GET", "/insights/results/arn%3Aaws%3Asecurityhub%3A%3A%3Ainsight%2Fsecurityhub%2Fdefault%2F1", nil, creds},
		{"greedy ARN label with slashes", "GET", "/insights/results/arn%3Aaws%3Asecurityhub%3A%3A%3Ainsight/securityhub/default/1", nil, creds},
		{"non-greedy label with %2F", "GET", "/tags/arn%3Aaws%3Asecurityhub%3Aus-east-1%3A123456789012%3Ahub%2Fdefault", nil, creds},
		{"repeated query keys", "DELETE", "/tags/arn%3Aaws%3Asecurityhub%3Aus-east-1%3A123456789012%3Ahub%2Fdefault?tagKeys=b&tagKeys=a%20b&tagKeys=a", nil, creds},
		{"query needing encoding", "GET", "/products?NextToken=a%2Bb%3D%3D&MaxResults=10", nil, creds},
		{"empty body", "POST", "/accounts", nil, creds},
		{"session token", "POST", "/findings/import", body, tempCreds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := h.newRequest(t, c.method, c.path, c.body)
			req.Header.Set("X-Amz-Target", "  spaced   value  ")
			signReq(t, req, c.body, c.creds, "securityhub", "us-west-2", time.Now())
			// The Go signer rewrites the query in canonical order; send it
			// in another order, as other clients may, to test the sort.
			pairs := strings.Split(req.URL.RawQuery, "&")
			slices.Reverse(pairs)
			req.URL.RawQuery = strings.Join(pairs, "&")
			id, err := h.send(t, req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKeyID != c.creds.AccessKeyID || id.SessionToken != c.creds.SessionToken ||
				id.Region != "us-west-2" || id.Service != "securityhub" || id.Presigned {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

func TestRejectsTampering(t *testing.T) {
	v := &Verifier{Service: "securityhub", Secret: testSecrets}
	h := newHarness(t, v)
	body := []byte(`{"Findings":[{"Id":"f-1"}]}`)
	const arnPath = "/insights/results/arn%3Aaws%3Asecurityhub%3A%3A%3Ainsight%2Fsecurityhub%2Fdefault%2F1"
	signed := func(t *testing.T, method, path string, body []byte) *http.Request {
		req := h.newRequest(t, method, path, body)
		signReq(t, req, body, creds, "securityhub", "us-east-1", time.Now())
		return req
	}
	cases := []struct {
		name string
		req  func(t *testing.T) *http.Request
		code string
		msg  string // checked when set; "prefix:" checks a prefix
	}{
		{"body", func(t *testing.T) *http.Request {
			req := signed(t, "POST", "/findings/import", body)
			req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("f-1"), []byte("f-2"), 1)))
			return req
		}, muster.InvalidSignature, "prefix:The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String"},
		{"body with declared hash", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "POST", "/findings/import", body)
			req.Header.Set("X-Amz-Content-Sha256", hashHex(body))
			signReq(t, req, body, creds, "securityhub", "us-east-1", time.Now())
			req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("f-1"), []byte("f-2"), 1)))
			return req
		}, muster.InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{"path", func(t *testing.T) *http.Request {
			req := signed(t, "GET", arnPath, nil)
			req.URL.RawPath = strings.Replace(arnPath, "%2F1", "%2F2", 1)
			req.URL.Path = strings.Replace(req.URL.Path, "/1", "/2", 1)
			return req
		}, muster.InvalidSignature, ""},
		{"path decoded", func(t *testing.T) *http.Request {
			// The same resource sent unencoded is a different canonical URI.
			req := signed(t, "GET", arnPath, nil)
			req.URL.RawPath = ""
			return req
		}, muster.InvalidSignature, ""},
		{"query", func(t *testing.T) *http.Request {
			req := signed(t, "DELETE", "/tags/x?tagKeys=a&tagKeys=b", nil)
			req.URL.RawQuery = "tagKeys=a&tagKeys=c"
			return req
		}, muster.InvalidSignature, ""},
		{"query added", func(t *testing.T) *http.Request {
			req := signed(t, "DELETE", "/tags/x?tagKeys=a", nil)
			req.URL.RawQuery = "tagKeys=a&tagKeys=b"
			return req
		}, muster.InvalidSignature, ""},
		{"signed header", func(t *testing.T) *http.Request {
			req := signed(t, "POST", "/findings/import", body)
			req.Header.Set("Content-Type", "text/plain")
			return req
		}, muster.InvalidSignature, ""},
		{"method", func(t *testing.T) *http.Request {
			req := signed(t, "POST", "/findings/import", body)
			req.Method = "PUT"
			return req
		}, muster.InvalidSignature, ""},
		{"secret", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "POST", "/findings/import", body)
			signReq(t, req, body, aws.Credentials{AccessKeyID: testKey, SecretAccessKey: "wrong"}, "securityhub", "us-east-1", time.Now())
			return req
		}, muster.InvalidSignature, ""},
		{"unknown key", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "POST", "/findings/import", body)
			signReq(t, req, body, aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}, "securityhub", "us-east-1", time.Now())
			return req
		}, muster.UnrecognizedClient, "The security token included in the request is invalid."},
		{"session token", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "POST", "/findings/import", body)
			c := tempCreds
			c.SessionToken = "other"
			signReq(t, req, body, c, "securityhub", "us-east-1", time.Now())
			return req
		}, muster.UnrecognizedClient, ""},
		{"date +16min", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "GET", "/accounts", nil)
			signReq(t, req, nil, creds, "securityhub", "us-east-1", time.Now().Add(16*time.Minute))
			return req
		}, muster.InvalidSignature, "prefix:Signature not yet current: "},
		{"date -16min", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "GET", "/accounts", nil)
			signReq(t, req, nil, creds, "securityhub", "us-east-1", time.Now().Add(-16*time.Minute))
			return req
		}, muster.InvalidSignature, "prefix:Signature expired: "},
		{"date header replaced", func(t *testing.T) *http.Request {
			req := signed(t, "GET", "/accounts", nil)
			req.Header.Set("X-Amz-Date", time.Now().UTC().Add(time.Minute).Format(timeFormat))
			return req
		}, muster.InvalidSignature, ""},
		{"scope service", func(t *testing.T) *http.Request {
			req := h.newRequest(t, "GET", "/accounts", nil)
			signReq(t, req, nil, creds, "sts", "us-east-1", time.Now())
			return req
		}, muster.InvalidSignature, "Credential should be scoped to correct service: 'securityhub'. "},
		{"scope region edited", func(t *testing.T) *http.Request {
			req := signed(t, "GET", "/accounts", nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
			return req
		}, muster.InvalidSignature, ""},
		{"scope region removed", func(t *testing.T) *http.Request {
			req := signed(t, "GET", "/accounts", nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "/us-east-1/", "//", 1))
			return req
		}, muster.InvalidSignature, "Credential should be scoped to a valid region, not ''. "},
		{"scope date", func(t *testing.T) *http.Request {
			req := signed(t, "GET", "/accounts", nil)
			auth := req.Header.Get("Authorization")
			i := strings.Index(auth, testKey+"/") + len(testKey) + 1
			req.Header.Set("Authorization", auth[:i]+"20000101"+auth[i+8:])
			return req
		}, muster.InvalidSignature, "prefix:Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20000101' != '"},
		{"no signature", func(t *testing.T) *http.Request {
			return h.newRequest(t, "GET", "/accounts", nil)
		}, muster.MissingAuthentication, "Missing Authentication Token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.send(t, c.req(t))
			switch {
			case strings.HasPrefix(c.msg, "prefix:"):
				wantCode(t, err, c.code)
				if m := err.(*muster.Error).Message; !strings.HasPrefix(m, c.msg[len("prefix:"):]) {
					t.Fatalf("message = %q, want prefix %q", m, c.msg[len("prefix:"):])
				}
			case c.msg != "":
				wantMessage(t, err, c.code, c.msg)
			default:
				wantCode(t, err, c.code)
			}
		})
	}
}

func TestRegionIsFree(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets})
	for _, region := range []string{"eu-west-3", "ap-southeast-4", "local"} {
		req := h.newRequest(t, "GET", "/accounts", nil)
		signReq(t, req, nil, creds, "securityhub", region, time.Now())
		id, err := h.send(t, req)
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		if id.Region != region {
			t.Errorf("Region = %q, want %q", id.Region, region)
		}
	}
}

func TestSkewWithinLimit(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets, Now: func() time.Time { return fixedNow }})
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		req := h.newRequest(t, "GET", "/accounts", nil)
		signReq(t, req, nil, creds, "securityhub", "us-east-1", fixedNow.Add(d))
		if _, err := h.send(t, req); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
}

func TestTimeMessages(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets, Now: func() time.Time { return fixedNow }})
	cases := []struct {
		at  time.Time
		msg string
	}{
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)"},
		{time.Date(2024, 1, 1, 0, 41, 0, 0, time.UTC), "Signature not yet current: 20240101T004100Z is still later than 20240101T004000Z (20240101T002500Z + 15 min.)"},
	}
	for _, c := range cases {
		req := h.newRequest(t, "GET", "/accounts", nil)
		signReq(t, req, nil, creds, "securityhub", "us-east-1", c.at)
		_, err := h.send(t, req)
		wantMessage(t, err, muster.InvalidSignature, c.msg)
	}
}

func TestPresigned(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets, Now: func() time.Time { return fixedNow }})
	presign := func(t *testing.T, path string, c aws.Credentials, at time.Time) *http.Request {
		t.Helper()
		req := h.newRequest(t, "GET", path, nil)
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c, req, hashHex(nil), "securityhub", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			if k != "Host" {
				out.Header[k] = vs
			}
		}
		return out
	}
	t.Run("valid", func(t *testing.T) {
		req := presign(t, "/insights/results/arn%3Aaws%3Asecurityhub%3A%3A%3Ainsight%2Fx?X-Amz-Expires=900&tagKeys=b&tagKeys=a", tempCreds, fixedNow.Add(-10*time.Minute))
		id, err := h.send(t, req)
		if err != nil {
			t.Fatal(err)
		}
		if !id.Presigned || id.SessionToken != tempToken || id.AccessKeyID != tempKey {
			t.Errorf("identity = %+v", id)
		}
	})
	t.Run("a week", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=604800", creds, fixedNow.Add(-6*24*time.Hour))
		if _, err := h.send(t, req); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=60", creds, time.Date(2024, 1, 1, 0, 23, 0, 0, time.UTC))
		_, err := h.send(t, req)
		wantMessage(t, err, muster.InvalidSignature, "Signature expired: 20240101T002300Z is now earlier than 20240101T002400Z (20240101T002500Z - 1 min.)")
	})
	t.Run("expires edited", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=60", creds, fixedNow)
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
		_, err := h.send(t, req)
		wantCode(t, err, muster.InvalidSignature)
	})
	t.Run("over a week", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=604801", creds, fixedNow)
		_, err := h.send(t, req)
		wantCode(t, err, muster.IncompleteSignature)
	})
	t.Run("query tampered", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=60&MaxResults=1", creds, fixedNow)
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "MaxResults=1", "MaxResults=2", 1)
		_, err := h.send(t, req)
		wantCode(t, err, muster.InvalidSignature)
	})
	t.Run("missing parameters", func(t *testing.T) {
		req := h.newRequest(t, "GET", "/accounts?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T002500Z", nil)
		_, err := h.send(t, req)
		wantMessage(t, err, muster.IncompleteSignature, "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.")
	})
	t.Run("both forms", func(t *testing.T) {
		req := presign(t, "/accounts?X-Amz-Expires=60", creds, fixedNow)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		_, err := h.send(t, req)
		wantCode(t, err, muster.InvalidSignature)
	})
}

func TestMalformed(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets, Now: func() time.Time { return fixedNow }})
	const cred = "Credential=" + testKey + "/20240101/us-east-1/securityhub/aws4_request"
	cases := []struct{ auth, date, code, msg string }{
		{"Bearer", "20240101T002500Z", muster.IncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer"},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", "", muster.IncompleteSignature,
			"Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host"},
		{"AWS4-HMAC-SHA256 Credential= " + testKey + "/20240101/us-east-1/securityhub/aws4_request, SignedHeaders=host, Signature=ab", "20240101T002500Z", muster.IncompleteSignature,
			"'" + testKey + "/20240101/us-east-1/securityhub/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + testKey + "/20240101/us-east-1/securityhub/aws4_request, SignedHeaders=host, Signature=ab'."},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=ab", "2024-01-01", muster.IncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '2024-01-01'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, Signature=ab", "20240101T002500Z", muster.InvalidSignature,
			"'Host' must be a 'SignedHeader' in the AWS Authorization."},
		{"AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, Signature=ab", "20240101T002500Z", muster.IncompleteSignature,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{"AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=ab", "20240101T002500Z", muster.IncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"},
		{"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=ab", "20240101T002500Z", muster.InvalidSignature,
			"Credential should be scoped to correct service: 'securityhub'. Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20240101', from '20240101T002500Z'."},
	}
	for _, c := range cases {
		req := h.newRequest(t, "GET", "/accounts", nil)
		req.Header.Set("Authorization", c.auth)
		if c.date != "" {
			req.Header.Set("X-Amz-Date", c.date)
		}
		_, err := h.send(t, req)
		wantMessage(t, err, c.code, c.msg)
	}
}

func TestOpenMode(t *testing.T) {
	h := newHarness(t, &Verifier{Service: "securityhub"})
	req := h.newRequest(t, "POST", "/findings/import", []byte(`{}`))
	signReq(t, req, []byte(`{}`), aws.Credentials{AccessKeyID: "ANYKEY", SecretAccessKey: "any secret"}, "securityhub", "eu-north-1", time.Now())
	id, err := h.send(t, req)
	if err != nil {
		t.Fatalf("wrong secret in open mode: %v", err)
	}
	if id.AccessKeyID != "ANYKEY" || id.Region != "eu-north-1" {
		t.Errorf("identity = %+v", id)
	}

	req = h.newRequest(t, "GET", "/accounts", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ANYKEY/20240101/us-east-1/securityhub/aws4_request")
	req.Header.Set("X-Amz-Date", "20240101T000000Z")
	_, err = h.send(t, req)
	wantCode(t, err, muster.IncompleteSignature)

	req = h.newRequest(t, "GET", "/accounts", nil)
	signReq(t, req, nil, creds, "sts", "us-east-1", time.Now())
	_, err = h.send(t, req)
	wantCode(t, err, muster.InvalidSignature)

	req = h.newRequest(t, "GET", "/accounts", nil)
	signReq(t, req, nil, creds, "securityhub", "us-east-1", time.Now().Add(-time.Hour))
	_, err = h.send(t, req)
	wantCode(t, err, muster.InvalidSignature)

	_, err = h.send(t, h.newRequest(t, "GET", "/accounts", nil))
	wantCode(t, err, muster.MissingAuthentication)
}

func TestKeyCache(t *testing.T) {
	var c keyCache
	a := c.signingKey("s", "20240101", "us-east-1", "securityhub")
	// The AWS documentation's example derivation.
	want := "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	ex := c.signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	if got := hex.EncodeToString(ex); got != want {
		t.Fatalf("derived key = %s, want %s", got, want)
	}
	for i := range 3 * keyCacheSize {
		c.signingKey("s", "20240101", "r"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "securityhub")
		if i%100 == 0 {
			c.signingKey("s", "20240101", "us-east-1", "securityhub") // keep it recent
		}
	}
	if len(c.cur) > keyCacheSize || len(c.old) > keyCacheSize {
		t.Fatalf("cache grew to %d+%d", len(c.cur), len(c.old))
	}
	c.mu.Lock()
	_, inCur := c.cur[keyID{"s", "20240101", "us-east-1", "securityhub"}]
	_, inOld := c.old[keyID{"s", "20240101", "us-east-1", "securityhub"}]
	c.mu.Unlock()
	if !inCur && !inOld {
		t.Fatal("recently used key was evicted")
	}
	if b := c.signingKey("s", "20240101", "us-east-1", "securityhub"); !bytes.Equal(a, b) {
		t.Fatal("cached key differs")
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":             "/",
		"/a/b":          "/a/b",
		"/a//b/":        "/a/b/",
		"/a/./b/../c":   "/a/c",
		"//":            "/",
		"/a%2F..%2Fb/.": "/a%2F..%2Fb",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkVerify measures one verification of a BatchImportFindings-like
// request, signed by the Go SDK, with a warm key cache.
func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"256B", 256}, {"100KiB", 100 << 10}} {
		size := bc.size
		b.Run(bc.name, func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), size)
			now := time.Now()
			req := httptest.NewRequest("POST", "https://securityhub.us-east-1.amazonaws.com/findings/import", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex(body), "securityhub", "us-east-1", now); err != nil {
				b.Fatal(err)
			}
			v := &Verifier{Service: "securityhub", Secret: testSecrets, Now: func() time.Time { return now }}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(req, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSuiteVector checks the get-vanilla case of AWS's SigV4 test suite,
// an oracle independent of both SDKs.
func TestSuiteVector(t *testing.T) {
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	v := &Verifier{Service: "service", Secret: testSecrets, Now: func() time.Time { return at }}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "example.amazonaws.com"
	req.Header.Set("X-Amz-Date", "20150830T123600Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	if _, err := v.Verify(req, nil); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "=5fa0", "=5fa1", 1))
	_, err := v.Verify(req, nil)
	wantCode(t, err, muster.InvalidSignature)
}

// TestDateHeader checks that an HTTP Date header stands in for X-Amz-Date.
func TestDateHeader(t *testing.T) {
	v := &Verifier{Service: "securityhub", Now: func() time.Time { return fixedNow }}
	req := httptest.NewRequest("GET", "/accounts", nil)
	req.Header.Set("Date", fixedNow.Add(-time.Minute).Format(http.TimeFormat))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/securityhub/aws4_request, SignedHeaders=date;host, Signature=00")
	id, err := v.Verify(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !id.SignedAt.Equal(fixedNow.Add(-time.Minute)) {
		t.Errorf("SignedAt = %v", id.SignedAt)
	}
	req.Header.Set("Date", "yesterday")
	_, err = v.Verify(req, nil)
	wantCode(t, err, muster.IncompleteSignature)
}

package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// queryParam is one decoded key=value pair of a query string.
type queryParam struct{ key, value string }

// queryParams is a query string in the order sent. It is a slice, not
// url.Values, because url.ParseQuery rejects semicolons and loses nothing
// else we need, and because a slice is cheaper for the handful of
// parameters a request carries.
type queryParams []queryParam

// parseQuery decodes a raw query string. A pair that does not decode is
// kept as sent: the signature then fails rather than the parse.
func parseQuery(raw string) queryParams {
	if raw == "" {
		return nil
	}
	q := make(queryParams, 0, strings.Count(raw, "&")+1)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		q = append(q, queryParam{k, v})
	}
	return q
}

// get returns the first value of key.
func (q queryParams) get(key string) (string, bool) {
	for _, p := range q {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// rawPath returns the request path exactly as the client sent it, still
// percent-encoded: SDKs sign that string, encoded once more.
func rawPath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	// A request built in process, or one in absolute form (via a proxy).
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// normalizePath removes "." and ".." segments and empty segments as
// botocore's remove_dot_segments does before it signs.
func normalizePath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		n += "/"
	}
	return n
}

// canonicalRequest builds the SigV4 canonical request: method, URI, query,
// headers, signed header names and payload hash, one per line.
func canonicalRequest(r *http.Request, path string, query queryParams, signedHeaders, payloadHash string, presigned bool) string {
	var b strings.Builder
	b.Grow(256 + 2*len(path) + 2*len(signedHeaders))
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Non-S3 SDKs escape the already-escaped path again, so "%3A" in the
	// request line is signed as "%253A".
	escape(&b, path, false)
	b.WriteByte('\n')
	writeQuery(&b, query, presigned)
	b.WriteByte('\n')
	signedHeaders = strings.ToLower(signedHeaders)
	for name := range strings.SplitSeq(signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		writeHeaderValues(&b, r, name)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// writeQuery writes the canonical query string: every pair encoded, sorted
// by key and then value, without the signature itself when presigned.
func writeQuery(b *strings.Builder, query queryParams, presigned bool) {
	if len(query) == 0 {
		return
	}
	enc := make([]queryParam, 0, len(query))
	for _, p := range query {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		enc = append(enc, queryParam{encode(p.key), encode(p.value)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
}

// writeHeaderValues writes the canonical value of one signed header: its
// values trimmed, runs of spaces collapsed, joined with commas.
func writeHeaderValues(b *strings.Builder, r *http.Request, name string) {
	switch name {
	case "host":
		// net/http moves Host out of the header map.
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		writeTrimmed(b, host)
		return
	case "content-length":
		// net/http moves Content-Length out of the header map too.
		if vs := r.Header["Content-Length"]; len(vs) > 0 {
			writeTrimmed(b, vs[0])
		} else if r.ContentLength >= 0 {
			b.WriteString(strconv.FormatInt(r.ContentLength, 10))
		}
		return
	}
	for i, v := range r.Header[textproto.CanonicalMIMEHeaderKey(name)] {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTrimmed(b, v)
	}
}

// writeTrimmed writes v without leading and trailing blanks and with each
// run of inner spaces as one space. Like the Go SDK and the spec it
// collapses spaces only; botocore also folds tabs, which no client sends.
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if !space {
				b.WriteByte(c)
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
}

const upperHex = "0123456789ABCDEF"

// unreserved reports whether SigV4 leaves c unencoded (RFC 3986).
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// escape percent-encodes s as SigV4 requires; slashes are kept unless
// slash is set.
func escape(b *strings.Builder, s string, slash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && !slash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

// encode returns s encoded for the canonical query string. Most keys and
// values need no encoding, so those are returned without allocating.
func encode(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			var b strings.Builder
			b.Grow(len(s) + 8)
			escape(&b, s, true)
			return b.String()
		}
	}
	return s
}

// stringToSign builds the string that the signature is the HMAC of.
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// keyID names one derived signing key.
type keyID struct{ secret, date, region, service string }

// keyCacheSize bounds each generation of the key cache. A deployment has a
// few keys and regions, and keys change daily, so this is plenty.
const keyCacheSize = 512

// keyCache keeps derived signing keys, since deriving one costs four
// HMACs and every request needs one. It has two generations: when the
// current one fills, it becomes the old one and the older is dropped, and
// a key found in the old generation moves back into the current one. That
// is an LRU in effect, without a list to maintain.
type keyCache struct {
	mu       sync.Mutex
	cur, old map[keyID][]byte
}

// signingKey returns the signing key for secret on date in region for
// service, deriving it on first use.
func (c *keyCache) signingKey(secret, date, region, service string) []byte {
	id := keyID{secret, date, region, service}
	c.mu.Lock()
	if k, ok := c.cur[id]; ok {
		c.mu.Unlock()
		return k
	}
	k, ok := c.old[id]
	c.mu.Unlock()
	if !ok {
		k = hmacSHA256([]byte("AWS4"+secret), date)
		k = hmacSHA256(k, region)
		k = hmacSHA256(k, service)
		k = hmacSHA256(k, terminator)
	}
	c.mu.Lock()
	if c.cur == nil || len(c.cur) >= keyCacheSize {
		c.old, c.cur = c.cur, make(map[keyID][]byte, keyCacheSize)
	}
	c.cur[id] = k
	c.mu.Unlock()
	return k
}

package hub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

// token is what a NextToken carries: where the listing stopped, and what it
// is bound to. It is bound to the account and region, so that it cannot be
// replayed by another caller, and to the request's filters and sort, so
// that changing them between pages is an error rather than a silent jump
// (AWS behaves the same way). It also carries the time the first page was
// evaluated at, so a DateRange filter means the same on every page.
type token struct {
	Account string        `json:"a"`
	Region  string        `json:"r"`
	Binding string        `json:"b"`
	NowMS   int64         `json:"n"`
	Cursor  filter.Cursor `json:"c"`
	// Seq continues a finding history listing before this record.
	Seq int64 `json:"s,omitempty"`
	// After continues a listing of named resources (products,
	// subscriptions) after this name.
	After string `json:"k,omitempty"`
}

func (t token) now() time.Time { return time.UnixMilli(t.NowMS).UTC() }

// tokenCodec seals tokens with an HMAC so that clients cannot forge a
// cursor into another account's findings.
type tokenCodec struct{ key []byte }

func (c tokenCodec) encode(t token) (string, error) {
	payload, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, c.key)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(append(mac.Sum(nil), payload...)), nil
}

func (c tokenCodec) decode(s string) (*token, error) {
	invalid := muster.Errorf(muster.InvalidInput, "The NextToken is not valid")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < sha256.Size {
		return nil, invalid
	}
	sum, payload := b[:sha256.Size], b[sha256.Size:]
	mac := hmac.New(sha256.New, c.key)
	mac.Write(payload)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return nil, invalid
	}
	var t token
	if err := json.Unmarshal(payload, &t); err != nil {
		return nil, invalid
	}
	return &t, nil
}

// queryBinding is a digest of what a NextToken must be used with.
func queryBinding(filters jsontext.Value, sorts []SortCriterion) string {
	h := sha256.New()
	canon := filters.Clone()
	if len(canon) > 0 {
		_ = canon.Canonicalize()
	}
	h.Write(canon)
	s, _ := json.Marshal(sorts)
	h.Write(s)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// pageAfter decodes a NextToken of a listing ordered by name, bound to
// binding, and returns the name to continue after.
func (s *Service) pageAfter(c Caller, next, binding string) (string, error) {
	if next == "" {
		return "", nil
	}
	t, err := s.tokens.decode(next)
	if err != nil {
		return "", err
	}
	if t.Account != c.Account || t.Region != c.Region || t.Binding != binding || t.After == "" {
		return "", muster.Errorf(muster.InvalidInput, "The NextToken is not valid for this request: it was issued for another listing, account or region")
	}
	return t.After, nil
}

// pageStart reads the paging input of a listing ordered by a key: the
// page size MaxResults asks for and the key a NextToken continues after.
func (s *Service) pageStart(c Caller, next string, maxResults int, binding string) (after string, limit int, err error) {
	if limit, err = pageSize(maxResults); err != nil {
		return "", 0, err
	}
	after, err = s.pageAfter(c, next, binding)
	return after, limit, err
}

// pageOf orders items by key and returns the page that starts after the
// key after (from the start when empty) and holds at most limit of them,
// and the NextToken of the rest, "" when nothing is left. Ordering here,
// by the very key the token holds, keeps pages from skipping or repeating
// items whatever order the caller found them in.
func pageOf[T any](s *Service, c Caller, binding string, items []T, key func(T) string, after string, limit int) ([]T, string, error) {
	items = slices.SortedStableFunc(slices.Values(items), func(a, b T) int { return strings.Compare(key(a), key(b)) })
	if after != "" {
		i := 0
		for i < len(items) && key(items[i]) <= after {
			i++
		}
		items = items[i:]
	}
	if len(items) <= limit {
		return items, "", nil
	}
	next, err := s.tokens.encode(token{Account: c.Account, Region: c.Region, Binding: binding, After: key(items[limit-1])})
	return items[:limit], next, err
}

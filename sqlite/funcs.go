package sqlite

import (
	"database/sql/driver"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/muster-hub/muster/asff"
	"modernc.org/sqlite"
)

// registerFuncs adds the SQL functions the compiled filters call where
// SQLite has no equivalent that agrees with the in-memory matcher.
func registerFuncs(d *sqlite.Driver) {
	// muster_keyhash(product_arn, id) is keyHash, for migration 0007.
	d.MustRegisterDeterministicScalarFunction("muster_keyhash", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		p, ok1 := args[0].(string)
		id, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errors.New("muster_keyhash: the key is not text")
		}
		return keyHash(p, id), nil
	})
	// muster_ms(text) is the timestamp as Unix milliseconds, parsed as
	// asff.ParseTime does, or NULL when it is not a timestamp.
	d.MustRegisterDeterministicScalarFunction("muster_ms", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, nil
		}
		ms, ok := parseMillis(s)
		if !ok {
			return nil, nil
		}
		return ms, nil
	})
	// muster_ip_in(text, prefix) is 1 when the text is an IP address
	// without zone within the prefix (netip.Prefix.Contains, as the
	// in-memory matcher decides), 0 when it is outside and NULL when it is
	// not such an address.
	d.MustRegisterDeterministicScalarFunction("muster_ip_in", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, nil
		}
		ps, ok := args[1].(string)
		if !ok {
			return nil, nil
		}
		p, err := cachedPrefix(ps)
		if err != nil {
			return nil, err
		}
		in, ok := ipIn(s, p)
		if !ok {
			return nil, nil
		}
		if in {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

func parseMillis(s string) (int64, bool) {
	t, err := asff.ParseTime(s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// prefixes caches parsed filter prefixes, which a scan passes once per
// row; bounded because their text comes from callers.
var (
	prefixes  sync.Map // string -> netip.Prefix
	nPrefixes atomic.Int32
)

func cachedPrefix(s string) (netip.Prefix, error) {
	if p, ok := prefixes.Load(s); ok {
		return p.(netip.Prefix), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, err
	}
	if nPrefixes.Add(1) <= 1024 {
		prefixes.Store(s, p)
	}
	return p, nil
}

// ipIn reports whether the address s lies in p; ok is false when s is not
// an address.
func ipIn(s string, p netip.Prefix) (in, ok bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return false, false
	}
	return p.Contains(a), true
}

// keyHash is the findings_kh column of a finding's key: FNV-1a (64 bits)
// of the product ARN, a NUL and the Id. It is stored, so it must never
// change; ARNs and Ids cannot contain NUL.
// It is written out rather than taken from hash/fnv, whose Write would
// need the strings copied to byte slices: it runs for every key of every
// import, three times (read, check, insert).
func keyHash(productARN, id string) int64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(productARN); i++ {
		h = (h ^ uint64(productARN[i])) * prime
	}
	h *= prime // the NUL: h ^ 0 is h
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	return int64(h)
}

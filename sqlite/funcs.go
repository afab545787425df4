package sqlite

import (
	"database/sql/driver"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/muster-hub/muster/asff"
	"modernc.org/sqlite"
)

// registerFuncs adds the SQL functions the compiled filters call where
// SQLite has no equivalent that agrees with the in-memory matcher.
func registerFuncs(d *sqlite.Driver) {
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

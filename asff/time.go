package asff

import (
	"errors"
	"regexp"
	"strconv"
	"time"
)

// timeForm is the timestamp syntax Security Hub accepts in findings and in
// DateFilter bounds (RFC 3339 with 0–9 fraction digits and an offset of Z,
// ±HH:MM or ±HHMM), as AWS publishes it for DateFilter.
var timeForm = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,9})?(Z|[+-]\d\d(?::?\d\d)?)$`)

var errTime = errors.New("is not a timestamp in a format Security Hub accepts (RFC 3339, e.g. 2024-01-02T15:04:05.000Z)")

// ParseTime parses an ASFF timestamp and rounds it to the millisecond, as
// Security Hub stores them.
func ParseTime(s string) (time.Time, error) {
	m := timeForm.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, errTime
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	nsec := 0
	if frac := m[7]; frac != "" {
		digits := frac[1:]
		nsec = atoi(digits)
		for i := len(digits); i < 9; i++ {
			nsec *= 10
		}
	}
	offset := 0
	if z := m[8]; z != "Z" {
		h := atoi(z[1:3])
		min := 0
		if len(z) > 3 {
			rest := z[3:]
			if rest[0] == ':' {
				rest = rest[1:]
			}
			min = atoi(rest)
		}
		if h > 18 || min > 59 || (h == 18 && min > 0) {
			return time.Time{}, errTime
		}
		offset = h*3600 + min*60
		if z[0] == '-' {
			offset = -offset
		}
	}
	sec := atoi(m[6])
	leap := sec == 60
	if leap {
		sec = 59
	}
	t := time.Date(atoi(m[1]), time.Month(atoi(m[2])), atoi(m[3]), atoi(m[4]), atoi(m[5]), sec, nsec, time.FixedZone("", offset))
	if t.Day() != atoi(m[3]) { // e.g. February 30th
		return time.Time{}, errTime
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t.UTC().Round(time.Millisecond), nil
}

// FormatTime formats t as Security Hub writes timestamps it sets itself.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

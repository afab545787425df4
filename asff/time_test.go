package asff

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	ok := map[string]string{
		"2024-01-02T03:04:05Z":             "2024-01-02T03:04:05.000Z",
		"2021-08-25T12:20:30.000000005Z":   "2021-08-25T12:20:30.000Z", // Trivy, nanoseconds
		"2024-01-02T03:04:05.123456789Z":   "2024-01-02T03:04:05.123Z",
		"2024-01-02T03:04:05.9996Z":        "2024-01-02T03:04:06.000Z", // rounded, not truncated
		"2018-12-02T23:43:03.954804+00:00": "2018-12-02T23:43:03.955Z", // Python isoformat
		"2024-01-02T03:04:05-05:00":        "2024-01-02T08:04:05.000Z",
		"2024-01-02T03:04:05+0130":         "2024-01-02T01:34:05.000Z",
		"2024-01-02T03:04:05+18:00":        "2024-01-01T09:04:05.000Z",
		"2016-12-31T23:59:60Z":             "2017-01-01T00:00:00.000Z", // leap second
		"2024-02-29T00:00:00Z":             "2024-02-29T00:00:00.000Z",
	}
	for in, want := range ok {
		got, err := ParseTime(in)
		if err != nil {
			t.Errorf("ParseTime(%s): %v", in, err)
			continue
		}
		if s := FormatTime(got); s != want {
			t.Errorf("ParseTime(%s) = %s, want %s", in, s, want)
		}
	}
	for _, in := range []string{
		"", "2024-01-02", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05", "2024-01-02T03:04Z",
		"1977-06-02T122:29:47.694473+00:00", // ElectricEye docs
		"2024-13-02T03:04:05Z", "2023-02-29T00:00:00Z", "2024-01-02T24:00:00Z",
		"2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.1234567890Z", "2024-01-02T03:04:05+19:00",
		"2024-01-02T03:04:05+01:60", "2024-01-02T03:04:05z", "1704164645",
	} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) succeeded", in)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("", 3600))
	if got := FormatTime(tm); got != "2024-01-02T02:04:05.006Z" {
		t.Errorf("FormatTime = %s", got)
	}
}

// timeForm is the syntax ParseTime accepts, as AWS publishes it for
// DateFilter; the fuzz test holds the hand-written parser to it.
var timeForm = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,9})?(Z|[+-]\d\d(?::?\d\d)?)$`)

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456789+05:30", "2016-12-31T23:59:60-0100",
		"2024-02-30T00:00:00Z", "2024-01-02T03:04:05+18", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05+1:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		m := timeForm.FindStringSubmatch(s)
		if m == nil {
			if err == nil {
				t.Fatalf("ParseTime(%q) = %s, want an error", s, got)
			}
			return
		}
		// The syntax matched; the offset range and the calendar may still
		// refuse it, and then time.Parse must agree.
		layout := "2006-01-02T15:04:05.999999999Z07:00"
		z := m[8]
		if z != "Z" && len(z) == 5 {
			layout = "2006-01-02T15:04:05.999999999-0700"
		} else if z != "Z" && len(z) == 3 {
			layout = "2006-01-02T15:04:05.999999999-07"
		}
		in := s
		if m[6] == "60" { // time.Parse has no leap seconds
			in = strings.Replace(s, ":60", ":59", 1)
		}
		want, perr := time.Parse(layout, in)
		if m[6] == "60" && perr == nil {
			want = want.Add(time.Second)
		}
		if perr == nil {
			if z != "Z" {
				var h, mm int
				fmt.Sscanf(strings.ReplaceAll(z[1:], ":", ""), "%02d%02d", &h, &mm)
				if h > 18 || mm > 59 || (h == 18 && mm > 0) {
					perr = errTime
				}
			}
		}
		if (err == nil) != (perr == nil) {
			t.Fatalf("ParseTime(%q): err %v, time.Parse: %v", s, err, perr)
		}
		if err == nil && !got.Equal(want.UTC().Round(time.Millisecond)) {
			t.Fatalf("ParseTime(%q) = %s, want %s", s, got, want.UTC().Round(time.Millisecond))
		}
	})
}

func BenchmarkParseTime(b *testing.B) {
	for b.Loop() {
		if _, err := ParseTime("2024-01-02T03:04:05.123456+05:30"); err != nil {
			b.Fatal(err)
		}
	}
}

package asff

import (
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

package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a length of time written as Go writes durations ("36h",
// "90m") or in whole days ("90d"), since retention is thought of in days.
type Duration time.Duration

// ParseDuration parses "90d" as 90 days and anything else as
// time.ParseDuration does. Negative durations are refused: nothing in the
// configuration runs backwards.
func ParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: days must be a whole number, as in 90d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q: write it as 90d, 36h or 15m", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: it must not be negative", s)
	}
	return d, nil
}

// UnmarshalYAML reads a Duration from a scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// Set implements flag.Value, so a flag takes the same syntax as the file.
func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String formats d in days when it is whole days.
func (d Duration) String() string {
	t := time.Duration(d)
	if t != 0 && t%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(t/(24*time.Hour)), 10) + "d"
	}
	return t.String()
}

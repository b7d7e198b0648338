package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as Go writes it ("90s", "6h",
// "1h30m") or as whole days ("7d", "5d12h"), since reminder and retry
// periods are naturally counted in days.
type Duration time.Duration

// UnmarshalText parses a duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats the duration as time.Duration does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// String formats the duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, rest, ok := strings.Cut(s, "d"); ok && days != "" && !strings.ContainsAny(days, ".hmsuµn") {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like \"90s\", \"6h\" or \"7d\"", s)
		}
		var r time.Duration
		if rest != "" {
			if r, err = time.ParseDuration(rest); err != nil || r < 0 {
				return 0, fmt.Errorf("%q is not a duration like \"90s\", \"6h\" or \"7d\"", s)
			}
		}
		return time.Duration(n)*24*time.Hour + r, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like \"90s\", \"6h\" or \"7d\"", s)
	}
	return v, nil
}

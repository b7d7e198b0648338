package liaison

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ID identifies a recorded statement: LS-YYYY-NNNN. The sequence number is
// allocated per year, gap-free, and never reused.
type ID struct {
	Year int
	Seq  int
}

var idPattern = regexp.MustCompile(`(?i)^LS-(\d{4})-(\d{4,})$`)

// ParseID parses "LS-2026-0003" (case-insensitive, as mail clients and
// Message-IDs lower-case it).
func ParseID(s string) (ID, error) {
	m := idPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return ID{}, fmt.Errorf("parse statement id %q: want LS-YYYY-NNNN", s)
	}
	year, _ := strconv.Atoi(m[1])
	seq, err := strconv.Atoi(m[2])
	if err != nil || seq == 0 {
		return ID{}, fmt.Errorf("parse statement id %q: bad sequence number", s)
	}
	return ID{Year: year, Seq: seq}, nil
}

// String formats the ID as LS-YYYY-NNNN.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return fmt.Sprintf("LS-%04d-%04d", id.Year, id.Seq)
}

// IsZero reports whether the ID is unset.
func (id ID) IsZero() bool { return id.Year == 0 && id.Seq == 0 }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = ID{}
		return nil
	}
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

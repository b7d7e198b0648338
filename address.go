package liaison

import (
	"fmt"
	"net/mail"
	"strings"
)

// Address is a normalised mail address: the addr-spec lower-cased, the
// display name kept separately.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// String formats the address for a mail header.
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// ParseAddress parses one address ("Ana <Ana@Example.net>",
// "mailto:ana@example.net", "ana@example.net") and normalises it.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "mailto:"), "MAILTO:")
	a, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, fmt.Errorf("parse address %q: %w", s, err)
	}
	return NormalizeAddress(a.Name, a.Address), nil
}

// ParseAddressList parses a comma-separated list of addresses.
func ParseAddressList(s string) ([]Address, error) {
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, fmt.Errorf("parse address list %q: %w", s, err)
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		out = append(out, NormalizeAddress(a.Name, a.Address))
	}
	return out, nil
}

// NormalizeAddress lower-cases the address and trims the display name.
func NormalizeAddress(name, email string) Address {
	return Address{Name: strings.TrimSpace(name), Email: strings.ToLower(strings.TrimSpace(email))}
}

// Emails returns the addr-specs of list, in order, without duplicates.
func Emails(list []Address) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a.Email == "" || seen[a.Email] {
			continue
		}
		seen[a.Email] = true
		out = append(out, a.Email)
	}
	return out
}

package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/internal/mailtls"
)

// Validate checks every key and normalises the addresses in place
// (lower-cased addr-specs). It returns all problems at once, joined, each
// as an *Error, in file order.
func (c *Config) Validate() error {
	if c.src.name == "" {
		c.src.name = "config"
	}
	c.fill("")
	v := &validator{c: c}
	v.top()
	v.mailServer("imap", &c.IMAP.Address, c.IMAP.TLS, c.IMAP.CAFile)
	v.imap()
	v.mailServer("smtp", &c.SMTP.Address, c.SMTP.TLS, c.SMTP.CAFile)
	v.smtp()
	v.hostPort("web.listen", c.Web.Listen)
	v.reminders()
	v.limits()
	v.misc()
	v.groups()
	v.organisations()
	v.managers()
	slices.SortStableFunc(v.errs, func(a, b *Error) int {
		// Keys absent from the file come last.
		return cmp.Compare(uint(a.Line-1), uint(b.Line-1))
	})
	errs := make([]error, len(v.errs))
	for i, e := range v.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

type validator struct {
	c       *Config
	errs    []*Error
	aliasOK bool
}

func (v *validator) errf(key, format string, args ...any) {
	v.errs = append(v.errs, v.c.errAt(key, format, args...))
}

// address parses *s as one mail address and replaces it with its
// lower-cased addr-spec.
func (v *validator) address(key string, s *string) bool {
	if strings.TrimSpace(*s) == "" {
		v.errf(key, "required")
		return false
	}
	a, err := liaison.ParseAddress(*s)
	if err != nil {
		v.errf(key, "%q is not a mail address", *s)
		return false
	}
	local, domain, ok := strings.Cut(a.Email, "@")
	if !ok || local == "" || domain == "" || !strings.Contains(domain, ".") && domain != "localhost" {
		v.errf(key, "%q is not a mail address with a domain", *s)
		return false
	}
	*s = a.Email
	return true
}

func (v *validator) addresses(key string, list []string) {
	for i := range list {
		v.address(fmt.Sprintf("%s[%d]", key, i), &list[i])
	}
}

func (v *validator) oneOf(key, val string, allowed ...string) bool {
	if slices.Contains(allowed, val) {
		return true
	}
	v.errf(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
	return false
}

func (v *validator) hostPort(key, addr string) (host string, ok bool) {
	if addr == "" {
		v.errf(key, "required")
		return "", false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errf(key, "%q is not host:port", addr)
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		v.errf(key, "%q has no valid port", addr)
		return "", false
	}
	return host, true
}

func (v *validator) positive(key string, n int64) {
	if n <= 0 {
		v.errf(key, "must be positive, not %d", n)
	}
}

func (v *validator) top() {
	c := v.c
	unparsed := c.Alias
	v.aliasOK = v.address("alias", &c.Alias)
	if !v.aliasOK && c.SMTP.From == unparsed {
		// Defaulted from the alias: the alias error says it all.
		c.SMTP.From = ""
	}
	if v.aliasOK && strings.Contains(c.Alias, "+") {
		// The daemon's reply and bounce addresses are alias+token@.
		v.errf("alias", "%q must not contain \"+\": plus-addresses of the alias are the reply addresses", c.Alias)
	}
	switch u, err := url.Parse(c.PublicURL); {
	case c.PublicURL == "":
		v.errf("public_url", "required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.errf("public_url", "%q is not an absolute http or https URL", c.PublicURL)
	default:
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	// An empty instance or helo comes from an invalid alias, already
	// reported.
	if c.Instance != "" && !isToken(c.Instance) {
		v.errf("instance", "%q must be printable ASCII without spaces: it goes into a mail header", c.Instance)
	}
	if c.Templates != "" {
		if fi, err := os.Stat(c.Templates); err != nil {
			v.errf("templates", "%v", err)
		} else if !fi.IsDir() {
			v.errf("templates", "%s is not a directory", c.Templates)
		}
	}
	if len(c.Coordinators) == 0 {
		v.errf("coordinators", "at least one coordinator is required: they receive what no group owns")
	}
	v.addresses("coordinators", c.Coordinators)
}

func isToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return s != ""
}

// mailServer checks the address and TLS mode of a mail server: no TLS
// sends the password in the clear, which is acceptable only on the same
// host.
func (v *validator) mailServer(section string, addr *string, tls, caFile string) {
	host, ok := v.hostPort(section+".address", *addr)
	if !v.oneOf(section+".tls", tls, TLSImplicit, TLSStartTLS, TLSNone) {
		return
	}
	if tls == TLSNone {
		if ok && !mailtls.IsLoopback(host) {
			v.errf(section+".tls", "%q is only allowed to a loopback address, not %q", tls, host)
		}
		if caFile != "" {
			v.errf(section+".ca_file", "set, but tls is %q", tls)
		}
	}
	if caFile != "" {
		if fi, err := os.Stat(caFile); err != nil {
			v.errf(section+".ca_file", "%v", err)
		} else if fi.IsDir() {
			v.errf(section+".ca_file", "%s is a directory", caFile)
		}
	}
}

// password checks that exactly one password source is named; whether it
// resolves is for Secrets.
func (v *validator) password(section, user, env, file string, required bool) {
	switch {
	case env != "" && file != "":
		v.errf(section+".password_file", "set together with password_env: give one")
	case env == "" && file == "" && (required || user != ""):
		v.errf(section+".password_env", "required (or password_file): passwords are never written in the config file")
	case env != "" && strings.ContainsAny(env, "= \t"):
		v.errf(section+".password_env", "%q is not an environment variable name", env)
	}
}

func (v *validator) duration(key string, d Duration, lo time.Duration) {
	if time.Duration(d) < lo {
		v.errf(key, "%s is less than %s", d, lo)
	}
}

func (v *validator) imap() {
	m := &v.c.IMAP
	if m.User == "" {
		v.errf("imap.user", "required")
	}
	v.password("imap", m.User, m.PasswordEnv, m.PasswordFile, true)
	if len(m.Mailboxes) == 0 {
		v.errf("imap.mailboxes", "at least one mailbox is required")
	}
	for i, mb := range m.Mailboxes {
		if strings.TrimSpace(mb) == "" {
			v.errf(fmt.Sprintf("imap.mailboxes[%d]", i), "empty mailbox name")
		}
	}
	v.duration("imap.poll_interval", m.PollInterval, time.Second)
	if m.BatchSize < 1 || m.BatchSize > 10000 {
		v.errf("imap.batch_size", "%d is not between 1 and 10000", m.BatchSize)
	}
	if v.oneOf("imap.after_record", m.AfterRecord, AfterFlag, AfterMove, AfterNothing) {
		switch {
		case m.AfterRecord == AfterMove && m.MoveTo == "":
			v.errf("imap.move_to", "required when after_record is %q", AfterMove)
		case m.AfterRecord != AfterMove && m.MoveTo != "":
			v.errf("imap.move_to", "set, but after_record is %q, not %q", m.AfterRecord, AfterMove)
		case m.MoveTo != "" && slices.Contains(m.Mailboxes, m.MoveTo):
			v.errf("imap.move_to", "%q is also a mailbox read: moved mail would be read again", m.MoveTo)
		}
	}
}

func (v *validator) smtp() {
	s := &v.c.SMTP
	// A password without a user is not an error: commenting out the user
	// line turns authentication off (PasswordSMTP, SMTPPasswordUnused).
	v.password("smtp", s.User, s.PasswordEnv, s.PasswordFile, false)
	if s.From != "" {
		v.address("smtp.from", &s.From)
	}
	if s.HELO != "" && !isHostname(s.HELO) {
		v.errf("smtp.helo", "%q is not a host name", s.HELO)
	}
	if s.Archive != "" {
		v.address("smtp.archive", &s.Archive)
	}
	v.duration("smtp.retry_min", s.RetryMin, time.Second)
	if s.RetryMax < s.RetryMin {
		v.errf("smtp.retry_max", "%s is less than retry_min %s", s.RetryMax, s.RetryMin)
	}
	if s.GiveUp < s.RetryMax {
		v.errf("smtp.give_up", "%s is less than retry_max %s", s.GiveUp, s.RetryMax)
	}
	v.duration("smtp.timeout", s.Timeout, time.Second)
	if s.Timeout > Duration(MinDataTimeout) {
		v.errf("smtp.timeout", "%s is more than %s: a server that stopped answering holds the outbox that long", s.Timeout, MinDataTimeout)
	}
	// A content-scanning relay may take minutes to answer the end of a
	// large mail; a client that gives up earlier sends it again.
	if time.Duration(s.DataTimeout) < MinDataTimeout {
		v.errf("smtp.data_timeout", "%s is less than %s, the minimum RFC 5321 (4.5.3.2.6) asks for the reply to the end of the data", s.DataTimeout, MinDataTimeout)
	}
}

// MinDataTimeout is the least smtp.data_timeout: RFC 5321 4.5.3.2.6.
const MinDataTimeout = 10 * time.Minute

func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (v *validator) reminders() {
	r := &v.c.Reminders
	seen := map[int]bool{}
	for i, d := range r.Offsets {
		key := fmt.Sprintf("reminders.offsets[%d]", i)
		switch {
		case d < 0 || d > 366:
			v.errf(key, "%d is not between 0 and 366 days", d)
		case seen[d]:
			v.errf(key, "%d is listed twice", d)
		}
		seen[d] = true
	}
	if r.Overdue != 0 {
		v.duration("reminders.overdue", r.Overdue, time.Hour)
	}
}

func (v *validator) limits() {
	l := &v.c.Limits
	v.positive("limits.max_message_bytes", l.MaxMessageBytes)
	v.positive("limits.max_attachments", int64(l.MaxAttachments))
	v.positive("limits.max_docx_bytes", l.MaxDocxBytes)
	v.positive("limits.max_docx_entries", int64(l.MaxDocxEntries))
	v.positive("limits.max_pdf_pages", int64(l.MaxPDFPages))
	v.duration("limits.extraction_time_limit", l.ExtractionTimeLimit, 100*time.Millisecond)
}

func (v *validator) rates() {
	r := v.c.Rates
	for _, f := range []struct {
		key string
		n   int
	}{
		{"rate_limits.answers_per_address", r.AnswersPerAddress},
		{"rate_limits.answers_per_hour", r.AnswersPerHour},
		{"rate_limits.alerts_per_hour", r.AlertsPerHour},
		{"rate_limits.notices_per_address", r.NoticesPerAddress},
	} {
		if f.n < -1 {
			v.errf(f.key, "%d: want a number of mails per hour, or -1 for no limit", f.n)
		}
	}
}

func (v *validator) misc() {
	c := v.c
	v.rates()
	if c.Security.DNSTimeout != 0 {
		v.duration("security.dns_timeout", c.Security.DNSTimeout, 100*time.Millisecond)
	}
	if id := c.Security.TrustedAuthservID; id != "" && !isToken(id) {
		v.errf("security.trusted_authserv_id", "%q must be printable ASCII without spaces", id)
	}
	if c.Store.Path == "" {
		v.errf("store.path", "required")
	}
	v.oneOf("log.format", c.Log.Format, "text", "json")
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
}

var groupTypes = []string{
	string(liaison.GroupWG), string(liaison.GroupArea), string(liaison.GroupIETF),
	string(liaison.GroupIAB), string(liaison.GroupSDO),
}

func (v *validator) groups() {
	gs := v.c.Groups
	dir := liaison.NewDirectory(gs)
	for i := range gs {
		g := &gs[i]
		key := fmt.Sprintf("group[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			v.errf(key+".name", "required")
		}
		// Every name must find its own group: a name or alias that another
		// group already answers to would send statements to the wrong
		// people.
		for j, n := range append([]string{g.Name}, g.Aliases...) {
			if strings.TrimSpace(n) == "" {
				continue
			}
			k := key + ".name"
			if j > 0 {
				k = fmt.Sprintf("%s.aliases[%d]", key, j-1)
			}
			if got, ok := dir.Lookup(n); ok && got.Name != g.Name {
				v.errf(k, "%q already names group %q", n, got.Name)
			}
		}
		if !v.oneOf(key+".type", string(g.Type), groupTypes...) {
			continue
		}
		switch {
		case g.Type == liaison.GroupWG && g.Parent == "":
			v.errf(key+".parent", "required for a wg: its area's ADs are copied on its statements")
		case g.Type == liaison.GroupWG:
			if p, ok := dir.Lookup(g.Parent); !ok || p.Type != liaison.GroupArea {
				v.errf(key+".parent", "%q is not an area group in the directory", g.Parent)
			}
		case g.Parent != "":
			v.errf(key+".parent", "only a wg has a parent, not a %s", g.Type)
		}
		if g.Type != liaison.GroupSDO && len(g.Approvers) == 0 {
			v.errf(key+".approvers", "a %s group needs at least one approver", g.Type)
		}
		v.addresses(key+".contacts", g.Contacts)
		v.addresses(key+".approvers", g.Approvers)
		if g.SendTo != "" {
			v.address(key+".send_to", &g.SendTo)
		}
	}
}

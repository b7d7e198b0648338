// Package config reads liaisond's TOML configuration file: one file with
// the central alias, the mail servers, the web listener, the reminder
// schedule, the extraction limits and the group directory. It fills in
// defaults and validates everything, naming the file, line and key at
// fault. Other packages never see this package's types: cmd builds their
// option structs from a loaded Config.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"liaison"
)

// Config is the whole configuration file.
type Config struct {
	// Alias is the central address statements are sent to
	// (liaison-coordination@example.org); reply addresses are its
	// plus-addresses.
	Alias string `toml:"alias"`
	// PublicURL is the absolute http(s) URL the public record is reached
	// at; mails link to it.
	PublicURL string `toml:"public_url"`
	// Instance names this daemon in its loop header; default: the alias
	// domain.
	Instance string `toml:"instance"`
	// Templates is a directory whose mail templates override the built-in
	// ones; empty means the built-in ones only.
	Templates string `toml:"templates"`
	// Coordinators are told about anything no group owns: unknown bodies,
	// unparsable mail, bounces.
	Coordinators []string `toml:"coordinators"`

	IMAP      IMAP      `toml:"imap"`
	SMTP      SMTP      `toml:"smtp"`
	Web       Web       `toml:"web"`
	Reminders Reminders `toml:"reminders"`
	Limits    Limits    `toml:"limits"`
	Rates     Rates     `toml:"rate_limits"`
	Security  Security  `toml:"security"`
	Store     Store     `toml:"store"`
	Log       Log       `toml:"log"`

	// Groups is the group directory.
	Groups []liaison.Group `toml:"group"`
	// Organisations extend the shipped organisation registry (orgs):
	// more organisations, bodies and spellings.
	Organisations []liaison.Organisation `toml:"organisation"`
	// Managers are the IETF's liaison managers to other organisations:
	// copied on their traffic, allowed every command on it but approve,
	// the default Send Reply To of our statements to them.
	Managers []liaison.LiaisonManager `toml:"liaison_manager"`

	// src locates keys in the file the config came from, for messages.
	src source
}

// TLS modes of a mail server connection.
const (
	TLSImplicit = "implicit" // TLS from the first byte (IMAPS 993, SMTPS 465)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS
	TLSNone     = "none"     // no TLS: only allowed to a loopback address
)

// What the IMAP reader does with a message once it is recorded.
const (
	AfterFlag    = "flag"    // set the \Seen flag and leave it
	AfterMove    = "move"    // move it to IMAP.MoveTo
	AfterNothing = "nothing" // leave it untouched (the sync state remembers it)
)

// IMAP is the mailbox the daemon reads.
type IMAP struct {
	Address      string   `toml:"address"` // host:port
	TLS          string   `toml:"tls"`     // implicit, starttls or none
	CAFile       string   `toml:"ca_file"` // PEM roots instead of the system ones
	User         string   `toml:"user"`
	PasswordEnv  string   `toml:"password_env"`  // environment variable holding the password
	PasswordFile string   `toml:"password_file"` // file holding the password
	Mailboxes    []string `toml:"mailboxes"`
	PollInterval Duration `toml:"poll_interval"` // for servers without IDLE
	BatchSize    int      `toml:"batch_size"`    // messages fetched per round trip
	AfterRecord  string   `toml:"after_record"`  // flag, move or nothing
	MoveTo       string   `toml:"move_to"`       // the folder for AfterMove
}

// SMTP is the server the daemon sends through.
type SMTP struct {
	Address      string `toml:"address"` // host:port
	TLS          string `toml:"tls"`     // implicit, starttls or none
	CAFile       string `toml:"ca_file"`
	User         string `toml:"user"` // empty: no authentication
	PasswordEnv  string `toml:"password_env"`
	PasswordFile string `toml:"password_file"`
	// From is the header From of the daemon's mail; default: the alias.
	From string `toml:"from"`
	// HELO is the name given in EHLO; default: the alias domain.
	HELO string `toml:"helo"`
	// Archive is the public archive list outgoing statements are copied
	// to; empty for none.
	Archive string `toml:"archive"`
	// RetryMin and RetryMax bound the backoff between attempts on a
	// temporary failure; GiveUp is how long a mail is retried in all.
	RetryMin Duration `toml:"retry_min"`
	RetryMax Duration `toml:"retry_max"`
	GiveUp   Duration `toml:"give_up"`
	// Timeout bounds the connection, each command's reply and each 64 KiB
	// of a mail's data; DataTimeout the wait for the reply to the end of
	// the data (at least 10 minutes, RFC 5321 4.5.3.2.6).
	Timeout     Duration `toml:"timeout"`
	DataTimeout Duration `toml:"data_timeout"`
	// NoPipelining sends one command at a time even to a server that
	// offers PIPELINING.
	NoPipelining bool `toml:"no_pipelining"`
	// NoChunking sends with DATA even to a server that offers CHUNKING
	// (BDAT), which liaisond uses together with PIPELINING.
	NoChunking bool `toml:"no_chunking"`
}

// Web is the public record's HTTP listener.
type Web struct {
	Listen string `toml:"listen"` // host:port
}

// Reminders is the deadline reminder schedule.
type Reminders struct {
	// Offsets are the days before a deadline a reminder goes out (0 is
	// the deadline day); empty for none.
	Offsets []int `toml:"offsets"`
	// Overdue is how often an overdue open statement is reminded of; 0
	// for never.
	Overdue Duration `toml:"overdue"`
	// AcknowledgeSenders sends senders of incoming statements an
	// acknowledgement with the record link.
	AcknowledgeSenders bool `toml:"acknowledge_senders"`
}

// Limits bound what one message may cost to process.
type Limits struct {
	MaxMessageBytes     int64    `toml:"max_message_bytes"`
	MaxAttachments      int      `toml:"max_attachments"`
	MaxDocxBytes        int64    `toml:"max_docx_bytes"` // uncompressed, all entries
	MaxDocxEntries      int      `toml:"max_docx_entries"`
	MaxPDFPages         int      `toml:"max_pdf_pages"`
	ExtractionTimeLimit Duration `toml:"extraction_time_limit"` // per message
}

// Security is who is believed about a sender's identity.
type Security struct {
	// TrustedAuthservID is the authserv-id of the Authentication-Results
	// header our own receiving server adds; A-R headers with any other id
	// are ignored. Empty: only DKIM counts.
	TrustedAuthservID string `toml:"trusted_authserv_id"`
	// RequireAuthentication obeys commands only from authenticated senders
	// (aligned DKIM or a trusted A-R pass).
	RequireAuthentication bool `toml:"require_authentication"`
	// AuthResultsAboveReceived also demands that a trusted A-R header
	// stand above the first Received: field. Off by default: RFC 8601
	// section 5 has the border MTA remove foreign headers with its own
	// authserv-id, and local delivery (Dovecot's LMTP) adds a Received:
	// above the A-R header of the MTA.
	AuthResultsAboveReceived bool `toml:"authres_above_received"`
	// DNSTimeout bounds the DNS lookups of liaisond's own DKIM check.
	DNSTimeout Duration `toml:"dns_timeout"`
}

// Rates cap, per hour, the mail the office sends by itself (the backstop
// against floods and loops with automatic responders). Zero means the
// default; -1 means no limit. Outgoing statements are never limited.
type Rates struct {
	// AnswersPerAddress: acknowledgements, confirmations, command results
	// and refusals to one address.
	AnswersPerAddress int `toml:"answers_per_address"`
	// AnswersPerHour: the same to everybody together.
	AnswersPerHour int `toml:"answers_per_hour"`
	// AlertsPerHour: alerts to the coordinators.
	AlertsPerHour int `toml:"alerts_per_hour"`
	// NoticesPerAddress: notifications, reminders and approval requests to
	// one address.
	NoticesPerAddress int `toml:"notices_per_address"`
}

// Store is the bbolt database.
type Store struct {
	Path string `toml:"path"`
}

// Log is the log output.
type Log struct {
	Format string `toml:"format"` // text or json
	Level  string `toml:"level"`  // debug, info, warn or error
}

// SlogLevel returns the level as a slog.Level; an invalid level (which
// Validate reports) is info.
func (l Log) SlogLevel() slog.Level {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		return slog.LevelInfo
	}
	return lv
}

// Default returns the defaults, with the keys that have none (the alias,
// the URL, the servers, the directory) empty.
func Default() *Config {
	return &Config{
		IMAP: IMAP{
			TLS:          TLSImplicit,
			Mailboxes:    []string{"INBOX"},
			PollInterval: Duration(time.Minute),
			BatchSize:    50,
			AfterRecord:  AfterFlag,
		},
		SMTP: SMTP{
			TLS:         TLSStartTLS,
			RetryMin:    Duration(time.Minute),
			RetryMax:    Duration(6 * time.Hour),
			GiveUp:      Duration(120 * time.Hour),
			Timeout:     Duration(time.Minute),
			DataTimeout: Duration(10 * time.Minute),
		},
		Web: Web{Listen: "127.0.0.1:8080"},
		Reminders: Reminders{
			Offsets:            []int{14, 7, 4, 3, 2, 1, 0},
			Overdue:            Duration(7 * 24 * time.Hour),
			AcknowledgeSenders: true,
		},
		Limits: Limits{
			MaxMessageBytes:     25 << 20,
			MaxAttachments:      50,
			MaxDocxBytes:        100 << 20,
			MaxDocxEntries:      5000,
			MaxPDFPages:         500,
			ExtractionTimeLimit: Duration(30 * time.Second),
		},
		Rates:    Rates{AnswersPerAddress: 20, AnswersPerHour: 200, AlertsPerHour: 30, NoticesPerAddress: 100},
		Security: Security{RequireAuthentication: true, DNSTimeout: Duration(10 * time.Second)},
		Store:    Store{Path: "liaisond.db"},
		Log:      Log{Format: "text", Level: "info"},
	}
}

// Load reads, parses and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data, read from the file name, over the defaults, and
// validates the result. Relative paths in it are taken relative to the
// directory of name. Every problem found is reported, one per line, as
// "name:line: key: message".
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	src, err := scan(name, data)
	if err != nil {
		return nil, err
	}
	c.src = src
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, c.decodeError(err)
	}
	c.fill(filepath.Dir(name))
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// fill derives the defaults that depend on other keys and anchors relative
// paths at dir, so the daemon does not depend on its working directory.
func (c *Config) fill(dir string) {
	domain := ""
	if a, err := liaison.ParseAddress(c.Alias); err == nil {
		if i := strings.LastIndexByte(a.Email, '@'); i >= 0 {
			domain = a.Email[i+1:]
		}
	}
	if c.Instance == "" {
		c.Instance = domain
	}
	if c.SMTP.From == "" {
		c.SMTP.From = c.Alias
	}
	if c.SMTP.HELO == "" {
		c.SMTP.HELO = domain
	}
	for _, p := range []*string{&c.Templates, &c.IMAP.CAFile, &c.IMAP.PasswordFile,
		&c.SMTP.CAFile, &c.SMTP.PasswordFile, &c.Store.Path} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// Directory returns the group directory, which also resolves other
// organisations' names through the organisation registry.
func (c *Config) Directory() *liaison.Directory {
	return liaison.NewDirectory(c.Groups).WithOrgs(c.registry()).WithManagers(c.Managers)
}

// Error is one problem with a key of a config file.
type Error struct {
	File string
	Line int // 0 when the key is not in the file
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// errAt returns the error for key, placed at the key's line, or at the
// nearest enclosing table's line when the key is not in the file.
func (c *Config) errAt(key, format string, args ...any) *Error {
	return &Error{File: c.src.name, Line: c.src.lineOf(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// typeMismatch matches go-toml's message for a value of the wrong type,
// which names Go types an administrator has no use for.
var typeMismatch = regexp.MustCompile(`^cannot decode TOML (\S+) into .* of type (\S+)$`)

func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasSuffix(t, "Duration"):
		return "a duration string"
	case strings.HasPrefix(t, "liaison.Group") || strings.HasPrefix(t, "config."):
		return "a table"
	}
	return t
}

// decodeError turns the decoder's errors into Errors naming file, line and
// key.
func (c *Config) decodeError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, _ := de.Position()
			key := c.src.keyAt(line, de.Key())
			errs = append(errs, &Error{File: c.src.name, Line: line, Key: key, Msg: "unknown key"})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("want %s, not a TOML %s", goTypeName(m[2]), m[1])
		}
		return &Error{File: c.src.name, Line: line, Key: c.src.keyAt(line, de.Key()), Msg: msg}
	}
	return fmt.Errorf("%s: %w", c.src.name, err)
}

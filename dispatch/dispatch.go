// Package dispatch composes, schedules and sends every mail liaisond sends:
// notifications, acknowledgements, approval requests, confirmations,
// reminders, command results and refusals, coordinator alerts, and the
// outgoing liaison statements themselves.
//
// All of it goes through one durable outbox in the store. Enqueue composes a
// mail and queues it in the caller's transaction, so a mail exists exactly
// when the event that caused it was recorded. Its Message-ID, Date, envelope
// and bytes are fixed at that moment. One sender (Run, or Flush for a single
// pass) delivers due mail over SMTP, reusing one connection per batch,
// retrying connection errors and 4xx replies with exponential backoff and
// jitter, and marking a recipient (5xx on RCPT) or the whole mail (5xx on
// MAIL or DATA) failed. Failures become delivery-failed events on the
// statement and an alert mail to the coordinators (never an alert about a
// failed alert).
//
// Delivery is at least once. Before a batch of mails is handed to the
// server their next attempts are pushed back in the store (the lease, one
// transaction). Each mail's result is recorded as soon as the server has
// answered it: the results of the connections are committed together, and
// a connection sends on while its earlier mails' records commit, but no
// more than four ahead, so at most five mails per connection are accepted
// and not yet recorded at any moment. A crash in that window (or while the server holds
// the final dot) makes only those mails go out again after the backoff,
// with the same Message-ID and the same bytes, so receivers (and
// liaisond's own ingest) can drop the duplicate. Nothing is ever sent twice
// in normal operation, and nothing is ever lost.
//
// The composed bytes live in the store apart from the outbox record and
// are read only to send the mail. Once a mail is sent its bytes are
// dropped: what was sent stays visible through its record (Message-ID,
// recipients and the server's answers) and the statement's events, and the
// bytes can be composed again from the statement. A mail that failed keeps
// them, for the coordinators to look at.
//
// Loop prevention: every mail carries the X-Liaison-Loop header with the
// instance name and a VERP envelope sender alias+b-<send-id>@domain, so
// bounces tie back to one send; machine mail is marked Auto-Submitted and
// X-Auto-Response-Suppress; answers (acknowledgements, confirmations,
// command results, refusals) go to one address only and are never queued
// for automated causes (ErrAutomated); acknowledgements and refusals go out
// at most once per address, statement and day (ErrRateLimited), while a
// command result, the answer to an explicit command, always goes out. The
// outgoing statements are letters and carry neither Auto-Submitted nor
// Precedence.
package dispatch

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"liaison"
	"liaison/store"
)

// Errors for mail Enqueue deliberately does not queue. Callers treat both as
// "skipped": errors.Is(err, ErrSkipped).
var (
	ErrSkipped     = errors.New("mail skipped")
	ErrAutomated   = fmt.Errorf("answer to automated mail: %w", ErrSkipped)
	ErrRateLimited = fmt.Errorf("automatic answer already sent today: %w", ErrSkipped)
)

// Backoff shapes the retry schedule of a mail: Min doubled per attempt up
// to Max, each delay spread by ±Jitter (a fraction), until GiveUp after the
// mail was enqueued.
type Backoff struct {
	Min    time.Duration // default 1 minute
	Max    time.Duration // default 6 hours
	GiveUp time.Duration // default 5 days
	Jitter float64       // default 0.2; negative means none
}

// Reminders configure deadline reminders.
type Reminders struct {
	// Offsets are days before the deadline a reminder goes out; default
	// 14, 7, 4, 3, 2, 1, 0.
	Offsets []int
	// OverdueEvery repeats the overdue reminder every so many days; default 7.
	OverdueEvery int
}

// SMTP says how to reach the submission server.
type SMTP struct {
	Addr string // host:port
	// TLS is "implicit" (port 465), "starttls" (587) or "none" (only to a
	// loopback address). Empty means starttls.
	TLS      string
	CAFile   string // PEM roots to verify the server with, instead of the system's
	User     string // AUTH (PLAIN, else LOGIN) when set; refused without TLS except on loopback
	Password string
	HeloName string // EHLO name; default the alias domain
	// Timeout bounds the dial, the TLS handshake, each command's reply and
	// each 64 KiB block of the data; default 1 minute.
	Timeout time.Duration
	// DataTimeout bounds the wait for the reply to the end of the data,
	// while the server (and any content scanner behind it) takes the mail
	// in; default 10 minutes, the minimum RFC 5321 4.5.3.2.6 asks.
	DataTimeout time.Duration
	// NoPipelining sends one command at a time even to a server that
	// offers PIPELINING (for a server that offers it and gets it wrong).
	NoPipelining bool
	// NoChunking sends with DATA even to a server that offers CHUNKING
	// (BDAT, used only together with PIPELINING).
	NoChunking bool
}

// Options configure an Outbox.
type Options struct {
	// Alias is the central address (liaison-coordination@example.org): the
	// From of every mail, the base of reply and VERP addresses.
	Alias    string
	FromName string // display name of From; default "Liaison Statements"
	// Instance is the value of the X-Liaison-Loop header; default the domain.
	Instance     string
	PublicURL    string   // base of the public record, e.g. https://liaisons.example.org
	ArchiveList  string   // copied on every outgoing statement
	Coordinators []string // alerted on failures; notified for unknown To bodies
	// TemplatesDir overrides embedded templates by file name.
	TemplatesDir string
	// Directory returns the current group directory (it may be reloaded).
	Directory func() *liaison.Directory
	Backoff   Backoff
	Reminders Reminders
	Limits    Limits
	SMTP      SMTP
	// BatchSize is how many mails one pass leases and records at once;
	// default 100.
	BatchSize int
	// Connections is how many SMTP connections a pass uses at most for a
	// big batch (at least 16 mails each); default 4.
	Connections int
	// PollInterval bounds how long Run sleeps without a Kick; default 1 minute.
	PollInterval time.Duration
	// MaxAttachmentBytes caps the attachments carried as MIME parts per
	// mail (beyond it they are sent as links only); default 7 MiB, which
	// base64 keeps under the 10 MB many servers accept.
	MaxAttachmentBytes int64
	Now                func() time.Time
	Logger             *slog.Logger
}

// Stats are counters since New, for metrics.
type Stats struct {
	Enqueued          int64 // mails queued
	Sent              int64 // mails the server accepted (for at least one recipient)
	Retries           int64 // attempts that will be retried (4xx, connection errors)
	Failures          int64 // mails that finally failed (whole mail)
	RecipientFailures int64 // recipients refused for good
	RateLimited       int64 // answers skipped (automated cause or rate limit)
	OverLimit         int64 // recipients held back by an hourly limit
}

// Outbox is the durable outbox and its sender.
type Outbox struct {
	db         *store.DB
	opts       Options
	log        *slog.Logger
	domain     string
	aliasLocal string

	tmpl atomic.Pointer[templateSet]
	kick chan struct{}
	pass sync.Mutex // one delivery pass at a time

	enqueued, sent, retries, failures, rcptFailures, skipped, limited atomic.Int64

	// secret returns the reply-token key; tests replace it for golden files.
	secret func(tx *store.Tx) ([]byte, error)
	// jitter returns a number in [0,1); tests may fix it.
	jitter func() float64
}

// New checks opts, loads the templates and returns an Outbox on db.
func New(db *store.DB, opts Options) (*Outbox, error) {
	a, err := mail.ParseAddress(opts.Alias)
	if err != nil {
		return nil, fmt.Errorf("dispatch: alias %q: %w", opts.Alias, err)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 {
		return nil, fmt.Errorf("dispatch: alias %q: no domain", opts.Alias)
	}
	opts.Alias = strings.ToLower(a.Address)
	o := &Outbox{db: db, aliasLocal: opts.Alias[:at], domain: opts.Alias[at+1:], kick: make(chan struct{}, 1)}
	if opts.FromName == "" {
		opts.FromName = "Liaison Statements"
	}
	if opts.Instance == "" {
		opts.Instance = o.domain
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.Directory == nil {
		opts.Directory = func() *liaison.Directory { return nil }
	}
	if opts.Backoff.Min <= 0 {
		opts.Backoff.Min = time.Minute
	}
	if opts.Backoff.Max <= 0 {
		opts.Backoff.Max = 6 * time.Hour
	}
	if opts.Backoff.Max < opts.Backoff.Min {
		opts.Backoff.Max = opts.Backoff.Min
	}
	if opts.Backoff.GiveUp <= 0 {
		opts.Backoff.GiveUp = 5 * 24 * time.Hour
	}
	if opts.Backoff.Jitter == 0 {
		opts.Backoff.Jitter = 0.2
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.Reminders.Offsets == nil {
		opts.Reminders.Offsets = []int{14, 7, 4, 3, 2, 1, 0}
	}
	if opts.Reminders.OverdueEvery == 0 {
		opts.Reminders.OverdueEvery = 7
	}
	if opts.SMTP.TLS == "" {
		opts.SMTP.TLS = "starttls"
	}
	switch opts.SMTP.TLS {
	case "implicit", "starttls", "none":
	default:
		return nil, fmt.Errorf("dispatch: smtp tls %q: want implicit, starttls or none", opts.SMTP.TLS)
	}
	if opts.SMTP.HeloName == "" {
		opts.SMTP.HeloName = o.domain
	}
	if strings.ContainsFunc(opts.SMTP.HeloName, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, fmt.Errorf("dispatch: smtp helo name %q: want a host name", opts.SMTP.HeloName)
	}
	if opts.SMTP.Timeout <= 0 {
		opts.SMTP.Timeout = time.Minute
	}
	if opts.SMTP.DataTimeout <= 0 {
		opts.SMTP.DataTimeout = 10 * time.Minute
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.Connections <= 0 {
		opts.Connections = 4
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Minute
	}
	if opts.MaxAttachmentBytes == 0 {
		opts.MaxAttachmentBytes = 7 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o.opts = opts
	o.log = opts.Logger.With("component", "dispatch")
	o.secret = func(tx *store.Tx) ([]byte, error) { return tx.Secret() }
	o.jitter = randFloat
	if err := o.ReloadTemplates(); err != nil {
		return nil, err
	}
	return o, nil
}

// ReloadTemplates parses the embedded templates and the overrides in
// TemplatesDir again (for SIGHUP). On error the templates in use stay.
func (o *Outbox) ReloadTemplates() error {
	ts, err := loadTemplates(o.opts.TemplatesDir)
	if err != nil {
		return err
	}
	o.tmpl.Store(ts)
	return nil
}

// Kick wakes Run to look at the outbox now (after an enqueue commits).
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Stats returns the counters.
func (o *Outbox) Stats() Stats {
	return Stats{
		Enqueued:          o.enqueued.Load(),
		Sent:              o.sent.Load(),
		Retries:           o.retries.Load(),
		Failures:          o.failures.Load(),
		RecipientFailures: o.rcptFailures.Load(),
		RateLimited:       o.skipped.Load(),
		OverLimit:         o.limited.Load(),
	}
}

// Domain returns the mail domain (of the alias).
func (o *Outbox) Domain() string { return o.domain }

func (o *Outbox) now() time.Time { return o.opts.Now() }

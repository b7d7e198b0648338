// Package ingest captures mail from the liaison IMAP mailbox into the store,
// exactly once.
//
// A message counts as captured only when its raw bytes and the advanced sync
// position are committed together (store.DB.Capture, one bbolt transaction).
// Everything done on the server afterwards (flagging, moving) is a courtesy:
// if it fails or the process dies before it, the message is neither lost nor
// captured twice, because the position already lies past it. A UIDVALIDITY
// change resets the position; Capture's dedupe by SHA-256 then skips what is
// stored already.
//
// One message can never stop capture: the store isolates a message it
// cannot take (store.DB.Capture), and a message it cannot take at all
// holds the position back for maxMissing rounds, then is skipped, left
// \Flagged in the mailbox and counted in Status.Skipped.
//
// New mail is awaited with IDLE (restarted every IdleRestart to notice dead
// connections), or by polling when the server lacks IDLE; any error drops the
// connection and Run reconnects with exponential backoff and jitter.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"liaison"
	"liaison/internal/mailtls"
	"liaison/store"
)

// Keyword is the IMAP keyword set (with \Seen) on captured messages when
// Options.After is "flag".
const Keyword = "$LiaisonRecorded"

// TLS modes for Options.TLS.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSNone     = "none" // plain text, loopback addresses only
)

// Post-capture actions for Options.After.
const (
	AfterFlag    = "flag"    // set \Seen and Keyword
	AfterMove    = "move"    // MOVE to Options.MoveTo
	AfterNothing = "nothing" // leave the message as it is
)

// Authentication mechanisms for Options.Auth.
const (
	AuthLogin = "login" // IMAP LOGIN
	AuthPlain = "plain" // AUTHENTICATE PLAIN
)

// Defaults applied by New for zero Options fields.
const (
	DefaultBatchSize      = 100
	DefaultBatchBytes     = 32 << 20
	DefaultPollInterval   = time.Minute
	DefaultIdleRestart    = 10 * time.Minute
	DefaultMaxMessageSize = 64 << 20
	DefaultReconnectMin   = time.Second
	DefaultReconnectMax   = 5 * time.Minute
)

// Options configure a Capturer.
type Options struct {
	Addr     string // host:port of the IMAP server
	TLS      string // TLSImplicit (default), TLSStartTLS or TLSNone
	CAFile   string // PEM file of the CAs to trust instead of the system roots
	User     string
	Password string
	// Auth is AuthLogin or AuthPlain; empty means AUTHENTICATE PLAIN when the
	// server advertises it and LOGIN otherwise.
	Auth      string
	Mailboxes []string // default INBOX
	After     string   // AfterFlag (default), AfterMove or AfterNothing
	MoveTo    string   // folder for AfterMove; created if missing
	// BatchSize is the most messages fetched and committed together.
	BatchSize int
	// BatchBytes bounds the bytes of one batch and the message bytes held in
	// memory between fetch and commit (a larger single message is fetched
	// alone, once nothing else is held).
	BatchBytes int64
	// PollInterval is the wait between checks when the server lacks IDLE,
	// and for all but the IDLEd mailbox when there are several.
	PollInterval time.Duration
	// IdleRestart is how long one IDLE lasts before it is stopped and the
	// mailbox checked again, which notices a dead connection (RFC 2177 asks
	// for less than 29 minutes).
	IdleRestart time.Duration
	// MaxMessageSize is the largest RFC822.SIZE fetched whole; a larger
	// message is stored by its header only (Truncated) and left \Flagged.
	MaxMessageSize int64
	// ReconnectMin and ReconnectMax bound the backoff between sessions.
	ReconnectMin, ReconnectMax time.Duration
	// OnCaptured, if set, is called with the number of new messages after
	// each committed batch that added any, so that processing wakes at once.
	OnCaptured func(n int)
	Logger     *slog.Logger
	Now        func() time.Time
}

func (o *Options) setDefaults() {
	if o.TLS == "" {
		o.TLS = TLSImplicit
	}
	if len(o.Mailboxes) == 0 {
		o.Mailboxes = []string{"INBOX"}
	}
	if o.After == "" {
		o.After = AfterFlag
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.IdleRestart <= 0 {
		o.IdleRestart = DefaultIdleRestart
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = DefaultReconnectMin
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = DefaultReconnectMax
	}
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = o.ReconnectMin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ErrPlainToRemote is returned for TLS "none" with a non-loopback address.
var ErrPlainToRemote = errors.New("plain-text IMAP is allowed only to a loopback address")

// validate reports configuration errors that no retry can fix.
func (o *Options) validate() error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("imap address %q: %w", o.Addr, err)
	}
	switch o.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !mailtls.IsLoopback(host) {
			return fmt.Errorf("imap address %s: %w", o.Addr, ErrPlainToRemote)
		}
	default:
		return fmt.Errorf("imap tls mode %q: want %s, %s or %s", o.TLS, TLSImplicit, TLSStartTLS, TLSNone)
	}
	switch strings.ToLower(o.Auth) {
	case "", AuthLogin, AuthPlain:
	default:
		return fmt.Errorf("imap auth %q: want %s or %s", o.Auth, AuthLogin, AuthPlain)
	}
	switch o.After {
	case AfterFlag, AfterNothing:
	case AfterMove:
		if o.MoveTo == "" {
			return errors.New("imap after = move needs a move-to folder")
		}
		for _, m := range o.Mailboxes {
			if m == o.MoveTo {
				return fmt.Errorf("imap move-to folder %q is also a captured mailbox", m)
			}
		}
	default:
		return fmt.Errorf("imap after %q: want %s, %s or %s", o.After, AfterFlag, AfterMove, AfterNothing)
	}
	seen := map[string]bool{}
	for _, m := range o.Mailboxes {
		if m == "" || seen[m] {
			return fmt.Errorf("imap mailboxes: empty or repeated name %q", m)
		}
		seen[m] = true
	}
	return nil
}

// Status is a snapshot of a Capturer for readiness checks and metrics.
type Status struct {
	Connected  bool      // a session is logged in
	Idle       bool      // the server supports IDLE (else polling)
	Waiting    bool      // caught up, waiting for new mail (in IDLE or between polls)
	LastPoll   time.Time // end of the last complete check of all mailboxes
	Reconnects int       // sessions that ended in an error
	Captured   int64     // new messages stored by this Capturer
	LastError  string    // why the last session ended, if it failed
	// Skipped counts messages given up on because the server sent no body
	// for them, or the store could not take them, several rounds in a row:
	// they are not captured (left in the mailbox, \Flagged), so a non-zero
	// value is alert-worthy.
	Skipped     int64
	LastSkipped string // mailbox and UID of the last one skipped
	// Quarantined counts messages the store recorded without their bytes
	// (store.IsQuarantined); they stay in the mailbox, \Flagged, and
	// processing alerts the coordinators about each.
	Quarantined int64
}

// Capturer moves mail from the IMAP mailboxes into the store.
type Capturer struct {
	db   *store.DB
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	status  Status
	missing map[missingKey]int // rounds a UID came without body
	failed  map[missingKey]int // rounds the store could not take a UID

	// commit stores a batch: store.DB.Capture, or a fake in tests.
	commit func(ctx context.Context, mailbox string, uidValidity uint32, batch []store.Captured) ([]liaison.Message, error)

	// noIdle makes the Capturer poll even when the server has IDLE; tests
	// use it because imapserver always advertises IDLE.
	noIdle bool
}

// New returns a Capturer storing into db. Zero Options fields get defaults.
func New(db *store.DB, opts Options) *Capturer {
	opts.setDefaults()
	opts.Mailboxes = append([]string(nil), opts.Mailboxes...)
	c := &Capturer{db: db, opts: opts, log: opts.Logger.With("imap", opts.Addr)}
	if db != nil {
		c.commit = db.Capture
	}
	return c
}

// Status returns a snapshot of the capture state.
func (c *Capturer) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *Capturer) update(f func(s *Status)) {
	c.mu.Lock()
	f(&c.status)
	c.mu.Unlock()
}

// Once connects, captures everything there is in every mailbox, and logs
// out. It returns the number of new messages stored.
func (c *Capturer) Once(ctx context.Context) (int, error) {
	if err := c.opts.validate(); err != nil {
		return 0, err
	}
	n, _, err := c.session(ctx, false)
	return n, err
}

// Run captures until ctx is done: a session per connection, waiting for new
// mail with IDLE or polling, and reconnecting after any error with
// exponential backoff and jitter. It returns nil once ctx is done, and an
// error only for a configuration no retry can fix.
func (c *Capturer) Run(ctx context.Context) error {
	if err := c.opts.validate(); err != nil {
		return err
	}
	backoff := c.opts.ReconnectMin
	for {
		_, synced, err := c.session(ctx, true)
		if ctx.Err() != nil {
			return nil
		}
		if synced {
			// The server worked for a while: this is a new failure, not a
			// repetition of the last one.
			backoff = c.opts.ReconnectMin
		}
		wait := jitter(backoff)
		c.update(func(s *Status) {
			s.Reconnects++
			if err != nil {
				s.LastError = err.Error()
			}
		})
		c.log.Warn("imap session ended; reconnecting", "err", err, "wait", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil
		}
		backoff = min(2*backoff, c.opts.ReconnectMax)
	}
}

// jitter returns a random duration in [d/2, d), so that many clients
// restarted together do not reconnect together.
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// sleep waits for d or ctx; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// CheckLogin connects, logs in, and opens each configured mailbox read-only
// (and the MoveTo folder, when it exists), for `check-config --connect`.
func CheckLogin(ctx context.Context, opts Options) error {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return err
	}
	c := &Capturer{opts: opts, log: opts.Logger.With("imap", opts.Addr)}
	cl, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.close()
	for _, m := range opts.Mailboxes {
		if err := cl.examine(m); err != nil {
			return err
		}
	}
	if opts.After == AfterMove && !cl.canMove() {
		return fmt.Errorf("imap %s: server has neither MOVE nor UIDPLUS; after = move is unsafe", opts.Addr)
	}
	return cl.logout()
}

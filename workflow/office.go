// Package workflow runs the liaison office: it takes each captured message
// from the store's pending queue, has extract classify it, and turns it into
// records, events and queued mail — in one store transaction per message, so
// that a crash leaves either everything a message caused or nothing, and the
// message is processed again on restart.
//
// The rules it applies (legal transitions, who approves, who may command) are
// the pure functions of the root package; this package does the I/O around
// them.
package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// Options configure the office.
type Options struct {
	// Alias is the central address statements are sent to.
	Alias string
	// Coordinators run the liaison office: told about problems, allowed every
	// command but approve.
	Coordinators []string
	// Directory returns the current group directory (reloadable).
	Directory func() *liaison.Directory
	// Acknowledge sends senders of new statements an acknowledgement.
	Acknowledge bool
	// TrustedAuthServID is the authserv-id of our own MTA's
	// Authentication-Results; any other A-R header is ignored.
	TrustedAuthServID string
	// RequireAuth demands DKIM or trusted A-R for commands. Off only in the
	// demo, where mail comes from a local client without signatures.
	RequireAuth bool
	// AuthResultsAboveReceived also demands that the trusted A-R header
	// stand above the first Received: field (off: see authPolicy).
	AuthResultsAboveReceived bool
	// LookupTXT resolves DKIM keys; nil means the system resolver.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// DNSTimeout bounds each DKIM key lookup; default 10 seconds.
	DNSTimeout time.Duration
	// Extract tunes the extractor (limits, own addresses).
	Extract extract.Options
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Office processes messages and commands.
type Office struct {
	db   *store.DB
	out  *dispatch.Outbox
	opts Options
	log  *slog.Logger
	kick chan struct{}
	// inject, set only by tests, fails a message inside its transaction,
	// after everything it caused was written: the rollback must undo it all.
	inject func(liaison.Message) error
}

// New returns an office working on db, sending through out.
func New(db *store.DB, out *dispatch.Outbox, opts Options) *Office {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Directory == nil {
		d := liaison.NewDirectory(nil)
		opts.Directory = func() *liaison.Directory { return d }
	}
	if opts.Extract.Alias == "" {
		opts.Extract.Alias = opts.Alias
	}
	if opts.Extract.Now == nil {
		opts.Extract.Now = opts.Now
	}
	return &Office{db: db, out: out, opts: opts, log: opts.Logger, kick: make(chan struct{}, 1)}
}

// Kick wakes Run to process newly captured messages. It never blocks.
func (o *Office) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run processes pending messages whenever kicked (and every interval, in
// case a kick was missed), and sends due reminders, until ctx is done.
func (o *Office) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	lastRemind := time.Time{}
	for {
		if _, err := o.ProcessPending(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("process pending messages", "err", err)
		}
		if now := o.opts.Now(); now.Sub(lastRemind) >= time.Hour {
			if n, err := o.out.Remind(ctx, liaison.DateOf(now)); err != nil && ctx.Err() == nil {
				o.log.Error("send reminders", "err", err)
			} else if n > 0 {
				o.log.Info("reminders queued", "count", n)
				o.out.Kick()
			}
			lastRemind = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
		case <-t.C:
		}
	}
}

// ProcessPending processes every captured message not yet processed, oldest
// first. A message that fails is marked failed with its error (its raw bytes
// stay) and the coordinators are told; it never blocks the ones behind it.
//
// Extraction, the slow part, runs on every core and ahead of the commits:
// while one batch is being committed the next is already being extracted.
// A batch is committed in one transaction (one fsync for many messages); if
// any message of it fails, the batch is rolled back and its messages are
// committed one by one, so that only the failing one is marked failed.
func (o *Office) ProcessPending(ctx context.Context) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*prepared, 1)
	listErr := make(chan error, 1)
	go func() {
		defer close(batches)
		listErr <- o.prepareBatches(ctx, batches)
	}()
	done := 0
	for b := range batches {
		n, err := o.commitBatch(ctx, b)
		done += n
		if err != nil {
			cancel()
			for range batches {
			}
			return done, err
		}
		o.out.Kick()
	}
	if err := <-listErr; err != nil {
		return done, err
	}
	return done, ctx.Err()
}

// batchSize is how many messages one transaction commits at most.
const batchSize = 64

// prepared is a message with what extraction made of it.
type prepared struct {
	m    liaison.Message
	r    *extract.Result
	auth authResult
	err  error // reading or extracting failed
}

// prepareBatches lists pending messages and extracts them in parallel,
// sending batches in capture order until none is left.
func (o *Office) prepareBatches(ctx context.Context, out chan<- []*prepared) error {
	inFlight := map[string]bool{}
	workers := max(1, runtime.GOMAXPROCS(0))
	// Each worker's read buffer, kept from one round to the next.
	bufs := make([][]byte, workers)
	for {
		// The pending messages not in hand yet: the records of those in
		// hand (up to two batches, waiting for their commit) are not read
		// again.
		var batch []*prepared
		err := o.db.View(ctx, func(tx *store.Tx) error {
			list := tx.PendingSHAs(len(inFlight) + batchSize)
			// Forget what has been committed since (it is no longer
			// pending): a list that counted every message ever prepared
			// grew with the backlog, and decoding it each round made a
			// backlog quadratic.
			listed := make(map[string]bool, len(list))
			for _, sha := range list {
				listed[sha] = true
			}
			for sha := range inFlight {
				if !listed[sha] {
					delete(inFlight, sha)
				}
			}
			for _, sha := range list {
				if inFlight[sha] || len(batch) == batchSize {
					continue
				}
				m, err := tx.Message(sha)
				if err != nil {
					return err
				}
				inFlight[sha] = true
				batch = append(batch, &prepared{m: m})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list pending messages: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		var wg sync.WaitGroup
		next := make(chan *prepared)
		for i := range min(workers, len(batch)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range next {
					bufs[i] = o.prepare(ctx, p, bufs[i])
				}
			}()
		}
		for _, p := range batch {
			next <- p
		}
		close(next)
		wg.Wait()
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// maxReusedRaw bounds the buffer a preparer keeps from one message to the
// next.
const maxReusedRaw = 4 << 20

// prepare reads and extracts one message, outside any transaction. It
// reads the message into buf and returns buf to be reused for the next:
// the result holds no byte of it (extract's TestResultKeepsNoRaw), and a
// fresh copy of every message was 226 MB of the 2.7 GB a 3000-mail backlog
// allocated.
func (o *Office) prepare(ctx context.Context, p *prepared, buf []byte) []byte {
	var raw []byte
	if err := o.db.View(ctx, func(tx *store.Tx) error {
		var err error
		raw, err = tx.AppendMessageRaw(buf[:0], p.m.SHA256)
		return err
	}); err != nil {
		p.err = fmt.Errorf("read raw message %s: %w", p.m.SHA256, err)
		return buf
	}
	opts := o.opts.Extract
	opts.SHA256 = p.m.SHA256 // the store's key of raw is its hash
	p.r = extract.Extract(ctx, raw, opts)
	if p.r.Panic != "" {
		o.log.Error("extraction panicked: a bug, please report it with the message", "sha256", p.m.SHA256, "msgid", p.m.MessageID, "panic", p.r.Panic)
	}
	if p.m.Truncated {
		p.r.Problems = append(p.r.Problems, oversized(p.m))
	}
	p.auth = o.authenticate(ctx, raw, p.r)
	if cap(raw) > maxReusedRaw {
		return nil
	}
	return raw[:0]
}

// commitBatch records a prepared batch in one transaction, or message by
// message when something in it fails.
func (o *Office) commitBatch(ctx context.Context, batch []*prepared) (int, error) {
	err := o.db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range batch {
			if p.err != nil {
				return p.err
			}
			if err := o.apply(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return len(batch), nil
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	done := 0
	for _, p := range batch {
		err := p.err
		if err == nil {
			err = o.db.Update(ctx, func(tx *store.Tx) error { return o.apply(tx, p) })
		}
		if err != nil {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			o.log.Error("process message", "sha256", p.m.SHA256, "msgid", p.m.MessageID, "err", err)
			if ferr := o.fail(ctx, p.m, err); ferr != nil {
				return done, fmt.Errorf("mark message %s failed: %w", p.m.SHA256, ferr)
			}
		}
		done++
	}
	return done, nil
}

// Process handles one captured message: extraction outside any transaction
// (it is the slow part), then everything it causes in one transaction.
func (o *Office) Process(ctx context.Context, m liaison.Message) error {
	p := &prepared{m: m}
	o.prepare(ctx, p, nil)
	if p.err != nil {
		return p.err
	}
	return o.db.Update(ctx, func(tx *store.Tx) error { return o.apply(tx, p) })
}

// apply records everything one prepared message causes, in tx.
func (o *Office) apply(tx *store.Tx, p *prepared) error {
	m, r := p.m, p.r
	// Another pass (the daemon's loop and an administrator's reprocess) may
	// have handled it since it was listed: then it is done.
	if moved, err := stateMoved(tx, m); err != nil || moved {
		return err
	}
	m.Kind = r.Kind
	var err error
	switch {
	case m.DuplicateOf != "":
		err = o.duplicate(tx, &m, r)
	case r.ToBounceAddress && r.Kind != liaison.KindOwn && r.Kind != liaison.KindBounce && r.Kind != liaison.KindAutoReply:
		// The VERP address takes delivery reports and automatic replies
		// only; anything else there is what a loop is made of.
		m.Kind = liaison.KindThreadReply
		err = o.toBounceAddress(tx, &m, r)
	case r.Kind == liaison.KindOwn:
		err = o.own(tx, &m, r)
	case r.Kind == liaison.KindBounce:
		err = o.bounce(tx, &m, r)
	case r.Kind == liaison.KindAutoReply:
		err = o.autoReply(tx, &m, r)
	case r.Kind == liaison.KindThreadReply:
		err = o.threadReply(tx, &m, r, p.auth)
	case r.Kind == liaison.KindSubmission:
		err = o.submission(tx, &m, r, p.auth)
	default:
		m.Kind = liaison.KindStatement
		err = o.statement(tx, &m, r)
	}
	if err == nil && o.inject != nil {
		err = o.inject(m)
	}
	if err != nil {
		return err
	}
	m.State = liaison.MessageProcessed
	return tx.MarkMessage(m)
}

func oversized(m liaison.Message) liaison.Problem {
	return liaison.Problem{Code: liaison.ProblemOversized,
		Detail: fmt.Sprintf("the message is %d bytes, over the size limit; only its header was fetched and it was left in the mailbox, flagged", m.Size)}
}

// fail marks m failed and alerts the coordinators, in its own transaction.
func (o *Office) fail(ctx context.Context, m liaison.Message, cause error) error {
	return o.db.Update(ctx, func(tx *store.Tx) error {
		if moved, err := stateMoved(tx, m); err != nil || moved {
			return err
		}
		m.State = liaison.MessageFailed
		m.Error = cause.Error()
		if err := tx.MarkMessage(m); err != nil {
			return err
		}
		text := fmt.Sprintf("A captured message could not be processed; its raw bytes are kept.\n\nMessage-ID: %s\nSHA-256: %s\nError: %v\n\nRun `liaisond reprocess` after fixing the cause.", m.MessageID, m.SHA256, cause)
		if errors.Is(cause, store.ErrQuarantined) {
			text = fmt.Sprintf("A message could not be stored at capture and was quarantined: its bytes are NOT in the store. It is still in the mailbox, flagged; move it aside, look at it, and deliver it again if it is mail for the office.\n\nMessage-ID: %s\nSHA-256: %s\nError: %v", m.MessageID, m.SHA256, cause)
		}
		_, err := o.alert(tx, nil, dispatch.AlertUnparseable, text)
		return err
	})
}

// stateMoved reports whether m's stored state is no longer the one it was
// listed with: another pass got to it first.
func stateMoved(tx *store.Tx, m liaison.Message) (bool, error) {
	cur, err := tx.Message(m.SHA256)
	if err != nil {
		return false, fmt.Errorf("read message %s: %w", m.SHA256, err)
	}
	return cur.State != m.State, nil
}

func (o *Office) dir() *liaison.Directory { return o.opts.Directory() }

func (o *Office) coordinators() []liaison.Address {
	out := make([]liaison.Address, 0, len(o.opts.Coordinators))
	for _, c := range o.opts.Coordinators {
		out = append(out, liaison.NormalizeAddress("", c))
	}
	return out
}

// alert tells the coordinators about something they must look at. s may be
// nil when no statement is concerned.
func (o *Office) alert(tx *store.Tx, s *liaison.Statement, kind dispatch.AlertKind, text string) (*liaison.OutboxMail, error) {
	if len(o.opts.Coordinators) == 0 {
		o.log.Warn("no coordinators configured to alert", "text", text)
		return nil, nil
	}
	m, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailAlert, Statement: s, To: o.coordinators(), Alert: kind, AlertText: text})
	if errors.Is(err, dispatch.ErrSkipped) {
		return nil, nil // over the hourly alert limit: dispatch recorded it
	}
	return m, err
}

func (o *Office) event(tx *store.Tx, s *liaison.Statement, typ liaison.EventType, actor, text string, public bool, msgid string) error {
	return o.noted(tx, s, typ, actor, text, "", public, msgid)
}

// noted records an event with the comment its author wrote below the
// command (kept with it, never public).
func (o *Office) noted(tx *store.Tx, s *liaison.Statement, typ liaison.EventType, actor, text, comment string, public bool, msgid string) error {
	return tx.AddEvent(s.ID, &liaison.Event{Time: o.opts.Now(), Type: typ, Actor: actor, Text: text, Comment: comment, Public: public, MessageID: msgid})
}

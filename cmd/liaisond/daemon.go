package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"liaison"
	"liaison/config"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/ingest"
	"liaison/store"
	"liaison/web"
	"liaison/workflow"
)

// daemon is the wired office: the outbox, the workflow and the capturer on
// one open store.
type daemon struct {
	cfg      *config.Config
	db       *store.DB
	log      *slog.Logger
	outbox   *dispatch.Outbox
	office   *workflow.Office
	capturer *ingest.Capturer
	metrics  *metrics

	mu  sync.RWMutex
	dir *liaison.Directory
}

// newDaemon builds the parts from the configuration. It opens no
// connection: that happens in run.
func newDaemon(ctx context.Context, c *config.Config, db *store.DB, getenv func(string) string, log *slog.Logger) (*daemon, error) {
	secrets, err := c.Secrets(getenv)
	if err != nil {
		return nil, usageError{fmt.Errorf("config: %w", err)}
	}
	d := &daemon{cfg: c, db: db, log: log, dir: c.Directory()}
	overdueDays := int(time.Duration(c.Reminders.Overdue) / (24 * time.Hour))
	d.outbox, err = dispatch.New(db, dispatch.Options{
		Alias:        c.Alias,
		Instance:     c.Instance,
		PublicURL:    c.PublicURL,
		ArchiveList:  c.SMTP.Archive,
		Coordinators: c.Coordinators,
		TemplatesDir: c.Templates,
		Directory:    d.directory,
		Backoff:      dispatch.Backoff{Min: time.Duration(c.SMTP.RetryMin), Max: time.Duration(c.SMTP.RetryMax), GiveUp: time.Duration(c.SMTP.GiveUp)},
		Reminders:    dispatch.Reminders{Offsets: c.Reminders.Offsets, OverdueEvery: overdueDays},
		Limits: dispatch.Limits{AnswersPerAddress: c.Rates.AnswersPerAddress, AnswersPerHour: c.Rates.AnswersPerHour,
			AlertsPerHour: c.Rates.AlertsPerHour, NoticesPerAddress: c.Rates.NoticesPerAddress},
		SMTP: dispatch.SMTP{Addr: c.SMTP.Address, TLS: c.SMTP.TLS, CAFile: c.SMTP.CAFile, User: c.SMTP.User,
			Password: secrets.SMTPPassword, HeloName: c.SMTP.HELO,
			Timeout: time.Duration(c.SMTP.Timeout), DataTimeout: time.Duration(c.SMTP.DataTimeout),
			NoPipelining: c.SMTP.NoPipelining, NoChunking: c.SMTP.NoChunking},
		Logger: log.With("part", "dispatch"),
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	d.office = workflow.New(db, d.outbox, workflow.Options{
		Alias:                    c.Alias,
		Coordinators:             c.Coordinators,
		Directory:                d.directory,
		Acknowledge:              c.Reminders.AcknowledgeSenders,
		TrustedAuthServID:        c.Security.TrustedAuthservID,
		RequireAuth:              c.Security.RequireAuthentication,
		AuthResultsAboveReceived: c.Security.AuthResultsAboveReceived,
		DNSTimeout:               time.Duration(c.Security.DNSTimeout),
		Extract:                  extractOptions(c),
		Logger:                   log.With("part", "workflow"),
	})
	d.capturer = ingest.New(db, ingest.Options{
		Addr: c.IMAP.Address, TLS: c.IMAP.TLS, CAFile: c.IMAP.CAFile, User: c.IMAP.User, Password: secrets.IMAPPassword,
		Mailboxes: c.IMAP.Mailboxes, After: c.IMAP.AfterRecord, MoveTo: c.IMAP.MoveTo, BatchSize: c.IMAP.BatchSize,
		PollInterval: time.Duration(c.IMAP.PollInterval), MaxMessageSize: c.Limits.MaxMessageBytes,
		// IDLE is restarted (with a fresh check of the mailbox) every poll
		// interval too, so a new-mail notification a server loses costs at
		// most one interval, never the 29 minutes of an IDLE.
		IdleRestart: time.Duration(c.IMAP.PollInterval),
		OnCaptured:  func(int) { d.office.Kick() },
		Logger:      log.With("part", "ingest"),
	})
	d.metrics = newMetrics(d)
	return d, nil
}

func extractOptions(c *config.Config) extract.Options {
	o := extract.Options{Alias: c.Alias}
	if c.SMTP.From != "" && !strings.EqualFold(c.SMTP.From, c.Alias) {
		o.OwnAddresses = append(o.OwnAddresses, c.SMTP.From)
	}
	o.Limits.MaxDocxBytes = c.Limits.MaxDocxBytes
	o.Limits.MaxDocxEntries = c.Limits.MaxDocxEntries
	o.Limits.MaxPDFPages = c.Limits.MaxPDFPages
	o.Limits.Timeout = time.Duration(c.Limits.ExtractionTimeLimit)
	return o
}

func (d *daemon) directory() *liaison.Directory {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.dir
}

// reload re-reads the group directory and the templates (SIGHUP). A broken
// file keeps the old ones, and says why.
func (d *daemon) reload(path string) {
	c, err := config.Load(path)
	if err != nil {
		d.log.Error("reload: keeping the old group directory and templates", "err", err)
		return
	}
	d.mu.Lock()
	d.dir = c.Directory()
	d.mu.Unlock()
	if err := d.outbox.ReloadTemplates(); err != nil {
		d.log.Error("reload: keeping the old templates", "err", err)
		return
	}
	d.log.Info("reloaded the group directory and templates", "groups", len(c.Groups))
}

// once captures everything there is, processes it, sends what is due, and
// returns: `serve --once`, for cron and benchmarks.
func (d *daemon) once(ctx context.Context) error {
	// Capture and processing overlap: messages are processed as capture
	// commits them. Sending waits for the end of processing: a run of
	// --once is a backlog (a first start, a cron job), and recording it is
	// what matters first; the go-smtp sender, one command at a time, would
	// take CPU from extraction on a small machine. (serve without -once
	// sends as mail is queued.)
	const idle = 50 * time.Millisecond
	var (
		captured, processed int
		capErr, procErr     error
		capDone             = make(chan struct{})
		procDone            = make(chan struct{})
		start               = time.Now()
		capTook, procTook   time.Duration
	)
	go func() {
		defer close(capDone)
		captured, capErr = d.capturer.Once(ctx)
		capTook = time.Since(start)
	}()
	go func() {
		defer close(procDone)
		defer func() { procTook = time.Since(start) }()
		for {
			last := false
			select {
			case <-capDone:
				last = true
			default:
			}
			n, err := d.office.ProcessPending(ctx)
			processed += n
			if err != nil {
				procErr = err
				return
			}
			if last {
				return
			}
			if n == 0 {
				select {
				case <-capDone:
				case <-time.After(idle):
				case <-ctx.Done():
					procErr = ctx.Err()
					return
				}
			}
		}
	}()
	var sendErr error
	<-procDone
	if procErr == nil && capErr == nil {
		if _, err := d.outbox.Remind(ctx, liaison.DateOf(time.Now())); err != nil {
			sendErr = fmt.Errorf("reminders: %w", err)
		}
	}
	if err := d.outbox.Flush(ctx); err != nil && sendErr == nil {
		sendErr = fmt.Errorf("send: %w", err)
	}
	<-capDone
	switch {
	case capErr != nil:
		return fmt.Errorf("capture: %w", capErr)
	case procErr != nil:
		return fmt.Errorf("process: %w", procErr)
	case sendErr != nil:
		return sendErr
	}
	// The stage ends tell an operator (and bench/) where a slow run spends
	// its time: each is measured from the start of the run.
	d.log.Info("once: done", "captured", captured, "processed", processed,
		"capture_end", capTook.Round(time.Millisecond), "process_end", procTook.Round(time.Millisecond),
		"send_end", time.Since(start).Round(time.Millisecond))
	ws := d.db.WriteStats()
	d.log.Debug("once: store writes", "page_mb", ws.PageBytes>>20, "writes", ws.Writes,
		"write_time", ws.WriteTime.Round(time.Millisecond), "spill_time", ws.SpillTime.Round(time.Millisecond))
	return nil
}

// handler is the web record with the operational endpoints mounted.
func (d *daemon) handler(extra map[string]http.Handler, nav []web.NavLink) (http.Handler, error) {
	if extra == nil {
		extra = map[string]http.Handler{}
	}
	extra["/metrics"] = d.metrics.handler()
	extra["/readyz"] = http.HandlerFunc(d.readyz)
	return web.New(d.db, web.Options{PublicURL: d.cfg.PublicURL, Directory: d.directory, Logger: d.log.With("part", "web"), Extra: extra, NavLinks: nav})
}

// readyz answers 200 when the store is open, IMAP was reached within the
// last poll interval, and the outbox is not stuck.
func (d *daemon) readyz(w http.ResponseWriter, r *http.Request) {
	var problems []string
	st := d.capturer.Status()
	limit := 2*time.Duration(d.cfg.IMAP.PollInterval) + time.Minute
	switch {
	case st.Connected:
	case st.LastPoll.IsZero():
		problems = append(problems, fmt.Sprintf("imap: not connected yet (%s)", st.LastError))
	case time.Since(st.LastPoll) > limit:
		problems = append(problems, fmt.Sprintf("imap: not connected since %s (%s)", st.LastPoll.Format(time.RFC3339), st.LastError))
	}
	err := d.db.View(r.Context(), func(tx *store.Tx) error {
		_, _, _, oldest, err := tx.OutboxStats()
		if err == nil && !oldest.IsZero() && time.Since(oldest) > time.Hour {
			problems = append(problems, "outbox: a mail has waited since "+oldest.Format(time.RFC3339))
		}
		return err
	})
	if err != nil {
		problems = append(problems, "store: "+err.Error())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(problems, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}

// run starts every loop and the web listener and blocks until ctx is done;
// then it lets the transaction in hand finish, logs out of IMAP and drains the
// web server.
func (d *daemon) run(ctx context.Context, ln net.Listener, h http.Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("ingest", d.capturer.Run)
	start("workflow", func(ctx context.Context) error { return d.office.Run(ctx, time.Minute) })
	start("dispatch", d.outbox.Run)
	// Idle keep-alive connections are closed after a minute: a crowd of
	// idle clients (or one that opens many) must not hold sockets forever.
	// Downloads stream for as long as they take, so no WriteTimeout.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("web: %w", err)
		}
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		d.log.Error("stopping", "err", err)
	}
	cancel()
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer stop()
	srv.Shutdown(shutdown)
	wg.Wait()
	return err
}

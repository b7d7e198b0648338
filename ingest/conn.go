package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"liaison/internal/mailtls"
)

// commandTimeout bounds the wait for a command's response. imapclient has no
// read deadline between responses, so a half-dead TCP connection would
// otherwise block a command until keepalive gives up.
const commandTimeout = 2 * time.Minute

// messageTimeout bounds the wait for each message of a body fetch; the
// client itself gives a literal 5 minutes.
const messageTimeout = 6 * time.Minute

// conn is one logged-in IMAP connection.
type conn struct {
	c    *imapclient.Client
	opts *Options
	log  *slog.Logger

	// exists gets a token when the server reports a new message count.
	exists chan struct{}
	// stopWatch ends the goroutine that closes the client when ctx is done.
	stopWatch func() bool

	mailbox     string // selected mailbox
	uidValidity uint32
	keywords    bool // the selected mailbox accepts new keywords
	closeOnce   sync.Once
}

// connect dials, authenticates, and arranges for the client to be closed
// when ctx is done.
func (c *Capturer) connect(ctx context.Context) (*conn, error) {
	o := &c.opts
	cl := &conn{opts: o, log: c.log, exists: make(chan struct{}, 1)}
	host, _, _ := net.SplitHostPort(o.Addr)
	copts := &imapclient.Options{
		Dialer: &net.Dialer{
			Timeout: 30 * time.Second,
			KeepAliveConfig: net.KeepAliveConfig{
				Enable: true, Idle: 60 * time.Second, Interval: 15 * time.Second, Count: 4,
			},
		},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: never block here.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					cl.signal()
				}
			},
		},
	}
	if o.TLS != TLSNone {
		// The CA file, when set, replaces the system roots.
		cfg, err := mailtls.Config(host, o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("imap %s: %w", o.Addr, err)
		}
		copts.TLSConfig = cfg
	}

	type dialResult struct {
		c   *imapclient.Client
		err error
	}
	done := make(chan dialResult, 1)
	go func() {
		var ic *imapclient.Client
		var err error
		switch o.TLS {
		case TLSImplicit:
			ic, err = imapclient.DialTLS(o.Addr, copts)
		case TLSStartTLS:
			ic, err = imapclient.DialStartTLS(o.Addr, copts)
		default:
			ic, err = imapclient.DialInsecure(o.Addr, copts)
		}
		if err == nil {
			if err = ic.WaitGreeting(); err != nil {
				ic.Close()
			}
		}
		done <- dialResult{ic, err}
	}()
	var r dialResult
	select {
	case r = <-done:
	case <-ctx.Done():
		go func() {
			if r := <-done; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, fmt.Errorf("connect imap %s: %w", o.Addr, r.err)
	}
	cl.c = r.c
	// When ctx ends, the session says DONE and LOGOUT by itself; the
	// connection is closed hard only if that has not happened in time.
	cl.stopWatch = context.AfterFunc(ctx, func() { time.AfterFunc(logoutGrace, func() { cl.c.Close() }) })

	if err := cl.authenticate(); err != nil {
		cl.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return cl, nil
}

func (cl *conn) authenticate() error {
	o := cl.opts
	defer cl.guard(commandTimeout)()
	mech := strings.ToLower(o.Auth)
	if mech == "" {
		mech = AuthLogin
		if cl.c.Caps().Has(imap.AuthCap(sasl.Plain)) {
			mech = AuthPlain
		}
	}
	var err error
	if mech == AuthPlain {
		err = cl.c.Authenticate(sasl.NewPlainClient("", o.User, o.Password))
	} else {
		err = cl.c.Login(o.User, o.Password).Wait()
	}
	if err != nil {
		return fmt.Errorf("imap %s: log in as %s (%s): %w", o.Addr, o.User, mech, err)
	}
	return nil
}

// signal notes new mail without blocking.
func (cl *conn) signal() {
	select {
	case cl.exists <- struct{}{}:
	default:
	}
}

// clearSignal forgets new-mail notes that a check about to start will see.
func (cl *conn) clearSignal() {
	select {
	case <-cl.exists:
	default:
	}
}

// guard closes the connection if the returned stop func is not called
// within d: a server that stops answering must not block us forever.
func (cl *conn) guard(d time.Duration) (stop func()) {
	t := time.AfterFunc(d, func() {
		cl.log.Warn("imap server did not answer in time; closing connection", "timeout", d)
		cl.c.Close()
	})
	return func() { t.Stop() }
}

func (cl *conn) idleSupported() bool { return cl.c.Caps().Has(imap.CapIdle) }

// canMove reports whether MOVE is safe: native, or emulated with UID
// EXPUNGE. A plain EXPUNGE would remove every \Deleted message, not only ours.
func (cl *conn) canMove() bool {
	caps := cl.c.Caps()
	return caps.Has(imap.CapMove) || caps.Has(imap.CapUIDPlus)
}

// selectMailbox opens mailbox read-write and records its UIDVALIDITY.
func (cl *conn) selectMailbox(mailbox string) error {
	defer cl.guard(commandTimeout)()
	sel, err := cl.c.Select(mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("select %s: %w", mailbox, err)
	}
	cl.mailbox = mailbox
	cl.uidValidity = sel.UIDValidity
	cl.keywords = slices.Contains(sel.PermanentFlags, imap.FlagWildcard) ||
		slices.ContainsFunc(sel.PermanentFlags, func(f imap.Flag) bool { return strings.EqualFold(string(f), Keyword) })
	return nil
}

// examine opens mailbox read-only, to check that it exists.
func (cl *conn) examine(mailbox string) error {
	defer cl.guard(commandTimeout)()
	if _, err := cl.c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("examine %s: %w", mailbox, err)
	}
	cl.mailbox = ""
	return nil
}

// ensureMailbox creates mailbox unless it exists.
func (cl *conn) ensureMailbox(mailbox string) error {
	defer cl.guard(commandTimeout)()
	list, err := cl.c.List("", mailbox, nil).Collect()
	if err != nil {
		return fmt.Errorf("list %s: %w", mailbox, err)
	}
	for _, l := range list {
		if l.Mailbox == mailbox || (strings.EqualFold(mailbox, "INBOX") && strings.EqualFold(l.Mailbox, "INBOX")) {
			return nil
		}
	}
	err = cl.c.Create(mailbox, nil).Wait()
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", mailbox, err)
	}
	cl.log.Info("created imap folder", "mailbox", mailbox)
	return nil
}

func (cl *conn) noop() error {
	defer cl.guard(commandTimeout)()
	if err := cl.c.Noop().Wait(); err != nil {
		return fmt.Errorf("noop: %w", err)
	}
	return nil
}

func (cl *conn) logout() error {
	stop := cl.guard(commandTimeout)
	err := cl.c.Logout().Wait()
	stop()
	cl.close()
	if err != nil {
		return fmt.Errorf("imap %s: log out: %w", cl.opts.Addr, err)
	}
	return nil
}

func (cl *conn) close() {
	cl.closeOnce.Do(func() {
		cl.stopWatch()
		cl.c.Close()
	})
}

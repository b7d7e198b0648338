package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"liaison"
	"liaison/store"
)

// perConn is the fewest mails a pass gives one connection: a small batch
// goes over one connection, in order, as before; only a big one (a backlog
// after a burst of captures) is spread over several.
const perConn = 16

// unrecordedAhead is how many of its results a connection may have waiting
// for their record while it sends the next mail: at most
// unrecordedAhead+1 mails per connection are accepted by the server and
// not yet recorded, which is what a crash can make go out twice. With 0 a
// connection waits for each mail's record before the next (one mail in
// flight), which took the Drain10k benchmark from 3.3 to 10 CPU seconds
// (and 4 times the time) as every mail became a write transaction of its
// own; with 1 it took 8 to 10, with 4 about 7: the connections then share
// a commit among up to 20 results.
//
// At 4 the recorder committed (and synced) every 16-20 mails; at 24 a
// commit held up to 100 results (Drain10k 13 s -> 4.4 s), but a crash test
// run then saw 14 pairs arrive three times: a second crash landed on mails
// being resent. At 9 (at most 40 in flight over 4 connections) a commit
// holds up to 40 results, and a mail being resent is recorded before the
// next goes out (see run), so only a crash that hits a resend in flight
// makes a third copy.
const unrecordedAhead = 9

// deliver sends a leased batch over up to len(pool) connections at once,
// reading each mail's bytes from the store just before it goes out, and
// has rec record each mail's result as soon as the server has answered.
// It returns once every result is recorded, with a store error that
// stopped it. The connections stay in pool for the next batch, and each
// one's buffer in bufs (as long as pool): a batch is about a hundred mails,
// and buffers grown anew for every batch were 98 MB of what a 3,000-mail
// backlog allocated.
//
// One connection waits on the server for most of each mail (MAIL, RCPT,
// DATA and the final dot are each a round trip), so a backlog of thousands
// of mails sent one after the other is bound by latency, not by either
// side's CPU: several connections overlap those waits. They take the mails
// from one queue, in the batch's (queue) order.
func (o *Outbox) deliver(ctx context.Context, pool []*smtpConn, bufs [][]byte, rec *recorder, batch []*liaison.OutboxMail) error {
	k := min(len(pool), (len(batch)+perConn-1)/perConn)
	queue := make(chan *liaison.OutboxMail, len(batch))
	for _, m := range batch {
		queue <- m
	}
	close(queue)
	var stop atomic.Bool // a store error: no more mails
	errs := make([]error, k)
	connErrs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() {
			w := &worker{o: o, conn: &pool[i], buf: &bufs[i], rec: rec, stop: &stop}
			errs[i] = w.run(ctx, queue)
			connErrs[i] = w.gaveUp
		})
	}
	wg.Wait()
	// Mails left when every connection gave up share the error of one;
	// a store error or ctx leaves them to the lease's retry.
	if gaveUp := firstErr(connErrs); gaveUp != nil && !stop.Load() && ctx.Err() == nil {
		var left []result
		for m := range queue {
			left = append(left, result{id: m.ID, a: attempt{connErr: gaveUp}})
		}
		if len(left) > 0 {
			if err := rec.add(left...).wait(); err != nil {
				errs = append(errs, fmt.Errorf("outbox: record results: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// worker sends mails over one connection of the pool.
type worker struct {
	o     *Outbox
	conn  **smtpConn
	rec   *recorder
	stop  *atomic.Bool
	dials int
	// gaveUp is why the worker stopped taking mails: its connection
	// could not be made (twice in one batch).
	gaveUp error
	// pending are the commits of its results not yet known to be done.
	pending []*commit
	// buf holds the mail being sent, reused: a notification carrying a
	// 300 KB attachment is 400 KB, and a backlog sends thousands.
	buf *[]byte
}

// run takes mails from queue until it is empty, ctx is done, another
// worker hit a store error, or the connection cannot be had; it returns a
// store error.
func (w *worker) run(ctx context.Context, queue <-chan *liaison.OutboxMail) error {
	if cn := *w.conn; cn != nil && !cn.alive() {
		// The server dropped the pooled connection while it waited for
		// this batch: a fresh one, without charging a mail an attempt.
		cn.abandon()
		*w.conn = nil
	}
	for m := range queue {
		if ctx.Err() != nil || w.stop.Load() {
			break
		}
		// A mail leased before (a resend after a crash, or a retry) goes
		// out alone: everything before it recorded, and its own result
		// recorded before the next mail, so a second crash cannot send it
		// a third time unless it strikes this very mail in flight.
		resend := m.Attempts > 1
		if resend {
			if err := w.drain(); err != nil {
				w.stop.Store(true)
				return err
			}
		}
		a, err := w.send(ctx, m)
		if err != nil {
			w.stop.Store(true)
			return errors.Join(err, w.drain())
		}
		if a.connErr != nil && ctx.Err() != nil {
			// Cancelled mid-send (the socket was closed): the lease
			// already rescheduled it.
			break
		}
		w.pending = append(w.pending, w.rec.add(result{id: m.ID, a: a}))
		// No further ahead of the records than unrecordedAhead.
		ahead := unrecordedAhead
		if resend {
			ahead = 0
		}
		for len(w.pending) > ahead {
			if err := w.pending[0].wait(); err != nil {
				w.stop.Store(true)
				return fmt.Errorf("outbox: record results: %w", err)
			}
			w.pending = w.pending[1:]
		}
		if w.gaveUp != nil {
			break
		}
	}
	return w.drain()
}

// drain waits for the worker's results to be recorded.
func (w *worker) drain() error {
	var err error
	for _, c := range w.pending {
		if e := c.wait(); e != nil && err == nil {
			err = fmt.Errorf("outbox: record results: %w", e)
		}
	}
	w.pending = nil
	return err
}

// send sends m over the worker's connection, dialling it when there is
// none: a connection lost mid-batch is dialled once more; after a second
// loss the worker gives up (gaveUp) and the rest of the batch waits for
// other connections or its retry. The error is a store error.
func (w *worker) send(ctx context.Context, m *liaison.OutboxMail) (attempt, error) {
	o := w.o
	if *w.conn == nil {
		if w.dials >= 2 {
			w.gaveUp = errors.New("smtp connection lost twice in one pass")
			return attempt{connErr: w.gaveUp}, nil
		}
		w.dials++
		cn, err := o.dial(ctx)
		if err != nil {
			o.log.Warn("smtp connection failed", "addr", o.opts.SMTP.Addr, "err", err)
			w.gaveUp = err
			return attempt{connErr: err}, nil
		}
		*w.conn = cn
	}
	raw, err := o.raw(ctx, m, *w.buf)
	switch {
	case errors.Is(err, liaison.ErrNotFound):
		// A store that lost a pending mail's bytes: retried until it
		// gives up, without holding up the rest of the batch.
		o.log.Error("outbox mail without its bytes", "send_id", m.ID, "err", err)
		return attempt{connErr: err}, nil
	case err != nil:
		// The lease rescheduled it.
		return attempt{}, fmt.Errorf("outbox: read mail %d: %w", m.ID, err)
	}
	m.Raw = raw
	a := (*w.conn).send(m)
	m.Raw = nil
	if cap(raw) <= maxReusedBuf {
		*w.buf = raw[:0]
	}
	switch {
	case a.connErr != nil:
		o.log.Warn("smtp connection lost", "send_id", m.ID, "err", a.connErr)
		(*w.conn).abandon()
		*w.conn = nil
	case a.closing():
		// 421: the server is closing the connection.
		(*w.conn).close()
		*w.conn = nil
	}
	return a, nil
}

// maxReusedBuf bounds the buffer a worker keeps between mails.
const maxReusedBuf = 8 << 20

// raw reads the bytes of mail m, its attachments inserted (into buf when
// there are any), in a short read transaction: the connection must not
// hold one open while the server takes its time.
func (o *Outbox) raw(ctx context.Context, m *liaison.OutboxMail, buf []byte) ([]byte, error) {
	var raw []byte
	err := o.db.View(ctx, func(tx *store.Tx) error {
		var err error
		raw, err = expand(tx, m, buf)
		return err
	})
	return raw, err
}

// recorder records results in the store as they come, from all the
// connections of a pass: each write transaction (one fsync) takes every
// result waiting when it starts, so the connections share the commits.
type recorder struct {
	o    *Outbox
	ctx  context.Context
	wake chan struct{}
	quit chan struct{}
	done chan struct{}

	mu    sync.Mutex
	queue []result
	next  *commit // the commit the queued results go into
}

// commit is one write transaction of the recorder.
type commit struct {
	done chan struct{}
	err  error
}

func newCommit() *commit { return &commit{done: make(chan struct{})} }

// wait returns once the commit is done, with its error.
func (c *commit) wait() error {
	<-c.done
	return c.err
}

// startRecorder starts a recorder that writes with ctx; stop ends it.
func (o *Outbox) startRecorder(ctx context.Context) *recorder {
	r := &recorder{
		o: o, ctx: ctx, next: newCommit(),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go r.run()
	return r
}

// add queues results for the next commit and returns it.
func (r *recorder) add(res ...result) *commit {
	r.mu.Lock()
	r.queue = append(r.queue, res...)
	c := r.next
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return c
}

// gather is how long the recorder lets results gather before it commits
// them, unless a full group is waiting: a commit is a write transaction,
// and one for every mail cost the Drain10k benchmark about 3 CPU seconds
// more than one for a few. It adds at most this much to the time a mail
// is in flight, not to how many can be: the connections' limit of
// unrecordedAhead holds either way. With pipelined sending, 10 ms instead
// of 5 took Drain10k from 3.9 to 3.3 CPU seconds and from 4.1 to 4.5-4.9 s;
// 15 ms saved little more CPU and took 6.1 s.
const (
	gather    = 10 * time.Millisecond
	fullGroup = 64
)

func (r *recorder) run() {
	defer close(r.done)
	t := time.NewTimer(gather)
	defer t.Stop()
	for {
		select {
		case <-r.wake:
		case <-r.quit:
			r.flush()
			return
		}
		r.mu.Lock()
		n := len(r.queue)
		r.mu.Unlock()
		if n < fullGroup {
			t.Reset(gather)
			select {
			case <-t.C:
			case <-r.quit:
				r.flush()
				return
			}
		}
		r.flush()
	}
}

// flush commits the queued results.
func (r *recorder) flush() {
	r.mu.Lock()
	results, c := r.queue, r.next
	r.queue, r.next = nil, newCommit()
	r.mu.Unlock()
	if len(results) > 0 {
		c.err = r.o.record(r.ctx, results)
		if c.err != nil {
			r.o.log.Error("outbox: recording delivery results failed; those mails go out again after their backoff",
				"mails", len(results), "err", c.err)
		}
	}
	close(c.done)
}

// stop commits what is queued and ends the recorder.
func (r *recorder) stop() {
	close(r.quit)
	<-r.done
}

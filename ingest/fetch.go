package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"liaison/store"
)

// maxHeader bounds the header kept of an oversized message.
const maxHeader = 1 << 20

// newMessages lists UID and RFC822.SIZE of the messages with UID >= from.
func (cl *conn) newMessages(from uint32) ([]msgInfo, error) {
	defer cl.guard(commandTimeout)()
	fc := cl.c.Fetch(imap.UIDSet{{Start: imap.UID(from), Stop: 0}}, &imap.FetchOptions{UID: true, RFC822Size: true})
	var out []msgInfo
	for msg := fc.Next(); msg != nil; msg = fc.Next() {
		buf, err := msg.Collect()
		if err != nil {
			fc.Close()
			return nil, fmt.Errorf("fetch sizes from uid %d: %w", from, err)
		}
		// "n:*" matches the last message even when its UID is below n.
		if uint32(buf.UID) >= from {
			out = append(out, msgInfo{uid: buf.UID, size: buf.RFC822Size})
		}
	}
	if err := fc.Close(); err != nil {
		return nil, fmt.Errorf("fetch sizes from uid %d: %w", from, err)
	}
	slices.SortFunc(out, func(a, b msgInfo) int { return int(a.uid) - int(b.uid) })
	return out, nil
}

// fetchBatch fetches the bodies of b (headers of its oversized messages),
// in ascending UID order.
func (cl *conn) fetchBatch(b batch, maxSize int64, a *arena) ([]store.Captured, error) {
	sizes := make(map[imap.UID]int64, len(b.whole)+len(b.heads))
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		for _, m := range l {
			sizes[m.uid] = m.size
		}
	}
	out := make([]store.Captured, 0, len(sizes))
	if len(b.whole) > 0 {
		sec := &imap.FetchItemBodySection{Peek: true}
		if err := cl.fetchBodies(uidSet(b.whole), sec, sizes, 2*maxSize, false, a, &out); err != nil {
			return nil, err
		}
	}
	if len(b.heads) > 0 {
		sec := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
		if err := cl.fetchBodies(uidSet(b.heads), sec, sizes, maxHeader, true, a, &out); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b store.Captured) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

// fetchBodies streams one UID FETCH of a body section into out. Each literal
// is copied into memory at once: the client allows 5 minutes per literal and
// blocks all other responses while one is held.
func (cl *conn) fetchBodies(set imap.UIDSet, sec *imap.FetchItemBodySection, sizes map[imap.UID]int64,
	limit int64, headerOnly bool, a *arena, out *[]store.Captured) error {
	watchdog := time.AfterFunc(messageTimeout, func() {
		cl.log.Warn("imap fetch stalled; closing connection", "timeout", messageTimeout)
		cl.c.Close()
	})
	defer watchdog.Stop()
	fc := cl.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{sec}})
	for msg := fc.Next(); msg != nil; msg = fc.Next() {
		watchdog.Reset(messageTimeout)
		var m store.Captured
		got := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				m.UID = uint32(it.UID)
			case imapclient.FetchItemDataFlags:
				for _, f := range it.Flags {
					m.Flags = append(m.Flags, string(f))
				}
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				raw, truncated, err := readLiteral(it.Literal, limit, headerOnly, a)
				if err != nil {
					fc.Close()
					return fmt.Errorf("fetch uid %d: read body: %w", m.UID, err)
				}
				m.Raw, m.Truncated, got = raw, headerOnly || truncated, true
			}
		}
		size, ok := sizes[imap.UID(m.UID)]
		if !ok || !got {
			// The server sent no body (or the UID after it, which the
			// client cannot match): Capturer.cut holds the position.
			cl.log.Warn("imap server returned no body",
				"mailbox", cl.mailbox, "uid", m.UID, "in_batch", ok)
			continue
		}
		m.Size = size
		if m.Truncated {
			cl.log.Warn("imap message over the size limit; storing its header only",
				"mailbox", cl.mailbox, "uid", m.UID, "size", size)
		}
		*out = append(*out, m)
	}
	if err := fc.Close(); err != nil {
		return fmt.Errorf("fetch bodies %v: %w", set, err)
	}
	return nil
}

// readLiteral copies a literal into memory, taken from a when it has room.
// A literal larger than limit (the server's RFC822.SIZE was wrong) keeps
// its header only; the client discards the rest.
func readLiteral(lit imap.LiteralReader, limit int64, headerOnly bool, a *arena) ([]byte, bool, error) {
	n := lit.Size()
	if n > limit || headerOnly && n > maxHeader {
		h, err := readHeader(lit, maxHeader)
		return h, true, err
	}
	buf := a.take(n)
	if _, err := io.ReadFull(lit, buf); err != nil {
		return nil, false, err
	}
	return buf, false, nil
}

// readHeader reads up to and including the blank line that ends a message
// header, at most max bytes.
func readHeader(r io.Reader, max int) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(max)), 32<<10)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		out = append(out, line...)
		if len(line) > 0 && (string(line) == "\r\n" || string(line) == "\n") {
			return out, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// arena hands out the message buffers of a batch from one allocation that
// capture reuses once the batch is committed (the store keeps no slice of
// them): fetching a backlog into fresh buffers made 190 MB of garbage per
// 3000 mails, each buffer zeroed and faulted in before the literal was
// copied over it.
type arena struct{ buf []byte }

// maxArena bounds an arena; a batch that does not fit takes the rest from
// the heap.
const maxArena = 8 << 20

// take returns n bytes of a, or of the heap when a is nil or full.
func (a *arena) take(n int64) []byte {
	if a == nil || int64(cap(a.buf)-len(a.buf)) < n {
		return make([]byte, n)
	}
	end := len(a.buf) + int(n)
	b := a.buf[len(a.buf):end:end]
	a.buf = a.buf[:end]
	return b
}

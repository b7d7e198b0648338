package ingest

import (
	"slices"

	"github.com/emersion/go-imap/v2"

	"liaison/store"
)

// headerCost is what a header-only fetch is assumed to weigh when planning
// batches.
const headerCost = 64 << 10

// largeBatch is the size from which a batch is fetched with nothing else in
// memory and its memory returned right after its commit.
const largeBatch = 16 << 20

// msgInfo is a message found above the sync position.
type msgInfo struct {
	uid  imap.UID
	size int64
}

// batch is a run of consecutive new messages fetched and committed together.
type batch struct {
	whole []msgInfo // fetched whole
	heads []msgInfo // oversized: header only
	cost  int64     // expected bytes
}

func (c *Capturer) oversized(m msgInfo) bool { return m.size > c.opts.MaxMessageSize }

// plan splits msgs (ascending UIDs) into batches bounded by BatchSize and
// BatchBytes.
func (c *Capturer) plan(msgs []msgInfo) []batch {
	var out []batch
	var cur batch
	for _, m := range msgs {
		cost := m.size
		if c.oversized(m) {
			cost = headerCost
		}
		n := len(cur.whole) + len(cur.heads)
		if n > 0 && (n >= c.opts.BatchSize || cur.cost+cost > c.opts.BatchBytes) {
			out = append(out, cur)
			cur = batch{}
		}
		if c.oversized(m) {
			cur.heads = append(cur.heads, m)
		} else {
			cur.whole = append(cur.whole, m)
		}
		cur.cost += cost
	}
	if len(cur.whole)+len(cur.heads) > 0 {
		out = append(out, cur)
	}
	return out
}

// without returns b without the UIDs in drop.
func (b batch) without(drop []imap.UID) batch {
	out := batch{cost: b.cost}
	for _, m := range b.whole {
		if !slices.Contains(drop, m.uid) {
			out.whole = append(out.whole, m)
		}
	}
	for _, m := range b.heads {
		if !slices.Contains(drop, m.uid) {
			out.heads = append(out.heads, m)
		}
	}
	return out
}

// only returns b restricted to the UIDs of msgs: the post-capture action
// must touch only messages that are in the store.
func (b batch) only(msgs []store.Captured) batch {
	in := make(map[imap.UID]bool, len(msgs))
	for _, m := range msgs {
		in[imap.UID(m.UID)] = true
	}
	out := batch{cost: b.cost}
	for _, m := range b.whole {
		if in[m.uid] {
			out.whole = append(out.whole, m)
		}
	}
	for _, m := range b.heads {
		if in[m.uid] {
			out.heads = append(out.heads, m)
		}
	}
	return out
}

func (b batch) first() imap.UID {
	u := imap.UID(0)
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		if len(l) > 0 && (u == 0 || l[0].uid < u) {
			u = l[0].uid
		}
	}
	return u
}

func (b batch) last() imap.UID {
	u := imap.UID(0)
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		if len(l) > 0 && l[len(l)-1].uid > u {
			u = l[len(l)-1].uid
		}
	}
	return u
}

func uidSet(ms []msgInfo) imap.UIDSet {
	var s imap.UIDSet
	for _, m := range ms {
		s.AddNum(m.uid)
	}
	return s
}

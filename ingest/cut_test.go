package ingest

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"liaison/store"
)

func uidsOf(ms []store.Captured) []uint32 {
	var out []uint32
	for _, m := range ms {
		out = append(out, m.UID)
	}
	return out
}

// TestCutHoldsPositionAtMissingBody checks the position rule: a batch is
// committed only up to the first UID whose body did not come, until that UID
// has been missed maxMissing rounds; then it is skipped and counted.
func TestCutHoldsPositionAtMissingBody(t *testing.T) {
	c := New(nil, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b := batch{whole: []msgInfo{{uid: 1}, {uid: 2}, {uid: 4}}, heads: []msgInfo{{uid: 3}}}
	got := []store.Captured{{UID: 1}, {UID: 3}, {UID: 4}} // uid 2 came without body

	for round := 1; round < maxMissing; round++ {
		keep, skipped, blocked := c.cut("INBOX", 7, b, got)
		if !blocked || len(skipped) != 0 || !slices.Equal(uidsOf(keep), []uint32{1}) {
			t.Fatalf("round %d: keep %v skipped %v blocked %v, want [1] [] true", round, uidsOf(keep), skipped, blocked)
		}
		only := b.only(keep)
		if len(only.whole) != 1 || only.whole[0].uid != 1 || len(only.heads) != 0 {
			t.Fatalf("round %d: post-action batch %+v, want uid 1 only", round, only)
		}
	}
	keep, skipped, blocked := c.cut("INBOX", 7, b, got)
	if blocked || !slices.Equal(skipped, []imap.UID{2}) || !slices.Equal(uidsOf(keep), []uint32{1, 3, 4}) {
		t.Fatalf("last round: keep %v skipped %v blocked %v, want [1 3 4] [2] false", uidsOf(keep), skipped, blocked)
	}
	if st := c.Status(); st.Skipped != 1 || st.LastSkipped == "" {
		t.Errorf("status %+v, want Skipped 1 with LastSkipped", st)
	}
	only := b.only(keep)
	if len(only.whole) != 2 || len(only.heads) != 1 {
		t.Errorf("post-action batch %+v, want whole 1,4 and head 3", only)
	}

	t.Run("complete batch passes", func(t *testing.T) {
		all := []store.Captured{{UID: 1}, {UID: 2}, {UID: 3}, {UID: 4}}
		keep, skipped, blocked := c.cut("INBOX", 7, b, all)
		if blocked || len(skipped) != 0 || len(keep) != 4 {
			t.Errorf("keep %v skipped %v blocked %v", uidsOf(keep), skipped, blocked)
		}
	})
}

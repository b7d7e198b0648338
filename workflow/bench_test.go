package workflow_test

import (
	"fmt"
	"testing"

	"liaison"
	"liaison/store"
)

// BenchmarkProcessStatement measures processing one captured SG15
// statement with its .docx: extraction, recording, notification and
// acknowledgement queued, in one transaction (fsync off).
func BenchmarkProcessStatement(b *testing.B) {
	h := newHarness(b)
	raws := make([][]byte, b.N)
	for i := range raws {
		raws[i] = h.sg15Statement(fmt.Sprintf("sg15-%d@example.com", i))
	}
	processEach(b, h, raws)
}

// BenchmarkProcessApprove measures processing a DKIM-signed approve reply
// (verification included) that releases a statement.
func BenchmarkProcessApprove(b *testing.B) {
	h := newHarness(b)
	raws := make([][]byte, b.N)
	for i := range raws {
		err := h.db.Update(h.ctx, func(tx *store.Tx) error {
			s := &liaison.Statement{Title: fmt.Sprintf("Statement %d", i), Purpose: liaison.PurposeInformation,
				FromBodies: []string{"IETF CCAMP WG"}, ToBodies: []string{"ITU-T SG15"}, Body: "Text."}
			return h.office.Submit(tx, s, liaison.NormalizeAddress("", "paul.member@example.org"))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	h.flush()
	var reqs []sentMail
	for _, m := range h.newMails() {
		if m.Kind == liaison.MailApprovalRequest && m.rcpt("heidi.chair@example.org") {
			reqs = append(reqs, m)
		}
	}
	for i := range raws {
		raws[i] = h.reply(reqs[i], "Heidi Chair <heidi.chair@example.org>", "approve", signed())
	}
	processEach(b, h, raws)
	b.StopTimer()
	for _, s := range h.statements() {
		if s.State != liaison.StateApproved {
			b.Fatalf("%s is %s, want approved", s.ID, s.State)
		}
	}
}

// processEach times processing each of raws, captured one at a time
// outside the timer.
func processEach(b *testing.B, h *harness, raws [][]byte) {
	b.Helper()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		err := h.db.Update(h.ctx, func(tx *store.Tx) error {
			return tx.PutMessage(&liaison.Message{}, raws[i])
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := h.office.ProcessPending(h.ctx); err != nil || n != 1 {
			b.Fatalf("processed %d: %v", n, err)
		}
	}
}

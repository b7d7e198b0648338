package workflow_test

import (
	"path/filepath"
	"testing"

	"liaison/internal/dovecot"
)

// Scenario 1 with a real Dovecot as the liaison mailbox: the statement and
// the chair's reply are APPENDed over IMAP and captured from it. Skipped
// without dovecot unless LIAISOND_REQUIRE_DOVECOT=1.
func TestScenarioIncomingRespondDovecot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dovecot")
	}
	s := dovecot.Start(t)
	h := newHarnessOn(t, filepath.Join(t.TempDir(), "liaisond.db"),
		&mailbox{addr: s.Addr, user: s.User, pass: s.Password}, newSink(t))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot log:\n%s", s.Logs())
		}
	})
	testIncomingRespond(t, h)
}

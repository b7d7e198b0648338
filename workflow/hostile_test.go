package workflow_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/config"
)

// The hostile-mail suite: what anyone on the internet can send to the
// public alias, one case per class of attack. Each case counts the mails
// liaisond sends in answer (nothing beyond what the process owes), checks
// the record, and that the office goes on with the next ordinary mail.
// Forged bounces are in TestBounceOfOutgoingStatement.

// outsiderStatement is a plain-text statement from an unknown sender to
// CCAMP, listing toContacts as its To-Contacts.
func (h *harness) outsiderStatement(from, returnPath, title string, toContacts []string) []byte {
	h.t.Helper()
	var b strings.Builder
	if returnPath != "" {
		fmt.Fprintf(&b, "Return-Path: %s\r\n", returnPath)
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: Liaison statement: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n",
		from, h.cfg.Alias, title, h.clock.Now().Format(time.RFC1123Z), h.mailID("example.net"))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	fmt.Fprintf(&b, "Title: %s\r\nFrom: Example Forum\r\nTo: IETF CCAMP WG\r\n", title)
	if len(toContacts) > 0 {
		fmt.Fprintf(&b, "To-Contact: %s\r\n", strings.Join(toContacts, ", "))
	}
	b.WriteString("Purpose: For Information\r\n\r\nWe would like to tell you about our work.\r\n")
	return []byte(b.String())
}

// contacts returns n addresses of strangers.
func contacts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("victim%d@example.net", i)
	}
	return out
}

// settleOne delivers raw, runs the office and returns what it sent.
func (h *harness) settleOne(raw []byte) []sentMail {
	h.t.Helper()
	h.deliver(raw)
	h.cycle()
	return h.newMails()
}

// stillCapturing delivers an ordinary statement and checks it is recorded
// and notified: whatever came before did not stop the office.
func (h *harness) stillCapturing() {
	h.t.Helper()
	mails := h.stillRecording()
	one(h.t, mails, "notification of the next ordinary statement", kind(liaison.MailNotification))
}

// stillRecording delivers an ordinary statement and checks it is
// recorded; it returns the mails sent.
func (h *harness) stillRecording() []sentMail {
	h.t.Helper()
	before := len(h.statements())
	mails := h.settleOne(h.sg15Statement(h.mailID("example.com")))
	if got := len(h.statements()); got != before+1 {
		h.t.Fatalf("the next ordinary statement was not recorded: %d statements, want %d", got, before+1)
	}
	return mails
}

// Who gets mail is decided by the directory: 50 To-Contacts named in an
// outsider's statement are recorded and shown, and mailed nothing.
func TestHostileNoAmplification(t *testing.T) {
	h := newHarness(t)
	listed := contacts(50)
	mails := h.settleOne(h.outsiderStatement("Mallory <mallory@example.net>", "<mallory@example.net>", "Amplify me", listed))
	if n := len(mails); n != 2 {
		t.Fatalf("%d mails sent, want 2 (the notification to the CCAMP chairs, the acknowledgement):\n%s", n, describe(mails))
	}
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	if len(notify.To) != 1 || notify.To[0] != "ccamp-chairs@example.org" {
		t.Errorf("notification to %v, want the directory's contact only", notify.To)
	}
	for _, m := range mails {
		for _, a := range listed {
			if m.rcpt(a) {
				t.Errorf("%s mail went to %s, named only in the statement", m.Kind, a)
			}
		}
	}
	s := h.statements()[0]
	if len(s.ToContacts) != 50 {
		t.Errorf("%d To-Contacts recorded, want the 50 as written", len(s.ToContacts))
	}
	h.stillCapturing()
}

// Who may command is decided by the directory: the statement's own sender,
// listing itself as a To-Contact and answering its acknowledgement with a
// valid token and a good DKIM signature, is refused every command.
func TestHostileSenderCannotCommand(t *testing.T) {
	h := newHarness(t)
	mails := h.settleOne(h.outsiderStatement("Mallory <mallory@example.net>", "", "Command me", []string{"mallory@example.net"}))
	ack := one(t, mails, "acknowledgement", kind(liaison.MailAcknowledgement))
	id := h.statements()[0].ID
	for _, cmd := range []string{"taken", "comment-public\nThe IETF endorses us.", "redirect opsawg", "respond\nThe IETF agrees.", "withdraw"} {
		h.clock.Advance(time.Minute)
		h.settleOne(h.reply(ack, "Mallory <mallory@example.net>", cmd, signed()))
	}
	s, evs := h.statementOf(id)
	if s.State != liaison.StateRecorded || strings.Join(s.ToBodies, ",") != "IETF CCAMP WG" {
		t.Errorf("state %s, To %v: the sender's commands changed the statement", s.State, s.ToBodies)
	}
	if n := len(eventsOf(evs, liaison.EventCommandRefused)); n != 5 {
		t.Errorf("%d refusals recorded, want 5", n)
	}
	for _, e := range evs {
		if e.Public && e.Type == liaison.EventComment {
			t.Errorf("public comment %q by %s", e.Text, e.Actor)
		}
	}
	if got := len(h.statements()); got != 1 {
		t.Errorf("%d statements: a response was drafted in a group's name", got)
	}
	// Every reply was refused, and none answered: an acknowledgement or a
	// refusal goes out once a day per address and statement, and the
	// acknowledgement went first.
	if n := count(h.sent(), kind(liaison.MailCommandRefusal)); n != 0 {
		t.Errorf("%d refusals sent, want 0", n)
	}
	h.stillCapturing()
}

// Backscatter: the answer goes to the envelope sender, never to the From
// a forger wrote, and never to a null, list or bounce sender.
func TestHostileBackscatter(t *testing.T) {
	tests := []struct {
		name, from, returnPath string
		wantAckTo              string // "" for none
	}{
		{"envelope sender differs from From", "Victim <victim@example.net>", "<mallory@evil.example>", "mallory@evil.example"},
		{"null sender", "Victim <victim@example.net>", "<>", ""},
		{"list bounce address", "Victim <victim@example.net>", "<forum-bounces@lists.example.net>", ""},
		{"mailer daemon", "Victim <victim@example.net>", "<MAILER-DAEMON@mx.example.net>", ""},
		{"no-reply sender", "Portal <noreply@portal.example.net>", "<noreply@portal.example.net>", ""},
		{"same address", "Ana <ana@example.net>", "<ana@example.net>", "ana@example.net"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			mails := h.settleOne(h.outsiderStatement(tc.from, tc.returnPath, "Backscatter", nil))
			acks := 0
			for _, m := range mails {
				if m.Kind != liaison.MailAcknowledgement {
					continue
				}
				acks++
				if len(m.To) != 1 || m.To[0] != tc.wantAckTo {
					t.Errorf("acknowledgement to %v, want %q", m.To, tc.wantAckTo)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.wantAckTo != ""]; acks != want {
				t.Errorf("%d acknowledgements, want %d:\n%s", acks, want, describe(mails))
			}
			if got := len(h.statements()); got != 1 {
				t.Errorf("%d statements, want 1: the statement is recorded either way", got)
			}
		})
	}
}

// help and refusals to a forged sender are bounded by the hourly limit
// per address, and what is over it is recorded, not sent.
func TestHostileHelpFlood(t *testing.T) {
	h := newHarnessWith(t, "", nil, nil, func(c *config.Config) { c.Rates.AnswersPerAddress = 5 })
	mails := h.settleOne(h.outsiderStatement("Mallory <mallory@example.net>", "", "Help me", nil))
	ack := one(t, mails, "acknowledgement", kind(liaison.MailAcknowledgement))
	for range 30 {
		h.deliver(h.reply(ack, "Mallory <mallory@example.net>", "help"))
	}
	h.cycle()
	got := h.newMails()
	answers := count(got, to("mallory@example.net"))
	// One acknowledgement went before: 4 more answers fit the limit of 5.
	if answers != 4 {
		t.Errorf("%d answers to 30 help requests, want 4 (the limit of 5 an hour, one used by the acknowledgement):\n%s", answers, describe(got))
	}
	if n := count(got, kind(liaison.MailAlert)); n != 1 {
		t.Errorf("%d alerts, want 1 (the limit was reached)", n)
	}
	_, evs := h.statementOf(h.statements()[0].ID)
	held := 0
	for _, e := range eventsOf(evs, liaison.EventProblem) {
		if strings.Contains(e.Text, "hourly limit") {
			held++
		}
	}
	if held != 26 {
		t.Errorf("%d answers recorded as held, want 26", held)
	}
	// The next hour the sender is answered again.
	h.clock.Advance(time.Hour)
	h.deliver(h.reply(ack, "Mallory <mallory@example.net>", "help"))
	h.cycle()
	if n := count(h.newMails(), to("mallory@example.net")); n != 1 {
		t.Errorf("%d answers in the next hour, want 1", n)
	}
}

// A loop with an autoresponder nobody recognises: it answers each
// acknowledgement with a fresh mail, which becomes a statement. The
// per-address limit ends the loop within the hour.
func TestHostileUnrecognisedResponderLoop(t *testing.T) {
	h := newHarnessWith(t, "", nil, nil, func(c *config.Config) { c.Rates.AnswersPerAddress = 3 })
	raw := h.outsiderStatement("Robot <robot@example.net>", "", "Round 0", nil)
	acks := 0
	for round := range 10 {
		mails := h.settleOne(raw)
		n := count(mails, kind(liaison.MailAcknowledgement))
		acks += n
		if n == 0 {
			t.Logf("loop ended after %d rounds", round+1)
			break
		}
		raw = h.outsiderStatement("Robot <robot@example.net>", "", fmt.Sprintf("Thank you for your mail (round %d)", round+1), nil)
	}
	if acks != 3 {
		t.Errorf("%d acknowledgements, want 3 (the per-address limit)", acks)
	}
	h.stillCapturing()
}

// The VERP address takes delivery reports and automatic replies only:
// anything else there is kept unfiled, alerted once, never answered, and
// never a statement, however often it comes.
func TestHostileMailToBounceAddress(t *testing.T) {
	h := newHarness(t)
	mails := h.settleOne(h.sg15Statement("sg15-ls1@example.com"))
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	for i, body := range []string{
		"Hello, who is this?",
		"Thanks for your message. We will get back to you shortly.", // an autoresponder nobody recognises
		"Ich bin im Urlaub",
		"Thanks for your message. We will get back to you shortly.",
	} {
		h.clock.Advance(time.Minute)
		raw := fmt.Sprintf("Return-Path: <robot@example.net>\r\nDelivered-To: %[1]s\r\nFrom: Robot <robot@example.net>\r\nTo: %[1]s\r\n"+
			"Subject: Re: your mail\r\nDate: %[2]s\r\nMessage-ID: <verp-%[3]d@example.net>\r\nContent-Type: text/plain\r\n\r\n%[4]s\r\n",
			notify.From, h.clock.Now().Format(time.RFC1123Z), i, body)
		got := h.settleOne([]byte(raw))
		for _, m := range got {
			if m.Kind != liaison.MailAlert {
				t.Errorf("round %d: a %s mail was sent to %v", i, m.Kind, m.To)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[i == 0]; count(got, kind(liaison.MailAlert)) != want {
			t.Errorf("round %d: %d alerts, want %d", i, count(got, kind(liaison.MailAlert)), want)
		}
	}
	if n := len(h.statements()); n != 1 {
		t.Errorf("%d statements, want 1: mail to the bounce address became a statement", n)
	}
	h.stillCapturing()
}

// Commands are read from what the person sees: an approver's reply whose
// plain part says thanks and whose HTML hides "taken" changes nothing.
func TestHostileHiddenCommand(t *testing.T) {
	h := newHarness(t)
	mails := h.settleOne(h.sg15Statement("sg15-ls2@example.com"))
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	id := h.statements()[0].ID
	raw := h.reply(notify, "CCAMP Chairs <ccamp-chairs@example.org>", "Thanks, we will look at it.", signed())
	// Make it multipart/alternative with a hidden command in the HTML.
	head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	head = strings.Replace(head, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit", "Content-Type: multipart/alternative; boundary=\"alt\"", 1)
	raw = []byte(head + "\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
		"\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><div style=\"display:none\">taken</div><p>Thanks, we will look at it.</p></body></html>\r\n--alt--\r\n")
	raw = dkimSign(t, raw, "example.org", h.keys.key("example.org"))
	got := h.settleOne(raw)
	s, evs := h.statementOf(id)
	if s.State != liaison.StateRecorded {
		t.Errorf("state %s: the hidden command was obeyed", s.State)
	}
	if n := len(eventsOf(evs, liaison.EventComment)); n != 1 {
		t.Errorf("%d comments, want the reply as one comment", n)
	}
	if len(got) != 0 {
		t.Errorf("a comment was answered:\n%s", describe(got))
	}
}

// Bidirectional overrides in a title or file name never reach a mail raw.
func TestHostileBidiInMail(t *testing.T) {
	h := newHarness(t)
	raw := compose(t, [][2]string{
		{"From", "Mallory <mallory@example.net>"},
		{"To", h.cfg.Alias},
		{"Subject", "Liaison statement: invoice\u202Efdp.exe"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<bidi@example.net>"},
	}, "Title: Payment \u2067order\u2069\nTo: IETF CCAMP WG\nPurpose: For Information\n\nSee attached.\n",
		attachment{name: "invoice\u202Efdp.exe", mediaType: "application/pdf", data: []byte("%PDF-1.4\n%%EOF\n")})
	mails := h.settleOne(raw)
	if len(mails) == 0 {
		t.Fatal("nothing sent")
	}
	for _, m := range mails {
		if strings.ContainsAny(string(m.Raw), "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069") {
			t.Errorf("%s mail carries a raw bidirectional control", m.Kind)
		}
	}
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	if !strings.Contains(notify.Subject+notify.Text, "[U+20") {
		t.Errorf("notification shows no marker where the controls were: %q", notify.Subject)
	}
}

// A Message-ID far longer than any store key, folded over many lines,
// stops nothing: the mail is recorded and so is the next.
func TestHostileLongMessageID(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("x", 40000)
	var folded strings.Builder
	for i := 0; i < len(long); i += 70 {
		folded.WriteString("\r\n " + long[i:min(i+70, len(long))])
	}
	raw := fmt.Sprintf("From: Ana <ana@example.net>\r\nTo: %s\r\nSubject: Liaison statement: long id\r\nDate: %s\r\nMessage-ID: <%s@example.net>\r\nContent-Type: text/plain\r\n\r\nTitle: Long id\r\nTo: IETF CCAMP WG\r\nPurpose: For Information\r\n\r\nText.\r\n",
		h.cfg.Alias, h.clock.Now().Format(time.RFC1123Z), strings.TrimPrefix(folded.String(), "\r\n "))
	mails := h.settleOne([]byte(raw))
	one(t, mails, "notification", kind(liaison.MailNotification))
	h.stillCapturing()
	if n := len(h.statements()); n != 2 {
		t.Errorf("%d statements, want 2", n)
	}
}

// The flood: statements from as many different senders, each listing 50
// To-Contacts, all within the hour. Capture and recording keep up; the
// mail liaisond sends is bounded by the hourly limits, whatever the count.
// LIAISOND_FLOOD sets the count (the closing figures use 10000).
func TestHostileFlood(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	if v := os.Getenv("LIAISOND_FLOOD"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("LIAISOND_FLOOD=%q: %v", v, err)
		}
	}
	h := newHarness(t)
	listed := contacts(50)
	began := time.Now()
	for i := range n {
		h.deliver(h.outsiderStatement(fmt.Sprintf("Sender %d <sender%d@example.net>", i, i), "", fmt.Sprintf("Flood %d", i), listed))
	}
	delivered := time.Since(began)
	h.cycle()
	took := time.Since(began)
	got := h.newMails()
	if s := len(h.statements()); s != n {
		t.Fatalf("%d statements recorded, want %d", s, n)
	}
	r := h.cfg.Rates
	limit := r.NoticesPerAddress + r.AnswersPerHour + r.AlertsPerHour
	byKind := map[liaison.MailKind]int{}
	for _, m := range got {
		byKind[m.Kind]++
		for _, a := range listed {
			if m.rcpt(a) {
				t.Fatalf("%s mail went to %s, named only in a statement", m.Kind, a)
			}
		}
	}
	t.Logf("%d statements from %d senders, 50 To-Contacts each: %d mails sent %v (limit %d); appended in %v, recorded and sent in %v",
		n, n, len(got), byKind, limit, delivered.Round(time.Millisecond), (took - delivered).Round(time.Millisecond))
	if len(got) > limit {
		t.Errorf("%d mails sent, over the hourly limits' sum %d", len(got), limit)
	}
	if byKind[liaison.MailNotification] != min(n, r.NoticesPerAddress) {
		t.Errorf("%d notifications, want %d", byKind[liaison.MailNotification], min(n, r.NoticesPerAddress))
	}
	// Within the hour a statement is recorded (and its notification held
	// and recorded as such); the next hour it is notified again.
	h.stillRecording()
	h.clock.Advance(time.Hour)
	h.stillCapturing()
}

package workflow_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/config"
	"liaison/web"
)

// The liaison managers of these scenarios: ITU-T's with a public alias,
// 3GPP's without.
const (
	ituLM    = "scott.lm@example.org"
	ituAlias = "itu-t-liaison@iab.example"
	gppLM    = "gonzalo.lm@example.org"
)

func withManagers(c *config.Config) {
	c.Managers = []liaison.LiaisonManager{
		{Organisation: "ITU-T", Managers: []string{"Scott Manager <" + ituLM + ">"}, Alias: ituAlias},
		{Organisation: "3GPP", Managers: []string{"Gonzalo Manager <" + gppLM + ">"}},
	}
}

// page serves path from the public record of h's store.
func (h *harness) page(path string) string {
	h.t.Helper()
	srv, err := web.New(h.db, web.Options{PublicURL: h.cfg.PublicURL, Now: h.clock.Now,
		Directory: func() *liaison.Directory { return h.dir }})
	if err != nil {
		h.t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != http.StatusOK {
		h.t.Fatalf("GET %s: %d\n%s", path, w.Code, w.Body)
	}
	return w.Body.String()
}

// managerLine is the "Liaison manager" entry of a detail page.
func managerLine(page string) string {
	_, after, _ := strings.Cut(page, "<dt>Liaison manager</dt>")
	line, _, _ := strings.Cut(after, "\n")
	return line
}

// onceInHeaders fails when an address appears twice among the To and Cc
// of m.
func onceInHeaders(t *testing.T, m sentMail) {
	t.Helper()
	all := append(append([]string(nil), m.HeaderTo...), m.Cc...)
	seen := map[string]bool{}
	for _, a := range all {
		if seen[a] {
			t.Errorf("%s mail %s names %s twice: To %v Cc %v", m.Kind, m.MessageID, a, m.HeaderTo, m.Cc)
		}
		seen[a] = true
	}
}

// An ITU-T statement to CCAMP: ITU-T's liaison manager is copied on the
// notification and the reminders, may mark it taken, and is shown on the
// public record; 3GPP's manager hears nothing of it.
func TestScenarioLiaisonManagerIncoming(t *testing.T) {
	h := newHarnessWith(t, "", nil, nil, withManagers)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	mails := h.newMails()
	n := one(t, mails, "notification", kind(liaison.MailNotification))
	if !slices.Equal(n.HeaderTo, []string{"ccamp-chairs@example.org"}) || !slices.Contains(n.Cc, ituLM) || !n.rcpt(ituLM) {
		t.Errorf("notification To %v Cc %v envelope %v: want CCAMP's chairs, ITU-T's liaison manager copied", n.HeaderTo, n.Cc, n.To)
	}
	onceInHeaders(t, n)
	if c := count(mails, to(gppLM)); c != 0 {
		t.Errorf("3GPP's liaison manager got %d mails about an ITU-T statement", c)
	}

	// The first deadline reminder (14 days before 1 March) copies them too.
	h.clock.Set(time.Date(2027, time.February, 15, 9, 0, 0, 0, time.UTC))
	if got := h.remind(); got != 1 {
		t.Fatalf("%d reminders queued, want 1", got)
	}
	r := one(t, h.newMails(), "reminder", kind(liaison.MailReminder))
	if !slices.Contains(r.HeaderTo, "ccamp-chairs@example.org") || !slices.Contains(r.Cc, ituLM) {
		t.Errorf("reminder To %v Cc %v", r.HeaderTo, r.Cc)
	}
	onceInHeaders(t, r)

	// The manager answers for the statement: taken.
	h.deliver(h.reply(n, "Scott Manager <"+ituLM+">", "taken\n\nCCAMP adopted the model at IETF 118.", signed()))
	h.cycle()
	s, evs := h.statementOf(id)
	if s.State != liaison.StateActionTaken {
		dumpEvents(t, h, id)
		t.Fatalf("state %s after the liaison manager's taken", s.State)
	}
	if ev := eventsOf(evs, liaison.EventActionTaken); len(ev) != 1 || ev[0].Actor != ituLM {
		t.Errorf("action-taken events %+v", ev)
	}
	one(t, h.newMails(), "transcript", and(kind(liaison.MailCommandResult), to(ituLM)))

	if lm := managerLine(h.page("/ls/" + id.String())); !strings.Contains(lm, ituAlias) || strings.Contains(lm, ituLM) {
		t.Errorf("record's liaison manager line %q: want the ITU-T alias, not the manager's own address", lm)
	}
}

// A CCAMP statement to ITU-T SG15 that names no Send Reply To: ITU-T's
// alias becomes it; the manager gets a copy of the approval request that
// says they are not asked to approve (an approve from them is refused), and
// is copied on the statement when it is sent.
func TestScenarioLiaisonManagerOutgoing(t *testing.T) {
	h := newHarnessWith(t, "", nil, nil, withManagers)
	h.deliver(h.submission("Paul Member <paul.member@example.org>", ccampToSG15, "CCAMP progress on the OTN models.\n"))
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	s, evs := h.statementOf(id)
	if s.FromLiaisonContact == nil || s.FromLiaisonContact.Email != ituAlias {
		t.Fatalf("Send Reply To = %v, want the ITU-T managers' alias", s.FromLiaisonContact)
	}
	if ev := eventsOf(evs, liaison.EventApprovalRequest); len(ev) != 1 || !strings.Contains(ev[0].Text, "copied to the liaison managers "+ituLM) {
		t.Errorf("approval-requested events %+v", ev)
	}
	mails := h.newMails()
	cp := one(t, mails, "the managers' copy of the approval request", and(kind(liaison.MailApprovalRequest), to(ituLM)))
	if !strings.Contains(cp.Text, "You receive this copy as liaison manager") || !strings.Contains(cp.Text, "you are not asked to approve") || len(cp.To) != 1 {
		t.Errorf("managers' copy to %v:\n%s", cp.To, cp.Text)
	}
	req := one(t, mails, "Heidi's approval request", and(kind(liaison.MailApprovalRequest), to("heidi.chair@example.org")))
	if req.rcpt(ituLM) {
		t.Error("the manager is on a chair's approval request")
	}

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(cp, "Scott Manager <"+ituLM+">", "approve", signed()))
	h.cycle()
	ref := one(t, h.newMails(), "refusal", and(kind(liaison.MailCommandRefusal), to(ituLM)))
	if !strings.Contains(ref.Text, "not an approver") {
		t.Errorf("refusal:\n%s", ref.Text)
	}
	if s, _ := h.statementOf(id); s.State != liaison.StatePendingApproval {
		t.Fatalf("released by the liaison manager: %s", s.State)
	}

	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	st := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
	if st.ReplyTo != ituAlias || !slices.Contains(st.Cc, ituLM) || !slices.Equal(st.HeaderTo, []string{"tsbsg15@example.com"}) {
		t.Errorf("statement To %v Cc %v Reply-To %q: want SG15, the manager copied, replies to the alias", st.HeaderTo, st.Cc, st.ReplyTo)
	}
	onceInHeaders(t, st)
	page := h.page("/ls/" + id.String())
	if strings.Contains(page, `<dt>Send Reply To</dt><dd><span class="none">`) || !strings.Contains(page, "mailto:"+ituAlias) {
		t.Errorf("record's Send Reply To is not the alias:\n%s", page)
	}

	// A second one: the manager withdraws it from their copy.
	h.deliver(h.submission("Paul Member <paul.member@example.org>", ccampToSG15, "A second thought.\n"))
	h.cycle()
	id2 := mustID(t, "LS-2027-0002")
	cp = one(t, h.newMails(), "the managers' second copy", and(kind(liaison.MailApprovalRequest), to(ituLM)))
	h.deliver(h.reply(cp, "Scott Manager <"+ituLM+">", "withdraw\n\nSG15 asked us to wait.", signed()))
	h.cycle()
	if s, _ := h.statementOf(id2); s.State != liaison.StateWithdrawn {
		dumpEvents(t, h, id2)
		t.Fatalf("state %s after the manager's withdraw", s.State)
	}
}

// A 3GPP statement to CCAMP and DetNet: a chair may not name the lead
// group, 3GPP's liaison manager may; reminders then go to the lead (the
// other group copied) and the manager's response comes from it. A chair
// adds a group, which is notified; "redirect +group" is answered with the
// add command it means.
func TestScenarioLeadAndAdd(t *testing.T) {
	h := newHarnessWith(t, "", nil, nil, withManagers)
	h.deliver(h.labelled("sa2-1@example.com", "LS on deterministic slicing", "3GPP TSG SA WG2", "IETF CCAMP WG, IETF DetNet WG", "For Action", "2027-03-15"))
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	s, _ := h.statementOf(id)
	if len(s.ToBodies) != 2 {
		t.Fatalf("to bodies %q, want two groups", s.ToBodies)
	}
	n := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	if !n.rcpt("ccamp-chairs@example.org") || !n.rcpt("detnet-chairs@example.org") || !slices.Contains(n.Cc, gppLM) {
		t.Fatalf("notification To %v Cc %v", n.HeaderTo, n.Cc)
	}
	onceInHeaders(t, n)

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(n, "Heidi Chair <heidi.chair@example.org>", "lead ccamp", signed()))
	h.cycle()
	if ref := one(t, h.newMails(), "refusal", kind(liaison.MailCommandRefusal)); !strings.Contains(ref.Text, "only a liaison coordinator or a liaison manager") {
		t.Errorf("refusal of a chair's lead:\n%s", ref.Text)
	}

	h.deliver(h.reply(n, "Gonzalo Manager <"+gppLM+">", "lead DetNet Working Group\n\nDetNet owns the deterministic part.", signed()))
	h.cycle()
	s, evs := h.statementOf(id)
	if s.LeadGroup != "detnet" {
		dumpEvents(t, h, id)
		t.Fatalf("lead group %q, want detnet", s.LeadGroup)
	}
	if ev := eventsOf(evs, liaison.EventLeadGroup); len(ev) != 1 || ev[0].Actor != gppLM || !ev[0].Public || ev[0].Comment != "DetNet owns the deterministic part." {
		t.Errorf("lead-group events %+v", ev)
	}
	if res := one(t, h.newMails(), "transcript", and(kind(liaison.MailCommandResult), to(gppLM))); !strings.Contains(res.Text, "detnet leads on LS-2027-0001") {
		t.Errorf("transcript:\n%s", res.Text)
	}

	// Reminders go to the lead group; the other group and the manager are copied.
	h.clock.Set(time.Date(2027, time.March, 1, 9, 0, 0, 0, time.UTC))
	if got := h.remind(); got != 1 {
		t.Fatalf("%d reminders, want 1", got)
	}
	r := one(t, h.newMails(), "reminder", kind(liaison.MailReminder))
	if !slices.Equal(r.HeaderTo, []string{"detnet-chairs@example.org"}) || !slices.Contains(r.Cc, "ccamp-chairs@example.org") || !slices.Contains(r.Cc, gppLM) {
		t.Errorf("reminder To %v Cc %v: want DetNet, CCAMP and the manager copied", r.HeaderTo, r.Cc)
	}
	onceInHeaders(t, r)

	// A chair adds IPPM; IPPM's chairs are notified, the manager copied.
	h.deliver(h.reply(n, "Heidi Chair <heidi.chair@example.org>", "add IPPM\n\nMeasurement aspects too.", signed()))
	h.cycle()
	s, evs = h.statementOf(id)
	if !slices.Equal(s.ToBodies, []string{"IETF CCAMP WG", "IETF DetNet WG", "ippm"}) || s.LeadGroup != "detnet" {
		t.Fatalf("to bodies %q lead %q after add", s.ToBodies, s.LeadGroup)
	}
	if ev := eventsOf(evs, liaison.EventGroupAdded); len(ev) != 1 || !ev[0].Public || !strings.Contains(ev[0].Text, "ippm") {
		t.Errorf("group-added events %+v", ev)
	}
	mails := h.newMails()
	added := one(t, mails, "notification of the added group", and(kind(liaison.MailNotification), to("ippm-chairs@example.org")))
	if added.rcpt("ccamp-chairs@example.org") || !slices.Contains(added.Cc, gppLM) {
		t.Errorf("added group's notification To %v Cc %v", added.HeaderTo, added.Cc)
	}
	one(t, mails, "transcript of add", and(kind(liaison.MailCommandResult), to("heidi.chair@example.org")))

	// "redirect +ippm" is not obeyed; the answer names the add command.
	h.deliver(h.reply(n, "Heidi Chair <heidi.chair@example.org>", "redirect +v6ops", signed()))
	h.cycle()
	if ref := one(t, h.newMails(), "near miss", kind(liaison.MailCommandRefusal)); !strings.Contains(ref.Text, "add v6ops") {
		t.Errorf("near-miss answer:\n%s", ref.Text)
	}
	if s, _ := h.statementOf(id); len(s.ToBodies) != 3 {
		t.Errorf("to bodies %q after a near miss", s.ToBodies)
	}

	// The manager responds: the response comes from the lead group.
	h.deliver(h.reply(n, "Gonzalo Manager <"+gppLM+">", "respond\n\nDetNet will study deterministic slicing.", signed()))
	h.cycle()
	var resp *liaison.Statement
	for _, x := range h.statements() {
		if x.Direction == liaison.Outgoing {
			resp = x
		}
	}
	if resp == nil || !slices.Equal(resp.FromBodies, []string{"detnet"}) || resp.State != liaison.StatePendingApproval {
		t.Fatalf("response %+v: want one from detnet, awaiting its chairs' approval", resp)
	}

	// Re-extraction keeps what people changed: the added group, the lead.
	if _, err := h.office.Reprocess(h.ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := h.statementOf(id); len(s.ToBodies) != 3 || s.LeadGroup != "detnet" {
		t.Errorf("after reprocess: to bodies %q lead %q", s.ToBodies, s.LeadGroup)
	}

	page := h.page("/ls/" + id.String())
	for _, want := range []string{"<dt>Lead group</dt><dd>detnet</dd>", "Gonzalo Manager", "Lead group: detnet", "Also addressed to ippm"} {
		if !strings.Contains(page, want) {
			t.Errorf("record lacks %q", want)
		}
	}
	if lm := managerLine(page); !strings.Contains(lm, "Gonzalo Manager") || strings.Contains(lm, gppLM) {
		t.Errorf("record's liaison manager line %q: want the name without the address", lm)
	}
}

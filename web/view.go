package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/store"
)

// The views are what the templates, the API and the feed render: copied
// out of the store inside a short read transaction, rendered outside it.

// related is a link to another recorded statement.
type related struct {
	ID    string
	URL   string
	Title string // empty when the statement is not (or no longer) recorded
}

// reference is an identifier a statement cites; URL is set when it names a
// statement in this record.
type reference struct {
	Text string
	URL  string
}

// attachmentView is an attachment as the public sees it.
type attachmentView struct {
	Name      string // the file name, as the download is named
	Title     string // what a liaison manager called it; "" when the file name
	URL       string
	MediaType string
	Size      int64
	SHA256    string
	Readable  bool
}

// eventView is one public entry of a statement's history.
type eventView struct {
	Time  time.Time
	Type  string
	Label string
	Actor string
	Text  string
}

// statementView is everything public about one statement.
type statementView struct {
	ID           liaison.ID
	URL          string
	Direction    liaison.Direction
	State        liaison.State
	Title        string
	Date         liaison.Date // the statement's own date, else the day it was recorded
	Purpose      liaison.Purpose
	PurposeLabel string // as the sender wrote it, when it differs from ours
	Deadline     liaison.Date
	DaysLeft     int
	Overdue      bool
	FromBodies   []string
	FromContacts []liaison.Address
	SendReplyTo  *liaison.Address
	ToBodies     []string
	FromOrgs     []liaison.OrgRef // FromBodies resolved, one per name
	ToOrgs       []liaison.OrgRef
	ToContacts   []liaison.Address
	SendTo       *liaison.Address
	// Managers are the IETF's liaison managers for the other
	// organisation, as the directory names them now: an alias, or names.
	Managers []managerView
	// LeadGroup leads among several To groups, when one was named.
	LeadGroup  string
	References []reference
	// Cc, technical contacts, action holders and the sender's own numbers
	// for the statement: every field of rfc4053bis is on the record.
	Cc                []liaison.Address
	TechnicalContacts []liaison.Address
	ActionHolders     []liaison.Address
	OtherIdentifiers  []string
	InResponseTo      []related
	RespondedBy       []related
	Body              string
	Attachments       []attachmentView
	Consensus         string
	Created           time.Time
	Updated           time.Time
	Events            []eventView

	// Revises is the statement this one supersedes; RevisedBy the revision
	// that supersedes this one (nil: none, or not public yet).
	Revises, RevisedBy *related
}

// managerView is the liaison managers for one organisation as the
// public sees them.
type managerView struct {
	Organisation string
	People       []liaison.Address // the alias, or names without addresses
}

// newView copies the public part of st. Events are left to the caller,
// which filters them.
func newView(st *liaison.Statement, today liaison.Date, res *resolver) statementView {
	v := statementView{
		ID:           st.ID,
		URL:          statementPath(st.ID),
		Direction:    st.Direction,
		State:        st.State,
		Title:        st.Title,
		Date:         st.StatementDate(),
		FromOrgs:     res.current(st.FromBodies, st.FromOrgs),
		ToOrgs:       res.current(st.ToBodies, st.ToOrgs),
		Purpose:      st.Purpose,
		Deadline:     st.Deadline,
		Overdue:      st.Overdue(today),
		FromBodies:   st.FromBodies,
		FromContacts: st.FromContacts,
		SendReplyTo:  st.FromLiaisonContact,
		ToBodies:     st.ToBodies,
		ToContacts:   st.ToContacts,
		SendTo:       st.ToLiaisonContact,
		Cc:           st.Cc,
		Body:         st.Body,
		Consensus:    st.Consensus,
		Created:      st.Created,
		Updated:      st.Updated,
	}
	if !st.Deadline.IsZero() {
		v.DaysLeft = st.Deadline.DaysUntil(today)
	}
	v.LeadGroup = st.LeadGroup
	dir := res.directory()
	for _, m := range dir.ManagersOf(st) {
		v.Managers = append(v.Managers, managerView{Organisation: m.Organisation, People: m.Public()})
		// Our own statement that named no Send Reply To (one recorded
		// before the managers were configured) is answered to them.
		if v.SendReplyTo == nil && st.Direction == liaison.Outgoing {
			if a, ok := m.ReplyTo(); ok {
				v.SendReplyTo = &a
			}
		}
	}
	if l := strings.TrimSpace(st.PurposeLabel); l != "" && !strings.EqualFold(l, purposeLabel(st.Purpose)) {
		v.PurposeLabel = l
	}
	for _, r := range st.References {
		ref := reference{Text: r}
		if id, err := liaison.ParseID(r); err == nil {
			ref.URL = statementPath(id)
		}
		v.References = append(v.References, ref)
	}
	for _, id := range st.InResponseTo {
		v.InResponseTo = append(v.InResponseTo, related{ID: id.String(), URL: statementPath(id)})
	}
	for _, id := range st.RespondedBy {
		v.RespondedBy = append(v.RespondedBy, related{ID: id.String(), URL: statementPath(id)})
	}
	if !st.Revises.IsZero() {
		v.Revises = &related{ID: st.Revises.String(), URL: statementPath(st.Revises)}
	}
	if !st.RevisedBy.IsZero() {
		v.RevisedBy = &related{ID: st.RevisedBy.String(), URL: statementPath(st.RevisedBy)}
	}
	v.TechnicalContacts, v.ActionHolders = st.TechnicalContacts, st.ActionHolders
	v.OtherIdentifiers = st.OtherIdentifiers
	for _, a := range st.Attachments {
		if a.Withdrawn {
			// Kept in the store and shown by `liaisond show`; not public.
			continue
		}
		v.Attachments = append(v.Attachments, attachmentView{
			Name: a.Name, Title: a.Title, URL: attachmentPath(st.ID, a.Name), MediaType: a.MediaType,
			Size: a.Size, SHA256: a.SHA256, Readable: a.Readable,
		})
	}
	return v
}

// forDisplay returns v with the bidirectional controls of every name,
// title, organisation, contact, file name, reference and history entry
// made visible (liaison.NeutraliseBidi), so that "invoice<U+202E>fdp.exe"
// cannot pass for a PDF. The HTML pages and the Atom feed render this; the
// JSON API serves the record exactly as received, for programs to match
// on. URLs keep the exact name (percent-encoded, nothing to reorder).
//
// The body is left as written: it is a block of its own, where an
// override ends with the paragraph and reorders only the sender's own
// text, and right-to-left languages use embeddings there legitimately.
func (v statementView) forDisplay() statementView {
	nb := liaison.NeutraliseBidi
	v.Title = nb(v.Title)
	v.PurposeLabel = nb(v.PurposeLabel)
	v.Consensus = nb(v.Consensus)
	v.FromBodies = displayStrings(v.FromBodies)
	v.ToBodies = displayStrings(v.ToBodies)
	v.FromOrgs = displayRefs(v.FromOrgs)
	v.ToOrgs = displayRefs(v.ToOrgs)
	v.FromContacts = displayAddresses(v.FromContacts)
	v.ToContacts = displayAddresses(v.ToContacts)
	v.SendReplyTo = displayAddress(v.SendReplyTo)
	v.SendTo = displayAddress(v.SendTo)
	v.LeadGroup = nb(v.LeadGroup)
	v.Managers = append([]managerView(nil), v.Managers...)
	for i := range v.Managers {
		v.Managers[i].Organisation = nb(v.Managers[i].Organisation)
		v.Managers[i].People = displayAddresses(v.Managers[i].People)
	}
	v.Cc = displayAddresses(v.Cc)
	v.TechnicalContacts = displayAddresses(v.TechnicalContacts)
	v.ActionHolders = displayAddresses(v.ActionHolders)
	v.OtherIdentifiers = displayStrings(v.OtherIdentifiers)
	v.References = append([]reference(nil), v.References...)
	for i := range v.References {
		v.References[i].Text = nb(v.References[i].Text)
	}
	for _, list := range []*[]related{&v.InResponseTo, &v.RespondedBy} {
		*list = append([]related(nil), *list...)
		for i := range *list {
			(*list)[i].Title = nb((*list)[i].Title)
		}
	}
	for _, one := range []**related{&v.Revises, &v.RevisedBy} {
		if *one != nil {
			c := **one
			c.Title = nb(c.Title)
			*one = &c
		}
	}
	v.Attachments = append([]attachmentView(nil), v.Attachments...)
	for i := range v.Attachments {
		v.Attachments[i].Name = nb(v.Attachments[i].Name)
		v.Attachments[i].Title = nb(v.Attachments[i].Title)
		v.Attachments[i].MediaType = nb(v.Attachments[i].MediaType)
	}
	v.Events = append([]eventView(nil), v.Events...)
	for i := range v.Events {
		v.Events[i].Actor = nb(v.Events[i].Actor)
		v.Events[i].Text = nb(v.Events[i].Text)
	}
	return v
}

func displayRefs(list []liaison.OrgRef) []liaison.OrgRef {
	if list == nil {
		return nil
	}
	out := make([]liaison.OrgRef, len(list))
	for i, r := range list {
		r.Name = liaison.NeutraliseBidi(r.Name)
		out[i] = r
	}
	return out
}

// resolvedNames are the resolved names of refs that say more than the
// name as written ("3GPP TSG SA WG2" for "SA2"), for display beside it.
func resolvedNames(refs []liaison.OrgRef) []string {
	var out []string
	for _, r := range refs {
		if r.Exact && r.Known() && !strings.EqualFold(r.String(), r.Name) && !slices.Contains(out, r.String()) {
			out = append(out, r.String())
		}
	}
	return out
}

func displayStrings(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = liaison.NeutraliseBidi(s)
	}
	return out
}

func displayAddresses(list []liaison.Address) []liaison.Address {
	if list == nil {
		return nil
	}
	out := make([]liaison.Address, len(list))
	for i, a := range list {
		out[i] = *displayAddress(&a)
	}
	return out
}

// displayAddress neutralises the name and the address alike: a mail
// address with a bidirectional control in it is no one's real address, and
// the mailto link must not show one thing and hold another.
func displayAddress(a *liaison.Address) *liaison.Address {
	if a == nil {
		return nil
	}
	return &liaison.Address{Name: liaison.NeutraliseBidi(a.Name), Email: liaison.NeutraliseBidi(a.Email)}
}

// publicEvents keeps the events meant for the public record. This is the
// one place that decides it: HTML, JSON and Atom all take their history
// from here.
func publicEvents(evs []liaison.Event) []eventView {
	var out []eventView
	for _, e := range evs {
		if !e.Public {
			continue
		}
		out = append(out, eventView{Time: e.Time, Type: string(e.Type), Label: eventLabel(e.Type), Actor: e.Actor, Text: e.Text})
	}
	return out
}

// detail reads the view of statement id as of today, in a transaction of
// its own.
func (s *Server) detail(ctx context.Context, id liaison.ID) (statementView, error) {
	var v statementView
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		v, err = s.loadDetail(tx, id, s.today())
		return err
	})
	return v, err
}

// loadDetail reads a statement, its public history and the titles of the
// statements it is related to, in one read transaction.
func (s *Server) loadDetail(tx *store.Tx, id liaison.ID, today liaison.Date) (statementView, error) {
	st, err := tx.Statement(id)
	if err != nil {
		return statementView{}, err
	}
	if st == nil || !liaison.IsPublic(st.Direction, st.State) {
		// A draft awaiting approval is not part of the public record yet.
		return statementView{}, fmt.Errorf("statement %s: %w", id, liaison.ErrNotFound)
	}
	v := newView(st, today, s.orgs)
	evs, err := tx.Events(id)
	if err != nil {
		return statementView{}, err
	}
	v.Events = publicEvents(evs)
	publicOnly := func(list []related) []related {
		out := list[:0]
		for _, r := range list {
			rid, err := liaison.ParseID(r.ID)
			if err != nil {
				continue
			}
			if o, err := tx.Statement(rid); err == nil && o != nil {
				if !liaison.IsPublic(o.Direction, o.State) {
					continue
				}
				r.Title = o.Title
			}
			out = append(out, r)
		}
		return out
	}
	v.InResponseTo = publicOnly(v.InResponseTo)
	v.RespondedBy = publicOnly(v.RespondedBy)
	for _, one := range []**related{&v.Revises, &v.RevisedBy} {
		if *one == nil {
			continue
		}
		if list := publicOnly([]related{**one}); len(list) == 1 {
			*one = &list[0]
		} else {
			*one = nil
		}
	}
	return v, nil
}

// purposeLabel is the purpose as rfc4053bis words it.
func purposeLabel(p liaison.Purpose) string {
	switch p {
	case liaison.PurposeInformation:
		return "For information"
	case liaison.PurposeAction:
		return "For action"
	case liaison.PurposeResponse:
		return "In response"
	}
	return "Not stated"
}

// stateLabel is a state for people.
func stateLabel(s liaison.State) string {
	switch s {
	case liaison.StateRecorded:
		return "Recorded"
	case liaison.StateActionTaken:
		return "Action taken"
	case liaison.StateResponded:
		return "Responded"
	case liaison.StatePendingApproval:
		return "Pending approval"
	case liaison.StateApproved:
		return "Approved"
	case liaison.StateSent:
		return "Sent"
	case liaison.StateSendFailed:
		return "Send failed"
	case liaison.StateWithdrawn:
		return "Withdrawn"
	}
	if s == "" {
		return "Unknown"
	}
	return string(s)
}

// eventLabel is an event type for people.
func eventLabel(t liaison.EventType) string {
	s := strings.ReplaceAll(string(t), "-", " ")
	if s == "" {
		return "Event"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// humanSize formats a byte count the way file managers do (SI units).
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// typeLabel names a media type the way people call the file.
func typeLabel(mediaType string) string {
	switch strings.ToLower(mediaType) {
	case "application/pdf":
		return "PDF"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "Word (.docx)"
	case "application/msword":
		return "Word (.doc)"
	case "text/plain":
		return "Text"
	case "text/html":
		return "HTML"
	case "application/zip":
		return "ZIP archive"
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "PowerPoint (.pptx)"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "Excel (.xlsx)"
	case "":
		return "Unknown type"
	}
	return mediaType
}

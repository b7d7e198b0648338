package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"liaison"
	"liaison/store"
)

// apiStatement is a statement in the JSON API. The field names are those of
// the extraction schema (shared/corpus/README.md), so that a client reads
// the record and the extractor's output alike; attachments are objects here.
type apiStatement struct {
	ID                 string          `json:"id"`
	URL                string          `json:"url"`
	Direction          string          `json:"direction"`
	State              string          `json:"state"`
	Title              string          `json:"title"`
	Date               string          `json:"date"` // the statement's own date, else the day it was recorded (created)
	Purpose            *string         `json:"purpose"`
	PurposeLabel       string          `json:"purpose_label,omitempty"`
	Deadline           *string         `json:"deadline"`
	Overdue            bool            `json:"overdue"`
	FromBodies         []string        `json:"from_bodies"`
	FromContacts       []string        `json:"from_contacts"`
	FromLiaisonContact *string         `json:"from_liaison_contact"`
	ToBodies           []string        `json:"to_bodies"`
	ToContacts         []string        `json:"to_contacts"`
	ToLiaisonContact   *string         `json:"to_liaison_contact"`
	LeadGroup          string          `json:"lead_group,omitempty"`
	LiaisonManagers    []apiManager    `json:"liaison_managers,omitempty"` // the IETF's, for the other organisation
	FromOrgs           []apiOrg        `json:"from_orgs"`                  // from_bodies resolved, one per name
	ToOrgs             []apiOrg        `json:"to_orgs"`
	References         []string        `json:"references"`
	Cc                 []string        `json:"cc,omitempty"`
	TechnicalContacts  []string        `json:"technical_contacts,omitempty"`
	ActionHolders      []string        `json:"action_holders,omitempty"`
	OtherIdentifiers   []string        `json:"other_identifiers,omitempty"`
	InResponseTo       []string        `json:"in_response_to"`
	RespondedBy        []string        `json:"responded_by"`
	Consensus          *string         `json:"consensus,omitempty"`
	Body               string          `json:"body"`
	Attachments        []apiAttachment `json:"attachments"`
	Created            time.Time       `json:"created"`
	Updated            time.Time       `json:"updated"`
	Events             *[]apiEvent     `json:"events,omitempty"` // only on the single-statement endpoint

	// Revises is the statement this one supersedes, RevisedBy the revision
	// that supersedes it; omitted when there is none.
	Revises   string `json:"revises,omitempty"`
	RevisedBy string `json:"revised_by,omitempty"`
}

// apiOrg is a body name as written and the organisation and body it
// resolves to (empty when unknown; exact false when only the organisation,
// or nothing, was recognised).
type apiOrg struct {
	Name  string `json:"name"`
	Org   string `json:"org"`
	Body  string `json:"body"`
	Exact bool   `json:"exact"`
}

func toAPIOrgs(refs []liaison.OrgRef) []apiOrg {
	out := make([]apiOrg, 0, len(refs))
	for _, r := range refs {
		out = append(out, apiOrg{Name: r.Name, Org: r.Org, Body: r.Body, Exact: r.Exact})
	}
	return out
}

// apiManager is a liaison manager as the record shows it: the public
// alias (email), or a name.
type apiManager struct {
	Organisation string `json:"organisation"`
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`
}

type apiAttachment struct {
	Name      string `json:"name"`
	Title     string `json:"title,omitempty"` // given by a liaison manager
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	URL       string `json:"url"`
}

type apiEvent struct {
	Time  time.Time `json:"time"`
	Type  string    `json:"type"`
	Actor string    `json:"actor"`
	Text  string    `json:"text,omitempty"`
}

type apiList struct {
	Statements []apiStatement `json:"statements"`
	Next       string         `json:"next"` // "" on the last page
}

type apiError struct {
	Error string `json:"error"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optEmail(a *liaison.Address) *string {
	if a == nil {
		return nil
	}
	return optString(a.Email)
}

// nonNil makes an absent list an empty JSON array rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func toAPI(v statementView, base string, withEvents bool) apiStatement {
	a := apiStatement{
		ID:                 v.ID.String(),
		URL:                absURL(base, v.URL),
		Direction:          string(v.Direction),
		State:              string(v.State),
		Title:              v.Title,
		Date:               v.Date.String(),
		Purpose:            optString(string(v.Purpose)),
		PurposeLabel:       v.PurposeLabel,
		Deadline:           optString(v.Deadline.String()),
		Overdue:            v.Overdue,
		FromBodies:         nonNil(v.FromBodies),
		FromContacts:       nonNil(liaison.Emails(v.FromContacts)),
		FromLiaisonContact: optEmail(v.SendReplyTo),
		ToBodies:           nonNil(v.ToBodies),
		ToContacts:         nonNil(liaison.Emails(v.ToContacts)),
		ToLiaisonContact:   optEmail(v.SendTo),
		FromOrgs:           toAPIOrgs(v.FromOrgs),
		ToOrgs:             toAPIOrgs(v.ToOrgs),
		References:         []string{},
		InResponseTo:       []string{},
		RespondedBy:        []string{},
		Body:               v.Body,
		Attachments:        []apiAttachment{},
		Created:            v.Created.UTC(),
		Updated:            v.Updated.UTC(),
	}
	if v.Direction == liaison.Outgoing {
		c := v.Consensus
		a.Consensus = &c
	}
	a.LeadGroup = v.LeadGroup
	for _, m := range v.Managers {
		for _, p := range m.People {
			a.LiaisonManagers = append(a.LiaisonManagers, apiManager{Organisation: m.Organisation, Name: p.Name, Email: p.Email})
		}
	}
	for _, r := range v.References {
		a.References = append(a.References, r.Text)
	}
	if len(v.Cc) > 0 {
		a.Cc = liaison.Emails(v.Cc)
	}
	if len(v.TechnicalContacts) > 0 {
		a.TechnicalContacts = liaison.Emails(v.TechnicalContacts)
	}
	if len(v.ActionHolders) > 0 {
		a.ActionHolders = liaison.Emails(v.ActionHolders)
	}
	if len(v.OtherIdentifiers) > 0 {
		a.OtherIdentifiers = v.OtherIdentifiers
	}
	for _, r := range v.InResponseTo {
		a.InResponseTo = append(a.InResponseTo, r.ID)
	}
	for _, r := range v.RespondedBy {
		a.RespondedBy = append(a.RespondedBy, r.ID)
	}
	if v.Revises != nil {
		a.Revises = v.Revises.ID
	}
	if v.RevisedBy != nil {
		a.RevisedBy = v.RevisedBy.ID
	}
	for _, at := range v.Attachments {
		a.Attachments = append(a.Attachments, apiAttachment{
			Name: at.Name, Title: at.Title, MediaType: at.MediaType, Size: at.Size, SHA256: at.SHA256, URL: absURL(base, at.URL),
		})
	}
	if withEvents {
		evs := make([]apiEvent, 0, len(v.Events))
		for _, e := range v.Events {
			evs = append(evs, apiEvent{Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor, Text: e.Text})
		}
		a.Events = &evs
	}
	return a
}

// writeJSON encodes v with HTML-significant characters escaped (the
// encoder's default), so that a title with <script> stays inert even if
// someone pastes the JSON into a page.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		s.log.Error("encode json", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error": "internal error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	// The record is public; any site may read it.
	h.Set("Access-Control-Allow-Origin", "*")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

func (s *Server) jsonError(w http.ResponseWriter, status int, msg string) {
	// jsonError is also used before routing, where there is no request to
	// log against; it never fails to encode.
	b, _ := json.MarshalIndent(apiError{Error: msg}, "", "  ")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) handleAPIList(w http.ResponseWriter, r *http.Request) {
	_, lf, err := s.parseFilter(r.URL.Query())
	var views []statementView
	var next string
	if err == nil {
		views, next, err = s.list(r, lf)
		if errors.Is(err, store.ErrBadCursor) {
			err = &paramError{"cursor", "not a cursor this server handed out"}
		}
	}
	var pe *paramError
	if errors.As(err, &pe) {
		s.jsonError(w, http.StatusBadRequest, pe.Error())
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	base := s.base(r)
	out := apiList{Statements: make([]apiStatement, 0, len(views)), Next: next}
	for _, v := range views {
		out.Statements = append(out.Statements, toAPI(v, base, false))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleAPIDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := parseIDParam(r)
	if !ok {
		s.jsonError(w, http.StatusNotFound, fmt.Sprintf("%q is not a statement id (LS-YYYY-NNNN)", r.PathValue("id")))
		return
	}
	v, err := s.detail(r.Context(), id)
	if errors.Is(err, liaison.ErrNotFound) {
		s.jsonError(w, http.StatusNotFound, fmt.Sprintf("no statement %s", id))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, toAPI(v, s.base(r), true))
}

func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	s.jsonError(w, http.StatusNotFound, "no such API endpoint; try /api/statements")
}

package extract

import (
	"encoding/json"
	"strings"
	"time"

	"liaison"
)

// resultJSON is the corpus schema (shared/corpus/README.md) plus extra keys.
// Every key is always present, lists are never null, addresses are lower
// case, and unknown purpose, deadline and contacts are null.
type resultJSON struct {
	Kind               string   `json:"kind"`
	Title              *string  `json:"title"`
	Purpose            *string  `json:"purpose"`
	Deadline           *string  `json:"deadline"`
	FromBodies         []string `json:"from_bodies"`
	FromContacts       []string `json:"from_contacts"`
	FromLiaisonContact *string  `json:"from_liaison_contact"`
	ToBodies           []string `json:"to_bodies"`
	ToContacts         []string `json:"to_contacts"`
	ToLiaisonContact   *string  `json:"to_liaison_contact"`
	References         []string `json:"references"`
	Attachments        []string `json:"attachments"`
	ThreadStatement    *string  `json:"thread_statement"`
	Flags              []string `json:"flags"`

	Problems     []liaison.Problem `json:"problems"`
	Body         string            `json:"body"`
	PurposeLabel string            `json:"purpose_label"`
	CcBodies     []string          `json:"cc_bodies"`
	// Added after the corpus schema, left out when empty.
	CcContacts        []string             `json:"cc_contacts,omitempty"`
	OtherIdentifiers  []string             `json:"other_identifiers,omitempty"`
	TechnicalContacts []string             `json:"technical_contacts,omitempty"`
	ActionHolders     []string             `json:"action_holders,omitempty"`
	Consensus         string               `json:"consensus"`
	AttachmentInfo    []liaison.Attachment `json:"attachment_info"`
	MessageID         string               `json:"message_id"`
	InReplyTo         string               `json:"in_reply_to"`
	MailReferences    []string             `json:"mail_references"`
	Subject           string               `json:"subject"`
	Date              string               `json:"date"`
	From              string               `json:"from"`
	Sender            string               `json:"sender"`
	AnswerTo          string               `json:"answer_to"`
	NoAutoAnswer      bool                 `json:"no_auto_answer"`
	ToBounceAddress   bool                 `json:"to_bounce_address,omitempty"`
	AutoSubmitted     string               `json:"auto_submitted"`
	Token             string               `json:"token"`
	ReplyText         string               `json:"reply_text"`
	Commands          []Command            `json:"commands"`
	Bounce            *Bounce              `json:"bounce"`
	Submission        *Submission          `json:"submission"`
	SubmissionErrors  []FieldError         `json:"submission_errors"`
	AuthResults       []AuthResult         `json:"auth_results"`
	SHA256            string               `json:"sha256"`
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// JSON renders the result in the corpus schema, with extra keys (problems,
// body, purpose_label, bounce, submission, ...). For auto-replies and
// bounces only kind and thread_statement are filled among the schema keys,
// for thread replies title and from_contacts too, as the corpus expects.
func (r *Result) JSON() ([]byte, error) {
	j := resultJSON{
		Kind:             string(r.Kind),
		FromBodies:       []string{},
		FromContacts:     []string{},
		ToBodies:         []string{},
		ToContacts:       []string{},
		References:       []string{},
		Attachments:      []string{},
		Flags:            []string{},
		Problems:         r.Problems,
		CcBodies:         r.CcBodies,
		AttachmentInfo:   []liaison.Attachment{},
		MessageID:        r.MessageID,
		InReplyTo:        r.InReplyTo,
		MailReferences:   r.MailReferences,
		Subject:          r.Subject,
		From:             r.From.Email,
		Sender:           r.Sender,
		AnswerTo:         r.AnswerTo.Email,
		NoAutoAnswer:     r.NoAutoAnswer,
		ToBounceAddress:  r.ToBounceAddress,
		AutoSubmitted:    r.AutoSubmitted,
		Token:            r.Token,
		ReplyText:        r.ReplyText,
		Commands:         r.Commands,
		Bounce:           r.Bounce,
		Submission:       r.Submission,
		SubmissionErrors: r.SubmissionErrors,
		AuthResults:      r.AuthResults,
		SHA256:           r.SHA256,
		Body:             r.Body,
		PurposeLabel:     r.PurposeLabel,
		Consensus:        r.Consensus,
		ThreadStatement:  strp(r.ThreadStatement.String()),
	}
	if j.Problems == nil {
		j.Problems = []liaison.Problem{}
	}
	if j.CcBodies == nil {
		j.CcBodies = []string{}
	}
	if j.MailReferences == nil {
		j.MailReferences = []string{}
	}
	if j.Commands == nil {
		j.Commands = []Command{}
	}
	if j.SubmissionErrors == nil {
		j.SubmissionErrors = []FieldError{}
	}
	if j.AuthResults == nil {
		j.AuthResults = []AuthResult{}
	}
	if !r.Date.IsZero() {
		j.Date = r.Date.UTC().Format(time.RFC3339)
	}
	for _, p := range r.Attachments {
		j.AttachmentInfo = append(j.AttachmentInfo, p.Attachment)
	}
	switch r.Kind {
	case liaison.KindAutoReply, liaison.KindBounce, liaison.KindOwn:
	case liaison.KindThreadReply:
		j.Title = strp(r.Title)
		j.FromContacts = emails(r.FromContacts)
	default:
		j.Title = strp(r.Title)
		if r.Purpose.Valid() {
			j.Purpose = strp(string(r.Purpose))
		}
		j.Deadline = strp(r.Deadline.String())
		j.FromBodies = nonNil(r.FromBodies)
		// The schema's from_contacts and to_contacts are every address of
		// each side the statement names: technical contacts and action
		// holders too, though the record keeps them apart.
		j.FromContacts = emails(append(append([]liaison.Address{}, r.FromContacts...), r.TechnicalContacts...))
		if r.FromLiaisonContact != nil {
			j.FromLiaisonContact = strp(strings.ToLower(r.FromLiaisonContact.Email))
		}
		j.ToBodies = nonNil(r.ToBodies)
		j.ToContacts = emails(append(append([]liaison.Address{}, r.ToContacts...), r.ActionHolders...))
		if r.ToLiaisonContact != nil {
			j.ToLiaisonContact = strp(strings.ToLower(r.ToLiaisonContact.Email))
		}
		j.References = nonNil(r.References)
		for _, p := range r.Attachments {
			// The names as the recipient sees them: not the files
			// unpacked out of a bundle.
			if p.Name != "" && p.Container == "" {
				j.Attachments = append(j.Attachments, p.Name)
			}
		}
		j.Flags = nonNil(r.Flags)
		j.CcContacts = nilIfEmpty(emails(r.CcContacts))
		j.OtherIdentifiers = nilIfEmpty(r.OtherIdentifiers)
		j.TechnicalContacts = nilIfEmpty(emails(r.TechnicalContacts))
		j.ActionHolders = nilIfEmpty(emails(r.ActionHolders))
	}
	return json.MarshalIndent(j, "", " ")
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func emails(list []liaison.Address) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, a := range list {
		e := strings.ToLower(a.Email)
		if e == "" || seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	return out
}

// Statement fills a statement from the result: direction incoming, no ID,
// state and events left to the workflow.
func (r *Result) Statement() *liaison.Statement {
	s := &liaison.Statement{
		Direction:          liaison.Incoming,
		Title:              r.Title,
		Purpose:            r.Purpose,
		PurposeLabel:       r.PurposeLabel,
		Deadline:           r.Deadline,
		FromBodies:         append([]string{}, r.FromBodies...),
		FromContacts:       append([]liaison.Address{}, r.FromContacts...),
		FromLiaisonContact: r.FromLiaisonContact,
		ToBodies:           append([]string{}, r.ToBodies...),
		ToContacts:         append([]liaison.Address{}, r.ToContacts...),
		ToLiaisonContact:   r.ToLiaisonContact,
		References:         append([]string{}, r.References...),
		InResponseTo:       []liaison.ID{},
		Body:               r.Body,
		Attachments:        []liaison.Attachment{},
		Consensus:          r.Consensus,
		Problems:           append([]liaison.Problem{}, r.Problems...),
		Flags:              append([]string{}, r.Flags...),
		Source:             liaison.Source{MessageID: r.MessageID, SHA256: r.SHA256},
		Cc:                 addrsOrNil(r.CcContacts),
		OtherIdentifiers:   nilIfEmpty(append([]string{}, r.OtherIdentifiers...)),
		TechnicalContacts:  addrsOrNil(r.TechnicalContacts),
		ActionHolders:      addrsOrNil(r.ActionHolders),
	}
	for _, ref := range r.References {
		if id, err := liaison.ParseID(ref); err == nil {
			s.InResponseTo = append(s.InResponseTo, id)
		}
	}
	for _, p := range r.Attachments {
		s.Attachments = append(s.Attachments, p.Attachment)
	}
	s.Date = r.DocumentDate // when the mail says not when it was written
	if !r.Date.IsZero() {
		s.Date = liaison.DateOf(r.Date) // the day in the sender's zone
	}
	return s
}

func addrsOrNil(list []liaison.Address) []liaison.Address {
	if len(list) == 0 {
		return nil
	}
	return append([]liaison.Address{}, list...)
}

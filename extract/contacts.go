package extract

import (
	"strings"

	"liaison"
	"liaison/extract/internal/prefilter"
)

var proseReplyToRE = prefilter.MustCompile(`(?i)(?:please\s+)?(?:send|address|direct|forward|submit)\s+(?:any\s+|your\s+|all\s+)?(?:responses?|repl(?:y|ies)|answers?|comments?|feedback)(?:\s+ls)?(?:\s+\w+){0,3}?\s+to\s+([^\n]{3,200})|(?:responses?|repl(?:y|ies)|answers?)\s+should\s+be\s+(?:sent|addressed|directed)\s+to\s+([^\n]{3,200})`)

// contacts fills from/to contacts and the liaison contacts.
func (e *extraction) contacts(srcs []*source, sender liaison.Address, replyHdr []liaison.Address) {
	r := e.res
	var fromC, toC []liaison.Address
	var replyTo, sendTo *liaison.Address
	var extraReply, techC, holders, ccC []liaison.Address
	toSide := map[string]bool{}
	for _, s := range srcs {
		for _, f := range s.fields {
			addrs := findAddresses(f.Value)
			switch f.Key {
			case kFromContact, kFrom, kSub:
				fromC = append(fromC, addrs...)
			case kReplyTo:
				for i, a := range addrs {
					if replyTo == nil && i == 0 {
						a := a
						replyTo = &a
					} else {
						extraReply = append(extraReply, a)
					}
				}
			case kToContact, kTo, kActionTo, kCommentTo, kInfoTo:
				toC = append(toC, addrs...)
			case kSendTo:
				if sendTo == nil && len(addrs) > 0 {
					a := addrs[0]
					sendTo = &a
				}
			case kCc:
				for _, a := range addrs {
					toSide[a.Email] = true
				}
				ccC = append(ccC, addrs...)
			case kTechContact:
				techC = append(techC, addrs...)
			case kActionHolder:
				holders = append(holders, addrs...)
				for _, a := range addrs {
					toSide[a.Email] = true
				}
			}
		}
	}
	if replyTo == nil {
	srcLoop:
		for _, s := range srcs {
			for _, ln := range strings.Split(s.text, "\n") {
				// Cheap test first: the sentence needs an address and "to".
				if !strings.Contains(ln, "@") || !strings.Contains(ln, " to ") {
					continue
				}
				if m := proseReplyToRE.FindStringSubmatch(ln); m != nil {
					if as := findAddresses(m[1] + m[2]); len(as) > 0 {
						a := as[0]
						replyTo = &a
						break srcLoop
					}
				}
			}
		}
	}
	labelled := replyTo != nil
	if replyTo == nil && len(replyHdr) > 0 && !e.isOwn(replyHdr[0].Email) && !e.isListAddress(replyHdr[0].Email) {
		a := replyHdr[0]
		replyTo = &a
	}
	if sendTo != nil {
		toSide[sendTo.Email] = true
	}
	for _, a := range toC {
		toSide[a.Email] = true
	}
	if sender.Email != "" && !e.isOwn(sender.Email) {
		fromC = append([]liaison.Address{sender}, fromC...)
	}
	fromC = append(fromC, extraReply...)
	seen := map[string]bool{}
	for _, a := range fromC {
		if a.Email == "" || seen[a.Email] || e.isOwn(a.Email) || toSide[a.Email] {
			continue
		}
		if replyTo != nil && a.Email == replyTo.Email && (labelled || a.Email != sender.Email) {
			continue
		}
		seen[a.Email] = true
		r.FromContacts = append(r.FromContacts, a)
	}
	seen = map[string]bool{}
	for _, a := range toC {
		if a.Email == "" || seen[a.Email] || e.isOwn(a.Email) || sendTo != nil && a.Email == sendTo.Email {
			continue
		}
		seen[a.Email] = true
		r.ToContacts = append(r.ToContacts, a)
	}
	// The same rules as the From and To contacts: a reply address named as
	// such is not repeated, nor a receiving-side address among the sender's.
	notTech := map[string]bool{}
	for a := range toSide {
		notTech[a] = true
	}
	if replyTo != nil && labelled {
		notTech[replyTo.Email] = true
	}
	r.TechnicalContacts = e.ownless(techC, notTech)
	notHolder := map[string]bool{}
	if sendTo != nil {
		notHolder[sendTo.Email] = true
	}
	r.ActionHolders = e.ownless(holders, notHolder)
	// The mail's own Cc, then the Cc labels of the statement: recorded and
	// shown, never mailed (the mail does not choose who gets mail).
	named := map[string]bool{}
	for _, list := range [][]liaison.Address{r.FromContacts, r.ToContacts, r.TechnicalContacts, r.ActionHolders} {
		for _, a := range list {
			named[a.Email] = true
		}
	}
	if sendTo != nil {
		named[sendTo.Email] = true
	}
	if replyTo != nil {
		named[replyTo.Email] = true
	}
	r.CcContacts = e.ownless(append(e.headerCc(), ccC...), named)
	r.FromLiaisonContact = replyTo
	r.ToLiaisonContact = sendTo
	if replyTo != nil && e.isOwn(replyTo.Email) {
		r.FromLiaisonContact = nil
	}
	if sendTo != nil && e.isOwn(sendTo.Email) {
		r.ToLiaisonContact = nil
	}
}

// ownless returns list without our own addresses, the addresses in skip
// and repeats.
func (e *extraction) ownless(list []liaison.Address, skip map[string]bool) []liaison.Address {
	out := []liaison.Address{}
	seen := map[string]bool{}
	for _, a := range list {
		if a.Email == "" || seen[a.Email] || skip[a.Email] || e.isOwn(a.Email) {
			continue
		}
		seen[a.Email] = true
		out = append(out, a)
	}
	return out
}

// headerCc reads the mail's Cc header, at most 100 addresses: more are
// not a liaison's copy list.
func (e *extraction) headerCc() []liaison.Address {
	h := e.doc.header
	v := h.Get("Cc")
	if v == "" {
		return nil
	}
	var list []liaison.Address
	if parsed, err := h.AddressList("Cc"); err == nil {
		for _, a := range parsed {
			list = append(list, liaison.NormalizeAddress(a.Name, a.Address))
		}
	} else {
		list = findAddresses(v)
	}
	if len(list) > 100 {
		list = list[:100]
	}
	return list
}

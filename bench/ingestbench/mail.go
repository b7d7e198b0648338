package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The generated mails follow the shapes of ../shared/corpus: statements
// from 3GPP, ITU-T, ETSI, the Broadband Forum and IEEE to IETF groups of
// the bench's group directory (see serve.go), with the metadata in a
// labelled mail body or in an attached .docx or .pdf in the sender's
// template.

// benchAlias is the office's address the mails are sent to.
const benchAlias = "statements@liaison.example.org"

type person struct{ name, addr string }

// org is a sending organisation and how it writes statements.
type org struct {
	body     string // as written in the From field of the statement
	docPref  string // document number prefix
	meeting  string
	mailFrom person // who sends the mail
	contacts []person
	replyTo  string
	style    string // "3gpp", "itu", "etsi", "bbf", "ieee"
}

var orgs = []org{
	{"3GPP TSG SA WG2", "S2-26", "3GPP TSG SA WG2 Meeting #177", person{"Mireille Dubois", "mireille.dubois@example.com"},
		[]person{{"Henrik Sandberg", "henrik.sandberg@example.com"}, {"Priya Raman", "priya.raman@example.com"}}, "3gppliaison@example.com", "3gpp"},
	{"3GPP TSG CT WG4", "C4-26", "3GPP TSG CT WG4 Meeting #131", person{"Mireille Dubois", "mireille.dubois@example.com"},
		[]person{{"Jonas Weber", "jonas.weber@example.com"}}, "3gppliaison@example.com", "3gpp"},
	{"3GPP TSG SA WG3", "S3-26", "3GPP TSG SA WG3 Meeting #124", person{"Luca Bianchi", "luca.bianchi@example.com"},
		[]person{{"Akira Sato", "akira.sato@example.com"}, {"Elena Petrova", "elena.petrova@example.com"}}, "3gppliaison@example.com", "3gpp"},
	{"ITU-T Study Group 15", "SG15-LS", "Geneva, 3-14 November 2026", person{"TSB SG15", "tsbsg15@example.net"},
		[]person{{"Ana Ribeiro", "ana.ribeiro@example.net"}, {"Kenji Watanabe", "k.watanabe@example.net"}}, "tsbsg15@example.net", "itu"},
	{"ITU-T Study Group 13", "SG13-LS", "Geneva, 20-31 October 2026", person{"TSB SG13", "tsbsg13@example.net"},
		[]person{{"Omar Haddad", "omar.haddad@example.net"}}, "tsbsg13@example.net", "itu"},
	{"ITU-T Study Group 17", "SG17-LS", "Geneva, 8-17 September 2026", person{"TSB SG17", "tsbsg17@example.net"},
		[]person{{"Grace Mensah", "grace.mensah@example.net"}, {"Lars Nilsson", "lars.nilsson@example.net"}}, "tsbsg17@example.net", "itu"},
	{"ETSI TC CYBER", "CYBER(26)0", "CYBER#45", person{"Sofia Marinou", "sofia.marinou@example.com"},
		[]person{{"Sofia Marinou", "sofia.marinou@example.com"}}, "cyber-liaison@example.com", "etsi"},
	{"ETSI ISG NFV", "NFV(26)0", "NFV#47", person{"Pierre Laurent", "pierre.laurent@example.com"},
		[]person{{"Pierre Laurent", "pierre.laurent@example.com"}, {"Maria Garcia", "maria.garcia@example.com"}}, "nfv-liaison@example.com", "etsi"},
	{"Broadband Forum Technical Committee", "LIAISE-", "BBF Q4 2026", person{"Lena Hartmann", "lena.hartmann@example.com"},
		[]person{{"Lena Hartmann", "lena.hartmann@example.com"}, {"Tomasz Nowak", "t.nowak@example.com"}}, "liaisons@example.com", "bbf"},
	{"IEEE 802.1 Working Group", "802.1-26-", "IEEE 802 Plenary, November 2026", person{"Marta Kowalczyk", "marta.kowalczyk@example.com"},
		[]person{{"Marta Kowalczyk", "marta.kowalczyk@example.com"}}, "802-1-liaison@example.com", "ieee"},
}

// topic is a subject and the IETF body that works on it, as senders name it.
type topic struct{ subject, to string }

var topics = []topic{
	{"support of DetNet over 5GS for Rel-20", "IETF DetNet WG"},
	{"bounded latency for deterministic flows", "IETF DetNet WG"},
	{"YANG data models for OTN and flexible Ethernet management", "IETF CCAMP WG"},
	{"alignment of the OTN topology YANG model", "IETF CCAMP WG"},
	{"IP-layer capacity measurement methodology", "IETF IPPM WG"},
	{"one-way delay measurement in access networks", "IETF IPPM WG"},
	{"L4S support in the 5G user plane", "IETF TSVWG"},
	{"DSCP mapping for interconnection of mobile networks", "IETF TSVWG"},
	{"IPv6-only access for fixed broadband subscribers", "IETF V6OPS WG"},
	{"464XLAT deployment in mobile networks", "IETF V6OPS WG"},
	{"NMDA alignment of network element models", "IETF NETMOD WG"},
	{"YANG versioning for equipment models", "IETF NETMOD WG"},
	{"post-quantum certificates in PKIX", "IETF LAMPS WG"},
	{"composite signatures for long-lived certificates", "IETF LAMPS WG"},
	{"hybrid key exchange in TLS 1.3", "IETF TLS WG"},
	{"encrypted client hello in operator networks", "IETF TLS WG"},
	{"segment routing for transport network slicing", "IETF Routing Area"},
	{"network digital twin architecture", "IAB"},
	{"identifier privacy in mobile networks", "IETF"},
}

var titlePrefix = []string{"LS on ", "LS to IETF on ", "Reply LS on ", "Liaison statement on ", "LS on progress of work on "}

var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// prose is the statement text: %[1]s sender, %[2]s addressee, %[3]s subject.
var prose = []string{
	"%[1]s thanks %[2]s for its previous liaison statement and for the constructive collaboration on %[3]s.",
	"At its last meeting, %[1]s reviewed the progress of the work on %[3]s and agreed to inform %[2]s of the results.",
	"The current draft specification introduces new procedures that depend on protocol work in %[2]s, in particular on the encoding of the relevant attributes.",
	"%[1]s would appreciate receiving any comments %[2]s may have on the attached material before the next meeting.",
	"The group noted that several operators have deployed early implementations and reported interoperability issues that are summarised in the annex.",
	"It is the understanding of %[1]s that the existing RFCs do not fully cover the requirements identified in the study on %[3]s.",
	"The requirements were derived from use cases contributed by operators and vendors over the last three meetings.",
	"%[1]s kindly asks %[2]s to confirm whether the proposed extensions are aligned with its current direction.",
	"Contributions on the performance aspects were discussed at length, and no agreement could be reached on the default parameter values.",
	"The attached draft is provided for information only and is subject to change; it should not be quoted or referenced in other documents.",
	"The group plans to complete the stage 2 description by the end of the study period and stage 3 one release later.",
	"Clarification is requested on the handling of error conditions, in particular on the behaviour of a node that receives an unknown sub-TLV.",
	"%[1]s also notes that the security considerations may need to be revisited once the architecture is stable.",
	"The management aspects of %[3]s are addressed by a separate work item, and the corresponding YANG modules will be shared when available.",
	"Experts from both organisations are invited to participate in the joint session that is being planned for the next meeting cycle.",
	"Further details can be found in the meeting report, which is publicly available from the document repository of %[1]s.",
}

func pick[T any](rng *rand.Rand, l []T) T { return l[rng.IntN(len(l))] }

// paragraph returns 3–6 sentences of statement prose.
func paragraph(rng *rand.Rand, from, to, subject string) string {
	n := 3 + rng.IntN(4)
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf(pick(rng, prose), from, to, subject)
	}
	return strings.Join(s, " ")
}

// statement is what one generated mail says.
type statement struct {
	org          org
	docNum       string
	title        string
	to           []string
	purpose      string // "For Action", "For Information", "For Comment"
	deadline     time.Time
	date         time.Time
	contact      person
	fileBase     string
	hasAttach    bool
	attachDocx   bool
	attachTarget int // size of the attachment file
}

func newStatement(rng *rand.Rand, i int) statement {
	o := pick(rng, orgs)
	t := pick(rng, topics)
	s := statement{org: o, title: pick(rng, titlePrefix) + t.subject, to: []string{t.to},
		contact: pick(rng, o.contacts)}
	if rng.IntN(4) == 0 {
		if u := pick(rng, topics).to; u != t.to {
			s.to = append(s.to, u)
		}
	}
	s.docNum = fmt.Sprintf("%s%05d", o.docPref, 10000+i)
	s.fileBase = strings.NewReplacer("(", "", ")", "").Replace(s.docNum)
	s.date = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(27*24*60)) * time.Minute)
	switch r := rng.IntN(20); {
	case r < 10:
		s.purpose = "For Action"
	case r < 17:
		s.purpose = "For Information"
	default:
		s.purpose = "For Comment"
	}
	if s.purpose != "For Information" {
		s.deadline = time.Date(2027, time.Month(1+rng.IntN(6)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	}
	if rng.IntN(5) == 0 {
		s.hasAttach = true
		s.attachDocx = rng.IntN(2) == 0
		s.attachTarget = 100_000 + rng.IntN(200_000)
	}
	return s
}

func (s statement) toList(sep string) string { return strings.Join(s.to, sep) }

func (s statement) deadlineText(rng *rand.Rand) string {
	if s.deadline.IsZero() {
		return "-"
	}
	switch rng.IntN(3) {
	case 0:
		return s.deadline.Format("2006-01-02")
	case 1:
		return fmt.Sprintf("%d %s %d", s.deadline.Day(), months[s.deadline.Month()-1], s.deadline.Year())
	}
	return s.deadline.Format("January 2, 2006")
}

// labelled returns the statement's template fields in the sender's style.
func (s statement) labelled(rng *rand.Rand) []docLine {
	o := s.org
	c := s.contact
	dl := s.deadlineText(rng)
	switch o.style {
	case "3gpp":
		return []docLine{
			{value: o.meeting + "\t\t" + s.docNum},
			{value: "Tenerife, Spain, 16 - 20 November 2026"}, {},
			{label: "Title:", value: s.title},
			{label: "Response to:", value: "-"},
			{label: "Release:", value: "Rel-20"},
			{label: "Source:", value: strings.TrimPrefix(o.body, "3GPP TSG ")},
			{label: "To:", value: s.toList(", ")},
			{label: "Cc:", value: "3GPP TSG CT WG1"},
			{}, {label: "Contact Person:"},
			{label: "Name:", value: c.name},
			{label: "E-mail Address:", value: c.addr},
			{label: "Send any reply LS to:", value: "3GPP Liaisons Coordinator, mailto:" + o.replyTo},
			{label: "Attachments:", value: "None"},
		}
	case "itu":
		l := []docLine{
			{value: "INTERNATIONAL TELECOMMUNICATION UNION"},
			{value: "TELECOMMUNICATION STANDARDIZATION SECTOR"},
			{value: "STUDY PERIOD 2025-2028"}, {value: s.docNum}, {},
			{label: "Question(s):", value: fmt.Sprintf("%d/%s      Meeting, date: %s", 1+rng.IntN(20), strings.TrimPrefix(o.body, "ITU-T Study Group "), o.meeting)},
			{label: "Source:", value: o.body},
			{label: "Title:", value: s.title}, {},
			{label: "LIAISON STATEMENT"},
		}
		if s.purpose == "For Information" {
			l = append(l, docLine{label: "For information to:", value: s.toList(", ")})
		} else {
			l = append(l, docLine{label: "For action to:", value: s.toList(", ")})
		}
		return append(l,
			docLine{label: "Approval:", value: "Agreed to at " + strings.TrimPrefix(o.body, "ITU-T ") + " meeting"},
			docLine{label: "Deadline:", value: dl},
			docLine{label: "Contact:", value: fmt.Sprintf("%s, Rapporteur, E-mail: %s", c.name, c.addr)})
	case "ieee":
		return []docLine{
			{value: o.body + " - Liaison Statement"}, {},
			{label: "Date:", value: s.date.Format("2 January 2006")},
			{label: "From:", value: o.body},
			{label: "To:", value: s.toList("; ")},
			{label: "Title:", value: s.title},
			{label: "Purpose:", value: s.purpose},
			{label: "Deadline:", value: dl},
			{label: "Contact:", value: fmt.Sprintf("%s, Chair, %s <%s>", c.name, o.body, c.addr)},
			{label: "Send reply to:", value: o.replyTo},
		}
	}
	// etsi, bbf
	return []docLine{
		{value: o.body + " Liaison Statement"},
		{label: "From:", value: o.body},
		{label: "To:", value: s.toList(", ")},
		{label: "Title:", value: s.title},
		{label: "Purpose:", value: s.purpose},
		{label: "Deadline:", value: dl},
		{label: "Contact:", value: c.name + " " + c.addr},
		{label: "Send reply to:", value: o.replyTo},
		{label: "Document:", value: s.docNum},
	}
}

// text returns the statement's body paragraphs, about size bytes, with its
// action section.
func (s statement) text(rng *rand.Rand, size int) []docLine {
	from, to := s.org.body, s.toList(" and ")
	subject := strings.TrimPrefix(s.title, "LS ")
	l := []docLine{{value: "1. Overall Description:", heading: true}}
	n := 0
	for n < size {
		p := paragraph(rng, from, to, subject)
		n += len(p)
		l = append(l, docLine{value: p})
	}
	l = append(l, docLine{value: "2. Actions:", heading: true}, docLine{value: "To " + to + "."})
	if s.purpose == "For Information" {
		l = append(l, docLine{value: "ACTION: None. This liaison statement is for information; no action is requested."})
	} else {
		l = append(l, docLine{value: fmt.Sprintf("ACTION: %s kindly asks %s to provide %s by %s.", from, to,
			map[bool]string{true: "comments", false: "answers to the questions above"}[s.purpose == "For Comment"],
			s.deadline.Format("2 January 2006"))})
	}
	return append(l, docLine{value: "3. Date of Next Meetings:", heading: true},
		docLine{value: "25 - 29 January 2027, Goa, IN; 13 - 17 April 2027, Fukuoka, JP"})
}

// liaisonMail returns a realistic incoming liaison statement: 80% are
// 5–20 KB of text, 20% carry a 100–300 KB .docx or .pdf in the sender's
// template.
func liaisonMail(rng *rand.Rand, i int) []byte {
	s := newStatement(rng, i)
	var b bytes.Buffer
	boundary := fmt.Sprintf("=_lsgen_%d_%x", i, rng.Uint32())
	from := s.org.mailFrom
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n"+
		"Received: from mail.example.com (mail.example.com [192.0.2.25]) by mx.liaison.example.org\r\n"+
		" with ESMTPS id %x for <%s>;\r\n %s\r\n"+
		"Date: %s\r\nFrom: %s <%s>\r\nTo: %s\r\n",
		from.addr, rng.Uint64(), benchAlias, s.date.Format(time.RFC1123Z), s.date.Format(time.RFC1123Z), from.name, from.addr, benchAlias)
	if rng.IntN(3) == 0 {
		b.WriteString("Cc: " + pick(rng, s.org.contacts).addr + "\r\n")
	}
	subject := s.title
	switch s.org.style {
	case "3gpp":
		subject = fmt.Sprintf("3GPP LS %s: %s", s.docNum, s.title)
	case "itu":
		subject = fmt.Sprintf("%s - LS to %s: %s", strings.Replace(s.org.body, "Study Group ", "SG", 1), s.to[0], s.title)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nMessage-ID: <%s.%d.%x@%s>\r\nMIME-Version: 1.0\r\n",
		subject, s.fileBase, i, rng.Uint32(), from.addr[strings.IndexByte(from.addr, '@')+1:])

	if !s.hasAttach {
		// The statement is the mail body: labelled fields, then the text.
		target := 5000 + rng.IntN(15000)
		var body strings.Builder
		for _, l := range s.labelled(rng) {
			body.WriteString(strings.TrimSpace(l.label + " " + l.value))
			body.WriteString("\r\n")
		}
		fmt.Fprintf(&body, "\r\nDear %s chairs,\r\n\r\n", s.to[0])
		for _, l := range s.text(rng, target-b.Len()-body.Len()-300) {
			for _, w := range wrap(l.value, 72) {
				body.WriteString(w)
				body.WriteString("\r\n")
			}
			body.WriteString("\r\n")
		}
		fmt.Fprintf(&body, "Best regards,\r\n%s\r\n%s\r\n", s.contact.name, s.org.body)
		b.WriteString("Content-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
		b.WriteString(body.String())
		return b.Bytes()
	}

	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n"+
		"Content-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n", boundary, boundary)
	fmt.Fprintf(&b, "Dear colleagues,\r\n\r\nOn behalf of %s, please find attached liaison statement %s\r\n\"%s\",\r\naddressed to %s.\r\n\r\nBest regards,\r\n%s\r\n",
		s.org.body, s.docNum, s.title, s.toList(" and "), from.name)
	lines := append(s.labelled(rng), s.text(rng, 3000+rng.IntN(9000))...)
	var name, typ string
	var file []byte
	if s.attachDocx {
		name, typ = s.fileBase+".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		file = makeDocx(rng, lines, s.org.style == "etsi" || s.org.style == "bbf", max(10_000, s.attachTarget-5000))
	} else {
		name, typ = s.fileBase+".pdf", "application/pdf"
		file = makePDF(rng, s.title, lines, max(10_000, s.attachTarget-6000))
	}
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Transfer-Encoding: base64\r\nContent-Type: %s;\r\n name=\"%s\"\r\n"+
		"Content-Disposition: attachment; filename=\"%s\"\r\n\r\n", boundary, typ, name, name)
	writeBase64(&b, file)
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}

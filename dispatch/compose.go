package dispatch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"liaison"
	"liaison/store"
)

// attachmentData is one attachment and whether it rides as a MIME part
// (its blob is inserted when the mail is sent) or as a link only.
type attachmentData struct {
	liaison.Attachment
	carried bool
}

type composeInput struct {
	mail        Mail
	sendID      uint64
	messageID   string
	root        bool // this mail is the thread root
	date        time.Time
	key         []byte // reply-token key; nil without a statement
	attachments []attachmentData
}

// loadAttachments decides which of the statement's attachments ride as
// MIME parts: those whose blob is stored, up to MaxAttachmentBytes in all;
// the rest are sent as links only. It reads no blob: the bytes go in when
// the mail is sent (liaison.BlobInsert).
func (o *Outbox) loadAttachments(tx *store.Tx, s *liaison.Statement) ([]attachmentData, error) {
	var out []attachmentData
	var total int64
	for _, a := range s.Attachments {
		if a.Withdrawn {
			// Taken off the public record: no mail carries it either.
			continue
		}
		ad := attachmentData{Attachment: a}
		// A file found inside a bundle ("S2-2401234.zip/S2-2401234.docx")
		// travels in its bundle: listed with its link, not carried twice.
		inner := strings.Contains(a.Name, "/")
		if o.opts.MaxAttachmentBytes > 0 && a.SHA256 != "" && !inner {
			size, err := tx.BlobSize(a.SHA256)
			switch {
			case err != nil:
				o.log.Warn("attachment not carried: blob missing", "statement", s.ID.String(), "name", a.Name, "sha256", a.SHA256, "err", err)
			case total+size <= o.opts.MaxAttachmentBytes:
				total += size
				ad.carried = true
				ad.Size = size
			}
		}
		out = append(out, ad)
	}
	return out, nil
}

// compose renders the mail and writes the RFC 5322 message, without the
// bytes of the attachments it carries: those are returned as inserts (see
// expand). Every header value that can come from outside (names, titles)
// goes through headerText, so no CR or LF ever reaches a header.
func (o *Outbox) compose(in composeInput) ([]byte, []liaison.BlobInsert, error) {
	m := in.mail
	ts := o.tmpl.Load()
	v := o.view(in)
	subject, body, err := ts.render(m.Kind, v)
	if err != nil {
		return nil, nil, err
	}
	subject = headerText(subject)
	if m.Statement != nil {
		tag := "[" + m.Statement.ID.String() + "]"
		if !strings.Contains(strings.ToUpper(subject), tag) {
			subject = strings.TrimSpace(tag + " " + subject)
		}
	}

	var fields [][2]string
	add := func(k, v string) { fields = append(fields, [2]string{k, v}) }
	add("Date", in.date.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	add("From", formatAddresses([]liaison.Address{{Name: headerText(o.opts.FromName), Email: o.opts.Alias}}))
	if len(m.To) > 0 {
		add("To", formatAddresses(m.To))
	}
	if len(m.Cc) > 0 {
		add("Cc", formatAddresses(m.Cc))
	}
	var token string
	if m.Statement != nil {
		token = liaison.ReplyToken{Statement: m.Statement.ID, SendID: in.sendID}.Encode(in.key)
		if m.Kind == liaison.MailStatement {
			rt := liaison.Address{Email: o.opts.Alias}
			if c := m.Statement.FromLiaisonContact; c != nil && c.Email != "" {
				if cl := o.cleanAddresses([]liaison.Address{*c}, "reply-to"); len(cl) == 1 {
					rt = cl[0]
				}
			}
			add("Reply-To", formatAddresses([]liaison.Address{rt}))
		} else {
			add("Reply-To", formatAddresses([]liaison.Address{{Email: o.replyAddress(token)}}))
		}
	}
	add("Subject", mime.QEncoding.Encode("utf-8", subject))
	add("Message-Id", "<"+in.messageID+">")
	inReplyTo := msgIDText(m.InReplyTo)
	var refs []string
	if m.Statement != nil {
		root := rootMessageID(m.Statement.ID, o.domain)
		if !in.root {
			refs = append(refs, root)
			// A letter to another organisation answers only mail its
			// readers saw (the statement it responds to, given as
			// InReplyTo), never our internal notifications.
			if inReplyTo == "" && m.Kind != liaison.MailStatement {
				inReplyTo = root
			}
		}
		if inReplyTo != "" && inReplyTo != root {
			refs = append(refs, inReplyTo)
		}
		refs = append(refs, "reply-"+token+"@"+o.domain)
	} else if inReplyTo != "" {
		refs = append(refs, inReplyTo)
	}
	if inReplyTo != "" {
		add("In-Reply-To", "<"+inReplyTo+">")
	}
	if len(refs) > 0 {
		add("References", "<"+strings.Join(refs, "> <")+">")
	}
	switch {
	case m.Kind == liaison.MailStatement:
		// A letter: receiving ticket systems silence machine-marked mail.
	case isAnswer(m.Kind):
		add("Auto-Submitted", "auto-replied")
		add("X-Auto-Response-Suppress", "OOF, AutoReply")
	default:
		add("Auto-Submitted", "auto-generated")
		add("X-Auto-Response-Suppress", "OOF, AutoReply")
	}
	add("X-Liaison-Loop", headerText(o.opts.Instance))
	if m.Statement != nil {
		add("X-Liaison-Statement", m.Statement.ID.String())
	}
	add("MIME-Version", "1.0")

	var parts []attachmentData
	for _, a := range in.attachments {
		if a.carried {
			parts = append(parts, a)
		}
	}
	body = normalizeNewlines(body)
	var buf bytes.Buffer
	// The header, and quoted-printable's soft line breaks and escapes:
	// growing by doubling once the text is in cost a copy of the mail.
	buf.Grow(len(body) + len(body)/8 + 4096)
	fail := func(err error) ([]byte, []liaison.BlobInsert, error) {
		return nil, nil, fmt.Errorf("compose %s mail: %w", m.Kind, err)
	}
	if len(parts) == 0 {
		add("Content-Type", "text/plain; charset=utf-8")
		add("Content-Transfer-Encoding", "quoted-printable")
		// What message.CreateWriter writes, the header having its
		// MIME-Version already.
		if err := textproto.WriteHeader(&buf, headerOf(fields).Header); err != nil {
			return fail(err)
		}
		return appendQP(buf.Bytes(), []byte(body)), nil, nil
	}
	// A boundary derived from the content keeps the bytes reproducible
	// (golden files); "=_" never occurs in quoted-printable or base64.
	sum := sha256.Sum256([]byte(body + in.messageID))
	boundary := "=_ls_" + hex.EncodeToString(sum[:12])
	add("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}))
	// The multipart body is written part by part with go-message's
	// textproto, not through message.Writer, so that an attachment part can
	// end at its header: its base64 is inserted there when the mail is sent.
	top := headerOf(fields)
	if err := textproto.WriteHeader(&buf, top.Header); err != nil {
		return fail(err)
	}
	mw := textproto.NewMultipartWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		return fail(err)
	}
	th := headerOf([][2]string{
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Disposition", "inline"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	})
	// The part's writer writes to buf as it is: the text is encoded
	// straight into buf's spare room (grown for it above) rather than into
	// a slice of its own first.
	if _, err := mw.CreatePart(th.Header); err != nil {
		return fail(err)
	}
	buf.Write(appendQP(buf.AvailableBuffer(), []byte(body)))
	var inserts []liaison.BlobInsert
	for _, a := range parts {
		mt := "application/octet-stream"
		if t, _, err := mime.ParseMediaType(a.MediaType); err == nil && strings.Contains(t, "/") {
			mt = t
		}
		// SetFilename writes RFC 2047 for a non-ASCII name, which is what
		// mail clients read; take its Content-Disposition value.
		var ah mail.AttachmentHeader
		ah.SetFilename(fileName(a.Name))
		h := headerOf([][2]string{
			{"Content-Type", mt},
			{"Content-Disposition", ah.Get("Content-Disposition")},
			{"Content-Transfer-Encoding", "base64"},
		})
		if _, err := mw.CreatePart(h.Header); err != nil {
			return fail(fmt.Errorf("attachment %q: %w", a.Name, err))
		}
		inserts = append(inserts, liaison.BlobInsert{Offset: int64(buf.Len()), SHA256: a.SHA256, Size: a.Size})
	}
	if err := mw.Close(); err != nil {
		return fail(err)
	}
	return buf.Bytes(), inserts, nil
}

// headerOf builds a header that is written in the order of fields (go-message
// writes the last added field first).
func headerOf(fields [][2]string) message.Header {
	var h message.Header
	for i := len(fields) - 1; i >= 0; i-- {
		h.Add(fields[i][0], fields[i][1])
	}
	return h
}

func formatAddresses(list []liaison.Address) string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, (&mail.Address{Name: headerText(a.Name), Address: a.Email}).String())
	}
	return strings.Join(out, ", ")
}

// headerText makes s safe for one header line: every control character
// (CR and LF above all, and the Unicode line separators) becomes a space,
// and runs of white space collapse. A title or name can therefore never
// start a header of its own. Bidirectional overrides become visible
// markers (liaison.NeutraliseBidi), so a file invoice<U+202E>fdp.exe does
// not read as invoiceexe.pdf in a subject or an attachment name.
func headerText(s string) string {
	s = liaison.NeutraliseBidi(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// msgIDText cleans a Message-ID given without brackets.
func msgIDText(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r > '~' }) {
		return ""
	}
	return s
}

// fileName keeps the last path element of name, on one line.
func fileName(name string) string {
	name = headerText(name)
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if name == "." || name == "/" || name == "" {
		return "attachment"
	}
	return name
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// View is what a template sees. Templates must guard on .S for alerts that
// are not about a statement.
type View struct {
	Kind        liaison.MailKind
	S           *liaison.Statement
	ID          string // LS-YYYY-NNNN
	RecordURL   string // PublicURL/ls/ID
	PublicURL   string
	Purpose     string // the purpose, with the sender's label when it differs
	Deadline    string // YYYY-MM-DD, or ""
	DaysLeft    int    // days from today to the deadline (negative when passed)
	Today       string
	Attachments []AttachmentView
	ReplyTo     string // where a reply goes (alias+<token>@domain)
	Alias       string
	Instance    string
	Commands    []Command
	// CommandLines are the commands that apply to S, one "\n  name help"
	// line each: ranging over Commands with a test per command was a third
	// of rendering a notification.
	CommandLines string
	Reason       string
	Subject      string // the subject of the mail answered (answers about no statement)
	Transcript   string
	Problems     []liaison.Problem
	Alert        AlertKind
	AlertText    string
	Data         map[string]any
}

// AttachmentView is one attachment as a template sees it.
type AttachmentView struct {
	Name      string
	MediaType string
	Size      int64
	URL       string
	Attached  bool // carried as a MIME part in this mail
}

// Command is one reply command and its help line.
type Command struct {
	Name string
	Help string
}

// commandHelp lists the reply commands (DESIGN 7) for help texts; templates
// see it as .Commands.
var commandHelp = [...]Command{
	{"approve", "release this outgoing statement (approvers only)"},
	{"redirect <group>", "the statement is for another group: hand it over"},
	{"add <group>", "address it to one more group, which is notified"},
	{"lead <group>", "name the lead group (coordinators, liaison managers)"},
	{"respond", "the rest is your response; sent now if you approve it"},
	{"respond-draft", "the rest is a draft response for the approvers"},
	{"taken", "the requested action was done; reminders stop"},
	{"withdraw", "withdraw the statement"},
	{"comment-public", "make this comment part of the public record"},
	{"help", "list these commands"},
	{"resend [address...]", "send this sent statement again, to all or to these"},
}

// HelpText is the list of reply commands as the help command answers it.
func HelpText() string {
	var b strings.Builder
	b.WriteString("Reply with one command per line at the top of your reply; what you\nwrite below the commands is kept with them as an internal comment:\n")
	for _, c := range commandHelp {
		fmt.Fprintf(&b, "  %-17s %s\n", c.Name, c.Help)
	}
	b.WriteString("A reply without a command is recorded as an internal comment.\n")
	// Not in every notification: only the coordinators may give it.
	fmt.Fprintf(&b, "Liaison coordinators may also reply with\n  %-17s %s", "attach", "add the files attached to the reply to the statement")
	return b.String()
}

// commandLines are the lines of .CommandLines: every command but approve
// and resend for an incoming statement. There are two texts, made once.
func commandLines(s *liaison.Statement) string {
	if s != nil && s.Direction == liaison.Incoming {
		return incomingCommandLines
	}
	return allCommandLines
}

var allCommandLines, incomingCommandLines = makeCommandLines(false), makeCommandLines(true)

func makeCommandLines(incoming bool) string {
	var b strings.Builder
	for _, c := range commandHelp {
		if incoming && (c.Name == "approve" || strings.HasPrefix(c.Name, "resend")) {
			continue
		}
		fmt.Fprintf(&b, "\n  %-17s %s", c.Name, c.Help)
	}
	return b.String()
}

func (o *Outbox) view(in composeInput) View {
	m := in.mail
	today := liaison.DateOf(in.date)
	v := View{
		Kind:         m.Kind,
		S:            m.Statement,
		PublicURL:    o.opts.PublicURL,
		Today:        today.String(),
		Alias:        o.opts.Alias,
		Instance:     o.opts.Instance,
		Commands:     commandHelp[:],
		CommandLines: commandLines(m.Statement),
		Reason:       m.Reason,
		Subject:      headerText(m.Subject),
		Transcript:   m.Transcript,
		Problems:     m.Problems,
		Alert:        m.Alert,
		AlertText:    m.AlertText,
		Data:         m.Data,
	}
	if v.Data == nil {
		v.Data = map[string]any{}
	}
	s := m.Statement
	if s == nil {
		return v
	}
	v.S = forDisplay(s)
	v.ID = s.ID.String()
	v.RecordURL = o.opts.PublicURL + "/ls/" + v.ID
	v.Purpose = purposeText(s)
	if !s.Deadline.IsZero() {
		v.Deadline = s.Deadline.String()
		v.DaysLeft = s.Deadline.DaysUntil(today)
	}
	if len(v.Problems) == 0 {
		v.Problems = s.Problems
	}
	attached := map[string]bool{}
	for _, a := range in.attachments {
		if a.carried {
			attached[a.Name] = true
		}
	}
	for _, a := range s.Attachments {
		if a.Withdrawn {
			continue
		}
		v.Attachments = append(v.Attachments, AttachmentView{
			Name: liaison.NeutraliseBidi(a.DisplayTitle()), MediaType: a.MediaType, Size: a.Size,
			URL:      v.RecordURL + "/attachments/" + url.PathEscape(a.Name),
			Attached: attached[a.Name],
		})
	}
	if m.Kind == liaison.MailStatement {
		v.ReplyTo = o.opts.Alias
		if c := s.FromLiaisonContact; c != nil && c.Email != "" {
			v.ReplyTo = c.Email
		}
	} else {
		v.ReplyTo = o.replyAddress(liaison.ReplyToken{Statement: s.ID, SendID: in.sendID}.Encode(in.key))
	}
	return v
}

// forDisplay is a copy of s for the text of a mail: the names and titles
// read out of mail have their bidirectional overrides made visible.
func forDisplay(s *liaison.Statement) *liaison.Statement {
	d := *s
	n := liaison.NeutraliseBidi
	list := func(in []string) []string {
		out := make([]string, len(in))
		for i, x := range in {
			out[i] = n(x)
		}
		return out
	}
	addrs := func(in []liaison.Address) []liaison.Address {
		out := make([]liaison.Address, len(in))
		for i, a := range in {
			out[i] = liaison.Address{Name: n(a.Name), Email: n(a.Email)}
		}
		return out
	}
	one := func(a *liaison.Address) *liaison.Address {
		if a == nil {
			return nil
		}
		c := liaison.Address{Name: n(a.Name), Email: n(a.Email)}
		return &c
	}
	d.Title, d.PurposeLabel, d.Consensus = n(s.Title), n(s.PurposeLabel), n(s.Consensus)
	d.FromBodies, d.ToBodies, d.References = list(s.FromBodies), list(s.ToBodies), list(s.References)
	d.FromContacts, d.ToContacts = addrs(s.FromContacts), addrs(s.ToContacts)
	d.FromLiaisonContact, d.ToLiaisonContact, d.Submitter = one(s.FromLiaisonContact), one(s.ToLiaisonContact), one(s.Submitter)
	d.Attachments = make([]liaison.Attachment, len(s.Attachments))
	for i, a := range s.Attachments {
		a.Name = n(a.Name)
		d.Attachments[i] = a
	}
	return &d
}

func purposeText(s *liaison.Statement) string {
	p := map[liaison.Purpose]string{
		liaison.PurposeInformation: "For Information",
		liaison.PurposeAction:      "For Action",
		liaison.PurposeResponse:    "In Response",
	}[s.Purpose]
	if p == "" {
		p = "unknown"
	}
	if l := headerText(s.PurposeLabel); l != "" && !strings.EqualFold(l, p) {
		p += " (" + l + ")"
	}
	return p
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

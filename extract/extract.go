// Package extract turns one raw mail into what the liaison office needs to
// know about it: its kind (statement, thread-reply, submission, auto-reply,
// bounce, or our own mail), the statement metadata from the cover mail and
// the attached statement document (.docx, .pdf, .html, .txt), the thread a
// reply or report belongs to, delivery-status details, and the problems a
// liaison manager must fix by hand. It is pure: bytes in, result out, no
// store and no network, within hard limits; hostile input yields a result
// with problems, never a panic or a hang.
package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset real mail uses
	"github.com/emersion/go-message/mail"

	"liaison"
)

// Limits bound the work one message may cause. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	MaxMessageBytes    int64         // raw message; beyond it only the head is read
	MaxHeaderBytes     int64         // one header block (go-message ReadOptions)
	MaxDepth           int           // MIME nesting, forwarded messages included
	MaxParts           int           // MIME parts in total
	MaxPartBytes       int64         // one decoded part
	MaxDocxEntries     int           // zip entries of a .docx
	MaxDocxBytes       int64         // uncompressed XML read from a .docx
	MaxPDFBytes        int64         // one PDF file
	MaxPDFObjects      int           // objects indexed in one PDF
	MaxPDFPages        int           // pages read from one PDF
	MaxPDFStreamBytes  int64         // one decoded PDF stream
	MaxPDFDecodedBytes int64         // all decoded streams of one PDF
	MaxTextBytes       int           // text kept from one document
	PDFTimeout         time.Duration // per PDF file
	Timeout            time.Duration // whole extraction
	// PDFHead and PDFTail bound the text read from a long PDF: its first
	// pages until their text reaches PDFHead bytes, then its last pages
	// until theirs reaches PDFTail; a line in the text names the pages
	// between, which are not read. A statement's heading and fields are
	// on its first pages, its actions, deadline and contacts often on its
	// last, and the pages between cost time.
	PDFHead, PDFTail int
}

// DefaultLimits returns limits generous for real statements (a 300-page
// PDF, a 20 MB Word file) and small enough that a hostile mail costs
// little. A function, not a variable: no caller can change them for all.
func DefaultLimits() Limits {
	return Limits{
		MaxMessageBytes:    64 << 20,
		MaxHeaderBytes:     256 << 10,
		MaxDepth:           12,
		MaxParts:           400,
		MaxPartBytes:       48 << 20,
		MaxDocxEntries:     4000,
		MaxDocxBytes:       48 << 20,
		MaxPDFBytes:        48 << 20,
		MaxPDFObjects:      400000,
		MaxPDFPages:        600,
		MaxPDFStreamBytes:  32 << 20,
		MaxPDFDecodedBytes: 160 << 20,
		MaxTextBytes:       4 << 20,
		PDFTimeout:         10 * time.Second,
		Timeout:            30 * time.Second,
		PDFHead:            12 << 10,
		PDFTail:            4 << 10,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set64 := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	seti := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set64(&l.MaxMessageBytes, d.MaxMessageBytes)
	set64(&l.MaxHeaderBytes, d.MaxHeaderBytes)
	seti(&l.MaxDepth, d.MaxDepth)
	seti(&l.MaxParts, d.MaxParts)
	set64(&l.MaxPartBytes, d.MaxPartBytes)
	seti(&l.MaxDocxEntries, d.MaxDocxEntries)
	set64(&l.MaxDocxBytes, d.MaxDocxBytes)
	set64(&l.MaxPDFBytes, d.MaxPDFBytes)
	seti(&l.MaxPDFObjects, d.MaxPDFObjects)
	seti(&l.MaxPDFPages, d.MaxPDFPages)
	set64(&l.MaxPDFStreamBytes, d.MaxPDFStreamBytes)
	set64(&l.MaxPDFDecodedBytes, d.MaxPDFDecodedBytes)
	seti(&l.MaxTextBytes, d.MaxTextBytes)
	seti(&l.PDFHead, d.PDFHead)
	seti(&l.PDFTail, d.PDFTail)
	if l.PDFTimeout <= 0 {
		l.PDFTimeout = d.PDFTimeout
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Options configure an extraction.
type Options struct {
	// Alias is the central liaison address (statements@liaison.example.org).
	// Its plus-addresses carry reply tokens, alias+submit@ takes
	// submissions, alias+post@ statements sent by other means, alias+b-<id>@ receives bounces; it is never a to_contact.
	Alias string
	// OwnAddresses are the daemon's other sending addresses: mail from them
	// is our own.
	OwnAddresses []string
	// LoopHeader is the header the daemon puts on all its mail
	// (default X-Liaison-Loop).
	LoopHeader string
	Limits     Limits
	// Now gives the time for relative judgements (default time.Now).
	Now func() time.Time
	// SHA256 is the raw message's SHA-256 in hex when the caller has it
	// already (the store keys messages by it): hashing every message
	// twice cost more than a percent of ingest. Empty: computed.
	SHA256 string
	// AsSubmission reads the mail as a submission whatever it is addressed
	// to: an administrator handed it to `liaisond submit FILE.eml`.
	AsSubmission bool
}

// DefaultLoopHeader is the daemon's loop-detection header.
const DefaultLoopHeader = "X-Liaison-Loop"

// Flag values.
const (
	FlagWordOnly = "word-only-attachment"
)

// Result is what one mail says. Lists are never nil.
type Result struct {
	Kind               liaison.Kind
	Title              string
	PurposeLabel       string // as written ("For Comment", "Action requested: review")
	Purpose            liaison.Purpose
	Deadline           liaison.Date
	FromBodies         []string
	FromContacts       []liaison.Address
	FromLiaisonContact *liaison.Address
	ToBodies           []string
	ToContacts         []liaison.Address
	ToLiaisonContact   *liaison.Address
	CcBodies           []string
	// CcContacts are the mail's Cc and the statement's Cc labels (a
	// submission's Cc-Contact): recorded; only an outgoing statement,
	// approved by our approvers, is ever sent to them.
	CcContacts []liaison.Address
	// OtherIdentifiers are the sender's own numbers for the statement
	// (its tdoc, LS or TD number), as written: never references.
	OtherIdentifiers []string
	// TechnicalContacts and ActionHolders are labelled apart from the
	// From and To contacts (rfc4053bis); the corpus JSON still counts them
	// among from_contacts and to_contacts.
	TechnicalContacts []liaison.Address
	ActionHolders     []liaison.Address
	References        []string // ids of earlier statements answered or cited
	Consensus         string
	Attachments       []*Part
	ThreadStatement   liaison.ID // the statement a reply, auto-reply or bounce belongs to
	Token             string     // reply token found, if any (not verified)
	Flags             []string
	Problems          []liaison.Problem
	Body              string // the statement text: cover mail text, then the documents' text
	// DocumentDate is the date the attached statement document gives
	// itself ("Date: 12 March 2027", "Geneva, 12 March 2027", a 3GPP
	// meeting line); Statement uses it when the mail has no Date.
	DocumentDate liaison.Date

	MessageID      string
	InReplyTo      string
	MailReferences []string
	Subject        string
	Date           time.Time
	From           liaison.Address
	ReplyTo        []liaison.Address
	Sender         string // envelope sender (Return-Path), "" for <>
	AutoSubmitted  string
	NoAutoAnswer   bool // automated, bulk or list mail: never answer it
	// AnswerTo is where an automatic answer to this mail may go (RFC 3834
	// section 4): the envelope sender, named as in From when it is the
	// same address; From only for mail put into the mailbox without SMTP
	// delivery (no Return-Path at all). Empty when no answer may go: a
	// null, list or bounce sender (then NoAutoAnswer is set too).
	AnswerTo liaison.Address
	SHA256   string

	ReplyText  string    // thread reply without quotes and signature
	FullText   string    // the whole text of the mail
	Commands   []Command // commands at the top of ReplyText
	Bounce     *Bounce
	Submission *Submission
	// PostOnly: the submission came to alias+post@, to record a statement
	// sent by other means as sent, without mailing it.
	PostOnly bool `json:"post_only,omitempty"`
	// SubmissionErrors name the fields of a submission at fault.
	SubmissionErrors []FieldError
	AuthResults      []AuthResult

	// ToBounceAddress: delivered to a VERP address of the alias
	// (alias+b-<send id>-<tag>@), where only DSNs and auto-replies belong.
	ToBounceAddress bool `json:"to_bounce_address,omitempty"`
	// Panic is the stack of a panic Extract recovered from (the result is
	// then partial, with an unparseable problem): a bug to report, kept so
	// that the caller can log it with the message it came from.
	Panic string `json:"-"`
}

type problems struct{ list []liaison.Problem }

func (p *problems) add(code, field, detail string) {
	for _, x := range p.list {
		if x.Code == code && x.Field == field && x.Detail == detail {
			return
		}
	}
	if len(p.list) < 64 {
		p.list = append(p.list, liaison.Problem{Code: code, Field: field, Detail: detail})
	}
}

func (p *problems) has(code string) bool {
	for _, x := range p.list {
		if x.Code == code {
			return true
		}
	}
	return false
}

func newResult() *Result {
	return &Result{
		Kind:         liaison.KindStatement,
		FromBodies:   []string{},
		FromContacts: []liaison.Address{},
		ToBodies:     []string{},
		ToContacts:   []liaison.Address{},
		CcBodies:     []string{},
		References:   []string{},
		Attachments:  []*Part{},
		Flags:        []string{},
		Problems:     []liaison.Problem{},
		Commands:     []Command{},
		AuthResults:  []AuthResult{},
	}
}

// Extract reads one raw message. It never returns nil and never panics:
// what it cannot read becomes a problem on the result.
func Extract(ctx context.Context, raw []byte, opts Options) (res *Result) {
	res = newResult()
	res.SHA256 = opts.SHA256
	if res.SHA256 == "" {
		sum := sha256.Sum256(raw)
		res.SHA256 = hex.EncodeToString(sum[:])
	}
	probs := &problems{}
	defer func() {
		if v := recover(); v != nil {
			// Last resort: the fuzzers keep the causes fixed at their roots.
			probs.add(liaison.ProblemUnparseable, "", fmt.Sprintf("internal error: %v", v))
			res.Panic = fmt.Sprintf("%v\n%s", v, debug.Stack())
		}
		res.Problems = append(res.Problems[:0], probs.list...)
		res.normalise()
	}()
	opts.Limits = opts.Limits.withDefaults()
	if opts.LoopHeader == "" {
		opts.LoopHeader = DefaultLoopHeader
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Limits.Timeout)
	defer cancel()

	if int64(len(raw)) > opts.Limits.MaxMessageBytes {
		probs.add(liaison.ProblemOversized, "", fmt.Sprintf("message of %d bytes: only the first %d read", len(raw), opts.Limits.MaxMessageBytes))
		raw = raw[:opts.Limits.MaxMessageBytes]
	}
	w := &walker{ctx: ctx, lim: opts.Limits, probs: probs, raw: raw}
	doc, err := w.parseMessage(raw, 0)
	if err != nil {
		code := liaison.ProblemUnparseable
		if strings.Contains(err.Error(), "exceeds maximum size") {
			code = liaison.ProblemLimit
		}
		probs.add(code, "", fmt.Sprintf("read message: %v", err))
		res.FullText = cleanText(string(raw[:min(len(raw), 1<<20)]))
		res.Body = res.FullText
		return res
	}
	if ctx.Err() != nil {
		probs.add(liaison.ProblemLimit, "", "extraction time limit reached while reading the MIME structure")
	}
	e := &extraction{ctx: ctx, opts: opts, res: res, probs: probs, doc: doc, w: w}
	e.run()
	return res
}

// extraction carries one Extract call.
type extraction struct {
	ctx   context.Context
	opts  Options
	res   *Result
	probs *problems
	doc   *mailDoc
	w     *walker

	delivered []string // topDelivered, once read
}

func (e *extraction) run() {
	h := e.doc.header
	r := e.res
	r.Subject = headerText(h, "Subject")
	r.Date, _ = h.Date()
	if id, err := h.MessageID(); err == nil {
		r.MessageID = id
	}
	if ids, err := h.MsgIDList("In-Reply-To"); err == nil && len(ids) > 0 {
		r.InReplyTo = ids[0]
	}
	if ids, err := h.MsgIDList("References"); err == nil {
		r.MailReferences = ids
	}
	if from := headerAddresses(h, "From"); len(from) > 0 {
		r.From = from[0]
	}
	r.ReplyTo = headerAddresses(h, "Reply-To")
	r.Sender = returnPath(h)
	r.AutoSubmitted = strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted")))
	r.AuthResults = parseAuthResults(h)
	prec := strings.ToLower(strings.TrimSpace(h.Get("Precedence")))
	r.NoAutoAnswer = (r.AutoSubmitted != "" && r.AutoSubmitted != "no") || h.Get("List-Id") != "" ||
		prec == "bulk" || prec == "junk" || prec == "list" || prec == "auto_reply"
	r.AnswerTo = answerAddress(h, r.From, r.Sender)
	if r.AnswerTo.Email == "" {
		r.NoAutoAnswer = true
	}
	r.FullText = strings.Join(e.doc.texts, "\n\n")
	r.Kind = e.classify()
	if e.opts.AsSubmission {
		r.Kind = liaison.KindSubmission
	}
	switch r.Kind {
	case liaison.KindOwn:
		r.ThreadStatement, r.Token = e.thread(h)
	case liaison.KindBounce:
		e.bounce()
		r.NoAutoAnswer = true
	case liaison.KindAutoReply:
		r.ThreadStatement, r.Token = e.thread(h)
		if r.ThreadStatement.IsZero() && e.doc.mdn {
			// An MDN names the message it reports on in its report part.
			for _, blk := range dsnBlocks(e.doc.deliveryStatus) {
				if m := ownMsgIDRE.FindStringSubmatch(strings.TrimSpace(blk["original-message-id"])); m != nil {
					r.ThreadStatement, _ = liaison.ParseID(m[1])
				}
			}
		}
		r.NoAutoAnswer = true
	case liaison.KindThreadReply:
		e.threadReply()
	case liaison.KindSubmission:
		e.submission()
	default:
		e.statement()
	}
}

// normalise makes the lists non-nil and addresses lower case.
func (r *Result) normalise() {
	if r.FromBodies == nil {
		r.FromBodies = []string{}
	}
	if r.ToBodies == nil {
		r.ToBodies = []string{}
	}
	if r.CcBodies == nil {
		r.CcBodies = []string{}
	}
	if r.FromContacts == nil {
		r.FromContacts = []liaison.Address{}
	}
	if r.ToContacts == nil {
		r.ToContacts = []liaison.Address{}
	}
	if r.References == nil {
		r.References = []string{}
	}
	if r.Attachments == nil {
		r.Attachments = []*Part{}
	}
	if r.Flags == nil {
		r.Flags = []string{}
	}
	if r.Problems == nil {
		r.Problems = []liaison.Problem{}
	}
	if r.Commands == nil {
		r.Commands = []Command{}
	}
	if r.AuthResults == nil {
		r.AuthResults = []AuthResult{}
	}
	if r.MailReferences == nil {
		r.MailReferences = []string{}
	}
	for i := range r.FromContacts {
		r.FromContacts[i].Email = strings.ToLower(r.FromContacts[i].Email)
	}
	for i := range r.ToContacts {
		r.ToContacts[i].Email = strings.ToLower(r.ToContacts[i].Email)
	}
}

func headerText(h mail.Header, key string) string {
	v, err := h.Text(key)
	if err != nil || v == "" {
		v = decodeWords(h.Get(key))
	}
	return strings.TrimSpace(cleanText(strings.Join(strings.Fields(v), " ")))
}

// headerAddresses parses an address header; a malformed one still yields
// the addresses written in it.
func headerAddresses(h mail.Header, key string) []liaison.Address {
	if h.Get(key) == "" {
		return nil
	}
	list, err := h.AddressList(key)
	if err == nil && len(list) > 0 {
		out := make([]liaison.Address, 0, len(list))
		for _, a := range list {
			out = append(out, liaison.NormalizeAddress(a.Name, a.Address))
		}
		return out
	}
	return findAddresses(headerText(h, key))
}

// answerAddress is where an automatic answer may go (Result.AnswerTo).
func answerAddress(h mail.Header, from liaison.Address, sender string) liaison.Address {
	if strings.TrimSpace(h.Get("Return-Path")) == "" && !h.Has("Return-Path") {
		sender = from.Email // not delivered by SMTP: no envelope to go by
	}
	if sender == "" || !strings.Contains(sender, "@") || noAnswerSender(sender) {
		return liaison.Address{}
	}
	if strings.EqualFold(sender, from.Email) {
		return liaison.NormalizeAddress(from.Name, sender)
	}
	return liaison.NormalizeAddress("", sender)
}

// noAnswerSender reports an envelope sender that no responder may answer
// (RFC 3834 section 2): mail systems, list owners and request addresses,
// bounce and no-reply addresses.
func noAnswerSender(addr string) bool {
	local := strings.ToLower(addr)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	switch local {
	case "mailer-daemon", "mail-daemon", "maildaemon", "postmaster", "nobody", "root",
		"listserv", "majordomo", "mailman", "ezmlm", "sympa":
		return true
	}
	for _, p := range []string{"owner-", "bounce", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"} {
		if strings.HasPrefix(local, p) {
			return true
		}
	}
	for _, s := range []string{"-owner", "-request", "-bounces", "-bounce", "-noreply", "-no-reply"} {
		if strings.HasSuffix(local, s) {
			return true
		}
	}
	return false
}

func returnPath(h mail.Header) string {
	v := strings.TrimSpace(h.Get("Return-Path"))
	v = strings.Trim(v, "<> ")
	return strings.ToLower(v)
}

// isOwn reports whether addr is one of the daemon's addresses (the alias,
// any plus-address of it, or an own address).
func (e *extraction) isOwn(addr string) bool {
	addr = strings.ToLower(addr)
	if addr == "" {
		return false
	}
	base := stripPlus(addr)
	if e.opts.Alias != "" && base == strings.ToLower(e.opts.Alias) {
		return true
	}
	for _, o := range e.opts.OwnAddresses {
		if base == strings.ToLower(strings.TrimSpace(o)) || addr == strings.ToLower(strings.TrimSpace(o)) {
			return true
		}
	}
	return false
}

// stripPlus removes the +tag of a sub-address.
func stripPlus(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local := addr[:at]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + addr[at:]
}

// plusTag returns the +tag of a sub-address of the alias (any base when no
// alias is configured).
func (e *extraction) plusTag(addr string) string {
	addr = strings.ToLower(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	local := addr[:at]
	i := strings.IndexByte(local, '+')
	if i < 0 {
		return ""
	}
	if e.opts.Alias != "" {
		base := stripPlus(addr)
		if base != strings.ToLower(e.opts.Alias) && !e.isOwn(base) {
			return ""
		}
	}
	return local[i+1:]
}

// envelopeAddresses are the headers that may carry the address the mail
// was delivered to.
var envelopeHeaders = []string{"To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Delivered-To", "X-Rcpt-To", "Original-Recipient"}

// topDelivered is deliveredAddresses of the mail's own header, read once:
// classifying a mail asks for them twice or three times.
func (e *extraction) topDelivered() []string {
	if e.delivered == nil {
		e.delivered = e.deliveredAddresses(e.doc.header)
		if e.delivered == nil {
			e.delivered = []string{}
		}
	}
	return e.delivered
}

func (e *extraction) deliveredAddresses(h mail.Header) []string {
	var out []string
	for _, k := range envelopeHeaders {
		for _, v := range headerValues(h.Header, k) {
			for _, a := range findAddresses(v) {
				out = append(out, a.Email)
			}
		}
	}
	return out
}

// headerValues returns every value of a header field, raw.
func headerValues(h message.Header, key string) []string {
	var out []string
	fs := h.FieldsByKey(key)
	for fs.Next() && len(out) < 64 {
		out = append(out, fs.Value())
	}
	return out
}

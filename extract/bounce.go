package extract

import (
	"strconv"
	"strings"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// Bounce is what a delivery status notification reports.
type Bounce struct {
	// SendID is the outbox id from the VERP address alias+b-<id>-<tag>@ or
	// from the envelope id b-<id>-<tag> (0 if none).
	SendID uint64 `json:"send_id,omitempty"`
	// SendTag is the tag that signs SendID (liaison.BounceTag); the office
	// believes a report only when it verifies. Empty for an unsigned id.
	SendTag            string         `json:"send_tag,omitempty"`
	OriginalEnvelopeID string         `json:"original_envelope_id,omitempty"`
	ReportingMTA       string         `json:"reporting_mta,omitempty"`
	Recipients         []DSNRecipient `json:"recipients"`
	// ReturnedMessageID is the Message-ID of the returned message (our mail).
	ReturnedMessageID string `json:"returned_message_id,omitempty"`
	ReturnedSubject   string `json:"returned_subject,omitempty"`
	// DMARC is set for a DMARC policy rejection (5.7.x naming DMARC): the
	// address is fine, our mail was refused for its authentication.
	DMARC bool `json:"dmarc"`
	// Standard is false for a bounce recognised only by its sender
	// (MAILER-DAEMON with an empty return path), without a DSN part.
	Standard bool `json:"standard"`
}

// DSNRecipient is one per-recipient block of an RFC 3464 report.
type DSNRecipient struct {
	FinalRecipient    string `json:"final_recipient"`
	OriginalRecipient string `json:"original_recipient,omitempty"`
	Action            string `json:"action"` // failed, delayed, delivered, relayed, expanded
	Status            string `json:"status"` // 5.1.1
	DiagnosticCode    string `json:"diagnostic_code,omitempty"`
	RemoteMTA         string `json:"remote_mta,omitempty"`
}

// Failed reports whether the recipient's delivery failed for good.
func (d DSNRecipient) Failed() bool { return d.Action == "failed" }

var (
	statusCodeRE  = prefilter.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
	verpRE        = prefilter.MustCompile(`(?i)\+b-(\d{1,19})(?:-([a-z2-7]{1,32}))?@`)
	envIDRE       = prefilter.MustCompile(`(?i)^b-(\d{1,19})(?:-([a-z2-7]{1,32}))?$`)
	bounceRcptRE  = prefilter.MustCompile(`(?m)^\s*<([^<>\s]+@[^<>\s]+)>:?`)
	dmarcCodeRE   = prefilter.MustCompile(`\b5\.7\.\d{1,3}\b`)
	quotedOwnIDRE = prefilter.MustCompile(`(?i)<(ls-\d{4}-\d{4,})\.[^<>\s]*@[^<>\s]+>`)
)

func (e *extraction) bounce() {
	r := e.res
	b := &Bounce{Recipients: []DSNRecipient{}}
	r.Bounce = b
	blocks := dsnBlocks(e.doc.deliveryStatus)
	if len(blocks) > 0 {
		b.Standard = true
		msg := blocks[0]
		b.ReportingMTA = typedValue(msg["reporting-mta"])
		b.OriginalEnvelopeID = strings.TrimSpace(msg["original-envelope-id"])
		for _, blk := range blocks[1:] {
			rc := DSNRecipient{
				FinalRecipient:    strings.ToLower(typedValue(blk["final-recipient"])),
				OriginalRecipient: strings.ToLower(typedValue(blk["original-recipient"])),
				Action:            strings.ToLower(strings.TrimSpace(blk["action"])),
				Status:            strings.TrimSpace(blk["status"]),
				DiagnosticCode:    oneLine(blk["diagnostic-code"]),
				RemoteMTA:         typedValue(blk["remote-mta"]),
			}
			if m := statusCodeRE.FindString(rc.Status); m != "" {
				rc.Status = m
			}
			if rc.FinalRecipient == "" && rc.Action == "" {
				continue
			}
			if rc.Status == "" {
				rc.Status = statusCodeRE.FindString(rc.DiagnosticCode)
			}
			b.Recipients = append(b.Recipients, rc)
			if len(b.Recipients) >= 256 {
				break
			}
		}
		// Some MTAs put the envelope id among the recipient fields.
		if b.OriginalEnvelopeID == "" {
			for _, blk := range blocks {
				if v := strings.TrimSpace(blk["original-envelope-id"]); v != "" {
					b.OriginalEnvelopeID = v
					break
				}
			}
		}
	} else {
		// A non-standard bounce: read recipient and status from its text.
		text := r.FullText
		rc := DSNRecipient{Action: "failed"}
		if m := bounceRcptRE.FindStringSubmatch(text); m != nil {
			rc.FinalRecipient = strings.ToLower(m[1])
		}
		rc.Status = statusCodeRE.FindString(text)
		if strings.HasPrefix(rc.Status, "4.") {
			rc.Action = "delayed"
		}
		if rc.FinalRecipient != "" || rc.Status != "" {
			b.Recipients = append(b.Recipients, rc)
		}
	}
	for _, rc := range b.Recipients {
		if strings.HasPrefix(rc.Status, "5.7.") && strings.Contains(strings.ToLower(rc.DiagnosticCode), "dmarc") {
			b.DMARC = true
		}
	}
	if !b.DMARC && len(b.Recipients) == 0 {
		low := strings.ToLower(r.FullText)
		if strings.Contains(low, "dmarc") && dmarcCodeRE.MatchString(low) {
			b.DMARC = true
		}
	}
	// VERP: the report went to alias+b-<send id>-<tag>@. A signed id wins
	// over an unsigned one wherever it was found.
	h := e.doc.header
	take := func(m []string) {
		id, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil || id == 0 || (b.SendTag != "" && m[2] == "") {
			return
		}
		if b.SendID == 0 || (b.SendTag == "" && m[2] != "") {
			b.SendID, b.SendTag = id, strings.ToLower(m[2])
		}
	}
	for _, k := range append([]string{"Return-Path"}, envelopeHeaders...) {
		for _, v := range headerValues(h.Header, k) {
			if m := verpRE.FindStringSubmatch(v); m != nil {
				take(m)
			}
		}
	}
	if b.SendTag == "" {
		// The report text (X-Postfix-Sender) or the returned header may name it.
		texts := []string{e.doc.deliveryStatus}
		if e.doc.returned != nil {
			texts = append(texts, e.doc.returned.Get("Return-Path"))
		}
		for _, t := range texts {
			if m := verpRE.FindStringSubmatch(t); m != nil {
				take(m)
			}
		}
	}
	if m := envIDRE.FindStringSubmatch(strings.TrimSpace(b.OriginalEnvelopeID)); m != nil {
		take(m)
	}
	// The statement: from the returned message, else from the report itself.
	if ret := e.doc.returned; ret != nil {
		if id, err := ret.MessageID(); err == nil {
			b.ReturnedMessageID = id
		}
		if b.ReturnedMessageID == "" {
			if m := angleIDRE.FindStringSubmatch(ret.Get("Message-Id")); m != nil {
				b.ReturnedMessageID = m[1]
			}
		}
		b.ReturnedSubject = headerText(*ret, "Subject")
		if m := ownMsgIDRE.FindStringSubmatch(b.ReturnedMessageID); m != nil {
			r.ThreadStatement, _ = liaison.ParseID(m[1])
		}
		if r.ThreadStatement.IsZero() {
			r.ThreadStatement, r.Token = e.thread(*ret)
		}
		if r.ThreadStatement.IsZero() {
			// Reply-To of the returned mail carries the reply token.
			for _, a := range headerAddresses(*ret, "Reply-To") {
				if tag := e.plusTag(a.Email); tag != "" {
					if t, err := liaison.DecodeReplyToken(tag); err == nil {
						r.ThreadStatement, r.Token = t.Statement, tag
					}
				}
			}
		}
	}
	if r.ThreadStatement.IsZero() {
		r.ThreadStatement, r.Token = e.thread(h)
	}
	if r.ThreadStatement.IsZero() {
		// Non-standard bounces quote the returned mail in their text.
		if m := quotedOwnIDRE.FindStringSubmatch(r.FullText); m != nil {
			r.ThreadStatement, _ = liaison.ParseID(m[1])
		} else if m := subjectTagRE.FindStringSubmatch(r.FullText); m != nil {
			r.ThreadStatement, _ = liaison.ParseID(m[1])
		}
	}
}

// dsnBlocks splits a message/delivery-status body into its header blocks
// (per-message first, then one per recipient), field names lower-cased,
// folded lines joined.
func dsnBlocks(s string) []map[string]string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []map[string]string
	cur := map[string]string{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = map[string]string{}
		}
		last = ""
	}
	for _, ln := range strings.Split(s, "\n") {
		if strings.TrimSpace(ln) == "" {
			flush()
			continue
		}
		if (ln[0] == ' ' || ln[0] == '\t') && last != "" {
			cur[last] += " " + strings.TrimSpace(ln)
			continue
		}
		i := strings.IndexByte(ln, ':')
		if i <= 0 {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(ln[:i]))
		if _, dup := cur[k]; !dup {
			cur[k] = strings.TrimSpace(ln[i+1:])
		}
		last = k
		if len(out) > 512 {
			break
		}
	}
	flush()
	return out
}

// typedValue strips the address type of "rfc822; user@example.net".
func typedValue(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

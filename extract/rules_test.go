package extract

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// plainMail wraps a body in a minimal mail from a liaison sender.
func plainMail(subject, body string) []byte {
	body = strings.ReplaceAll(body, "\n", "\r\n")
	return []byte("From: Ana Ribeiro <ana@example.net>\r\nTo: statements@liaison.example.org\r\n" +
		"Subject: " + subject + "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@example.net>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

func extractText(t *testing.T, subject, body string) *Result {
	t.Helper()
	return Extract(context.Background(), plainMail(subject, body), testOptions())
}

// TestProseDeadline: letters without labels ask for an answer by a date in
// their own words; dates of meetings, publications and approvals are not
// deadlines.
func TestProseDeadline(t *testing.T) {
	tests := []struct {
		name, body    string
		deadline, pur string
	}{
		{"invite comments by", "Dear colleagues,\n\nWe invite MADINAS to review clause 12.2.11 and to provide any\ncomments by 15 Jan 2027, so that they can be considered.", "2027-01-15", "action"},
		{"by on the next line", "We would appreciate the Working Group's feedback on the proposed registrations by\n15 February 2027. Please send responses to x@example.org.", "2027-02-15", "action"},
		{"please respond by", "SG13 is revising Y.3800.\n\nPlease respond by 1 March 2027.", "2027-03-01", "action"},
		{"reply by us date", "Kindly reply by March 1, 2027 with your views.", "2027-03-01", "action"},
		{"no later than", "Please send your comments no later than 28 February 2027.", "2027-02-28", "action"},
		{"before a date", "We would welcome your input before 1 March 2027.", "2027-03-01", "action"},
		{"weekday", "Please provide feedback by Friday, 15 January 2027.", "2027-01-15", "action"},
		{"no year", "Please send us your comments by 15 January so that SG13 can consider them.", "2027-01-15", "action"},
		{"no year us", "We kindly request a response before January 20th.", "2027-01-20", "action"},
		{"end of month", "We would appreciate your feedback by the end of March 2027.", "2027-03-31", "action"},
		{"published on", "The draft was published on 1 December 2026. We welcome comments from the IETF.", "", ""},
		{"approved by the board", "The amendment is expected to be approved by the IEEE SA Standards Board on 12 March 2027.\nComments are welcome.", "", ""},
		{"meeting span", "Please provide comments before the next SG13 meeting in Geneva, 10-14 May 2027.", "", ""},
		{"meeting ordinal span", "Q2/13 asks for feedback, if possible before CT4#134 (8th - 12th February 2027).", "", ""},
		{"agreed at a meeting", "This was agreed at our plenary on 13 November 2026. We look forward to your comments.", "", ""},
		{"no request", "The IETF replied by 15 January 2027 and we thank them for the response.", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := extractText(t, "Liaison statement on Y.3800", tt.body)
			d := ""
			if !r.Deadline.IsZero() {
				d = r.Deadline.String()
			}
			if d != tt.deadline {
				t.Errorf("deadline %q, want %q", d, tt.deadline)
			}
			if string(r.Purpose) != tt.pur && tt.pur != "" {
				t.Errorf("purpose %q, want %q", r.Purpose, tt.pur)
			}
		})
	}
}

// TestLabelledDeadlineSpan: a labelled deadline that names a meeting by
// its days is no calendar deadline; one that states one date is.
func TestLabelledDeadlineSpan(t *testing.T) {
	tests := []struct{ label, want string }{
		{"Deadline: before the next SG13 meeting in Geneva 10-14 May 2027", ""},
		{"Deadline: SG13 meeting, 10 May - 14 May 2027", ""},
		{"Deadline: May 10-14, 2027 (next meeting)", ""},
		{"Deadline: 15 January 2027 (before the SG13 meeting)", "2027-01-15"},
		{"Action due date: 2027-04-30", "2027-04-30"},
		{"Comment deadline: 1 March 2027", "2027-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			r := extractText(t, "LS on CPN", "Title: LS on CPN\nFrom: ITU-T SG13\nTo: IETF ALTO WG\nPurpose: For action\n"+tt.label+"\n")
			d := ""
			if !r.Deadline.IsZero() {
				d = r.Deadline.String()
			}
			if d != tt.want {
				t.Fatalf("deadline %q, want %q", d, tt.want)
			}
		})
	}
}

// TestPurposeCodes: ISO/IEC JTC 1 headers give the purpose as a code.
func TestPurposeCodes(t *testing.T) {
	tests := []struct{ head, want string }{
		{"Expected action: ACT\nAction due date: 2027-04-30", "action"},
		{"Expected action: FYI", "information"},
		{"Expected action: COM", "information"},
		{"Expected action: COM\nDue date: 2027-03-01", "action"},
	}
	for _, tt := range tests {
		t.Run(tt.head, func(t *testing.T) {
			r := extractText(t, "SC 6 N 17822", "Document type: Liaison Organization Contribution\nTitle: X.509 revision\n"+
				"Source: ISO/IEC JTC 1/SC 6\nProject: ISO/IEC 9594-8\nStatus: For review\n"+tt.head+"\n")
			if string(r.Purpose) != tt.want {
				t.Fatalf("purpose %q, want %q", r.Purpose, tt.want)
			}
		})
	}
}

// TestThreeGPPAsk: an ACTION that only asks to take answers into account
// needs no answer; one asking for feedback does.
func TestThreeGPPAsk(t *testing.T) {
	head := "Title:\tReply LS on L4S\nResponse to:\tLS on L4S (LS-2026-0011 / R2-2312345)\nSource:\tTSG RAN WG2\nTo:\tIETF TSVWG\n\n" +
		"1. Overall Description:\nRAN2 provides the following answers.\n2. Actions:\nTo IETF TSVWG.\n"
	tests := []struct{ action, want string }{
		{"ACTION: RAN2 respectfully asks IETF TSVWG to take the above answers into account.", "response"},
		{"ACTION: RAN2 kindly asks IETF TSVWG to note the above.", "response"},
		{"ACTION: RAN2 asks IETF TSVWG to take the above into account and provide feedback.", "action"},
		{"ACTION: RAN2 asks IETF TSVWG to answer the question above.", "action"},
		{"ACTION: RAN2 asks IETF TSVWG to provide feedback by 1st March 2027.", "action"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			r := extractText(t, "R2-2614377", head+tt.action+"\n3. Date of Next TSG-RAN WG2 Meetings:\nRAN2#137\t15th - 19th February 2027\tAthens\n")
			if string(r.Purpose) != tt.want {
				t.Fatalf("purpose %q, want %q", r.Purpose, tt.want)
			}
			if !r.Deadline.IsZero() && !strings.Contains(tt.action, "March") {
				t.Fatalf("deadline %s from the meetings", r.Deadline)
			}
		})
	}
}

// TestBodiesWithPeople: IEEE letters write the chairs and their office in
// the From/To line.
func TestBodiesWithPeople(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Dorothy Stanley, Chair, IEEE 802.11 Working Group", "IEEE 802.11 Working Group"},
		{"Carlos Bernardos and Juan-Carlos Zúñiga, Chairs, IETF MADINAS WG", "IETF MADINAS WG"},
		{"Mr. Günther Schäfer, Convenor, ISO/IEC JTC 1/SC 6/WG 10", "ISO/IEC JTC 1/SC 6/WG 10"},
		{"Paul Nikolich (Chair), IEEE 802 LMSC", "IEEE 802 LMSC"},
		{"Glenn Parsons, Vice-Chair, IEEE 802.1", "IEEE 802.1"},
		{"Chair, IEEE 802.3 Working Group", "IEEE 802.3 Working Group"},
		{"ITU-T SG15, IEEE 802.1", "ITU-T SG15|IEEE 802.1"},
		{"Broadband Forum, Liaison Officer", "Broadband Forum"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, it := range splitBodies(tt.in) {
				got = append(got, it.Name)
			}
			if strings.Join(got, "|") != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWrappedCitation: an id at the start of a wrapped line is cited by
// the words on the line above.
func TestWrappedCitation(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"id wrapped", "SG13 thanks the IETF for its reply (LS-2026-0009) to our earlier liaison\nSG13-LS98 on IMT-2030 networks.", "LS-2026-0009|SG13-LS98"},
		{"url wrapped", "This LS is a follow-up to SG13-LS120 and takes into account the IETF reply\nhttps://datatracker.ietf.org/liaison/1987/.", "SG13-LS120|https://datatracker.ietf.org/liaison/1987/"},
		{"sentence ended", "We thank you for your reply.\nSG13-LS77 is attached for information.", ""},
		{"labelled line", "Title: Reply to your LS on CPN\nTD 1234 (PLEN/13)\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := extractText(t, "LS on IMT-2030", "From: ITU-T SG13\nTo: IETF\n\n"+tt.body)
			if got := strings.Join(r.References, "|"); got != tt.want {
				t.Fatalf("references %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFilenameContinuation: RFC 2231 continuations in a charset Go does
// not decode keep every segment.
func TestFilenameContinuation(t *testing.T) {
	tests := []struct{ cd, ct, want string }{
		{"attachment;\r\n filename*0*=ISO-8859-1''NFV%2826%29000412r1_R%E9ponse_LS_to_IETF_NMO;\r\n filename*1*=P.docx",
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "NFV(26)000412r1_Réponse_LS_to_IETF_NMOP.docx"},
		{"attachment; filename*0=\"SG15-LS45-\"; filename*1=\"annex.pdf\"", "application/pdf", "SG15-LS45-annex.pdf"},
		{"attachment", "application/pdf; name*0*=windows-1252''%80uro; name*1*=.pdf", "€uro.pdf"},
		{"attachment; filename=\"plain.pdf\"", "application/pdf", "plain.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var h message.Header
			h.Set("Content-Disposition", tt.cd)
			h.Set("Content-Type", tt.ct)
			_, params, _ := h.ContentType()
			if got := partFilename(h, params); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAddresseeFallback: without a To label or heading, the subject's "to
// X" and then the greeting name the addressee.
func TestAddresseeFallback(t *testing.T) {
	tests := []struct{ subject, body, want string }{
		{"Liaison from W3C WebAppSec WG to IETF HTTPBIS: Fetch Metadata", "Dear HTTPBIS chairs,\n\nWe write about Fetch Metadata.", "IETF HTTPBIS"},
		{"Fetch Metadata registrations", "Dear HTTPBIS chairs,\n\nWe write about Fetch Metadata.", "HTTPBIS"},
		{"Fetch Metadata registrations", "Dear IETF ABC WG,\n\nWe write about Fetch Metadata.", "IETF ABC WG"},
		{"LS to IETF OPSAWG on YANG", "Dear colleagues,\n\nWe write about YANG.", "IETF OPSAWG"},
		{"Fetch Metadata registrations", "Dear Carlos and Juan-Carlos,\n\nWe write.", ""},
		{"W3C WebAppSec to IETF HTTPBIS: Fetch Metadata", "Dear colleagues,\n\nWe write.", "IETF HTTPBIS"},
		{"Re: Reply to IETF AIPREF on AI preference vocabulary", "Dear colleagues,\n\nWe write.", "IETF AIPREF"},
		{"Response to IETF comments on Y.3800", "Dear colleagues,\n\nWe write.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.subject+"/"+tt.want, func(t *testing.T) {
			r := extractText(t, tt.subject, tt.body)
			if got := strings.Join(r.ToBodies, "|"); got != tt.want {
				t.Fatalf("to_bodies %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUnknownLabelEndsValue: a line under a label we do not know is a field
// of its own, not the wrapped end of the value above.
func TestUnknownLabelEndsValue(t *testing.T) {
	tests := []struct{ text, key, want string }{
		{"To:\tIETF OPSAWG\nAttention:\tHenk Birkholz, Joe Clarke, OPSAWG Chairs\nFrom:\tMEF TC", "to", "IETF OPSAWG"},
		{"Purpose:\tFor comment\nRequested response date:\tJanuary 29, 2027\nContact:\tDave", "purpose", "For comment"},
		{"Title: LS on the use of ALTO in\ncomputing power networks\nFrom: ITU-T SG13", "title", "LS on the use of ALTO in\ncomputing power networks"},
		{"To:\nIETF CCAMP WG: for action\nIETF TEAS WG: for information\nFrom: ITU-T SG15", "to", "IETF CCAMP WG: for action\nIETF TEAS WG: for information"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			for _, f := range Labels(tt.text) {
				if f.Key == tt.key {
					if f.Value != tt.want {
						t.Fatalf("%s = %q, want %q", tt.key, f.Value, tt.want)
					}
					return
				}
			}
			t.Fatalf("no %s field", tt.key)
		})
	}
}

// TestHTMLBetter: the HTML alternative is read when the plain one is a
// stub or lost its lines.
func TestHTMLBetter(t *testing.T) {
	html := "From: W3C VC WG\nTo: IETF SPICE WG\nSubject: SD-JWT VC\n\nDear SPICE chairs, we write about the VC data model and its media types and would welcome comments."
	tests := []struct {
		plain string
		want  bool
	}{
		{"This message is in HTML format. Please view it in an HTML-capable mail reader.", true},
		{"From: W3C VC WG   To: IETF SPICE WG   Subject: SD-JWT VC   Dear SPICE chairs, we write about the VC data model and its media types and would welcome comments.", true},
		{html, false},
	}
	for _, tt := range tests {
		if got := htmlBetter(html, tt.plain); got != tt.want {
			t.Errorf("%.30q: got %v, want %v", tt.plain, got, tt.want)
		}
	}
}

// TestThanksBodies: a reply's opening thanks name both bodies.
func TestThanksBodies(t *testing.T) {
	tests := []struct{ text, from, to string }{
		{"The Broadband Forum thanks the IETF OPSAWG for its liaison statement on YANG.", "Broadband Forum", "IETF OPSAWG"},
		{"1. Overall Description:\nCT4 thanks IETF DIME for the LS on the DOIC rate algorithm.", "CT4", "IETF DIME"},
		{"We thank you for your liaison.", "", ""},
		{"Thank you for your liaison statement LS-2026-0012.", "", ""},
		{"Dorothy Stanley thanks Juan Carlos for his help.", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			from, to := thanksBodies([]*source{{text: tt.text}})
			if from != tt.from || to != tt.to {
				t.Fatalf("got %q, %q; want %q, %q", from, to, tt.from, tt.to)
			}
		})
	}
}

// TestReplyTitlePurpose: a letter titled as a reply that asks for nothing
// is a response; an explicit label still wins.
func TestReplyTitlePurpose(t *testing.T) {
	tests := []struct{ subject, body, want string }{
		{"Reply to IETF AIPREF on AI preference vocabulary", "From: ETSI TC SAI\nTo: IETF AIPREF WG\n\nThank you for your LS-2026-0012. No further action is requested.", "response"},
		{"Reply LS on L4S support", "From: RAN2\nTo: IETF TSVWG\n\nThis is for your information.", "response"},
		{"Reply LS on L4S support", "From: RAN2\nTo: IETF TSVWG\nPurpose: For information\n", "information"},
		{"LS on L4S support", "From: RAN2\nTo: IETF TSVWG\n\nThis is for your information.", "information"},
		{"LS on L4S support", "From: RAN2\nTo: IETF TSVWG\nResponse to: LS on ECN (LS-2026-0011)\n\nThis is for your information.", "response"},
	}
	for _, tt := range tests {
		t.Run(tt.subject+"/"+tt.want, func(t *testing.T) {
			if r := extractText(t, tt.subject, tt.body); string(r.Purpose) != tt.want {
				t.Fatalf("purpose %q, want %q", r.Purpose, tt.want)
			}
		})
	}
}

// TestBodiesWithBrackets: commas inside brackets do not split a body, and
// a bracket that only names people goes.
func TestBodiesWithBrackets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"IEEE 802.11 WG (Dorothy Stanley, Chair)", "IEEE 802.11 WG"},
		{"IETF MADINAS WG (Carlos Bernardos and Juan-Carlos Zúñiga)", "IETF MADINAS WG"},
		{"ITU-T SG15 (Q11/15, Q12/15), IEEE 802.1", "ITU-T SG15 (Q11/15, Q12/15)|IEEE 802.1"},
		{"O-RAN ALLIANCE WG9 (Xhaul Transport Work Group)", "O-RAN ALLIANCE WG9 (Xhaul Transport Work Group)"},
		{"ITU-T-SG-15 (Stephen Trowbridge <steve@example.net>)", "ITU-T-SG-15"},
		{"IETF TEAS (unclosed\nIETF CCAMP", "IETF TEAS (unclosed|IETF CCAMP"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, it := range splitBodies(tt.in) {
				got = append(got, it.Name)
			}
			if strings.Join(got, "|") != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

package workflow_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// TestAttachmentFromItsMailText: an attachment kept as its base64 text in
// the mail it came in reaches the chairs' notification byte for byte,
// whatever the layout of that text: copied as it is when it is what the
// sender writes, decoded and encoded anew when it is not.
func TestAttachmentFromItsMailText(t *testing.T) {
	b64Line := regexp.MustCompile(`^[A-Za-z0-9+/=]{20,}$`)
	for _, tc := range []struct {
		name  string
		width int
		eol   string
	}{
		{"76 columns, CRLF", 76, "\r\n"},
		{"72 columns, CRLF", 72, "\r\n"},
		{"64 columns, LF", 64, "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			// The attachment's base64, laid out again.
			lines := strings.Split(string(h.sg15Statement("sg15-wrap@example.com")), "\r\n")
			var out []string
			for i := 0; i < len(lines); {
				j := i
				for j < len(lines) && b64Line.MatchString(lines[j]) {
					j++
				}
				if j-i < 3 {
					out = append(out, lines[i])
					i++
					continue
				}
				text := strings.Join(lines[i:j], "")
				var wrapped []string
				for len(text) > tc.width {
					wrapped = append(wrapped, text[:tc.width])
					text = text[tc.width:]
				}
				out = append(out, strings.Join(append(wrapped, text), tc.eol))
				i = j
			}
			h.deliver([]byte(strings.Join(out, "\r\n")))
			h.cycle()

			ss := h.statements()
			if len(ss) != 1 || len(ss[0].Attachments) != 1 {
				t.Fatalf("statements %v, want one with its attachment", ss)
			}
			sum := ss[0].Attachments[0].SHA256
			notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
			if !slices.Contains(notify.AttachmentSums, sum) {
				t.Errorf("notification attachment sums %q, want %s", notify.AttachmentSums, sum)
			}
			if err := h.db.View(h.ctx, func(tx *store.Tx) error {
				_, isText, err := tx.AppendBlobText(nil, sum)
				if err == nil && !isText {
					t.Errorf("the attachment was stored as bytes, not as its text in the mail")
				}
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
}

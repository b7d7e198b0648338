package extract

import (
	"context"
	"testing"
)

func TestWholeParts(t *testing.T) {
	ctx := context.Background()
	raw := coverMail("LS on things", attachment{"ls.pdf", "application/pdf", randomBytes(5000)}, attachment{"annex.pdf", "application/pdf", randomBytes(3000)})
	r := Extract(ctx, raw, testOptions())
	if !r.WholeParts() {
		t.Errorf("a clean mail: WholeParts false (%v)", r.Problems)
	}
	if len(r.Attachments) != 2 || r.Attachments[0].Encoded.Len == 0 || r.Attachments[1].Encoded.Off <= r.Attachments[0].Encoded.Off {
		t.Errorf("attachments not located in order: %+v", r.Attachments)
	}
	opts := testOptions()
	opts.Limits.MaxPartBytes = 1000
	if r := Extract(ctx, raw, opts); r.WholeParts() {
		t.Errorf("parts cut at 1000 bytes: WholeParts true (%v)", r.Problems)
	}
}

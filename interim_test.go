package liaison_test

import (
	"testing"

	"liaison"
)

func TestLooksInterim(t *testing.T) {
	for _, c := range []struct {
		name, title, text string
		want              bool
	}{
		{"StatusLabel", "Response to LS on OTN", "Status: the WG discusses the model at IETF 125.", true},
		{"WorkingOnIt", "Re: LS on OTN", "Thank you. We are working on it and will reply by March.", true},
		{"InterimTitle", "Interim response on OTN YANG", "CCAMP has started a review.", true},
		{"WillRespondLater", "Response", "CCAMP will respond after its next meeting.", true},
		{"Answer", "Response to LS on OTN", "CCAMP agrees with the proposed alignment and has updated the model.", false},
		{"FinalMarked", "Response", "Final response. Status: done; the model is aligned.", false},
		{"LateMention", "Response", "CCAMP agrees.\n\n" + string(make([]byte, 1600)) + "We are working on it.", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := liaison.LooksInterim(c.title, c.text); got != c.want {
				t.Errorf("LooksInterim(%q, %q) = %v, want %v", c.title, c.text, got, c.want)
			}
		})
	}
}

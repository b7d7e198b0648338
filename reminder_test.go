package liaison_test

import (
	"testing"

	"liaison"
)

func TestDueReminder(t *testing.T) {
	d := func(s string) liaison.Date {
		v, err := liaison.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	offsets := []int{14, 7, 4, 3, 2, 1, 0}
	deadline := d("2027-01-15")
	tests := []struct {
		name    string
		today   string
		every   int
		sent    []string
		offsets []int
		key     string
		kind    liaison.MailKind
	}{
		{name: "far ahead", today: "2026-12-01"},
		{name: "day before first", today: "2026-12-31"},
		{name: "two weeks", today: "2027-01-01", key: "reminder 14d", kind: liaison.MailReminder},
		{name: "between 14 and 7 repeats nothing new", today: "2027-01-05", sent: []string{"reminder 14d"}},
		{name: "between 14 and 7 after downtime", today: "2027-01-05", key: "reminder 14d", kind: liaison.MailReminder},
		{name: "one week", today: "2027-01-08", sent: []string{"reminder 14d"}, key: "reminder 7d", kind: liaison.MailReminder},
		{name: "down a week: only the latest", today: "2027-01-12", key: "reminder 3d", kind: liaison.MailReminder},
		{name: "already sent", today: "2027-01-12", sent: []string{"reminder 3d"}},
		{name: "deadline day", today: "2027-01-15", key: "reminder 0d", kind: liaison.MailReminder},
		{name: "first overdue", today: "2027-01-16", key: "overdue 2027-01-16", kind: liaison.MailOverdue},
		{name: "overdue sent", today: "2027-01-20", sent: []string{"overdue 2027-01-16"}},
		{name: "second overdue", today: "2027-01-23", sent: []string{"overdue 2027-01-16"}, key: "overdue 2027-01-23", kind: liaison.MailOverdue},
		{name: "overdue after long downtime", today: "2027-03-01", sent: []string{"overdue 2027-01-16"}, key: "overdue 2027-02-27", kind: liaison.MailOverdue},
		{name: "overdue every 3", today: "2027-01-22", every: 3, key: "overdue 2027-01-22", kind: liaison.MailOverdue},
		{name: "overdue once only", today: "2027-02-22", every: -1, sent: []string{"overdue 2027-01-16"}},
		{name: "no offsets", today: "2027-01-14", offsets: []int{}},
		{name: "custom offsets", today: "2027-01-10", offsets: []int{30, 5}, key: "reminder 5d", kind: liaison.MailReminder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			every := tt.every
			if every == 0 {
				every = 7
			}
			off := tt.offsets
			if off == nil {
				off = offsets
			}
			key, kind, ok := liaison.DueReminder(deadline, d(tt.today), off, every, tt.sent)
			if ok != (tt.key != "") || key != tt.key || kind != tt.kind {
				t.Errorf("DueReminder(%s) = %q, %q, %v; want %q, %q", tt.today, key, kind, ok, tt.key, tt.kind)
			}
		})
	}
	if _, _, ok := liaison.DueReminder(liaison.Date{}, d("2027-01-01"), offsets, 7, nil); ok {
		t.Error("reminder for a statement without deadline")
	}
}

package liaison

import (
	"slices"
	"strconv"
	"time"
)

// DueReminder decides which deadline reminder, if any, is due on day today
// for a statement with deadline, given the reminders already sent (their
// keys, as recorded in reminder-sent events). Before and on the deadline a
// reminder is due offsets[i] days before it ("reminder 7d"); after it, an
// overdue reminder is due the day after the deadline and then every
// overdueEvery days ("overdue 2027-01-22", the day it fell due; a
// non-positive overdueEvery means only the first). Only the latest reminder
// that has fallen due is returned, so a daemon that was down for a week
// sends one reminder, not four; ok is false when that one was sent already.
// Whether the statement is still open is the caller's business.
func DueReminder(deadline, today Date, offsets []int, overdueEvery int, sent []string) (key string, kind MailKind, ok bool) {
	if deadline.IsZero() || today.IsZero() {
		return "", "", false
	}
	days := deadline.DaysUntil(today)
	if days >= 0 {
		best := -1
		for _, off := range offsets {
			if off >= days && (best < 0 || off < best) {
				best = off
			}
		}
		if best < 0 {
			return "", "", false
		}
		key, kind = "reminder "+strconv.Itoa(best)+"d", MailReminder
	} else {
		late := -days // 1 on the day after the deadline
		step := 0
		if overdueEvery > 0 {
			step = (late - 1) / overdueEvery * overdueEvery
		}
		due := deadline.Time(time.UTC).AddDate(0, 0, 1+step)
		key, kind = "overdue "+DateOf(due).String(), MailOverdue
	}
	if slices.Contains(sent, key) {
		return "", "", false
	}
	return key, kind, true
}

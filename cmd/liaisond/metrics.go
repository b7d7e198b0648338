package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"liaison"
	"liaison/store"
)

// metrics exports the daemon's counters in Prometheus format. The values are
// read from the parts at scrape time, so there is no second bookkeeping to
// drift from the truth.
type metrics struct {
	reg *prometheus.Registry
}

func newMetrics(d *daemon) *metrics {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "liaisond", Name: name, Help: help}, f))
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "liaisond", Name: name, Help: help}, f))
	}
	counter("imap_captured_total", "Messages captured from IMAP by this process.", func() float64 { return float64(d.capturer.Status().Captured) })
	counter("imap_skipped_total", "Messages given up on after 3 rounds (no body from the server, or the store refused them); left flagged in the mailbox.", func() float64 { return float64(d.capturer.Status().Skipped) })
	counter("imap_quarantined_total", "Messages recorded without their bytes (the store could not take them); left flagged in the mailbox.", func() float64 { return float64(d.capturer.Status().Quarantined) })
	counter("imap_reconnects_total", "IMAP sessions that ended in an error.", func() float64 { return float64(d.capturer.Status().Reconnects) })
	gauge("imap_connected", "1 while an IMAP session is logged in.", func() float64 {
		if d.capturer.Status().Connected {
			return 1
		}
		return 0
	})
	gauge("imap_last_poll_timestamp_seconds", "End of the last complete check of the mailboxes.", func() float64 {
		t := d.capturer.Status().LastPoll
		if t.IsZero() {
			return 0
		}
		return float64(t.Unix())
	})
	counter("smtp_sent_total", "Mails the SMTP server accepted.", func() float64 { return float64(d.outbox.Stats().Sent) })
	counter("smtp_retries_total", "Send attempts that will be retried.", func() float64 { return float64(d.outbox.Stats().Retries) })
	counter("smtp_failures_total", "Mails that finally failed.", func() float64 { return float64(d.outbox.Stats().Failures) })
	counter("smtp_recipient_failures_total", "Recipients refused for good.", func() float64 { return float64(d.outbox.Stats().RecipientFailures) })
	counter("outbox_skipped_total", "Automatic answers not queued: automated cause, once-a-day rule, no valid address or an hourly limit.", func() float64 { return float64(d.outbox.Stats().RateLimited) })
	counter("outbox_over_limit_total", "Recipients of automatic mail held back by an hourly limit (recorded, not sent).", func() float64 { return float64(d.outbox.Stats().OverLimit) })
	reg.MustRegister(&storeCollector{db: d.db})
	return &metrics{reg: reg}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// storeCollector reads the store's counts at scrape time in one short read
// transaction.
type storeCollector struct{ db *store.DB }

var (
	descStatements = prometheus.NewDesc("liaisond_statements", "Statements by direction and state.", []string{"direction", "state"}, nil)
	descOverdue    = prometheus.NewDesc("liaisond_statements_overdue", "Open action statements past their deadline.", nil, nil)
	descProblems   = prometheus.NewDesc("liaisond_statements_with_problems", "Statements with extraction problems, by problem.", []string{"problem"}, nil)
	descMessages   = prometheus.NewDesc("liaisond_messages", "Captured messages by kind and processing state.", []string{"kind", "state"}, nil)
	descOutbox     = prometheus.NewDesc("liaisond_outbox_mails", "Mails in the outbox by state.", []string{"state"}, nil)
	descOutboxAge  = prometheus.NewDesc("liaisond_outbox_oldest_pending_seconds", "Age of the oldest mail waiting to be sent.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatements, descOverdue, descProblems, descMessages, descOutbox, descOutboxAge} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ a, b string }
	states := map[key]int{}
	problems := map[string]int{}
	messages := map[key]int{}
	overdue := 0
	var pending, sent, failed int
	var oldest time.Time
	now := time.Now()
	today := liaison.DateOf(now)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.db.View(ctx, func(tx *store.Tx) error {
		// From the small summaries and the maintained message counters:
		// a scrape never decodes a statement or a message.
		if err := tx.ForEachBrief(func(b store.Brief) error {
			states[key{string(b.Direction), string(b.State)}]++
			s := liaison.Statement{Purpose: b.Purpose, Deadline: b.Deadline, State: b.State}
			if s.Overdue(today) {
				overdue++
			}
			for _, p := range b.Problems {
				problems[p]++
			}
			return nil
		}); err != nil {
			return err
		}
		for _, c := range tx.MessageCounts() {
			messages[key{string(c.Kind), string(c.State)}] += c.N
		}
		var err error
		pending, sent, failed, oldest, err = tx.OutboxStats()
		return err
	})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descStatements, err)
		return
	}
	for k, n := range states {
		ch <- prometheus.MustNewConstMetric(descStatements, prometheus.GaugeValue, float64(n), k.a, k.b)
	}
	for p, n := range problems {
		ch <- prometheus.MustNewConstMetric(descProblems, prometheus.GaugeValue, float64(n), p)
	}
	for k, n := range messages {
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.GaugeValue, float64(n), k.a, k.b)
	}
	ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(overdue))
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(sent), "sent")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(failed), "failed")
	age := 0.0
	if !oldest.IsZero() {
		age = now.Sub(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOutboxAge, prometheus.GaugeValue, age)
}

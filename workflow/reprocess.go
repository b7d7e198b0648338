package workflow

import (
	"context"
	"fmt"
	"slices"

	"liaison"
	"liaison/extract"
	"liaison/store"
)

// Reprocess re-runs extraction on every stored raw message, after an
// upgrade of the extractor. Messages that failed or wait are processed as if
// new. Statements already recorded keep their ids, their events and what
// people changed (a redirect or an added group keeps its To bodies; an edited statement keeps
// its text): only the fields extraction owns are refreshed, and a changed
// statement gets a new version and an internal event saying so.
func (o *Office) Reprocess(ctx context.Context) (int, error) {
	var msgs []liaison.Message
	if err := o.db.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachMessage(func(m liaison.Message) error {
			msgs = append(msgs, m)
			return nil
		})
	}); err != nil {
		return 0, fmt.Errorf("list stored messages: %w", err)
	}
	n := 0
	for _, m := range msgs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var err error
		switch {
		case m.State != liaison.MessageProcessed:
			if err = o.Process(ctx, m); err != nil {
				err = o.fail(ctx, m, err)
			}
		case m.Kind == liaison.KindStatement && !m.Statement.IsZero():
			err = o.refresh(ctx, m)
		default:
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reprocess %s: %w", m.SHA256, err)
		}
		n++
	}
	return n, nil
}

// refresh re-extracts the statement recorded from m.
func (o *Office) refresh(ctx context.Context, m liaison.Message) error {
	var raw []byte
	if err := o.db.View(ctx, func(tx *store.Tx) error {
		var err error
		raw, err = tx.MessageRaw(m.SHA256)
		return err
	}); err != nil {
		return err
	}
	r := extract.Extract(ctx, raw, o.opts.Extract)
	if r.Panic != "" {
		o.log.Error("extraction panicked: a bug, please report it with the message", "sha256", m.SHA256, "msgid", m.MessageID, "panic", r.Panic)
	}
	fresh := r.Statement()
	return o.db.Update(ctx, func(tx *store.Tx) error {
		s, err := tx.Statement(m.Statement)
		if err != nil {
			return err
		}
		evs, err := tx.Events(s.ID)
		if err != nil {
			return err
		}
		edited := map[string]bool{}
		for _, ev := range evs {
			switch ev.Type {
			case liaison.EventRedirected, liaison.EventGroupAdded:
				edited["to_bodies"] = true
			case liaison.EventEdited:
				if ev.Actor != "liaisond" {
					edited["all"] = true
				}
			}
		}
		if edited["all"] {
			return nil
		}
		before := *s
		s.Title, s.Purpose, s.PurposeLabel, s.Deadline = fresh.Title, fresh.Purpose, fresh.PurposeLabel, fresh.Deadline
		s.FromBodies, s.FromContacts, s.FromLiaisonContact = fresh.FromBodies, fresh.FromContacts, fresh.FromLiaisonContact
		if !edited["to_bodies"] {
			s.ToBodies = fresh.ToBodies
		}
		s.ToContacts, s.ToLiaisonContact = fresh.ToContacts, fresh.ToLiaisonContact
		s.References, s.Body, s.Flags = fresh.References, fresh.Body, fresh.Flags
		s.Cc, s.OtherIdentifiers = fresh.Cc, fresh.OtherIdentifiers
		s.TechnicalContacts, s.ActionHolders = fresh.TechnicalContacts, fresh.ActionHolders
		if !r.Date.IsZero() {
			s.Date = liaison.DateOf(r.Date)
		}
		// The organisations as the registry and directory resolve them now.
		o.dir().ResolveStatementOrgs(s)
		// The problems are the extractor's and the office's: recompute both.
		s.Problems = append([]liaison.Problem(nil), r.Problems...)
		if m.Truncated {
			s.Problems = append(s.Problems, oversized(m))
		}
		if hasAddedReadable(s) {
			// A liaison manager added the readable copy the mail lacked.
			s.Problems = slices.DeleteFunc(s.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemWordOnly })
			s.Flags = slices.DeleteFunc(s.Flags, func(f string) bool { return f == extract.FlagWordOnly })
		}
		var unknown []string
		for _, b := range s.ToBodies {
			if _, ok := o.dir().Lookup(b); !ok {
				unknown = append(unknown, b)
			}
		}
		s.Problems = append(s.Problems, unknownToProblems(unknown)...)
		if sameExtraction(&before, s) {
			return nil
		}
		s.Version++
		if err := tx.PutStatement(s); err != nil {
			return err
		}
		return o.event(tx, s, liaison.EventEdited, "liaisond", "Re-extracted from the stored message by `liaisond reprocess`", false, "")
	})
}

func sameExtraction(a, b *liaison.Statement) bool {
	return a.Title == b.Title && a.Purpose == b.Purpose && a.Deadline == b.Deadline && a.Body == b.Body && a.Date == b.Date &&
		slices.Equal(a.FromOrgs, b.FromOrgs) && slices.Equal(a.ToOrgs, b.ToOrgs) &&
		slices.Equal(a.FromBodies, b.FromBodies) && slices.Equal(a.ToBodies, b.ToBodies) &&
		slices.Equal(a.FromContacts, b.FromContacts) && slices.Equal(a.ToContacts, b.ToContacts) &&
		slices.Equal(a.References, b.References) && slices.Equal(a.Problems, b.Problems) &&
		slices.Equal(a.Cc, b.Cc) && slices.Equal(a.OtherIdentifiers, b.OtherIdentifiers) &&
		slices.Equal(a.TechnicalContacts, b.TechnicalContacts) && slices.Equal(a.ActionHolders, b.ActionHolders) &&
		ptrEq(a.FromLiaisonContact, b.FromLiaisonContact) && ptrEq(a.ToLiaisonContact, b.ToLiaisonContact)
}

func ptrEq(a, b *liaison.Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

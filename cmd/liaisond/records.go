package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"liaison"
	"liaison/orgs"
	"liaison/store"
)

var listCommand = adminCommand{
	name: "list", summary: "list recorded statements, newest first",
	usage: "list [-config FILE] [-direction incoming|outgoing] [-state S] [-purpose P] [-year N] [-body NAME] [-from DATE] [-to DATE] [-sort ORDER] [-q TEXT] [-n N] [-unknown]",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		var f store.ListFilter
		var dir, state, purpose, from, to, sort string
		fs.StringVar(&dir, "direction", "", "only incoming or outgoing")
		fs.StringVar(&state, "state", "", "only this state (recorded, responded, pending-approval, sent, ...)")
		fs.StringVar(&purpose, "purpose", "", "only information, action or response")
		fs.IntVar(&f.Year, "year", 0, "only this year")
		fs.StringVar(&f.Body, "body", "", "only statements from or to this organisation or body, however written (3GPP finds \"SA WG2\")")
		fs.StringVar(&from, "from", "", "only statements dated on or after this day (YYYY-MM-DD)")
		fs.StringVar(&to, "to", "", "only statements dated on or before this day (YYYY-MM-DD)")
		fs.StringVar(&sort, "sort", "", "order: recorded (default), date, date-asc, deadline, relevance (the default with -q)")
		unknown := fs.Bool("unknown", false, "list the body names the organisation registry does not know, for the coordinators to map")
		fs.StringVar(&f.Text, "q", "", "search title, bodies and text")
		fs.IntVar(&f.Limit, "n", 50, "at most this many")
		overdue := fs.Bool("overdue", false, "only open action statements past their deadline")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			f.Direction, f.State, f.Purpose = liaison.Direction(dir), liaison.State(state), liaison.Purpose(purpose)
			if f.Direction != "" && !f.Direction.Valid() {
				return usagef("-direction %q: want incoming or outgoing", dir)
			}
			// A typo would otherwise list nothing, which looks like an
			// empty record.
			if f.State != "" && !slices.Contains(liaison.States(), f.State) {
				return usagef("-state %q: want one of %s", state, joinStates(liaison.States()))
			}
			if f.Purpose != "" && !f.Purpose.Valid() {
				return usagef("-purpose %q: want information, action or response", purpose)
			}
			f.Overdue = *overdue
			f.Today = liaison.DateOf(a.db.Now())
			for _, d := range []struct {
				name, text string
				to         *liaison.Date
			}{{"-from", from, &f.From}, {"-to", to, &f.To}} {
				if d.text == "" {
					continue
				}
				v, err := liaison.ParseDate(d.text)
				if err != nil {
					return usagef("%s %q: want a date YYYY-MM-DD", d.name, d.text)
				}
				*d.to = v
			}
			f.Sort = store.Sort(sort)
			if sort == "recorded" {
				f.Sort = store.SortRecorded
			}
			if !f.Sort.Valid() {
				return usagef("-sort %q: want recorded, date, date-asc, deadline or relevance", sort)
			}
			if sort == "" && f.Text != "" {
				f.Sort = store.SortRelevance
			}
			dir := liaison.NewDirectory(nil).WithOrgs(orgs.Default())
			if a.cfg != nil {
				dir = a.cfg.Directory()
			}
			if *unknown {
				return listUnknownBodies(ctx, a, dir, w)
			}
			if f.Body != "" {
				if ref := dir.Org(f.Body); ref.Exact && ref.Org != "" {
					f.Orgs = []liaison.OrgRef{{Org: ref.Org, Body: ref.Body}}
					if reg := dir.Orgs(); reg != nil && ref.Body != "" {
						for _, b := range reg.Within(ref.Org, ref.Body)[1:] {
							f.Orgs = append(f.Orgs, liaison.OrgRef{Org: ref.Org, Body: b})
						}
					}
				}
				f.Resolve = dir.Org
			}
			var list []*liaison.Statement
			if err := a.db.View(ctx, func(tx *store.Tx) error {
				var err error
				list, _, err = tx.List(f)
				return err
			}); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDATE\tDIR\tSTATE\tPURPOSE\tDEADLINE\tFROM → TO\tTITLE")
			for _, s := range list {
				deadline := s.Deadline.String()
				if s.Overdue(f.Today) {
					deadline += " (overdue)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s → %s\t%s\n", s.ID, s.StatementDate(), s.Direction, s.State,
					s.Purpose, deadline, strings.Join(s.FromBodies, ", "), strings.Join(s.ToBodies, ", "), s.Title)
			}
			return tw.Flush()
		}
	},
}

// listUnknownBodies prints the body names of the record that the
// registry and the directory do not know (or know only the organisation
// of), with how many statements use each and the newest of them.
func listUnknownBodies(ctx context.Context, a *admin, dir *liaison.Directory, w io.Writer) error {
	type use struct {
		ref    liaison.OrgRef
		ids    map[liaison.ID]bool
		newest liaison.ID
	}
	names := map[string]*use{}
	var order []string
	if err := a.db.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachBodyName(func(b store.BodyName) error {
			ref := b.Ref
			if !ref.Exact {
				ref = dir.Org(ref.Name)
			}
			if ref.Exact {
				return nil
			}
			u := names[ref.Name]
			if u == nil {
				u = &use{ref: ref, ids: map[liaison.ID]bool{}}
				names[ref.Name] = u
				order = append(order, ref.Name)
			}
			u.ids[b.ID] = true
			u.newest = b.ID
			return nil
		})
	}); err != nil {
		return err
	}
	slices.SortStableFunc(order, func(x, y string) int { return len(names[y].ids) - len(names[x].ids) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME AS WRITTEN\tRECOGNISED\tSTATEMENTS\tNEWEST")
	for _, n := range order {
		u := names[n]
		known := "-"
		if u.ref.Org != "" {
			known = u.ref.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", n, known, len(u.ids), u.newest)
	}
	return tw.Flush()
}

func joinStates(states []liaison.State) string {
	var out []string
	for _, s := range states {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}

var showCommand = adminCommand{
	name: "show", summary: "show one statement with its whole history (internal events too)",
	usage: "show [-config FILE] [-json] ID",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 1, "show takes one statement id, like LS-2026-0003")
			if err != nil {
				return err
			}
			var s *liaison.Statement
			if err := a.db.View(ctx, func(tx *store.Tx) error {
				s, err = tx.StatementWithEvents(id)
				return err
			}); err != nil {
				return fmt.Errorf("show %s: %w", id, err)
			}
			if *asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			printStatement(w, s)
			return nil
		}
	},
}

func printStatement(w io.Writer, s *liaison.Statement) {
	addr := func(a *liaison.Address) string {
		if a == nil {
			return ""
		}
		return a.String()
	}
	addrs := func(list []liaison.Address) string {
		var out []string
		for _, a := range list {
			out = append(out, a.String())
		}
		return strings.Join(out, ", ")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", s.ID.String())
	row("Direction", string(s.Direction))
	row("State", string(s.State))
	row("Title", s.Title)
	row("Date", s.Date.String())
	row("From", strings.Join(s.FromBodies, ", "))
	row("From (resolved)", resolvedRefs(s.FromOrgs))
	row("From-Contact", addrs(s.FromContacts))
	row("Send Reply To", addr(s.FromLiaisonContact))
	row("To", strings.Join(s.ToBodies, ", "))
	row("To (resolved)", resolvedRefs(s.ToOrgs))
	row("To-Contact", addrs(s.ToContacts))
	row("Send To", addr(s.ToLiaisonContact))
	row("Lead group", s.LeadGroup)
	row("Cc", addrs(s.Cc))
	row("Technical Contacts", addrs(s.TechnicalContacts))
	row("Action Holders", addrs(s.ActionHolders))
	row("Other Identifiers", strings.Join(s.OtherIdentifiers, ", "))
	p := string(s.Purpose)
	if s.PurposeLabel != "" && !strings.EqualFold(s.PurposeLabel, p) {
		p += " (" + s.PurposeLabel + ")"
	}
	row("Purpose", p)
	row("Deadline", s.Deadline.String())
	row("References", strings.Join(s.References, ", "))
	var ids []string
	for _, id := range s.InResponseTo {
		ids = append(ids, id.String())
	}
	row("In response to", strings.Join(ids, ", "))
	ids = nil
	for _, id := range s.RespondedBy {
		ids = append(ids, id.String())
	}
	row("Answered by", strings.Join(ids, ", "))
	row("Revises", s.Revises.String())
	row("Superseded by", s.RevisedBy.String())
	row("Consensus", s.Consensus)
	for _, at := range s.Attachments {
		line := fmt.Sprintf("%s (%s, %d bytes, sha256 %.12s)", at.Name, at.MediaType, at.Size, at.SHA256)
		if at.Title != "" {
			line = fmt.Sprintf("%q: %s", at.Title, line)
		}
		if at.Added {
			line += ", added"
		}
		if at.Withdrawn {
			line += ", WITHDRAWN from the public record"
		}
		row("Attachment", line)
	}
	for _, pr := range s.Problems {
		row("Problem", pr.Code+": "+pr.Detail)
	}
	row("Source", s.Source.MessageID)
	tw.Flush()
	if s.Body != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(s.Body))
	}
	if len(s.Events) > 0 {
		fmt.Fprintf(w, "\nHistory:\n")
		for _, ev := range s.Events {
			vis := "public"
			if !ev.Public {
				vis = "internal"
			}
			text := strings.ReplaceAll(strings.TrimSpace(ev.Text), "\n", "\n      ")
			fmt.Fprintf(w, "  %s  %-18s %-8s %s: %s\n", ev.Time.Format("2006-01-02 15:04"), ev.Type, vis, ev.Actor, text)
		}
	}
}

// resolvedRefs is the resolved names of refs, an unknown one marked.
func resolvedRefs(refs []liaison.OrgRef) string {
	var out []string
	for _, r := range refs {
		switch {
		case r.Org == "":
			out = append(out, r.Name+" (unknown)")
		case !r.Exact:
			out = append(out, r.String()+" (body unknown)")
		default:
			out = append(out, r.String())
		}
	}
	return strings.Join(out, ", ")
}

var backupCommand = adminCommand{
	name: "backup", summary: "write a consistent copy of the store to FILE (or - for stdout) while the daemon runs",
	usage: "backup [-config FILE] FILE|-",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		return func(ctx context.Context, a *admin, w io.Writer) error {
			if fs.NArg() != 1 {
				return usagef("backup takes one file name, or - for standard output")
			}
			if fs.Arg(0) == "-" {
				_, err := a.db.Backup(ctx, w)
				return err
			}
			return writeBackup(fs.Arg(0), w, func(f io.Writer) (int64, error) { return a.db.Backup(ctx, f) })
		}
	},
	// The daemon streams the copy through the control socket and the file is
	// written here: the daemon's sandbox may not reach the administrator's
	// directory, nor should it write there.
	remote: func(ctx context.Context, fs *flag.FlagSet, call daemonCall, w io.Writer) (bool, error) {
		if fs.NArg() != 1 {
			return true, usagef("backup takes one file name, or - for standard output")
		}
		if fs.Arg(0) == "-" {
			return call([]string{"-"}, w)
		}
		handled := true
		err := writeBackup(fs.Arg(0), w, func(f io.Writer) (int64, error) {
			cw := &countingWriter{w: f}
			var err error
			handled, err = call([]string{"-"}, cw)
			if !handled {
				return 0, errNoDaemon
			}
			return cw.n, err
		})
		if !handled {
			return false, nil
		}
		return true, err
	},
}

var errNoDaemon = errors.New("no daemon answers")

// writeBackup writes a backup to path through replaceFile: a failed or
// interrupted backup never leaves a truncated file under the name (an
// older backup there is replaced only by a complete one), a temporary file
// left by a killed backup does not stand in the next one's way, and a
// symbolic link (or device) at path is refused, never written through.
// The size is reported on w.
func writeBackup(path string, w io.Writer, backup func(io.Writer) (int64, error)) error {
	var n int64
	err := replaceFile(path, 0o600, func(f *os.File) error {
		var err error
		n, err = backup(f)
		return err
	})
	if errors.Is(err, errNoDaemon) {
		return err
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	fmt.Fprintf(w, "backup: %d bytes written to %s\n", n, path)
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var exportCommand = adminCommand{
	name: "export", summary: "print every statement with its events as JSON lines",
	usage: "export [-config FILE]",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		return func(ctx context.Context, a *admin, w io.Writer) error {
			enc := json.NewEncoder(w)
			return a.db.View(ctx, func(tx *store.Tx) error {
				return tx.ForEachStatement(func(s *liaison.Statement) error {
					evs, err := tx.Events(s.ID)
					if err != nil {
						return err
					}
					s.Events = evs
					return enc.Encode(s)
				})
			})
		}
	},
}

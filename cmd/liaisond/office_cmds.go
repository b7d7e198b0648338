package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"liaison"
	"liaison/extract"
	"liaison/store"
	"liaison/workflow"
)

var submitCommand = adminCommand{
	name: "submit", summary: "propose an outgoing statement from a file in the submission format, or a mail (.eml) with its attachments",
	usage: "submit [-config FILE] -as ADDRESS [-attach FILE]... [-post-only [-sent YYYY-MM-DD]] FILE",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "", "the submitter's `address` (an approver's submission is approved at once)")
		postOnly := fs.Bool("post-only", false, "record a statement sent by other means as sent, without mailing it")
		sentFlag := fs.String("sent", "", "with -post-only: the `date` it was sent (YYYY-MM-DD; or a Sent-Date field in the file)")
		var attach fileList
		fs.Var(&attach, "attach", "attach `FILE` to the statement (repeatable)")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			if fs.NArg() != 1 || *as == "" {
				return usagef("submit takes -as ADDRESS and one file")
			}
			submitter, err := liaison.ParseAddress(*as)
			if err != nil {
				return usageError{err}
			}
			path := fs.Arg(0)
			raw, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("submit: %w", err)
			}
			sub, ferrs, files := readSubmission(ctx, a.cfg.Alias, path, raw)
			for _, p := range attach {
				data, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("submit: %w", err)
				}
				files = append(files, extract.FileAttachmentPart(filepath.Base(p), data))
			}
			if sub != nil && strings.TrimSpace(sub.Body) == "" && len(files) == 0 {
				ferrs = append(ferrs, extract.FieldError{Field: "Body", Msg: extract.EmptySubmissionMsg})
			}
			if len(ferrs) > 0 {
				var lines []string
				for _, fe := range ferrs {
					lines = append(lines, fmt.Sprintf("%s: %v", filepath.Base(path), fe))
				}
				return usageError{fmt.Errorf("submission not recorded:\n%s", strings.Join(lines, "\n"))}
			}
			sent := sub.SentDate
			if *sentFlag != "" {
				if sent, err = liaison.ParseDate(*sentFlag); err != nil {
					return usagef("-sent %q: want a date, YYYY-MM-DD", *sentFlag)
				}
			}
			if !sent.IsZero() && !*postOnly {
				return usagef("a sent date is only for a statement sent by other means: add -post-only")
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			s := workflow.SubmissionStatement(sub)
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				for _, p := range files {
					sum, err := tx.PutBlob(p.Data)
					if err != nil {
						return fmt.Errorf("store attachment %q: %w", p.Name, err)
					}
					at := p.Attachment
					at.SHA256 = sum
					s.Attachments = append(s.Attachments, at)
				}
				if *postOnly {
					return d.office.RecordSent(tx, s, submitter, sent)
				}
				return d.office.Submit(tx, s, submitter)
			}); err != nil {
				return fmt.Errorf("submit: %w", err)
			}
			d.outbox.Kick()
			if *postOnly {
				fmt.Fprintf(w, "%s recorded as sent by other means; nothing was mailed\n", s.ID)
				return nil
			}
			fmt.Fprintf(w, "%s recorded, %s", s.ID, s.State)
			if n := len(s.Attachments); n > 0 {
				fmt.Fprintf(w, ", %d %s", n, map[bool]string{true: "attachment", false: "attachments"}[n == 1])
			}
			fmt.Fprintln(w)
			return nil
		}
	},
	remote: forwardFiles(func(i int) bool { return i == 0 }),
}

// readSubmission reads a submission file: the labelled text format, or a
// whole mail (.eml, or a file that starts with mail headers) read as the
// mail submission is, with its attachments.
func readSubmission(ctx context.Context, alias, path string, raw []byte) (*extract.Submission, []extract.FieldError, []*extract.Part) {
	if !isMailFile(path, raw) {
		sub, ferrs := extract.ParseSubmission(string(raw))
		return sub, ferrs, nil
	}
	r := extract.Extract(ctx, raw, extract.Options{Alias: alias, AsSubmission: true})
	var ferrs []extract.FieldError
	for _, fe := range r.SubmissionErrors {
		// Checked again once the -attach files are in.
		if fe.Msg != extract.EmptySubmissionMsg {
			ferrs = append(ferrs, fe)
		}
	}
	var files []*extract.Part
	for _, p := range r.Attachments {
		if p.Name != "" {
			files = append(files, p)
		}
	}
	return r.Submission, ferrs, files
}

// isMailFile tells a mail from the submission text format, whose labels
// look like headers too: by its name, or by a header only mail has.
func isMailFile(path string, raw []byte) bool {
	if strings.EqualFold(filepath.Ext(path), ".eml") {
		return true
	}
	head, _, _ := strings.Cut(strings.ReplaceAll(string(raw[:min(len(raw), 16<<10)]), "\r\n", "\n"), "\n\n")
	for _, line := range strings.Split(strings.ToLower(head), "\n") {
		for _, h := range []string{"mime-version:", "content-type:", "message-id:", "received:", "return-path:"} {
			if strings.HasPrefix(line, h) {
				return true
			}
		}
	}
	return false
}

var approveCommand = adminCommand{
	name: "approve", summary: "approve a pending outgoing statement (as an administrator) and send it, or re-send a send-failed one",
	usage: "approve [-config FILE] [-as ADDRESS] ID",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who approves, for the record")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 1, "approve takes one statement id")
			if err != nil {
				return err
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				_, err := d.office.Approve(tx, id, *as)
				return err
			}); err != nil {
				return err
			}
			d.outbox.Kick()
			fmt.Fprintf(w, "%s approved; queued for sending\n", id)
			return nil
		}
	},
}

var resendCommand = adminCommand{
	name: "resend", summary: "send a sent outgoing statement again, to all its recipients or only to the -to addresses",
	usage: "resend [-config FILE] [-as WHO] [-to ADDRESS]... ID",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who resends, for the record")
		var to []liaison.Address
		fs.Func("to", "send only to this `address` (repeat, or separate by commas); it does not become a recipient", func(v string) error {
			list, err := liaison.ParseAddressList(v)
			if err != nil {
				return err
			}
			to = append(to, list...)
			return nil
		})
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 1, "resend takes one statement id")
			if err != nil {
				return err
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			var line string
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				line, err = d.office.Resend(tx, id, *as, to, "", "")
				return err
			}); err != nil {
				return err
			}
			d.outbox.Kick()
			fmt.Fprintln(w, line)
			return nil
		}
	},
}

var reprocessCommand = adminCommand{
	name: "reprocess", summary: "re-run extraction on every captured message (after an upgrade); people's changes are kept",
	usage: "reprocess [-config FILE]",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		return func(ctx context.Context, a *admin, w io.Writer) error {
			d, err := a.wire()
			if err != nil {
				return err
			}
			n, err := d.office.Reprocess(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "reprocess: %d messages\n", n)
			return nil
		}
	},
}

// statementArg checks that an admin command was given n arguments, the
// first a statement id, and returns the id; usage says what it takes.
func statementArg(fs *flag.FlagSet, n int, usage string) (liaison.ID, error) {
	if fs.NArg() != n {
		return liaison.ID{}, usagef("%s", usage)
	}
	id, err := liaison.ParseID(fs.Arg(0))
	if err != nil {
		return liaison.ID{}, usageError{err}
	}
	return id, nil
}

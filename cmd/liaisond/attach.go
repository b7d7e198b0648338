package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"liaison"
	"liaison/store"
	"liaison/workflow"
)

// fileList is a repeatable flag naming files (-attach A -attach B).
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ",") }

func (l *fileList) Set(v string) error {
	if v == "" {
		return errors.New("a file name is needed")
	}
	*l = append(*l, v)
	return nil
}

// forwardFiles forwards a command to a running daemon with the files of
// its line made absolute: the daemon reads them, from its own directory.
// filePos says which positional arguments are files.
func forwardFiles(filePos func(i int) bool) func(context.Context, *flag.FlagSet, daemonCall, io.Writer) (bool, error) {
	return func(_ context.Context, fs *flag.FlagSet, call daemonCall, w io.Writer) (bool, error) {
		var args []string
		var err error
		abs := func(p string) string {
			a, aerr := filepath.Abs(p)
			if aerr != nil && err == nil {
				err = aerr
			}
			return a
		}
		fs.Visit(func(f *flag.Flag) {
			switch v := f.Value.(type) {
			case *fileList:
				for _, p := range *v {
					args = append(args, "-"+f.Name, abs(p))
				}
			default:
				if f.Name != "config" && f.Name != "store" {
					args = append(args, "-"+f.Name+"="+f.Value.String())
				}
			}
		})
		args = append(args, "--")
		for i, a := range fs.Args() {
			if filePos(i) {
				a = abs(a)
			}
			args = append(args, a)
		}
		if err != nil {
			return true, err
		}
		return call(args, w)
	}
}

// attachmentErr turns what the office refuses into a usage error (exit 2).
func attachmentErr(err error) error {
	var ae *workflow.AttachmentError
	if errors.As(err, &ae) {
		return usageError{err}
	}
	return err
}

var attachCommand = adminCommand{
	name: "attach", summary: "add a file to a statement (a PDF made from a Word-only statement; recorded)",
	usage: "attach [-config FILE] [-as ADDRESS] [-name NAME] [-title TITLE] ID FILE",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who adds it, for the record")
		name := fs.String("name", "", "the file `name` on the record (default: the file's own)")
		title := fs.String("title", "", "the `title` the record shows for it (default: its name)")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 2, "attach takes a statement id and one file")
			if err != nil {
				return err
			}
			data, err := os.ReadFile(fs.Arg(1))
			if err != nil {
				return fmt.Errorf("attach: %w", err)
			}
			n := *name
			if n == "" {
				n = filepath.Base(fs.Arg(1))
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			var added liaison.Attachment
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				if added, err = d.office.AddAttachment(tx, id, *as, n, data); err != nil {
					return err
				}
				if *title != "" {
					return d.office.RetitleAttachment(tx, id, *as, n, *title)
				}
				return nil
			}); err != nil {
				return attachmentErr(err)
			}
			readable := "readable"
			if !added.Readable {
				readable = "not readable without a word processor"
			}
			fmt.Fprintf(w, "%s: %s added (%s, %d bytes, %s)\n", id, n, added.MediaType, added.Size, readable)
			return nil
		}
	},
	remote: forwardFiles(func(i int) bool { return i == 1 }),
}

var retitleAttachmentCommand = adminCommand{
	name: "retitle-attachment", summary: "change the title the record shows for a statement's file (recorded)",
	usage: "retitle-attachment [-config FILE] [-as ADDRESS] ID NAME TITLE",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who retitles it, for the record")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 3, "retitle-attachment takes a statement id, a file name and a title (\"\" for the file name)")
			if err != nil {
				return err
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				return d.office.RetitleAttachment(tx, id, *as, fs.Arg(1), fs.Arg(2))
			}); err != nil {
				return attachmentErr(err)
			}
			fmt.Fprintf(w, "%s: %s retitled\n", id, fs.Arg(1))
			return nil
		}
	},
}

var withdrawAttachmentCommand = adminCommand{
	name: "withdraw-attachment", summary: "take a statement's file off the public record, or -restore it (kept in the store; recorded)",
	usage: "withdraw-attachment [-config FILE] [-as ADDRESS] [-restore] ID NAME",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who withdraws it, for the record")
		restore := fs.Bool("restore", false, "put a withdrawn file back on the public record")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			id, err := statementArg(fs, 2, "withdraw-attachment takes a statement id and a file name")
			if err != nil {
				return err
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				return d.office.WithdrawAttachment(tx, id, *as, fs.Arg(1), *restore)
			}); err != nil {
				return attachmentErr(err)
			}
			if *restore {
				fmt.Fprintf(w, "%s: %s is on the public record again\n", id, fs.Arg(1))
			} else {
				fmt.Fprintf(w, "%s: %s withdrawn from the public record (kept in the store)\n", id, fs.Arg(1))
			}
			return nil
		}
	},
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"liaison"
	"liaison/store"
	"liaison/workflow"
)

var editCommand = adminCommand{
	name: "edit", summary: "correct a statement's fields (recorded, kept by reprocess)",
	usage: "edit [-config FILE] [-as ADDRESS] ID field=value... (fields: " + strings.Join(workflow.EditFields(), ", ") + ")",
	flags: func(fs *flag.FlagSet) func(context.Context, *admin, io.Writer) error {
		as := fs.String("as", "admin", "who edits, for the record")
		return func(ctx context.Context, a *admin, w io.Writer) error {
			if fs.NArg() < 2 {
				return usagef("edit takes a statement id and one or more field=value")
			}
			id, err := liaison.ParseID(fs.Arg(0))
			if err != nil {
				return usageError{err}
			}
			if *as == "" || *as == "liaisond" {
				return usagef("-as %q: name the person who edits", *as)
			}
			changes := map[string]string{}
			for _, arg := range fs.Args()[1:] {
				field, value, ok := strings.Cut(arg, "=")
				if !ok || field == "" {
					return usagef("%q: want field=value", arg)
				}
				if _, dup := changes[field]; dup {
					return usagef("%s: given twice", field)
				}
				changes[field] = value
			}
			if err := workflow.ValidateEdit(changes); err != nil {
				return usageError{err}
			}
			d, err := a.wire()
			if err != nil {
				return err
			}
			if err := a.db.Update(ctx, func(tx *store.Tx) error {
				return d.office.Edit(tx, id, *as, changes)
			}); err != nil {
				var ee *workflow.EditError
				if errors.As(err, &ee) {
					return usageError{err}
				}
				return err
			}
			fmt.Fprintf(w, "%s edited\n", id)
			return nil
		}
	},
}

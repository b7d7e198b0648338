package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/extract"
	"liaison/store"
)

// maxAttachmentName bounds a file name or title a liaison manager gives.
const maxAttachmentName = 200

// AttachmentError is an attachment change that cannot be made: no such
// file, a name already taken, an empty file.
type AttachmentError struct {
	ID     liaison.ID
	Name   string
	Reason string
}

func (e *AttachmentError) Error() string {
	return fmt.Sprintf("attachment %q of %s: %s", e.Name, e.ID, e.Reason)
}

// AddAttachment adds a file to statement id on actor's word (a liaison
// manager adding the PDF made from a Word-only statement, keeping both).
// A readable file added to a statement that came only as a word-processor
// document resolves its word-only-attachment problem, with an event.
func (o *Office) AddAttachment(tx *store.Tx, id liaison.ID, actor, name string, data []byte) (liaison.Attachment, error) {
	name = strings.TrimSpace(name)
	if err := checkAttachmentName(id, name); err != nil {
		return liaison.Attachment{}, err
	}
	if len(data) == 0 {
		return liaison.Attachment{}, &AttachmentError{id, name, "the file is empty"}
	}
	s, err := tx.Statement(id)
	if err != nil {
		return liaison.Attachment{}, fmt.Errorf("add attachment to %s: %w", id, err)
	}
	for _, a := range s.Attachments {
		// The record names a download by its file name: one name, one file.
		if a.Name == name {
			return liaison.Attachment{}, &AttachmentError{id, name, "the statement has a file of that name already; give the new one another name"}
		}
	}
	a := extract.FileAttachment(name, data)
	sum, err := tx.PutBlob(data)
	if err != nil {
		return liaison.Attachment{}, fmt.Errorf("store attachment %q of %s: %w", name, id, err)
	}
	a.SHA256 = sum
	a.Added = true
	s.Attachments = append(s.Attachments, a)
	resolved := a.Readable && resolveWordOnly(s)
	if err := tx.PutStatement(s); err != nil {
		return liaison.Attachment{}, fmt.Errorf("add attachment to %s: %w", id, err)
	}
	text := fmt.Sprintf("Attachment %s (%s, %d bytes) added by %s", name, a.MediaType, a.Size, actor)
	if err := o.event(tx, s, liaison.EventAttachment, actor, text, true, ""); err != nil {
		return liaison.Attachment{}, err
	}
	if resolved {
		text := fmt.Sprintf("Problem %s resolved: %s is a readable copy of the statement", liaison.ProblemWordOnly, name)
		if err := o.event(tx, s, liaison.EventResolved, actor, text, false, ""); err != nil {
			return liaison.Attachment{}, err
		}
	}
	return a, nil
}

// RetitleAttachment gives file name of statement id the title the record
// shows; the file keeps its name. An empty title shows the name again.
func (o *Office) RetitleAttachment(tx *store.Tx, id liaison.ID, actor, name, title string) error {
	title = strings.Join(strings.Fields(title), " ")
	if len(title) > maxAttachmentName {
		return &AttachmentError{id, name, fmt.Sprintf("a title of at most %d bytes, please", maxAttachmentName)}
	}
	return o.changeAttachment(tx, id, actor, name, func(a *liaison.Attachment) (string, error) {
		if a.Title == title {
			return "", &AttachmentError{id, name, "it has that title already"}
		}
		old := a.DisplayTitle()
		a.Title = title
		return fmt.Sprintf("Attachment %s retitled by %s: %q → %q", name, actor, old, a.DisplayTitle()), nil
	}, true)
}

// WithdrawAttachment takes file name of statement id off the public record
// (web, API, feed, the mails sent from now on), or with restore puts it
// back. The file stays in the store.
func (o *Office) WithdrawAttachment(tx *store.Tx, id liaison.ID, actor, name string, restore bool) error {
	return o.changeAttachment(tx, id, actor, name, func(a *liaison.Attachment) (string, error) {
		if a.Withdrawn == !restore {
			if restore {
				return "", &AttachmentError{id, name, "it is not withdrawn"}
			}
			return "", &AttachmentError{id, name, "it is withdrawn already"}
		}
		a.Withdrawn = !restore
		if restore {
			return fmt.Sprintf("Attachment %s restored to the public record by %s", name, actor), nil
		}
		return fmt.Sprintf("Attachment %s withdrawn from the public record by %s", name, actor), nil
	}, false)
}

// changeAttachment applies change to file name of statement id and records
// the event it describes. A withdrawal is an internal event: the public
// history does not name the file it no longer shows.
func (o *Office) changeAttachment(tx *store.Tx, id liaison.ID, actor, name string, change func(*liaison.Attachment) (string, error), public bool) error {
	s, err := tx.Statement(id)
	if err != nil {
		return fmt.Errorf("change attachment of %s: %w", id, err)
	}
	i := slices.IndexFunc(s.Attachments, func(a liaison.Attachment) bool { return a.Name == name })
	if i < 0 {
		var names []string
		for _, a := range s.Attachments {
			names = append(names, a.Name)
		}
		reason := "no such file"
		if len(names) > 0 {
			reason += "; the statement has " + strings.Join(names, ", ")
		}
		return &AttachmentError{id, name, reason}
	}
	text, err := change(&s.Attachments[i])
	if err != nil {
		return err
	}
	if err := tx.PutStatement(s); err != nil {
		return fmt.Errorf("change attachment of %s: %w", id, err)
	}
	return o.event(tx, s, liaison.EventAttachment, actor, text, public && !s.Attachments[i].Withdrawn, "")
}

func checkAttachmentName(id liaison.ID, name string) error {
	switch {
	case name == "":
		return &AttachmentError{id, name, "a file name is needed"}
	case len(name) > maxAttachmentName:
		return &AttachmentError{id, name, fmt.Sprintf("a file name of at most %d bytes, please", maxAttachmentName)}
	case strings.ContainsAny(name, "/\\\x00\r\n") || name == "." || name == "..":
		// A name is part of the download's URL and header.
		return &AttachmentError{id, name, "a file name without slashes or line breaks, please"}
	}
	return nil
}

// resolveWordOnly drops the word-only-attachment problem and flag of s,
// reporting whether there was one.
func resolveWordOnly(s *liaison.Statement) bool {
	n := len(s.Problems)
	s.Problems = slices.DeleteFunc(s.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemWordOnly })
	s.Flags = slices.DeleteFunc(s.Flags, func(f string) bool { return f == extract.FlagWordOnly })
	return len(s.Problems) != n
}

// hasAddedReadable reports whether a liaison manager added a readable
// file to s that is still on the record.
func hasAddedReadable(s *liaison.Statement) bool {
	return slices.ContainsFunc(s.Attachments, func(a liaison.Attachment) bool { return a.Added && a.Readable && !a.Withdrawn })
}

// attachFiles carries out `attach`: every file of the reply (not the
// files unpacked out of a bundle, which come with it) is added to s, each
// recorded; a name s has already is refused by name, the others are
// added. The text below the command is kept as an internal comment.
func (o *Office) attachFiles(tx *store.Tx, s *liaison.Statement, actor, comment string, parts []*extract.Part, msgid string) (string, error) {
	var lines []string
	for _, p := range parts {
		if p.Name == "" || p.Container != "" {
			continue
		}
		a, err := o.AddAttachment(tx, s.ID, actor, p.Name, p.Data)
		var ae *AttachmentError
		switch {
		case errors.As(err, &ae):
			lines = append(lines, fmt.Sprintf("%s not added: %s.", p.Name, ae.Reason))
			continue
		case err != nil:
			return "", err
		}
		line := fmt.Sprintf("%s added (%s, %d bytes).", a.Name, a.MediaType, a.Size)
		if a.Readable {
			line = fmt.Sprintf("%s added (%s, %d bytes, readable).", a.Name, a.MediaType, a.Size)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "The reply carries no attached file; nothing was added.", nil
	}
	if strings.TrimSpace(comment) != "" {
		if err := o.event(tx, s, liaison.EventComment, actor, comment, false, msgid); err != nil {
			return "", err
		}
	}
	return strings.Join(lines, "\n"), nil
}

package dispatch

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/template"
	"time"

	"liaison"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// commonFile holds the blocks every mail template may use (metadata,
// attachments, commands); it can be overridden like the others.
const commonFile = "common.tmpl"

// kindFiles maps each mail kind to its template file. Each file defines a
// "subject" block; the rest of it is the body.
var kindFiles = map[liaison.MailKind]string{
	liaison.MailNotification:    "notify.tmpl",
	liaison.MailAcknowledgement: "ack.tmpl",
	liaison.MailApprovalRequest: "approval.tmpl",
	liaison.MailConfirmation:    "confirm.tmpl",
	liaison.MailReminder:        "reminder.tmpl",
	liaison.MailOverdue:         "overdue.tmpl",
	liaison.MailCommandResult:   "result.tmpl",
	liaison.MailCommandRefusal:  "refusal.tmpl",
	liaison.MailAlert:           "alert.tmpl",
	liaison.MailStatement:       "statement.tmpl",
}

type templateSet struct {
	kinds map[liaison.MailKind]*template.Template
	// bodies are render's buffers, reused: a notification quotes the
	// statement, and a fresh buffer for each was 105 MB of 2.4 GB
	// allocated per 3,000 mails.
	bodies sync.Pool
}

var templateFuncs = template.FuncMap{
	"join": func(list []string, sep string) string { return strings.Join(list, sep) },
	"line": headerText,
	"addrs": func(list []liaison.Address) string {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, plainAddress(a))
		}
		return strings.Join(out, ", ")
	},
	"addr": func(a *liaison.Address) string {
		if a == nil {
			return ""
		}
		return plainAddress(*a)
	},
	"ids": func(list []liaison.ID) string {
		out := make([]string, 0, len(list))
		for _, id := range list {
			out = append(out, id.String())
		}
		return strings.Join(out, ", ")
	},
	"size": sizeText,
	"indent": func(prefix, s string) string {
		lines := strings.Split(strings.TrimRight(normalizeNewlines(s), "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(prefix+l, " ")
		}
		return strings.Join(lines, "\n")
	},
	"neg": func(n int) int { return -n },
	"plural": func(n int, one, many string) string {
		if n == 1 || n == -1 {
			return one
		}
		return many
	},
}

// plainAddress formats an address for a text body: no quoting or
// encoded words, on one line.
func plainAddress(a liaison.Address) string {
	name := headerText(a.Name)
	if name == "" {
		return headerText(a.Email)
	}
	return name + " <" + headerText(a.Email) + ">"
}

// loadTemplates parses the embedded templates, each replaced by the file of
// the same name in dir when there is one. A template that does not parse,
// lacks its subject, or fails on a sample statement is an error naming the
// file (and, from text/template, the line).
func loadTemplates(dir string) (*templateSet, error) {
	read := func(name string) (string, string, error) {
		if dir != "" {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err == nil {
				return string(b), p, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", p, fmt.Errorf("load template %s: %w", p, err)
			}
		}
		b, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return "", name, fmt.Errorf("load template %s: %w", name, err)
		}
		return string(b), "embedded " + name, nil
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("load templates from %s: %w", dir, err)
		}
	}
	common, commonPath, err := read(commonFile)
	if err != nil {
		return nil, err
	}
	ts := &templateSet{kinds: map[liaison.MailKind]*template.Template{}}
	for kind, file := range kindFiles {
		text, p, err := read(file)
		if err != nil {
			return nil, err
		}
		t := template.New(file).Funcs(templateFuncs).Option("missingkey=zero")
		if _, err := t.New(commonFile).Parse(common); err != nil {
			return nil, fmt.Errorf("load template %s: %w", commonPath, err)
		}
		if _, err := t.Parse(text); err != nil {
			return nil, fmt.Errorf("load template %s: %w", p, err)
		}
		if t.Lookup("subject") == nil {
			return nil, fmt.Errorf("load template %s: no {{define \"subject\"}} block", p)
		}
		for _, v := range sampleViews(kind) {
			if _, _, err := render(t, v, new(bytes.Buffer)); err != nil {
				return nil, fmt.Errorf("load template %s: %w", p, err)
			}
		}
		ts.kinds[kind] = t
	}
	return ts, nil
}

func (ts *templateSet) render(kind liaison.MailKind, v View) (subject, body string, err error) {
	t := ts.kinds[kind]
	if t == nil {
		return "", "", fmt.Errorf("render %s mail: no template", kind)
	}
	bb, _ := ts.bodies.Get().(*bytes.Buffer)
	if bb == nil {
		bb = new(bytes.Buffer)
	}
	subject, body, err = render(t, v, bb)
	if bb.Cap() <= maxPooledBody {
		bb.Reset()
		ts.bodies.Put(bb)
	}
	return subject, body, err
}

// maxPooledBody bounds a buffer kept for the next render.
const maxPooledBody = 1 << 20

// render executes t on v, the body into bb (empty); the strings returned do
// not share bb's bytes.
func render(t *template.Template, v View, bb *bytes.Buffer) (subject, body string, err error) {
	var sb bytes.Buffer
	if v.S != nil {
		// A notification quotes the statement: grow once, not by doubling
		// through the text.
		bb.Grow(len(v.S.Body) + 4096)
	}
	if err := t.ExecuteTemplate(&sb, "subject", v); err != nil {
		return "", "", fmt.Errorf("render subject: %w", err)
	}
	if err := t.Execute(bb, v); err != nil {
		return "", "", fmt.Errorf("render body: %w", err)
	}
	return sb.String(), strings.TrimLeft(bb.String(), "\n"), nil
}

// sampleViews are what a template is tried on at load time, so a reference
// to a field that does not exist fails then and not at the first mail.
func sampleViews(kind liaison.MailKind) []View {
	dl := liaison.Date{Year: 2027, Month: time.January, Day: 15}
	s := &liaison.Statement{
		ID: liaison.ID{Year: 2026, Seq: 1}, Direction: liaison.Incoming, State: liaison.StateRecorded,
		Title: "Sample", Purpose: liaison.PurposeAction, Deadline: dl,
		FromBodies: []string{"ITU-T SG15"}, ToBodies: []string{"IETF CCAMP WG"},
		FromContacts:       []liaison.Address{{Name: "A", Email: "a@example.net"}},
		FromLiaisonContact: &liaison.Address{Email: "r@example.net"},
		ToContacts:         []liaison.Address{{Email: "c@example.org"}},
		ToLiaisonContact:   &liaison.Address{Email: "t@example.org"},
		References:         []string{"LS-2025-0001"}, InResponseTo: []liaison.ID{{Year: 2025, Seq: 1}},
		Body: "text", Attachments: []liaison.Attachment{{Name: "a.pdf", MediaType: "application/pdf", Size: 1}},
		Problems: []liaison.Problem{{Code: "x", Detail: "y"}}, Version: 1,
	}
	base := View{
		Kind: kind, S: s, ID: s.ID.String(), RecordURL: "https://x/ls/LS-2026-0001", Purpose: "For Action",
		Deadline: dl.String(), DaysLeft: 3, Today: "2027-01-12", ReplyTo: "a+t@x", Alias: "a@x", Instance: "x",
		Commands: commandHelp[:], CommandLines: commandLines(s), Reason: "r", Transcript: "t", Problems: s.Problems, Alert: AlertBounce, AlertText: "t",
		Attachments: []AttachmentView{{Name: "a.pdf", MediaType: "application/pdf", Size: 1, URL: "https://x", Attached: true}},
		Data:        map[string]any{},
	}
	out := []View{base}
	if kind == liaison.MailCommandRefusal {
		// A refused submission: no statement, the fields at fault.
		sub := base
		sub.S, sub.ID, sub.RecordURL, sub.Attachments, sub.Purpose, sub.Deadline = nil, "", "", nil, "", ""
		sub.Subject = "LS to SG15"
		sub.Problems = []liaison.Problem{{Code: "submission-field", Field: "To-Group", Detail: "missing"}}
		noFields := sub
		noFields.Problems, noFields.Subject = nil, ""
		out = append(out, sub, noFields)
	}
	if kind == liaison.MailAlert {
		bare := base
		bare.S, bare.ID, bare.RecordURL, bare.Attachments = nil, "", "", nil
		out = append(out, bare)
	}
	return out
}

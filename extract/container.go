package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"liaison"
)

// maxContainerDepth is how deep containers are opened: a bundle, and a
// bundle inside it.
const maxContainerDepth = 2

// expand records the files inside a container attachment (a zip bundle
// such as a 3GPP tdoc S2-2401234.zip, Outlook's winmail.dat) as
// attachments of their own, right after it: each named
// "container/path" with Container set, its own size and SHA-256, stored
// and downloadable like any attachment, and its text read like a
// top-level document's. A bundle inside a bundle is opened too; deeper
// ones are recorded but not opened. What a mail's containers unpack is
// bounded all together (Limits.MaxMessageBytes, maxContainedFiles), each
// file by Limits.MaxPartBytes, and each zip like a .docx
// (Limits.MaxDocxEntries, maxZipRatio).
func (w *walker) expand(p *Part, doc *mailDoc) {
	w.expandLevel(p, doc, 1)
}

func (w *walker) expandLevel(p *Part, doc *mailDoc, level int) {
	kind := docKind(p)
	if kind != kindZip && kind != kindTNEF {
		return
	}
	if level > maxContainerDepth {
		w.probs.add(liaison.ProblemLimit, "attachments", fmt.Sprintf("%s: a bundle inside a bundle inside a bundle is not opened", p.Name))
		return
	}
	if !w.unpack.started {
		w.unpack = zipBudget{started: true, bytes: w.lim.MaxMessageBytes}
	}
	var (
		files []containedFile
		err   error
	)
	if kind == kindZip {
		files, err = unzipFiles(w.ctx, p.Data, w.lim, &w.unpack)
	} else {
		files, err = w.tnefFiles(p, doc)
	}
	if err != nil {
		code, reason := unreadableProblem(err)
		if code == liaison.ProblemLimit || code == liaison.ProblemUnreadableAttach {
			reason = err.Error()
		}
		w.probs.add(code, "attachments", p.Name+": "+reason)
	}
	for _, f := range files {
		if w.ctx.Err() != nil {
			return
		}
		w.parts++
		if w.parts > w.lim.MaxParts {
			if w.parts == w.lim.MaxParts+1 {
				w.probs.add(liaison.ProblemLimit, "", fmt.Sprintf("more than %d MIME parts and bundled files: the rest skipped", w.lim.MaxParts))
			}
			return
		}
		if f.Err != nil {
			code, reason := unreadableProblem(f.Err)
			if code == liaison.ProblemLimit || code == liaison.ProblemUnreadableAttach {
				reason = f.Err.Error()
			}
			w.probs.add(code, "attachments", p.Name+"/"+f.Name+": "+reason)
			if len(f.Data) == 0 {
				continue // named, but no bytes to keep
			}
		}
		q := &Part{Data: f.Data, Container: p.Name, Forwarded: p.Forwarded}
		q.Name = p.Name + "/" + f.Name
		q.MediaType = f.MediaType
		if q.MediaType == "" || unknownType(q.MediaType) {
			q.MediaType = mediaTypeByExt(f.Name)
		}
		q.Size = int64(len(f.Data))
		sum := sha256.Sum256(f.Data)
		q.SHA256 = hex.EncodeToString(sum[:])
		q.Readable = readableType(q.MediaType, f.Name, f.Data)
		doc.attach = append(doc.attach, q)
		if f.Err == nil {
			w.expandLevel(q, doc, level+1)
		}
	}
}

// tnefFiles returns the attachments of a winmail.dat, and puts its body
// text into the mail's texts when the mail has no text of its own
// (Outlook's "Rich Text" mail may carry its only body there).
func (w *walker) tnefFiles(p *Part, doc *mailDoc) ([]containedFile, error) {
	t, err := ReadTNEF(p.Data, w.lim)
	if t == nil {
		return nil, err
	}
	if body := strings.TrimSpace(t.Body); body != "" && strings.TrimSpace(strings.Join(doc.texts, "")) == "" {
		s := cleanText(body)
		doc.texts = append(doc.texts, s)
		doc.shown = append(doc.shown, s)
	}
	var out []containedFile
	for i, a := range t.Attachments {
		if a.Embedded && bytes.HasPrefix(a.Data, tnefSignature) {
			// An attached Outlook message is a TNEF stream of its own: its
			// files are opened as those of a bundle inside a bundle.
			if a.Name == "" {
				a.Name = "message"
			}
			a.Name += ".tnef"
		}
		name := cleanZipName(a.Name)
		if name == "" {
			name = fmt.Sprintf("attachment-%d.dat", i+1)
		}
		if w.unpack.files >= maxContainedFiles {
			return out, fmt.Errorf("tnef: more than %d files: %w", maxContainedFiles, ErrLimit)
		}
		w.unpack.files++
		cf := containedFile{Name: name, MediaType: a.MediaType, Data: a.Data}
		if int64(len(a.Data)) > w.unpack.bytes {
			return out, fmt.Errorf("tnef: attachments over %d bytes: %w", w.lim.MaxMessageBytes, ErrLimit)
		}
		// The bytes are a slice of the winmail.dat: the budget counts them
		// all the same, as the store keeps them twice.
		w.unpack.bytes -= int64(len(a.Data))
		out = append(out, cf)
	}
	return out, err
}

// mediaTypeByExt names the media type of a file found in a container, for
// the few kinds that matter here (mime.TypeByExtension depends on the
// machine's tables).
func mediaTypeByExt(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return "application/pdf"
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".doc", ".dot":
		return "application/msword"
	case ".rtf":
		return "application/rtf"
	case ".odt":
		return "application/vnd.oasis.opendocument.text"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case ".xls":
		return "application/vnd.ms-excel"
	case ".ppt":
		return "application/vnd.ms-powerpoint"
	case ".txt":
		return "text/plain"
	case ".htm", ".html":
		return "text/html"
	case ".zip":
		return "application/zip"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	}
	return "application/octet-stream"
}

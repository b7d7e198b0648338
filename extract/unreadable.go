package extract

import (
	"archive/zip"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"liaison"
)

// The document readers (PDFText, DocxText, DocText, ODTText, RTFText and
// the containers) wrap one of these when a file is there but its text
// cannot be had. Each becomes its own problem on the statement (see
// unreadableProblem), and the statement's fields are then left to the
// cover mail rather than guessed from a partial text.
var (
	// ErrNoTextLayer: the document holds no text to read, only images (a
	// scanned or image-only PDF). A reader may still return the little
	// text it found (a stamp, a page number) with it.
	ErrNoTextLayer = errors.New("no text layer")
	// ErrEncrypted: the document needs a password that was not given (a
	// PDF with a real user password, an encrypted Word file, a zip entry
	// with a password). A PDF encrypted with the empty user password is
	// not this: the reader decrypts it.
	ErrEncrypted = errors.New("encrypted")
	// ErrDamaged: the file's structure is broken beyond what the reader
	// recovers (truncated, bad tables, corrupt compressed data).
	ErrDamaged = errors.New("damaged file")
	// ErrUnsupported: a format no reader here knows (.pages, .hwp, an
	// unknown binary, a zip entry compressed with an unknown method).
	ErrUnsupported = errors.New("unsupported format")
)

// unreadableProblem maps a document reader's error to the problem code the
// statement gets and a short reason for the coordinators.
func unreadableProblem(err error) (code, reason string) {
	var syn *xml.SyntaxError
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, ErrLimit):
		return liaison.ProblemLimit, err.Error()
	case errors.Is(err, ErrEncrypted) || errors.Is(err, ErrPDFEncrypted):
		return liaison.ProblemEncryptedAttach, "encrypted with a password; ask the sender for an unprotected copy"
	case errors.Is(err, ErrNoTextLayer):
		return liaison.ProblemNoTextLayer, "no text layer (scanned or image-only); ask the sender for a text copy"
	case errors.Is(err, ErrUnsupported) || errors.Is(err, zip.ErrAlgorithm):
		return liaison.ProblemUnsupportedAttach, fmt.Sprintf("format not supported (%v)", err)
	case errors.Is(err, ErrDamaged) || errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &syn) || errors.As(err, &corrupt):
		return liaison.ProblemDamagedAttach, fmt.Sprintf("damaged file (%v)", err)
	}
	return liaison.ProblemUnreadableAttach, err.Error()
}

// damaged wraps err (which may be nil) as ErrDamaged with a context.
func damaged(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%s: %w", what, ErrDamaged)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrDamaged, err)
}

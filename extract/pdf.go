package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"liaison/extract/internal/pdf"
)

// ErrPDFEncrypted is ErrEncrypted, by its older name.
var ErrPDFEncrypted = ErrEncrypted

// PDFText returns the text layer of a PDF file, page by page, in reading
// order: one line per text line, the cells of a table row on one line
// apart by tabs (see package extract/internal/pdf). A PDF encrypted with
// the empty user password is read. Its errors match ErrLimit,
// ErrEncrypted (a real user password), ErrNoTextLayer (pages with no
// text: a scan) or ErrDamaged (no page and no content could be read).
//
// Of a long PDF, the first pages are read until their text reaches
// lim.PDFHead bytes, then the last pages until theirs reaches
// lim.PDFTail; the text then holds, between the two, a line that names
// the pages left out (see PDFOmitted).
func PDFText(ctx context.Context, data []byte, lim Limits) (string, error) {
	lim = lim.withDefaults()
	d, err := pdf.Read(ctx, data, pdf.Limits{
		MaxBytes:        lim.MaxPDFBytes,
		MaxObjects:      lim.MaxPDFObjects,
		MaxPages:        lim.MaxPDFPages,
		MaxStreamBytes:  lim.MaxPDFStreamBytes,
		MaxDecodedBytes: lim.MaxPDFDecodedBytes,
		MaxTextBytes:    lim.MaxTextBytes,
		Timeout:         lim.PDFTimeout,
		Head:            lim.PDFHead,
		Tail:            lim.PDFTail,
	})
	t := tidyLines(cleanText(d.Text))
	if d.OmitFrom > 0 {
		t = strings.TrimRight(t, "\n") + "\n\n" + PDFOmitted(d.OmitFrom, d.OmitTo) + "\n\n" + tidyLines(cleanText(d.Tail))
	}
	return t, pdfError(err)
}

// PDFOmitted is the line that stands in the text of a PDF for its pages
// from first to last, which were not read.
func PDFOmitted(first, last int) string {
	if first == last {
		return fmt.Sprintf("[Page %d of this PDF is not in this text: only the first and last pages of a long PDF are read. The attached file has it.]", first)
	}
	return fmt.Sprintf("[Pages %d to %d of this PDF are not in this text: only the first and last pages of a long PDF are read. The attached file has them.]", first, last)
}

// pdfErrors pairs the PDF reader's errors with this package's sentinels.
var pdfErrors = []struct{ from, to error }{
	{pdf.ErrLimit, ErrLimit},
	{pdf.ErrEncrypted, ErrEncrypted},
	{pdf.ErrNoTextLayer, ErrNoTextLayer},
	{pdf.ErrDamaged, ErrDamaged},
	{pdf.ErrNotPDF, ErrDamaged},
}

// pdfError makes an error of the PDF reader match this package's
// sentinel too, keeping its message.
func pdfError(err error) error {
	for _, m := range pdfErrors {
		if errors.Is(err, m.from) {
			return sentinelError{err, m.to}
		}
	}
	return err
}

type sentinelError struct{ err, sentinel error }

func (e sentinelError) Error() string   { return e.err.Error() }
func (e sentinelError) Unwrap() []error { return []error{e.err, e.sentinel} }

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

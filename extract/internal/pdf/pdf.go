package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors returned by Text. A caller tells them apart with errors.Is.
var (
	ErrLimit       = errors.New("pdf limit exceeded")                    // one of the Limits was reached
	ErrNotPDF      = errors.New("not a pdf file")                        // no %PDF- header in the first KB
	ErrEncrypted   = errors.New("pdf is encrypted with a password")      // a user password other than the empty one
	ErrNoTextLayer = errors.New("pdf has no text layer")                 // pages but no text: a scan or images only
	ErrDamaged     = errors.New("pdf is damaged: no page could be read") // no page tree and no content found
	// ErrNoUnicode: glyphs of a Type0 font whose text cannot be known (a
	// CJK font with neither a ToUnicode CMap nor a Unicode encoding, and
	// no embedded TrueType cmap) were left out; the rest of the text is
	// returned with it.
	ErrNoUnicode = errors.New("pdf text has glyphs with no Unicode mapping")
)

// Limits bound the work one file may cause; zero fields take the values
// of DefaultLimits.
type Limits struct {
	MaxBytes        int64         // the file
	MaxObjects      int           // objects indexed
	MaxPages        int           // pages read
	MaxStreamBytes  int64         // one decoded stream
	MaxDecodedBytes int64         // all decoded streams
	MaxTextBytes    int           // the text returned
	Timeout         time.Duration // the whole file

	// Head, if not 0, ends the reading of the first pages at the end of
	// the page on which their text reaches Head bytes; the last pages are
	// then read, from the end, until their text reaches Tail bytes, and
	// the pages between are left out (Document.OmitFrom to OmitTo), which
	// is no error. A statement's heading and fields are on its first
	// pages and its actions, deadline and contacts often on its last; a
	// long document's pages between cost time and say nothing of them.
	Head, Tail int
}

// DefaultLimits are generous for real documents.
var DefaultLimits = Limits{
	MaxBytes: 48 << 20, MaxObjects: 400000, MaxPages: 600, MaxStreamBytes: 32 << 20,
	MaxDecodedBytes: 160 << 20, MaxTextBytes: 8 << 20, Timeout: 10 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = d.MaxObjects
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = d.MaxStreamBytes
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = d.MaxDecodedBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// reader holds one file being read. It is used by one goroutine.
type reader struct {
	ctx     context.Context
	lim     Limits
	data    []byte
	objs    map[int]any     // value or *stream
	lazy    map[int]lazyObj // objects not parsed yet
	encNum  int             // the encryption dictionary's object, whose strings are not encrypted
	where   map[int]int     // where a plain definition starts
	gens    map[int]int     // generation numbers other than 0
	trailer dict            // the newest trailer (or xref stream dictionary)
	crypt   *decrypter      // nil when the file is not encrypted
	fonts   map[objRef]*font
	// glyphCachePages is what is left of maxGlyphCachePages.
	glyphCachePages int
	decoded         int64
	steps           int
	images          int // images seen on the pages read
	missing         int // pages whose content is not in the file
	// unmapped counts the glyphs of fonts with no way to text, the first
	// such font described.
	unmapped     int
	unmappedFont string
	page         glyphs        // the page being read
	content      []byte        // its content, decoded
	part         []byte        // one of its content streams, decoded
	scratch      [9]scratch    // content operands, by depth of form XObjects
	zr           io.ReadCloser // reused zlib reader
	err          error
}

// Text returns the text layer of a PDF file, page by page, in reading
// order: one line per text line, the cells of a table row on one line
// apart by tabs, a blank line between paragraphs and pages. Text found
// before a limit was reached is returned with the error.
func Text(ctx context.Context, data []byte, lim Limits) (string, error) {
	d, err := Read(ctx, data, lim)
	return d.Text, err
}

// Document is the text of a file and how much of it was read.
type Document struct {
	Text  string // the text of the pages read, in order; when pages were left out, of the first ones
	Tail  string // when pages were left out, the text of the last pages read
	Pages int    // pages of the file
	Read  int    // pages read

	// OmitFrom and OmitTo number the first and last page left out by
	// Limits.Head (from 1); both are 0 when no page was.
	OmitFrom, OmitTo int
}

// Read is Text, saying how many pages were read.
func Read(ctx context.Context, data []byte, lim Limits) (Document, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return Document{}, fmt.Errorf("pdf of %d bytes: %w", len(data), ErrLimit)
	}
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return Document{}, ErrNotPDF
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	r := newReader(ctx, data, lim)
	if err := r.open(); err != nil {
		return Document{}, err
	}
	return r.text()
}

func newReader(ctx context.Context, data []byte, lim Limits) *reader {
	// Sized for a typical file and page, so that they seldom grow: real
	// files hold an object per 250 bytes to 2 KB, a page of text 2,000
	// to 6,000 glyphs.
	objs := min(len(data)/1024, 1<<16)
	return &reader{ctx: ctx, lim: lim.withDefaults(), data: data, glyphCachePages: maxGlyphCachePages,
		objs: make(map[int]any, objs), lazy: make(map[int]lazyObj, objs), where: make(map[int]int, objs),
		gens: map[int]int{}, fonts: map[objRef]*font{},
		page: glyphs{marks: make([]mark, 0, 4096), text: make([]byte, 0, 8192), line: make([]byte, 0, 8192), chunks: make([]chunk, 0, 256)}}
}

// open indexes the objects and sets up decryption.
func (r *reader) open() error {
	stms := r.index()
	if r.err != nil {
		return r.err
	}
	if err := r.setupCrypt(); err != nil {
		return err
	}
	for _, s := range stms {
		r.readObjStm(s)
	}
	return r.err
}

func (r *reader) text() (Document, error) {
	pages := r.pages()
	orphans := len(pages) == 0
	if orphans {
		pages = r.orphanContent()
	}
	d := Document{Pages: len(pages)}
	tooMany := len(pages) > r.lim.MaxPages // pages stops walking the tree just after
	if tooMany {
		pages = pages[:r.lim.MaxPages]
	}
	var out []byte
	n := 0
	for ; n < len(pages) && r.err == nil; n++ {
		if r.lim.Head > 0 && len(out) >= r.lim.Head {
			break
		}
		out = r.pageText(out, pages[n])
		out = append(out, "\n\n"...)
		r.checkText(len(out))
	}
	d.Read = n
	if n < len(pages) && r.err == nil && !tooMany {
		// The head bound stopped the reading: the last pages, from the
		// end, then the pages between are left out.
		var tail [][]byte
		size, k := 0, len(pages)
		for k > n && size < r.lim.Tail && r.err == nil {
			k--
			t := append(r.pageText(nil, pages[k]), "\n\n"...)
			tail = append(tail, t)
			size += len(t)
			r.checkText(len(out) + size)
		}
		d.Read += len(pages) - k
		var b []byte
		for i := len(tail) - 1; i >= 0; i-- {
			b = append(b, tail[i]...)
		}
		if k > n {
			d.OmitFrom, d.OmitTo, d.Tail = n+1, k, string(b)
		} else {
			out = append(out, b...)
		}
	}
	if tooMany && r.err == nil {
		r.fail(fmt.Errorf("pdf with more than %d pages: %w", r.lim.MaxPages, ErrLimit))
	}
	d.Text = string(out)
	if r.unmapped > 0 {
		// Named rather than guessed: those glyphs are left out of the
		// text, which says so.
		r.fail(fmt.Errorf("%d glyphs of %s left out: %w (no ToUnicode CMap, a CJK encoding this reader does not carry, no embedded TrueType cmap)",
			r.unmapped, r.unmappedFont, ErrNoUnicode))
	}
	if r.err == nil && strings.TrimSpace(d.Text+d.Tail) == "" {
		if orphans || r.missing > 0 && r.images == 0 {
			return Document{Pages: d.Pages, Read: d.Read}, ErrDamaged
		}
		return Document{Pages: d.Pages, Read: d.Read}, ErrNoTextLayer
	}
	return d, r.err
}

// checkText fails the reading once the text passes its limit.
func (r *reader) checkText(n int) {
	if n > r.lim.MaxTextBytes {
		r.fail(fmt.Errorf("pdf text over %d bytes: %w", r.lim.MaxTextBytes, ErrLimit))
	}
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// tick counts a step of work and checks the deadline now and then; it
// reports whether the work may go on.
func (r *reader) tick() bool {
	r.steps++
	if r.steps%2048 == 0 && r.ctx.Err() != nil {
		r.fail(fmt.Errorf("pdf: %w: %w", ErrLimit, r.ctx.Err()))
	}
	return r.err == nil
}

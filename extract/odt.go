package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ODTText returns the text of an OpenDocument text (.odt, or a flat .fodt):
// the page headers of styles.xml, then content.xml, one line per paragraph
// or heading, table rows as "label:<TAB>value" lines like DocxText. Notes,
// annotations and tracked deletions are left out. It reads at most
// lim.MaxDocxEntries zip entries and lim.MaxDocxBytes of uncompressed XML,
// whatever the zip headers claim. A password-protected file returns an
// error wrapping ErrEncrypted.
func ODTText(ctx context.Context, data []byte, lim Limits) (string, error) {
	lim = lim.withDefaults()
	if t := bytes.TrimLeft(data[:min(len(data), 512)], "\xef\xbb\xbf \t\r\n"); bytes.HasPrefix(t, []byte("<")) {
		// Flat XML: the whole document in one file.
		cr := &countReader{r: io.LimitReader(bytes.NewReader(data), lim.MaxDocxBytes+1)}
		s, err := odfXMLText(ctx, cr, lim, false)
		if cr.n > lim.MaxDocxBytes {
			err = fmt.Errorf("fodt over %d bytes: %w", lim.MaxDocxBytes, ErrLimit)
		}
		return tidyLines(cleanText(s)), err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", damaged("open odt", err)
	}
	if len(zr.File) > lim.MaxDocxEntries {
		return "", fmt.Errorf("open odt: %d entries: %w", len(zr.File), ErrLimit)
	}
	var content, styles, manifest *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "content.xml":
			content = f
		case "styles.xml":
			styles = f
		case "META-INF/manifest.xml":
			manifest = f
		}
	}
	if manifest != nil {
		if rc, err := manifest.Open(); err == nil {
			m, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
			rc.Close()
			if bytes.Contains(m, []byte("encryption-data")) {
				return "", fmt.Errorf("odt: %w", ErrEncrypted)
			}
		}
	}
	if content == nil {
		return "", damaged("open odt", errors.New("no content.xml"))
	}
	budget := lim.MaxDocxBytes
	var b strings.Builder
	if styles != nil {
		// Page headers: the meeting and the document number of 3GPP and
		// ETSI templates.
		t, n, err := odfPartText(ctx, styles, budget, lim, true)
		budget -= n
		if errors.Is(err, ErrLimit) {
			return "", err
		}
		if strings.TrimSpace(t) != "" {
			b.WriteString(t)
			b.WriteString("\n\n")
		}
	}
	t, _, err := odfPartText(ctx, content, budget, lim, false)
	b.WriteString(t)
	return tidyLines(cleanText(b.String())), err
}

func odfPartText(ctx context.Context, f *zip.File, budget int64, lim Limits, headersOnly bool) (string, int64, error) {
	if budget <= 0 {
		return "", 0, fmt.Errorf("odt %s: uncompressed size: %w", f.Name, ErrLimit)
	}
	rc, err := f.Open()
	if err != nil {
		return "", 0, damaged("odt "+f.Name, err)
	}
	defer rc.Close()
	cr := &countReader{r: io.LimitReader(rc, budget+1)}
	t, err := odfXMLText(ctx, cr, lim, headersOnly)
	if cr.n > budget {
		return t, cr.n, fmt.Errorf("odt %s: uncompressed size over %d bytes: %w", f.Name, lim.MaxDocxBytes, ErrLimit)
	}
	if err != nil && !errors.Is(err, ErrLimit) && ctx.Err() == nil {
		err = damaged("odt "+f.Name, err)
	}
	return t, cr.n, err
}

// odfSkip are elements whose text is not the document's.
var odfSkip = map[string]bool{
	"note": true, "annotation": true, "tracked-changes": true, "sequence-decls": true, "forms": true,
	"variable-decls": true, "user-field-decls": true, "bibliography-source": true, "note-citation": true,
	"deletion": true, "annotation-end": true, "script": true, "event-listeners": true,
}

// odfXMLText walks OpenDocument XML. With headersOnly, only the text of
// page headers (style:header, header-first, header-left) is kept.
func odfXMLText(ctx context.Context, r io.Reader, lim Limits, headersOnly bool) (string, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) { return in, nil }
	type table struct {
		rows [][]string
		cell []string // paragraphs of the cell being read
	}
	var (
		out    strings.Builder
		para   strings.Builder
		tables []*table
		depth  int
		skip   int // depth at which a skipped element started, 0 when none
		header int // depth of the page header being read
		inP    int // text:p and text:h open
		tokens int
	)
	keep := func() bool { return skip == 0 && (!headersOnly || header > 0) }
	flushPara := func() {
		p := strings.TrimRight(para.String(), " ")
		para.Reset()
		if n := len(tables); n > 0 {
			tables[n-1].cell = append(tables[n-1].cell, p)
			return
		}
		out.WriteString(p)
		out.WriteByte('\n')
	}
	for {
		tokens++
		if tokens%4096 == 0 && ctx.Err() != nil {
			return out.String(), ctx.Err()
		}
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if para.Len() > 0 {
				flushPara()
			}
			return out.String(), fmt.Errorf("read odf xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 256 {
				return out.String(), fmt.Errorf("odf xml nesting: %w", ErrLimit)
			}
			name := t.Name.Local
			if skip == 0 && odfSkip[name] {
				skip = depth
			}
			if header == 0 && (name == "header" || name == "header-first" || name == "header-left") && strings.Contains(t.Name.Space, "style") {
				header = depth
			}
			if !keep() {
				continue
			}
			switch name {
			case "p", "h":
				if inP > 0 && para.Len() > 0 {
					// A paragraph inside a frame inside a paragraph.
					para.WriteByte(' ')
				}
				inP++
			case "tab":
				para.WriteByte('\t')
			case "line-break":
				para.WriteByte('\n')
			case "s":
				n := 1
				for _, a := range t.Attr {
					if a.Name.Local == "c" {
						if v, err := strconv.Atoi(a.Value); err == nil && v > 0 {
							n = min(v, 64)
						}
					}
				}
				para.WriteString(strings.Repeat(" ", n))
			case "table":
				if para.Len() > 0 && inP == 0 {
					flushPara()
				}
				if len(tables) < 32 {
					tables = append(tables, &table{})
				}
			case "table-row":
				if n := len(tables); n > 0 {
					tables[n-1].rows = append(tables[n-1].rows, nil)
				}
			case "table-cell":
				if n := len(tables); n > 0 {
					tables[n-1].cell = tables[n-1].cell[:0]
				}
			}
		case xml.EndElement:
			name := t.Name.Local
			wasKept := keep()
			if skip == depth {
				skip = 0
			}
			if header == depth {
				header = 0
			}
			depth--
			if !wasKept {
				continue
			}
			switch name {
			case "p", "h":
				if inP > 0 {
					inP--
				}
				if inP == 0 {
					flushPara()
				}
			case "table-cell":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					var ps []string
					for _, p := range tb.cell {
						if s := strings.TrimSpace(p); s != "" {
							ps = append(ps, s)
						}
					}
					tb.cell = tb.cell[:0]
					if len(tb.rows) == 0 {
						tb.rows = append(tb.rows, nil)
					}
					if r := &tb.rows[len(tb.rows)-1]; len(*r) < 256 {
						*r = append(*r, strings.Join(ps, "\n"))
					}
				}
			case "table":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					tables = tables[:n-1]
					var lines []string
					for _, r := range tb.rows {
						var cells []string
						for _, c := range r {
							if c != "" {
								cells = append(cells, c)
							}
						}
						if len(cells) > 0 {
							lines = append(lines, renderRow(cells))
						}
					}
					if len(tables) > 0 {
						// A nested table: its lines are paragraphs of the outer cell.
						tables[len(tables)-1].cell = append(tables[len(tables)-1].cell, lines...)
					} else {
						for _, l := range lines {
							out.WriteString(l)
							out.WriteByte('\n')
						}
						out.WriteByte('\n')
					}
				}
			}
		case xml.CharData:
			if inP > 0 && keep() {
				// ODF collapses white space in text; line ends in the XML
				// are no line breaks.
				for _, c := range t {
					if c == '\n' || c == '\r' || c == '\t' {
						c = ' '
					}
					para.WriteByte(c)
				}
			}
		}
		if out.Len()+para.Len() > lim.MaxTextBytes {
			return out.String(), fmt.Errorf("odf text over %d bytes: %w", lim.MaxTextBytes, ErrLimit)
		}
	}
	if para.Len() > 0 {
		flushPara()
	}
	return out.String(), nil
}

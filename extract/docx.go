package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrLimit is wrapped by errors for input that exceeds one of the Limits.
var ErrLimit = errors.New("limit exceeded")

// DocxText returns the text of a WordprocessingML document (.docx): one
// line per paragraph, table rows as "label:<TAB>value" lines like HTML
// tables. It reads at most lim.MaxDocxEntries zip entries and
// lim.MaxDocxBytes of uncompressed XML, whatever the zip headers claim, so
// a zip bomb costs nothing.
func DocxText(ctx context.Context, data []byte, lim Limits) (string, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("open docx: %w", err)
	}
	if len(zr.File) > lim.MaxDocxEntries {
		return "", fmt.Errorf("open docx: %d entries: %w", len(zr.File), ErrLimit)
	}
	var main *zip.File
	var extras []*zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == "word/document.xml":
			main = f
		case strings.HasPrefix(f.Name, "word/") && strings.HasSuffix(f.Name, ".xml") &&
			(strings.HasPrefix(f.Name, "word/header") || strings.HasPrefix(f.Name, "word/footnotes")):
			extras = append(extras, f)
		}
	}
	if main == nil {
		// Some generators use another part name; find it by content type.
		for _, f := range zr.File {
			if strings.HasPrefix(f.Name, "word/") && strings.HasSuffix(f.Name, ".xml") &&
				!strings.Contains(f.Name, "/_rels/") && !strings.Contains(f.Name, "styles") &&
				!strings.Contains(f.Name, "settings") && !strings.Contains(f.Name, "font") &&
				!strings.Contains(f.Name, "theme") && !strings.Contains(f.Name, "numbering") &&
				!strings.Contains(f.Name, "webSettings") && !strings.Contains(f.Name, "header") &&
				!strings.Contains(f.Name, "footer") {
				main = f
				break
			}
		}
	}
	if main == nil {
		return "", errors.New("open docx: no word/document.xml")
	}
	budget := lim.MaxDocxBytes
	var b strings.Builder
	// Headers first: the 3GPP and ETSI templates put the meeting and the
	// document number there.
	for _, f := range extras {
		if !strings.HasPrefix(f.Name, "word/header") {
			continue
		}
		t, n, err := docxPartText(ctx, f, budget, lim)
		budget -= n
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return b.String(), err
			}
			continue
		}
		if strings.TrimSpace(t) != "" {
			b.WriteString(t)
			b.WriteString("\n\n")
		}
	}
	t, n, err := docxPartText(ctx, main, budget, lim)
	budget -= n
	b.WriteString(t)
	if err != nil {
		return b.String(), err
	}
	return b.String(), nil
}

func docxPartText(ctx context.Context, f *zip.File, budget int64, lim Limits) (string, int64, error) {
	if budget <= 0 {
		return "", 0, fmt.Errorf("docx %s: uncompressed size: %w", f.Name, ErrLimit)
	}
	rc, err := f.Open()
	if err != nil {
		return "", 0, fmt.Errorf("docx %s: %w", f.Name, err)
	}
	defer rc.Close()
	cr := &countReader{r: io.LimitReader(rc, budget+1)}
	t, err := wordXMLText(ctx, cr, lim)
	if cr.n > budget {
		return t, cr.n, fmt.Errorf("docx %s: uncompressed size over %d bytes: %w", f.Name, lim.MaxDocxBytes, ErrLimit)
	}
	return t, cr.n, err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// wordXMLText walks the WordprocessingML token stream. Deleted text
// (w:delText) and field codes (w:instrText) are left out.
func wordXMLText(ctx context.Context, r io.Reader, lim Limits) (string, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) { return in, nil }
	type cell struct{ paras []string }
	type row struct{ cells []*cell }
	type table struct{ rows []*row }
	var (
		out    strings.Builder
		para   strings.Builder
		tables []*table
		inText bool
		depth  int
		tokens int
	)
	flushPara := func() {
		p := strings.TrimRight(para.String(), " ")
		para.Reset()
		if len(tables) > 0 {
			t := tables[len(tables)-1]
			if len(t.rows) > 0 {
				r := t.rows[len(t.rows)-1]
				if len(r.cells) > 0 {
					c := r.cells[len(r.cells)-1]
					c.paras = append(c.paras, p)
					return
				}
			}
			return
		}
		out.WriteString(p)
		out.WriteByte('\n')
	}
	renderTable := func(t *table) []string {
		var lines []string
		for _, r := range t.rows {
			var cells []string
			for _, c := range r.cells {
				var ps []string
				for _, p := range c.paras {
					if s := strings.TrimSpace(p); s != "" {
						ps = append(ps, s)
					}
				}
				if len(ps) > 0 {
					cells = append(cells, strings.Join(ps, "\n"))
				}
			}
			if len(cells) > 0 {
				lines = append(lines, renderRow(cells))
			}
		}
		return lines
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
			return out.String(), fmt.Errorf("read word xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 256 {
				return out.String(), fmt.Errorf("word xml nesting: %w", ErrLimit)
			}
			switch t.Name.Local {
			case "t":
				inText = t.Name.Space == "" || strings.Contains(t.Name.Space, "wordprocessingml") || strings.HasSuffix(t.Name.Space, "/main")
			case "tab", "ptab":
				if para.Len() > 0 || len(tables) == 0 {
					para.WriteByte('\t')
				}
			case "br", "cr":
				para.WriteByte('\n')
			case "noBreakHyphen":
				para.WriteByte('-')
			case "tbl":
				if para.Len() > 0 {
					flushPara()
				}
				if len(tables) < 32 {
					tables = append(tables, &table{})
				}
			case "tr":
				if n := len(tables); n > 0 {
					tables[n-1].rows = append(tables[n-1].rows, &row{})
				}
			case "tc":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					if len(tb.rows) == 0 {
						tb.rows = append(tb.rows, &row{})
					}
					r := tb.rows[len(tb.rows)-1]
					r.cells = append(r.cells, &cell{})
				}
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				flushPara()
			case "tbl":
				if n := len(tables); n > 0 {
					tb := tables[n-1]
					tables = tables[:n-1]
					lines := renderTable(tb)
					if len(tables) > 0 {
						// Nested table: its lines become paragraphs of the outer cell.
						for _, l := range lines {
							para.WriteString(l)
							flushPara()
						}
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
			if inText {
				para.Write(t)
			}
		}
		if out.Len()+para.Len() > lim.MaxTextBytes {
			return out.String(), fmt.Errorf("word text over %d bytes: %w", lim.MaxTextBytes, ErrLimit)
		}
	}
	if para.Len() > 0 {
		flushPara()
	}
	return out.String(), nil
}

package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText turns an HTML body into text for the label parser: blocks and
// <br> become line breaks, each table row becomes one line whose first cell
// is the label ("Title: X"; further cells apart by tabs), a cell's own lines
// are indented continuation lines, quoted blocks get "> ", and mailto:
// links keep their address. It records the Content-IDs the HTML shows
// (cid: images) in cids and reports whether it had a table.
func htmlToText(src string, cids map[string]bool) (string, bool) {
	z := html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(8 << 20)
	var out strings.Builder
	type cell struct{ b strings.Builder }
	type row struct{ cells []*cell }
	type table struct {
		rows []*row
	}
	var tables []*table
	var cur *strings.Builder = &out
	skip := 0
	quote := 0
	hadTable := false
	var linkHref string
	var linkText strings.Builder
	inLink := false

	curCell := func() *cell {
		if len(tables) == 0 {
			return nil
		}
		t := tables[len(tables)-1]
		if len(t.rows) == 0 {
			return nil
		}
		r := t.rows[len(t.rows)-1]
		if len(r.cells) == 0 {
			return nil
		}
		return r.cells[len(r.cells)-1]
	}
	retarget := func() {
		if c := curCell(); c != nil {
			cur = &c.b
		} else if len(tables) > 0 {
			cur = new(strings.Builder) // text between cells is dropped
		} else {
			cur = &out
		}
	}
	newline := func() {
		s := cur.String()
		if s == "" || strings.HasSuffix(s, "\n") {
			return
		}
		cur.WriteByte('\n')
		if quote > 0 && cur == &out {
			cur.WriteString(strings.Repeat("> ", quote))
		}
	}
	write := func(s string) {
		if inLink {
			linkText.WriteString(s)
		}
		if quote > 0 && cur == &out {
			str := cur.String()
			if str == "" || strings.HasSuffix(str, "\n") {
				cur.WriteString(strings.Repeat("> ", quote))
			}
		}
		cur.WriteString(s)
	}
	renderTable := func(t *table) string {
		var b strings.Builder
		for _, r := range t.rows {
			var cells []string
			for _, c := range r.cells {
				cells = append(cells, strings.TrimSpace(collapseInline(c.b.String())))
			}
			// Drop empty cells (layout spacers).
			var kept []string
			for _, c := range cells {
				if c != "" {
					kept = append(kept, c)
				}
			}
			if len(kept) == 0 {
				continue
			}
			b.WriteString(renderRow(kept))
			b.WriteByte('\n')
		}
		return b.String()
	}

	for n := 0; n < 2_000_000; n++ {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := strings.NewReplacer("\r", " ", "\n", " ", "\t", " ").Replace(tok.Data)
			write(t)
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.DataAtom {
			case atom.Style, atom.Script, atom.Head, atom.Title, atom.Noscript, atom.Template:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Br:
				// Always a line break: <div><br></div> is how mail editors
				// write a blank line.
				cur.WriteByte('\n')
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
				atom.Pre, atom.Hr, atom.Dt, atom.Dd, atom.Dl, atom.Section, atom.Article, atom.Header, atom.Footer,
				atom.Address, atom.Center:
				newline()
				if tok.DataAtom == atom.Hr && len(tables) == 0 {
					write("________________________________")
					newline()
				}
			case atom.Blockquote:
				newline()
				if len(tables) == 0 {
					quote++
				}
			case atom.Table:
				newline()
				hadTable = true
				tables = append(tables, &table{})
				retarget()
			case atom.Tr:
				if len(tables) > 0 {
					t := tables[len(tables)-1]
					t.rows = append(t.rows, &row{})
					retarget()
				}
			case atom.Td, atom.Th:
				if len(tables) > 0 {
					t := tables[len(tables)-1]
					if len(t.rows) == 0 {
						t.rows = append(t.rows, &row{})
					}
					r := t.rows[len(t.rows)-1]
					r.cells = append(r.cells, &cell{})
					retarget()
				}
			case atom.Img:
				for _, a := range tok.Attr {
					if a.Key == "src" && strings.HasPrefix(strings.ToLower(a.Val), "cid:") && cids != nil {
						cids[strings.Trim(a.Val[4:], "<>")] = true
					}
				}
			case atom.A:
				linkHref = ""
				for _, a := range tok.Attr {
					if a.Key == "href" {
						linkHref = a.Val
					}
				}
				inLink = true
				linkText.Reset()
			}
		case html.EndTagToken:
			switch tok.DataAtom {
			case atom.Style, atom.Script, atom.Head, atom.Title, atom.Noscript, atom.Template:
				if skip > 0 {
					skip--
				}
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
				atom.Pre, atom.Dt, atom.Dd, atom.Dl, atom.Section, atom.Article, atom.Header, atom.Footer,
				atom.Address, atom.Center:
				newline()
			case atom.Blockquote:
				newline()
				if quote > 0 && len(tables) == 0 {
					quote--
				}
			case atom.Table:
				if len(tables) > 0 {
					t := tables[len(tables)-1]
					tables = tables[:len(tables)-1]
					retarget()
					txt := renderTable(t)
					if len(tables) > 0 {
						// A nested table lives inside the outer cell.
						write(txt)
					} else {
						newline()
						for _, l := range strings.Split(strings.TrimRight(txt, "\n"), "\n") {
							write(l)
							cur.WriteByte('\n')
						}
					}
				}
			case atom.A:
				if inLink {
					inLink = false
					h := strings.TrimSpace(linkHref)
					if strings.HasPrefix(strings.ToLower(h), "mailto:") {
						addr := h[7:]
						if i := strings.IndexByte(addr, '?'); i >= 0 {
							addr = addr[:i]
						}
						if !strings.Contains(strings.ToLower(linkText.String()), strings.ToLower(addr)) {
							write(" <" + addr + ">")
						}
					}
				}
			}
		}
	}
	for len(tables) > 0 {
		t := tables[len(tables)-1]
		tables = tables[:len(tables)-1]
		out.WriteString(renderTable(t))
	}
	return tidyLines(out.String()), hadTable
}

// renderRow writes one table row as a line: a short first cell is a label
// ("Title: X"), further cells are apart by tabs; a cell's inner lines are
// indented under it so the label parser reads them as continuation lines.
func renderRow(cells []string) string {
	if len(cells) == 1 {
		return cells[0]
	}
	first := strings.Join(strings.Fields(cells[0]), " ")
	rest := make([]string, 0, len(cells)-1)
	for _, c := range cells[1:] {
		rest = append(rest, strings.ReplaceAll(c, "\n", "\n\t"))
	}
	val := strings.Join(rest, "\t")
	words := len(strings.Fields(first))
	if words <= 8 && len(first) <= 70 && !strings.ContainsAny(strings.TrimSuffix(first, ":"), ".;!?") {
		first = strings.TrimSuffix(strings.TrimSpace(first), ":")
		return first + ":\t" + val
	}
	return first + "\t" + val
}

// collapseInline folds runs of spaces within lines and drops empty lines.
func collapseInline(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// tidyLines trims trailing spaces and folds runs of blank lines.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		// Leading spaces from HTML source indentation carry no meaning.
		if !strings.HasPrefix(l, "\t") {
			l = strings.TrimLeft(l, " ")
		}
		if strings.TrimSpace(l) == "" { // all white space, without splitting it into fields
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(collapseSpaces(l))
	}
	return b.String()
}

func collapseSpaces(l string) string {
	if !strings.Contains(l, "  ") {
		return l
	}
	var b strings.Builder
	prev := false
	for _, r := range l {
		if r == ' ' {
			if prev {
				continue
			}
			prev = true
		} else {
			prev = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

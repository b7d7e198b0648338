package extract

import (
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTMLBytes bounds the markup parsed from one HTML part or file; the
// text kept from a document is far smaller (Limits.MaxTextBytes).
const maxHTMLBytes = 16 << 20

// maxHTMLNodes bounds the nodes rendered from one HTML document.
const maxHTMLNodes = 2_000_000

// htmlToText turns an HTML body into the text a reader sees, for the label
// parser and the command reader: blocks and <br> become line breaks, each
// table row becomes one line whose first cell is the label ("Title: X";
// further cells apart by tabs), a cell's own lines are indented
// continuation lines, quoted blocks get "> ", and mailto: links keep their
// address. Hidden content is left out (see hiddenElement and cssSheet): a
// command must never come from text the person did not see. It records the
// Content-IDs the HTML shows (cid: images) in cids and reports whether it
// had a table.
//
// The markup is parsed into a tree by the HTML5 algorithm, as a mail client
// does: a token stream cannot tell where a hidden element really ends
// (`</div>` inside a table cell of a hidden div closes nothing).
func htmlToText(src string, cids map[string]bool) (string, bool) {
	if len(src) > maxHTMLBytes {
		src = src[:maxHTMLBytes]
	}
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// Nested deeper than the parser goes (512 open elements).
		return htmlToTextFlat(src, cids)
	}
	r := &htmlRenderer{cids: cids}
	r.cur = &r.out
	sheet := collectStyles(root)
	type frame struct {
		n    *html.Node
		st   textStyle
		open bool // the element's children are done: close it
	}
	stack := []frame{{n: root}}
	push := func(n *html.Node, st textStyle) {
		// Children in reverse, so the first is handled first.
		at := len(stack)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, frame{n: c, st: st})
		}
		for i, j := at, len(stack)-1; i < j; i, j = i+1, j-1 {
			stack[i], stack[j] = stack[j], stack[i]
		}
	}
	for nodes := 0; len(stack) > 0 && nodes < maxHTMLNodes; nodes++ {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.open {
			r.end(f.n)
			continue
		}
		switch f.n.Type {
		case html.DocumentNode:
			push(f.n, f.st)
		case html.TextNode:
			if f.st.visible() {
				r.text(f.n.Data)
			}
		case html.ElementNode:
			if hiddenElement(f.n) {
				continue
			}
			st, hide := sheet.style(f.n, f.st)
			if hide {
				continue
			}
			r.start(f.n)
			stack = append(stack, frame{n: f.n, open: true})
			if f.n.DataAtom == atom.Details && f.n.Namespace == "" && !hasAttr(f.n, "open") {
				// A closed <details> shows only its summary.
				for c := f.n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.DataAtom == atom.Summary {
						stack = append(stack, frame{n: c, st: st})
						break
					}
				}
				continue
			}
			push(f.n, st)
		}
	}
	for len(r.tables) > 0 {
		t := r.tables[len(r.tables)-1]
		r.tables = r.tables[:len(r.tables)-1]
		r.out.WriteString(renderTable(t))
	}
	return tidyLines(r.out.String()), r.hadTable
}

// htmlToTextFlat renders HTML the parser refused, token by token. Without
// the tree it cannot tell where a hidden element ends, so the text ends at
// the first element that may be hidden: a hidden attribute, an inline
// style that hides, or a class, id or tag a hiding rule of the style
// sheet names (its combinators not weighed).
func htmlToTextFlat(src string, cids map[string]bool) (string, bool) {
	var css strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(8 << 20)
	inStyle := false
	for n := 0; n < maxHTMLNodes; n++ {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch {
		case tt == html.StartTagToken && tok.DataAtom == atom.Style:
			inStyle = true
		case tt == html.EndTagToken && tok.DataAtom == atom.Style:
			inStyle = false
		case tt == html.TextToken && inStyle && css.Len() < maxCSSBytes:
			css.WriteString(tok.Data)
			css.WriteByte('\n')
		}
	}
	sheet := &cssSheet{budget: maxCSSBudget}
	sheet.parse(cssUnescape(stripCSSComments(css.String())), 0)
	for i := range sheet.rules {
		// Only the subject is tested: the rule applies more widely.
		r := &sheet.rules[i]
		r.sel, r.comb = r.sel[len(r.sel)-1:], nil
	}
	r := &htmlRenderer{cids: cids}
	r.cur = &r.out
	z = html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(8 << 20)
	skip := 0
	var st textStyle
loop:
	for n := 0; n < maxHTMLNodes; n++ {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		el := &html.Node{Type: html.ElementNode, Data: tok.Data, DataAtom: tok.DataAtom, Attr: tok.Attr}
		switch tt {
		case html.TextToken:
			if skip == 0 && st.visible() {
				r.text(tok.Data)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.DataAtom {
			case atom.Head, atom.Style, atom.Script, atom.Title, atom.Noscript, atom.Template, atom.Iframe,
				atom.Noembed, atom.Noframes, atom.Datalist, atom.Svg, atom.Math:
				if tt == html.StartTagToken {
					skip++
				}
				continue
			case atom.Details, atom.Dialog:
				break loop
			}
			if hiddenElement(el) {
				break loop
			}
			var hide bool
			if st, hide = sheet.style(el, st); hide || !st.visible() {
				break loop
			}
			if skip == 0 {
				r.start(el)
			}
		case html.EndTagToken:
			switch tok.DataAtom {
			case atom.Head, atom.Style, atom.Script, atom.Title, atom.Noscript, atom.Template, atom.Iframe,
				atom.Noembed, atom.Noframes, atom.Datalist, atom.Svg, atom.Math:
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip == 0 {
				r.end(el)
			}
		}
	}
	for len(r.tables) > 0 {
		t := r.tables[len(r.tables)-1]
		r.tables = r.tables[:len(r.tables)-1]
		r.out.WriteString(renderTable(t))
	}
	return tidyLines(r.out.String()), r.hadTable
}

// hiddenElement reports whether an element and all it holds are never
// shown: the document head and non-rendered elements (style, script,
// template, ...), a hidden input, a closed dialog, and anything with the
// hidden attribute. aria-hidden is not among them: it hides from screen
// readers only, the text is on the screen.
func hiddenElement(n *html.Node) bool {
	if hasAttr(n, "hidden") {
		return true
	}
	if n.Namespace != "" {
		// SVG and MathML: a <title> or <desc> is a tooltip, not text.
		return n.DataAtom == atom.Title || n.Data == "desc" || n.Data == "metadata"
	}
	switch n.DataAtom {
	case atom.Head, atom.Style, atom.Script, atom.Title, atom.Noscript, atom.Template, atom.Iframe,
		atom.Noembed, atom.Noframes, atom.Datalist, atom.Meta, atom.Link, atom.Base:
		return true
	case atom.Dialog:
		return !hasAttr(n, "open")
	case atom.Input:
		return strings.EqualFold(attr(n, "type"), "hidden")
	}
	return false
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// htmlRenderer writes the text of the elements it is walked through.
type htmlRenderer struct {
	out      strings.Builder
	cur      *strings.Builder
	tables   []*htmlTable
	quote    int
	hadTable bool
	cids     map[string]bool

	inLink   bool
	linkHref string
	linkText strings.Builder
}

type htmlCell struct{ b strings.Builder }
type htmlRow struct{ cells []*htmlCell }
type htmlTable struct{ rows []*htmlRow }

func (r *htmlRenderer) curCell() *htmlCell {
	if len(r.tables) == 0 {
		return nil
	}
	t := r.tables[len(r.tables)-1]
	if len(t.rows) == 0 {
		return nil
	}
	row := t.rows[len(t.rows)-1]
	if len(row.cells) == 0 {
		return nil
	}
	return row.cells[len(row.cells)-1]
}

func (r *htmlRenderer) retarget() {
	if c := r.curCell(); c != nil {
		r.cur = &c.b
	} else if len(r.tables) > 0 {
		r.cur = new(strings.Builder) // text between cells is dropped
	} else {
		r.cur = &r.out
	}
}

func (r *htmlRenderer) newline() {
	s := r.cur.String()
	if s == "" || strings.HasSuffix(s, "\n") {
		return
	}
	r.cur.WriteByte('\n')
	if r.quote > 0 && r.cur == &r.out {
		r.cur.WriteString(strings.Repeat("> ", r.quote))
	}
}

func (r *htmlRenderer) write(s string) {
	if r.inLink {
		r.linkText.WriteString(s)
	}
	if r.quote > 0 && r.cur == &r.out {
		str := r.cur.String()
		if str == "" || strings.HasSuffix(str, "\n") {
			r.cur.WriteString(strings.Repeat("> ", r.quote))
		}
	}
	r.cur.WriteString(s)
}

var htmlSpaceReplacer = strings.NewReplacer("\r", " ", "\n", " ", "\t", " ")

func (r *htmlRenderer) text(s string) {
	r.write(htmlSpaceReplacer.Replace(s))
}

func renderTable(t *htmlTable) string {
	var b strings.Builder
	for _, row := range t.rows {
		// Drop empty cells (layout spacers).
		var kept []string
		for _, c := range row.cells {
			if s := strings.TrimSpace(collapseInline(c.b.String())); s != "" {
				kept = append(kept, s)
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

func (r *htmlRenderer) start(n *html.Node) {
	if n.Namespace != "" {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		// Always a line break: <div><br></div> is how mail editors
		// write a blank line.
		r.cur.WriteByte('\n')
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
		atom.Pre, atom.Hr, atom.Dt, atom.Dd, atom.Dl, atom.Section, atom.Article, atom.Header, atom.Footer,
		atom.Address, atom.Center, atom.Details, atom.Summary:
		r.newline()
		if n.DataAtom == atom.Hr && len(r.tables) == 0 {
			r.write("________________________________")
			r.newline()
		}
	case atom.Blockquote:
		r.newline()
		if len(r.tables) == 0 {
			r.quote++
		}
	case atom.Table:
		r.newline()
		r.hadTable = true
		r.tables = append(r.tables, &htmlTable{})
		r.retarget()
	case atom.Tr:
		if len(r.tables) > 0 {
			t := r.tables[len(r.tables)-1]
			t.rows = append(t.rows, &htmlRow{})
			r.retarget()
		}
	case atom.Td, atom.Th:
		if len(r.tables) > 0 {
			t := r.tables[len(r.tables)-1]
			if len(t.rows) == 0 {
				t.rows = append(t.rows, &htmlRow{})
			}
			row := t.rows[len(t.rows)-1]
			row.cells = append(row.cells, &htmlCell{})
			r.retarget()
		}
	case atom.Img:
		if src := attr(n, "src"); strings.HasPrefix(strings.ToLower(src), "cid:") && r.cids != nil {
			r.cids[strings.Trim(src[4:], "<>")] = true
		}
	case atom.A:
		r.linkHref = attr(n, "href")
		r.inLink = true
		r.linkText.Reset()
	}
}

func (r *htmlRenderer) end(n *html.Node) {
	if n.Namespace != "" {
		return
	}
	switch n.DataAtom {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Ul, atom.Ol,
		atom.Pre, atom.Dt, atom.Dd, atom.Dl, atom.Section, atom.Article, atom.Header, atom.Footer,
		atom.Address, atom.Center, atom.Details, atom.Summary:
		r.newline()
	case atom.Blockquote:
		r.newline()
		if r.quote > 0 && len(r.tables) == 0 {
			r.quote--
		}
	case atom.Table:
		if len(r.tables) == 0 {
			return
		}
		t := r.tables[len(r.tables)-1]
		r.tables = r.tables[:len(r.tables)-1]
		r.retarget()
		txt := renderTable(t)
		if len(r.tables) > 0 {
			// A nested table lives inside the outer cell.
			r.write(txt)
			return
		}
		r.newline()
		for _, l := range strings.Split(strings.TrimRight(txt, "\n"), "\n") {
			r.write(l)
			r.cur.WriteByte('\n')
		}
	case atom.A:
		if !r.inLink {
			return
		}
		r.inLink = false
		h := strings.TrimSpace(r.linkHref)
		if strings.HasPrefix(strings.ToLower(h), "mailto:") {
			addr := h[7:]
			if i := strings.IndexByte(addr, '?'); i >= 0 {
				addr = addr[:i]
			}
			if !strings.Contains(strings.ToLower(r.linkText.String()), strings.ToLower(addr)) {
				r.write(" <" + addr + ">")
			}
		}
	}
}

// textStyle is what an element passes on to its text: the inherited
// properties that can hide text and that a descendant may set back.
type textStyle struct {
	invisible   bool // visibility: hidden or collapse
	zeroFont    bool // font-size: 0
	transparent bool // color: transparent
}

func (s textStyle) visible() bool { return !s.invisible && !s.zeroFont && !s.transparent }

// cssDecl is one declaration of a style attribute or rule.
type cssDecl struct {
	prop, val string // lower case, CSS escapes resolved
	important bool
}

// cssProps are the properties that can hide text; others are not kept.
var cssProps = map[string]bool{
	"display": true, "visibility": true, "opacity": true, "mso-hide": true, "font-size": true, "font": true,
	"color": true, "background": true, "background-color": true, "overflow": true, "overflow-x": true,
	"overflow-y": true, "height": true, "max-height": true, "width": true, "max-width": true,
	"position": true, "left": true, "top": true, "text-indent": true,
}

// parseDecls reads a CSS declaration list ("display: none !important;
// color:red"): comments dropped, case folded, escapes resolved, the
// font shorthand's size kept as a font-size.
func parseDecls(s string) []cssDecl {
	s = cssUnescape(stripCSSComments(s))
	var out []cssDecl
	for _, d := range splitCSS(s, ';') {
		i := strings.IndexByte(d, ':')
		if i < 0 {
			continue
		}
		prop := strings.ToLower(strings.TrimSpace(d[:i]))
		if !cssProps[prop] {
			continue
		}
		val := strings.ToLower(strings.TrimSpace(d[i+1:]))
		imp := false
		if j := strings.LastIndexByte(val, '!'); j >= 0 && strings.TrimSpace(val[j+1:]) == "important" {
			imp = true
			val = strings.TrimSpace(val[:j])
		}
		if val == "" {
			continue
		}
		if prop == "font" {
			// font: [style] [weight] size[/line-height] family: the size is
			// the first token that is a length or a size keyword.
			for _, tok := range strings.Fields(val) {
				size, _, _ := strings.Cut(tok, "/")
				if zero, abs := fontSize(size); zero || abs || strings.ContainsAny(size, "%") || strings.HasSuffix(size, "em") {
					out = append(out, cssDecl{prop: "font-size", val: size, important: imp})
					break
				}
			}
			continue
		}
		out = append(out, cssDecl{prop: prop, val: val, important: imp})
	}
	return out
}

// splitCSS splits at sep outside quotes and brackets.
func splitCSS(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '(' || c == '[':
			depth++
		case (c == ')' || c == ']') && depth > 0:
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func stripCSSComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			break
		}
		s = s[i+2+j+2:]
	}
	return b.String()
}

// cssUnescape resolves CSS escapes: "n\6f ne" is "none" to a browser.
func cssUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && j < i+7 && isHex(s[j]) {
			j++
		}
		if j == i+1 {
			if s[j] != '\n' { // an escaped new line is a continuation
				b.WriteByte(s[j])
			}
			i = j
			continue
		}
		v, _ := strconv.ParseUint(s[i+1:j], 16, 32)
		if v == 0 || v > 0x10ffff || v >= 0xd800 && v <= 0xdfff {
			v = 0xfffd
		}
		b.WriteRune(rune(v))
		if j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
			j++
		}
		i = j - 1
	}
	return b.String()
}

// cssNumber splits "12.5px" into 12.5 and "px".
func cssNumber(v string) (float64, string, bool) {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.' || v[i] == '-' || v[i] == '+') {
		i++
	}
	if i == 0 {
		return 0, "", false
	}
	f, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, "", false
	}
	return f, v[i:], true
}

// zeroLength: a length of zero in any unit ("0", "0px", "0.0pt", "0%").
func zeroLength(v string) bool {
	f, _, ok := cssNumber(firstField(v))
	return ok && f == 0
}

func firstField(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// fontSize reports whether a font-size value is zero, and whether it is
// an absolute size that shows the text whatever the parent's size (a
// relative one, 1em or 150%, of a zero size is still zero; an invalid one
// is ignored by the browser and inherits).
func fontSize(v string) (zero, abs bool) {
	switch v {
	case "xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large":
		return false, true
	}
	f, unit, ok := cssNumber(v)
	if !ok || f < 0 {
		return false, false
	}
	if f == 0 {
		return true, false
	}
	switch unit {
	case "px", "pt", "pc", "cm", "mm", "in", "q", "rem", "vw", "vh", "vmin", "vmax":
		return false, true
	}
	return false, false
}

// normColor folds the spellings of a colour: "#FFF", "white" and
// "rgb(255, 255, 255)" are one.
func normColor(v string) string {
	v = strings.ReplaceAll(firstField(v), " ", "")
	switch v {
	case "white":
		return "#ffffff"
	case "black":
		return "#000000"
	}
	if len(v) == 4 && v[0] == '#' {
		return string([]byte{'#', v[1], v[1], v[2], v[2], v[3], v[3]})
	}
	if strings.HasPrefix(v, "rgb(") && strings.HasSuffix(v, ")") {
		parts := strings.Split(v[4:len(v)-1], ",")
		if len(parts) == 3 {
			var b strings.Builder
			b.WriteByte('#')
			for _, p := range parts {
				n, err := strconv.Atoi(strings.TrimSpace(p))
				if err != nil || n < 0 || n > 255 {
					return v
				}
				b.WriteString(strconv.FormatInt(int64(n|0x100), 16)[1:])
			}
			return b.String()
		}
	}
	return v
}

// cssRule is one selector of a style sheet rule with its declarations.
type cssRule struct {
	sel   []cssCompound // subject last
	comb  []byte        // comb[i] joins sel[i] and sel[i+1]: ' ', '>', '+', '~'
	decls []cssDecl
}

// cssCompound is a compound selector: tag, id, classes and attribute
// tests. Pseudo-classes are not evaluated: the rule is taken to apply
// (hiding too much is the safe side).
type cssCompound struct {
	tag     string
	id      string
	classes []string
	attrs   []cssAttr
}

type cssAttr struct {
	key, op, val string
	fold         bool
}

// cssSheet holds the rules of the document's <style> elements that can
// hide text.
type cssSheet struct {
	rules  []cssRule
	budget int // selector matching steps left; when spent, rules match

	// The rules by their subject's id, first class or tag, or none.
	indexed              bool
	byID, byClass, byTag map[string][]int
	universal            []int
}

func (sh *cssSheet) index() {
	sh.indexed = true
	sh.byID, sh.byClass, sh.byTag = map[string][]int{}, map[string][]int{}, map[string][]int{}
	for i := range sh.rules {
		c := &sh.rules[i].sel[len(sh.rules[i].sel)-1]
		switch {
		case c.id != "":
			sh.byID[c.id] = append(sh.byID[c.id], i)
		case len(c.classes) > 0:
			sh.byClass[c.classes[0]] = append(sh.byClass[c.classes[0]], i)
		case c.tag != "":
			sh.byTag[c.tag] = append(sh.byTag[c.tag], i)
		default:
			sh.universal = append(sh.universal, i)
		}
	}
}

// candidates are the rules whose subject may match n, each once.
func (sh *cssSheet) candidates(n *html.Node) []int {
	if !sh.indexed {
		sh.index()
	}
	if len(sh.rules) == 0 {
		return nil
	}
	out := append([]int(nil), sh.universal...)
	out = append(out, sh.byTag[strings.ToLower(n.Data)]...)
	if id := strings.ToLower(attr(n, "id")); id != "" {
		out = append(out, sh.byID[id]...)
	}
	classes := strings.Fields(strings.ToLower(attr(n, "class")))
	for i, c := range classes {
		if slices.Contains(classes[:i], c) {
			continue
		}
		out = append(out, sh.byClass[c]...)
	}
	return out
}

const (
	maxCSSBytes  = 1 << 20
	maxCSSRules  = 4000
	maxCSSBudget = 4_000_000
)

// collectStyles reads every <style> element of the document (a mail
// client applies one in the body too).
func collectStyles(root *html.Node) *cssSheet {
	sh := &cssSheet{budget: maxCSSBudget}
	var css strings.Builder
	stack := []*html.Node{root}
	for n := 0; len(stack) > 0 && n < maxHTMLNodes; n++ {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.Type == html.ElementNode && x.DataAtom == atom.Style && x.Namespace == "" {
			for c := x.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode && css.Len() < maxCSSBytes {
					css.WriteString(c.Data)
					css.WriteByte('\n')
				}
			}
			continue
		}
		for c := x.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
	if css.Len() > 0 {
		sh.parse(cssUnescape(stripCSSComments(css.String())), 0)
	}
	return sh
}

// parse reads a style sheet. Rules inside @media apply unless the media
// are only print or speech: the width-dependent variants of a template are
// taken to apply too (hiding too much is the safe side).
func (sh *cssSheet) parse(s string, depth int) {
	s = strings.NewReplacer("<!--", " ", "-->", " ").Replace(s)
	for len(s) > 0 && len(sh.rules) < maxCSSRules {
		s = strings.TrimLeft(s, " \t\r\n\f;}")
		if s == "" {
			return
		}
		open := strings.IndexByte(s, '{')
		if s[0] == '@' {
			semi := strings.IndexByte(s, ';')
			if open < 0 || semi >= 0 && semi < open {
				if semi < 0 {
					return
				}
				s = s[semi+1:]
				continue
			}
		}
		if open < 0 {
			return
		}
		prelude := strings.TrimSpace(s[:open])
		end := matchingBrace(s, open)
		block := s[open+1 : end]
		if end < len(s) {
			s = s[end+1:]
		} else {
			s = ""
		}
		if strings.HasPrefix(prelude, "@") {
			name, rest, _ := strings.Cut(prelude[1:], " ")
			switch strings.ToLower(name) {
			case "media":
				q := strings.ToLower(rest)
				if (strings.Contains(q, "print") || strings.Contains(q, "speech")) &&
					!strings.Contains(q, "screen") && !strings.Contains(q, "all") {
					continue
				}
				fallthrough
			case "supports", "layer", "document", "-moz-document", "container", "scope":
				if depth < 8 {
					sh.parse(block, depth+1)
				}
			}
			continue
		}
		decls := parseDecls(block)
		if len(decls) == 0 {
			continue
		}
		for _, sel := range splitCSS(prelude, ',') {
			if r, ok := parseSelector(sel); ok {
				r.decls = decls
				sh.rules = append(sh.rules, r)
			}
		}
	}
}

// matchingBrace returns the index of the '}' closing the '{' at open, or
// len(s).
func matchingBrace(s string, open int) int {
	depth := 0
	var q byte
	for i := open; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// parseSelector reads one complex selector. A selector of a
// pseudo-element (::before) styles no element text and is left out.
func parseSelector(sel string) (cssRule, bool) {
	sel = strings.ToLower(strings.TrimSpace(sel))
	if sel == "" || strings.Contains(sel, "::") {
		return cssRule{}, false
	}
	for _, pe := range []string{":before", ":after", ":first-letter", ":first-line", ":marker", ":placeholder", ":selection"} {
		if strings.Contains(sel, pe) {
			return cssRule{}, false
		}
	}
	var r cssRule
	var cur strings.Builder
	comb := byte(0)
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		if len(r.sel) > 0 {
			if comb == 0 {
				comb = ' '
			}
			r.comb = append(r.comb, comb)
		}
		r.sel = append(r.sel, parseCompound(cur.String()))
		cur.Reset()
		comb = 0
	}
	depth := 0
	for i := 0; i < len(sel); i++ {
		c := sel[i]
		switch {
		case c == '[' || c == '(':
			depth++
		case (c == ']' || c == ')') && depth > 0:
			depth--
		case depth == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'):
			flush()
			continue
		case depth == 0 && (c == '>' || c == '+' || c == '~'):
			flush()
			comb = c
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	if len(r.sel) == 0 || len(r.sel) > 16 {
		return cssRule{}, false
	}
	return r, true
}

// parseCompound reads "div.a.b#x[title]:hover".
func parseCompound(s string) cssCompound {
	var c cssCompound
	ident := func(i int) (string, int) {
		j := i
		for j < len(s) && strings.IndexByte(".#[:(", s[j]) < 0 {
			j++
		}
		return s[i:j], j
	}
	i := 0
	c.tag, i = ident(0)
	if c.tag == "*" || strings.Contains(c.tag, "|") {
		c.tag = ""
	}
	for i < len(s) {
		switch s[i] {
		case '.':
			var v string
			v, i = ident(i + 1)
			c.classes = append(c.classes, v)
		case '#':
			c.id, i = ident(i + 1)
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				j = len(s) - i
			}
			if a, ok := parseAttrSel(s[i+1 : i+j]); ok {
				c.attrs = append(c.attrs, a)
			}
			i += j + 1
		case ':':
			_, i = ident(i + 1)
			if i < len(s) && s[i] == ':' {
				_, i = ident(i + 1)
			}
			if i < len(s) && s[i] == '(' {
				depth := 0
				for ; i < len(s); i++ {
					if s[i] == '(' {
						depth++
					} else if s[i] == ')' {
						depth--
						if depth == 0 {
							i++
							break
						}
					}
				}
			}
		default:
			i++
		}
	}
	return c
}

// parseAttrSel reads the inside of "[type=hidden i]"; what it cannot read
// is not tested (the rule then applies more widely, the safe side).
func parseAttrSel(s string) (cssAttr, bool) {
	s = strings.TrimSpace(s)
	var a cssAttr
	if strings.HasSuffix(s, " i") {
		a.fold = true
		s = strings.TrimSpace(s[:len(s)-2])
	} else if strings.HasSuffix(s, " s") {
		s = strings.TrimSpace(s[:len(s)-2])
	}
	i := strings.IndexAny(s, "~|^$*=")
	if i < 0 {
		a.key = s
		return a, a.key != ""
	}
	a.key = strings.TrimSpace(s[:i])
	op := s[i : i+1]
	rest := s[i+1:]
	if op != "=" {
		if !strings.HasPrefix(rest, "=") {
			return a, false
		}
		op += "="
		rest = rest[1:]
	}
	a.op = op
	a.val = strings.Trim(strings.TrimSpace(rest), `"'`)
	return a, a.key != ""
}

// matches reports whether rule r applies to n.
func (sh *cssSheet) matches(r *cssRule, n *html.Node) bool {
	return sh.matchAt(r, len(r.sel)-1, n)
}

func (sh *cssSheet) matchAt(r *cssRule, i int, n *html.Node) bool {
	sh.budget--
	if sh.budget < 0 {
		return true
	}
	if !r.sel[i].matches(n) {
		return false
	}
	if i == 0 {
		return true
	}
	switch r.comb[i-1] {
	case '>':
		p := n.Parent
		return p != nil && p.Type == html.ElementNode && sh.matchAt(r, i-1, p)
	case '+':
		p := prevElement(n)
		return p != nil && sh.matchAt(r, i-1, p)
	case '~':
		for p := prevElement(n); p != nil; p = prevElement(p) {
			if sh.matchAt(r, i-1, p) {
				return true
			}
		}
		return false
	default:
		for p := n.Parent; p != nil && p.Type == html.ElementNode; p = p.Parent {
			if sh.matchAt(r, i-1, p) {
				return true
			}
		}
		return false
	}
}

func prevElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return p
		}
	}
	return nil
}

func (c *cssCompound) matches(n *html.Node) bool {
	if c.tag != "" && c.tag != strings.ToLower(n.Data) {
		return false
	}
	if c.id != "" && strings.ToLower(attr(n, "id")) != c.id {
		return false
	}
	if len(c.classes) > 0 {
		have := strings.Fields(strings.ToLower(attr(n, "class")))
		for _, want := range c.classes {
			found := false
			for _, h := range have {
				if h == want {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	for _, a := range c.attrs {
		if !a.matches(n) {
			return false
		}
	}
	return true
}

func (a *cssAttr) matches(n *html.Node) bool {
	if !hasAttr(n, a.key) {
		return false
	}
	v, want := attr(n, a.key), a.val
	// Class and id were folded with the selector; other values compare
	// folded too (the safe side: a folded test matches more).
	v, want = strings.ToLower(v), strings.ToLower(want)
	switch a.op {
	case "":
		return true
	case "=":
		return v == want
	case "~=":
		for _, f := range strings.Fields(v) {
			if f == want {
				return true
			}
		}
		return false
	case "|=":
		return v == want || strings.HasPrefix(v, want+"-")
	case "^=":
		return want != "" && strings.HasPrefix(v, want)
	case "$=":
		return want != "" && strings.HasSuffix(v, want)
	case "*=":
		return want != "" && strings.Contains(v, want)
	}
	return true
}

// elementDecls are the declarations that apply to one element.
type elementDecls struct {
	inline []cssDecl
	rules  []cssDecl // of the matching rules, in order
}

// values returns the values of prop from the tier that wins the cascade:
// inline !important, rules !important, inline, rules. Inline gives its
// last value; the rules give every value, since which one wins depends on
// a specificity this reader does not weigh: a caller takes the rules to
// hide when any of them does.
func (d *elementDecls) values(prop string) []string {
	for _, tier := range []struct {
		list      []cssDecl
		important bool
		last      bool
	}{{d.inline, true, true}, {d.rules, true, false}, {d.inline, false, true}, {d.rules, false, false}} {
		var vals []string
		for _, x := range tier.list {
			if x.prop == prop && x.important == tier.important && x.val != "inherit" && x.val != "unset" {
				if tier.last {
					vals = vals[:0]
				}
				vals = append(vals, x.val)
			}
		}
		if len(vals) > 0 {
			return vals
		}
	}
	return nil
}

func (d *elementDecls) any(prop string, pred func(string) bool) bool {
	for _, v := range d.values(prop) {
		if pred(v) {
			return true
		}
	}
	return false
}

// style works out whether element n is hidden with all it holds, and
// what it passes on to its text. Hidden: display:none, mso-hide:all,
// opacity below 0.1, a zero height or width with overflow hidden, off
// screen (position absolute or fixed at -1000px or further; text-indent
// as far). Passed on: visibility hidden, a zero font size (font-size or
// the font shorthand), a transparent colour or one equal to the element's
// own background; a descendant may set each back.
func (sh *cssSheet) style(n *html.Node, parent textStyle) (textStyle, bool) {
	st := parent
	var d elementDecls
	if s := attr(n, "style"); s != "" {
		d.inline = parseDecls(s)
	}
	for _, i := range sh.candidates(n) {
		if sh.matches(&sh.rules[i], n) {
			d.rules = append(d.rules, sh.rules[i].decls...)
		}
		if sh.budget < 0 {
			// A style sheet made to cost more than any mail's: what is
			// left is taken as hidden.
			return st, true
		}
	}
	if len(d.inline) == 0 && len(d.rules) == 0 {
		return st, false
	}
	has := func(v, word string) bool {
		for _, f := range strings.Fields(v) {
			if f == word {
				return true
			}
		}
		return false
	}
	if d.any("display", func(v string) bool { return has(v, "none") }) ||
		d.any("mso-hide", func(v string) bool { return has(v, "all") }) ||
		d.any("opacity", func(v string) bool {
			f, unit, ok := cssNumber(firstField(v))
			if unit == "%" {
				f /= 100
			}
			return ok && f < 0.1
		}) {
		return st, true
	}
	clipped := func(v string) bool { return has(v, "hidden") || has(v, "clip") }
	if d.any("overflow", clipped) || d.any("overflow-x", clipped) || d.any("overflow-y", clipped) {
		for _, p := range []string{"height", "max-height", "width", "max-width"} {
			if d.any(p, zeroLength) {
				return st, true
			}
		}
	}
	farOff := func(v string) bool {
		f, _, ok := cssNumber(firstField(v))
		return ok && f <= -1000
	}
	if d.any("position", func(v string) bool { return has(v, "absolute") || has(v, "fixed") }) &&
		(d.any("left", farOff) || d.any("top", farOff)) || d.any("text-indent", farOff) {
		return st, true
	}
	if vals := d.values("visibility"); len(vals) > 0 {
		st.invisible = d.any("visibility", func(v string) bool { return has(v, "hidden") || has(v, "collapse") })
	}
	if vals := d.values("font-size"); len(vals) > 0 {
		allAbs := true
		for _, v := range vals {
			if _, abs := fontSize(firstField(v)); !abs {
				allAbs = false
			}
		}
		if d.any("font-size", func(v string) bool { z, _ := fontSize(firstField(v)); return z }) {
			st.zeroFont = true
		} else if allAbs {
			st.zeroFont = false
		}
	}
	if vals := d.values("color"); len(vals) > 0 {
		st.transparent = d.any("color", func(v string) bool { return has(v, "transparent") })
		// The same colour as the element's own background (the simple
		// case; a background inherited from a parent is not compared).
		bg := d.values("background-color")
		if len(bg) == 0 {
			bg = d.values("background")
		}
		if len(vals) == 1 && len(bg) == 1 && normColor(vals[0]) == normColor(bg[0]) {
			st.transparent = true
		}
	}
	return st, false
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

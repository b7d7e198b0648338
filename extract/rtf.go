package extract

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// RTFText returns the text of a Rich Text Format document: one line per
// paragraph, table rows as "label:<TAB>value" lines like the other
// readers. It knows groups, control words, \'hh bytes in the document's
// code page (\ansicpg, or the font's \fcharset), \uN characters with their
// \ucN fallbacks skipped, and leaves out the destinations that are no
// text (\fonttbl, \colortbl, \stylesheet, \info, \pict, field
// instructions, and every \* destination).
func RTFText(ctx context.Context, data []byte, lim Limits) (string, error) {
	lim = lim.withDefaults()
	if !isRTF(data) {
		return "", damaged("rtf", fmt.Errorf("no {\\rtf header"))
	}
	t, err := rtfText(data, lim)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return t, err
}

func isRTF(data []byte) bool {
	return len(data) >= 5 && string(data[:5]) == "{\\rtf"
}

// rtfSkip lists the destinations whose content is not the document's
// text.
var rtfSkip = map[string]bool{
	"colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true,
	"objdata": true, "fldinst": true, "listtable": true, "listoverridetable": true, "revtbl": true,
	"rsidtbl": true, "generator": true, "xmlnstbl": true, "themedata": true, "colorschememapping": true,
	"datastore": true, "latentstyles": true, "pgdsctbl": true, "filetbl": true, "datafield": true,
	"mmathPr": true, "bkmkstart": true, "bkmkend": true, "shpinst": true, "nonshppict": true,
	"footnote": true, "annotation": true, "atnid": true, "atnauthor": true, "private": true,
	"userprops": true, "docvar": true, "ftnsep": true, "ftnsepc": true, "aftnsep": true, "aftnsepc": true,
	"passwordhash": true, "wgrffmtfilter": true, "template": true, "listtext": true, "pntext": true,
}

// rtfState is what a group inherits and may change.
type rtfState struct {
	skip     bool // inside a destination that is not text
	uc       int  // characters to skip after \uN
	codepage int
	font     int
	fonttbl  bool
}

// rtfReader turns RTF into text.
type rtfReader struct {
	lim      Limits
	out      strings.Builder
	para     strings.Builder
	pending  []byte // \'hh bytes not yet decoded
	cpDoc    int    // \ansicpg
	fontCP   map[int]int
	curFont  int // font being defined in \fonttbl
	row      []string
	cell     []string // paragraphs of the cell being read
	inTable  bool
	skipNext int // fallback characters still to skip after \uN
	err      error
}

func rtfText(data []byte, lim Limits) (string, error) {
	r := &rtfReader{lim: lim, cpDoc: 1252, fontCP: map[int]int{}}
	r.run(data)
	r.flushBytes(0)
	r.endPara()
	r.endRow()
	return tidyLines(cleanText(r.out.String())), r.err
}

func (r *rtfReader) run(data []byte) {
	st := rtfState{uc: 1, codepage: 1252}
	var stack []rtfState
	for i := 0; i < len(data); {
		if r.out.Len()+r.para.Len() > r.lim.MaxTextBytes {
			r.err = fmt.Errorf("rtf text over %d bytes: %w", r.lim.MaxTextBytes, ErrLimit)
			return
		}
		c := data[i]
		switch c {
		case '{':
			r.flushBytes(st.codepage)
			if len(stack) >= 512 {
				r.err = fmt.Errorf("rtf groups nested deeper than 512: %w", ErrLimit)
				return
			}
			stack = append(stack, st)
			i++
			// A group that starts with \* is an optional destination: none
			// of them is the document's text.
			if i+1 < len(data) && data[i] == '\\' && data[i+1] == '*' {
				st.skip = true
			}
		case '}':
			r.flushBytes(st.codepage)
			if st.fonttbl && !st.skip {
				r.curFont = -1
			}
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			r.skipNext = 0
			i++
		case '\\':
			i = r.control(data, i, &st)
		case '\r', '\n':
			i++
		default:
			i++
			if r.skipNext > 0 {
				r.skipNext--
				continue
			}
			if st.skip {
				continue
			}
			if st.fonttbl {
				continue
			}
			if c >= 0x80 {
				r.pending = append(r.pending, c)
				continue
			}
			r.flushBytes(st.codepage)
			if c == '\t' {
				r.para.WriteByte('\t')
			} else {
				r.para.WriteByte(c)
			}
		}
	}
}

// control reads the control word or symbol at data[i] and returns the
// index after it.
func (r *rtfReader) control(data []byte, i int, st *rtfState) int {
	i++ // the backslash
	if i >= len(data) {
		return i
	}
	c := data[i]
	if !isASCIILetter(c) {
		i++
		if c == '\'' { // \'hh
			if i+2 > len(data) {
				return len(data)
			}
			b, ok := unhex2(data[i], data[i+1])
			i += 2
			if !ok {
				return i
			}
			if r.skipNext > 0 {
				r.skipNext--
				return i
			}
			if !st.skip && !st.fonttbl {
				r.pending = append(r.pending, b)
			}
			return i
		}
		if r.skipNext > 0 && c != '*' {
			r.skipNext--
			return i
		}
		if st.skip || st.fonttbl {
			return i
		}
		r.flushBytes(st.codepage)
		switch c {
		case '\\', '{', '}':
			r.para.WriteByte(c)
		case '~':
			r.para.WriteByte(' ')
		case '_':
			r.para.WriteByte('-')
		case '\r', '\n': // a backslash before a line end is \par
			r.endPara()
		case '\t':
			r.para.WriteByte('\t')
		}
		return i
	}
	start := i
	for i < len(data) && isASCIILetter(data[i]) && i-start < 32 {
		i++
	}
	word := string(data[start:i])
	num, hasNum := 0, false
	neg := false
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	digits := 0
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		if digits < 10 {
			num = num*10 + int(data[i]-'0')
		}
		digits++
		hasNum = true
		i++
	}
	if neg {
		num = -num
	}
	if i < len(data) && data[i] == ' ' {
		i++
	}
	if word == "bin" && hasNum && num > 0 {
		// Binary data: skipped whole.
		if num > len(data)-i {
			return len(data)
		}
		return i + num
	}
	if r.skipNext > 0 {
		r.skipNext--
		return i
	}
	if rtfSkip[word] {
		st.skip = true
		return i
	}
	switch word {
	case "fonttbl":
		st.fonttbl = true
	case "ansicpg":
		if hasNum && codepageEncoding(num) != nil {
			r.cpDoc = num
			st.codepage = num
		}
		return i
	case "uc":
		if hasNum && num >= 0 && num < 16 {
			st.uc = num
		}
		return i
	}
	if st.fonttbl && !st.skip {
		switch word {
		case "f":
			r.curFont = num
		case "fcharset":
			if cp := charsetCodepage(num); cp != 0 && len(r.fontCP) < 4096 {
				r.fontCP[r.curFont] = cp
			}
		}
		return i
	}
	if st.skip {
		return i
	}
	switch word {
	case "f":
		if cp, ok := r.fontCP[num]; ok {
			r.flushBytes(st.codepage)
			st.codepage = cp
		} else if st.codepage != r.cpDoc {
			r.flushBytes(st.codepage)
			st.codepage = r.cpDoc
		}
	case "u":
		r.flushBytes(st.codepage)
		if num < 0 {
			num += 65536
		}
		if num >= 0 && num <= utf8.MaxRune {
			r.para.WriteRune(rune(num))
		}
		r.skipNext = st.uc
	case "par", "sect", "page", "column":
		r.flushBytes(st.codepage)
		r.endPara()
	case "line", "softline":
		r.flushBytes(st.codepage)
		r.para.WriteByte('\n')
	case "tab":
		r.flushBytes(st.codepage)
		r.para.WriteByte('\t')
	case "emdash":
		r.para.WriteString("—")
	case "endash":
		r.para.WriteString("–")
	case "lquote":
		r.para.WriteString("‘")
	case "rquote":
		r.para.WriteString("’")
	case "ldblquote":
		r.para.WriteString("“")
	case "rdblquote":
		r.para.WriteString("”")
	case "bullet":
		r.para.WriteString("•")
	case "emspace", "enspace", "qmspace":
		r.para.WriteByte(' ')
	case "intbl":
		r.inTable = true
	case "pard":
		// A paragraph's properties start again: \intbl must be repeated.
		r.flushBytes(st.codepage)
		if r.para.Len() == 0 && len(r.cell) == 0 && len(r.row) == 0 {
			r.inTable = false
		}
	case "cell", "nestcell":
		r.flushBytes(st.codepage)
		r.endCell()
	case "row", "nestrow":
		r.flushBytes(st.codepage)
		r.endRow()
	}
	return i
}

func (r *rtfReader) flushBytes(cp int) {
	if len(r.pending) == 0 {
		return
	}
	r.para.WriteString(decodeCodepage(r.pending, cp))
	r.pending = r.pending[:0]
}

func (r *rtfReader) endPara() {
	p := strings.TrimRight(r.para.String(), " ")
	r.para.Reset()
	if r.inTable {
		r.cell = append(r.cell, p)
		return
	}
	r.out.WriteString(p)
	r.out.WriteByte('\n')
}

func (r *rtfReader) endCell() {
	if r.para.Len() > 0 {
		r.cell = append(r.cell, strings.TrimRight(r.para.String(), " "))
		r.para.Reset()
	}
	var ps []string
	for _, p := range r.cell {
		if s := strings.TrimSpace(p); s != "" {
			ps = append(ps, s)
		}
	}
	r.cell = r.cell[:0]
	if len(r.row) < 256 {
		r.row = append(r.row, strings.Join(ps, "\n"))
	}
}

func (r *rtfReader) endRow() {
	if r.para.Len() > 0 || len(r.cell) > 0 {
		r.endCell()
	}
	var cells []string
	for _, c := range r.row {
		if c != "" {
			cells = append(cells, c)
		}
	}
	r.row = r.row[:0]
	r.inTable = false
	if len(cells) > 0 {
		r.out.WriteString(renderRow(cells))
		r.out.WriteByte('\n')
	}
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func unhex2(a, b byte) (byte, bool) {
	h, ok1 := unhex(a)
	l, ok2 := unhex(b)
	return h<<4 | l, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// charsetCodepage maps an RTF \fcharset to a Windows code page (0: the
// document's own).
func charsetCodepage(cs int) int {
	switch cs {
	case 128:
		return 932
	case 129:
		return 949
	case 134:
		return 936
	case 136:
		return 950
	case 161:
		return 1253
	case 162:
		return 1254
	case 177:
		return 1255
	case 178:
		return 1256
	case 186:
		return 1257
	case 204:
		return 1251
	case 222:
		return 874
	case 238:
		return 1250
	}
	return 0
}

// codepageEncoding returns the encoding of a Windows code page, nil for
// one not known (and for 1252, which decodeLatin handles).
func codepageEncoding(cp int) encoding.Encoding {
	switch cp {
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1252:
		return charmap.Windows1252
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 874:
		return charmap.Windows874
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 866:
		return charmap.CodePage866
	case 10000:
		return charmap.Macintosh
	case 28591:
		return charmap.ISO8859_1
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	case 65001:
		return encoding.Nop
	}
	return nil
}

// decodeCodepage decodes bytes in a Windows code page; an unknown one is
// taken as windows-1252.
func decodeCodepage(b []byte, cp int) string {
	if cp == 65001 && utf8.Valid(b) {
		return string(b)
	}
	enc := codepageEncoding(cp)
	if enc == nil || enc == encoding.Nop {
		return decodeLatin(string(b))
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return decodeLatin(string(b))
	}
	return string(s)
}

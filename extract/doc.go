package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"
)

// oleSignature starts every compound file (Word 97-2003 .doc, .xls, .ppt,
// and the envelope of an encrypted .docx).
var oleSignature = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

func isOLE(data []byte) bool { return bytes.HasPrefix(data, oleSignature) }

// DocText returns the text of a Word 97-2003 document (.doc): the header
// stories, then the main text, one line per paragraph, table rows as
// "label:<TAB>value" lines like the other readers. It reads the compound
// file with mscfb, the FIB of the WordDocument stream, and the piece table
// (the Clx at fcClx in the 1Table or 0Table stream), so fast-saved files
// come out in document order; compressed pieces are windows-1252, the
// others UTF-16LE. Field codes are left out, their results kept. An
// encrypted or obfuscated file returns an error wrapping ErrEncrypted; one
// whose streams or tables are broken, ErrDamaged.
func DocText(ctx context.Context, data []byte, lim Limits) (text string, err error) {
	lim = lim.withDefaults()
	defer func() {
		// mscfb is old code for hostile input: a panic in it is a damaged
		// file, not a crash.
		if v := recover(); v != nil {
			text, err = "", damaged("doc", fmt.Errorf("compound file: %v", v))
		}
	}()
	if !isOLE(data) {
		return "", damaged("doc", errors.New("not a compound file"))
	}
	cf, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return "", damaged("doc", err)
	}
	streams := map[string]*mscfb.File{}
	for f, err := cf.Next(); err == nil; f, err = cf.Next() {
		if len(f.Path) == 0 { // top-level streams only
			if _, ok := streams[f.Name]; !ok {
				streams[f.Name] = f
			}
		}
	}
	if streams["EncryptedPackage"] != nil {
		return "", fmt.Errorf("office document: %w", ErrEncrypted)
	}
	wd := streams["WordDocument"]
	if wd == nil {
		if streams["Workbook"] != nil || streams["Book"] != nil || streams["PowerPoint Document"] != nil {
			return "", fmt.Errorf("an Excel or PowerPoint file: %w", ErrUnsupported)
		}
		return "", damaged("doc", errors.New("no WordDocument stream"))
	}
	budget := lim.MaxDocxBytes
	word, err := readOLEStream(wd, int64(len(data)), budget)
	if err != nil {
		return "", err
	}
	fib, err := parseFIB(word)
	if err != nil {
		return "", err
	}
	if fib.encrypted {
		return "", fmt.Errorf("word document: %w", ErrEncrypted)
	}
	tname := "0Table"
	if fib.table1 {
		tname = "1Table"
	}
	ts := streams[tname]
	if ts == nil {
		return "", damaged("doc", fmt.Errorf("no %s stream", tname))
	}
	table, err := readOLEStream(ts, int64(len(data)), budget-int64(len(word)))
	if err != nil {
		return "", err
	}
	if uint64(fib.fcClx)+uint64(fib.lcbClx) > uint64(len(table)) || fib.lcbClx == 0 {
		return "", damaged("doc", fmt.Errorf("piece table at %d+%d outside the %d-byte table stream", fib.fcClx, fib.lcbClx, len(table)))
	}
	pieces, err := parseClx(table[fib.fcClx : fib.fcClx+fib.lcbClx])
	if err != nil {
		return "", err
	}
	dr := &docReader{word: word, pieces: pieces, lim: lim}
	var b strings.Builder
	// Headers first, as DocxText does: the 3GPP and ETSI templates put the
	// meeting and the document number there.
	if fib.ccpHdd > 0 {
		start := fib.ccpText + fib.ccpFtn
		hdr := dr.text(ctx, start, start+fib.ccpHdd)
		if strings.TrimSpace(hdr) != "" {
			b.WriteString(hdr)
			b.WriteString("\n\n")
		}
	}
	b.WriteString(dr.text(ctx, 0, fib.ccpText))
	if dr.err == nil && ctx.Err() != nil {
		dr.err = ctx.Err()
	}
	return tidyLines(cleanText(b.String())), dr.err
}

// readOLEStream reads a stream of at most budget bytes (and never more
// than the file could hold).
func readOLEStream(f *mscfb.File, fileSize, budget int64) ([]byte, error) {
	if f.Size > fileSize {
		return nil, damaged("doc", fmt.Errorf("stream %s claims %d bytes in a %d-byte file", f.Name, f.Size, fileSize))
	}
	if f.Size > budget {
		return nil, fmt.Errorf("doc stream %s of %d bytes: %w", f.Name, f.Size, ErrLimit)
	}
	b := make([]byte, 0, f.Size)
	buf := bytes.NewBuffer(b)
	if _, err := io.Copy(buf, io.LimitReader(f, f.Size)); err != nil {
		return nil, damaged("doc stream "+f.Name, err)
	}
	if int64(buf.Len()) < f.Size {
		return nil, damaged("doc stream "+f.Name, io.ErrUnexpectedEOF)
	}
	return buf.Bytes(), nil
}

// fib is what DocText needs of the File Information Block ([MS-DOC]
// 2.5.1).
type fib struct {
	table1, encrypted       bool
	ccpText, ccpFtn, ccpHdd uint32
	fcClx, lcbClx           uint32
}

func parseFIB(w []byte) (fib, error) {
	var f fib
	if len(w) < 34 || binary.LittleEndian.Uint16(w) != 0xa5ec {
		return f, damaged("doc", errors.New("no Word FIB"))
	}
	flags := binary.LittleEndian.Uint16(w[0x0a:])
	f.table1 = flags&0x0200 != 0
	f.encrypted = flags&0x0100 != 0 || flags&0x8000 != 0 // fEncrypted, fObfuscated
	if f.encrypted {
		return f, nil
	}
	r := &leReader{b: w, pos: 32}
	csw := int(r.u16())
	r.skip(csw * 2)
	cslw := int(r.u16())
	lw := r.bytes(cslw * 4)
	cb := int(r.u16())
	fc := r.bytes(cb * 8)
	if r.err != nil || cslw < 7 || cb < 34 {
		return f, damaged("doc", fmt.Errorf("FIB too short (%d longs, %d fc/lcb pairs)", cslw, cb))
	}
	f.ccpText = binary.LittleEndian.Uint32(lw[3*4:])
	f.ccpFtn = binary.LittleEndian.Uint32(lw[4*4:])
	f.ccpHdd = binary.LittleEndian.Uint32(lw[5*4:])
	f.fcClx = binary.LittleEndian.Uint32(fc[33*8:])
	f.lcbClx = binary.LittleEndian.Uint32(fc[33*8+4:])
	return f, nil
}

// piece is one entry of the piece table: character positions [cp, cpEnd)
// are at byte offset fc of the WordDocument stream.
type piece struct {
	cp, cpEnd  uint32
	fc         uint32
	compressed bool
}

// parseClx reads the Clx: Prc entries to skip, then the Pcdt and its
// PlcPcd.
func parseClx(b []byte) ([]piece, error) {
	r := &leReader{b: b}
	for r.err == nil && r.pos < len(b) {
		switch b[r.pos] {
		case 0x01: // Prc: a grpprl of cbGrpprl bytes
			r.skip(1)
			n := int(int16(r.u16()))
			if n < 0 {
				return nil, damaged("doc", errors.New("negative Prc size"))
			}
			r.skip(n)
		case 0x02: // Pcdt
			r.skip(1)
			lcb := r.u32()
			plc := r.bytes(int(min(lcb, uint32(len(b)))))
			if r.err != nil {
				return nil, damaged("doc", fmt.Errorf("piece table: %w", r.err))
			}
			if len(plc) < 16 || (len(plc)-4)%12 != 0 {
				return nil, damaged("doc", fmt.Errorf("piece table of %d bytes", len(plc)))
			}
			n := (len(plc) - 4) / 12
			pcds := plc[4*(n+1):]
			ps := make([]piece, 0, n)
			for i := 0; i < n; i++ {
				cp := binary.LittleEndian.Uint32(plc[4*i:])
				end := binary.LittleEndian.Uint32(plc[4*i+4:])
				if end < cp {
					return nil, damaged("doc", errors.New("piece table out of order"))
				}
				fcc := binary.LittleEndian.Uint32(pcds[8*i+2:])
				p := piece{cp: cp, cpEnd: end, compressed: fcc&0x40000000 != 0}
				p.fc = fcc & 0x3fffffff
				if p.compressed {
					p.fc /= 2
				}
				ps = append(ps, p)
			}
			return ps, nil
		default:
			return nil, damaged("doc", fmt.Errorf("Clx entry type %#x", b[r.pos]))
		}
	}
	return nil, damaged("doc", errors.New("no piece table"))
}

// docReader renders character ranges of a document.
type docReader struct {
	word   []byte
	pieces []piece
	lim    Limits
	err    error
}

// text renders the characters [from, to): paragraphs as lines, cells and
// rows as renderRow lines, field codes left out.
func (d *docReader) text(ctx context.Context, from, to uint32) string {
	var (
		out       strings.Builder
		para      strings.Builder
		row       []string
		cellParas []string
		lastCell  bool // the previous character closed a cell
		fieldDeep int  // inside field codes (between 0x13 and 0x14)
		fields    []bool
	)
	endCell := func() {
		cellParas = append(cellParas, strings.TrimSpace(para.String()))
		para.Reset()
		var ps []string
		for _, p := range cellParas {
			if p != "" {
				ps = append(ps, p)
			}
		}
		cellParas = cellParas[:0]
		if len(row) < 256 {
			row = append(row, strings.Join(ps, "\n"))
		}
	}
	endRow := func() {
		var cells []string
		for _, c := range row {
			if c != "" {
				cells = append(cells, c)
			}
		}
		row = row[:0]
		if len(cells) > 0 {
			out.WriteString(renderRow(cells))
			out.WriteByte('\n')
		}
	}
	n := 0
	// Pieces may overlap or repeat: what they cost is bounded by the
	// characters visited, not only by the text kept.
	maxVisit := 4*d.lim.MaxTextBytes + len(d.word)
	emit := func(r rune) bool {
		n++
		if n%8192 == 0 && ctx.Err() != nil {
			return false
		}
		if n > maxVisit {
			d.err = fmt.Errorf("doc pieces over %d characters: %w", maxVisit, ErrLimit)
			return false
		}
		if out.Len()+para.Len() > d.lim.MaxTextBytes {
			d.err = fmt.Errorf("doc text over %d bytes: %w", d.lim.MaxTextBytes, ErrLimit)
			return false
		}
		cell := false
		switch r {
		case 0x13: // field begin: the code follows
			if len(fields) < 64 {
				fields = append(fields, true)
				fieldDeep++
			}
		case 0x14: // field separator: the result follows
			if k := len(fields); k > 0 && fields[k-1] {
				fields[k-1] = false
				fieldDeep--
			}
		case 0x15: // field end
			if k := len(fields); k > 0 {
				if fields[k-1] {
					fieldDeep--
				}
				fields = fields[:k-1]
			}
		default:
			if fieldDeep > 0 {
				break
			}
			switch r {
			case 0x0d: // paragraph end
				if len(row) > 0 || len(cellParas) > 0 || lastCell {
					// A paragraph inside a cell.
					cellParas = append(cellParas, strings.TrimSpace(para.String()))
					para.Reset()
				} else {
					out.WriteString(strings.TrimRight(para.String(), " "))
					out.WriteByte('\n')
					para.Reset()
				}
			case 0x07: // cell end, or row end right after one
				if lastCell && para.Len() == 0 && len(cellParas) == 0 {
					endRow()
				} else {
					endCell()
					cell = true
				}
			case 0x0b, 0x0c, 0x0e: // line break, page or section break, column break
				para.WriteByte('\n')
			case 0x09:
				para.WriteByte('\t')
			case 0x1e: // non-breaking hyphen
				para.WriteByte('-')
			case 0xa0:
				para.WriteByte(' ')
			case 0x1f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x28 + 0xf000: // optional hyphen, objects, notes
			default:
				if r >= 0x20 || r == '\t' {
					para.WriteRune(r)
				}
			}
		}
		lastCell = cell
		return true
	}
	for _, p := range d.pieces {
		if p.cpEnd <= from || p.cp >= to {
			continue
		}
		lo, hi := max(p.cp, from), min(p.cpEnd, to)
		off := uint64(p.fc) + uint64(lo-p.cp)
		cnt := uint64(hi - lo)
		if p.compressed {
			if off+cnt > uint64(len(d.word)) {
				d.err = damaged("doc", errors.New("piece outside the WordDocument stream"))
				break
			}
			ok := true
			for _, c := range d.word[off : off+cnt] {
				if !emit(cp1252Rune(c)) {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
			continue
		}
		off = uint64(p.fc) + 2*uint64(lo-p.cp)
		if off+2*cnt > uint64(len(d.word)) {
			d.err = damaged("doc", errors.New("piece outside the WordDocument stream"))
			break
		}
		b := d.word[off : off+2*cnt]
		ok := true
		for i := 0; i+1 < len(b); i += 2 {
			r := rune(binary.LittleEndian.Uint16(b[i:]))
			if r >= 0xd800 && r < 0xdc00 && i+3 < len(b) {
				if lo2 := rune(binary.LittleEndian.Uint16(b[i+2:])); lo2 >= 0xdc00 && lo2 < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (lo2 - 0xdc00)
					i += 2
				}
			}
			if !emit(r) {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
	}
	if para.Len() > 0 || len(cellParas) > 0 {
		if len(row) > 0 || len(cellParas) > 0 {
			endCell()
		} else {
			out.WriteString(para.String())
			out.WriteByte('\n')
		}
	}
	if len(row) > 0 {
		endRow()
	}
	return out.String()
}

// cp1252Rune decodes one byte of a compressed piece ([MS-DOC] 2.9.73:
// windows-1252, with its undefined bytes kept as they are).
func cp1252Rune(c byte) rune {
	if c < 0x80 || c >= 0xa0 {
		return rune(c)
	}
	if r := cp1252High[c-0x80]; r != 0 {
		return r
	}
	return rune(c)
}

var cp1252High = [32]rune{
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
}

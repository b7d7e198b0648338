package extract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// TNEF (Transport Neutral Encapsulation Format, MS-OXTNEF) is what Outlook
// and Exchange send as winmail.dat (application/ms-tnef) when a mail is
// in "Rich Text": the mail's attachments and sometimes its only body are
// inside it.

// tnefSignature starts every TNEF stream (little-endian 0x223E9F78).
var tnefSignature = []byte{0x78, 0x9f, 0x3e, 0x22}

// TNEF attribute ids (the low 16 bits; the high 16 give the type) and
// MAPI property ids of MS-OXTNEF and MS-OXPROPS.
const (
	tnefLvlMessage    = 0x01
	tnefLvlAttachment = 0x02

	attBody           = 0x800c
	attAttachData     = 0x800f
	attAttachTitle    = 0x8010
	attAttachRendData = 0x9002
	attMAPIProps      = 0x9003
	attAttachment     = 0x9005
	attOemCodepage    = 0x9007

	prBody             = 0x1000
	prRTFCompressed    = 0x1009
	prBodyHTML         = 0x1013
	prAttachDataBin    = 0x3701 // PR_ATTACH_DATA_BIN, or PR_ATTACH_DATA_OBJ as an object
	prAttachFilename   = 0x3704
	prAttachLongName   = 0x3707
	prAttachMimeTag    = 0x370e
	prAttachMethod     = 0x3705
	prDisplayName      = 0x3001
	attachEmbeddedMsg  = 5
	mapiMultiValueFlag = 0x1000
)

// TNEF is what a winmail.dat holds that matters here.
type TNEF struct {
	// Body is the message text when the TNEF carries it (PR_BODY, else
	// the text of the HTML or compressed RTF body).
	Body        string
	Attachments []TNEFAttachment
}

// TNEFAttachment is one attached file: its name (the long file name
// when the TNEF has one, else the 8.3 name or title) and bytes.
type TNEFAttachment struct {
	Name      string
	MediaType string // PR_ATTACH_MIME_TAG, when given
	Data      []byte
	Embedded  bool // an attached Outlook message (PR_ATTACH_DATA_OBJ): its bytes are not a file
}

// ReadTNEF reads a TNEF stream. It never reads past data and allocates
// no more than data's size; Body is at most lim.MaxTextBytes. A stream
// that breaks off returns what was read before the break with an error
// wrapping ErrDamaged.
func ReadTNEF(data []byte, lim Limits) (*TNEF, error) {
	lim = lim.withDefaults()
	if len(data) < 6 || string(data[:4]) != string(tnefSignature) {
		return nil, damaged("tnef", errors.New("no TNEF signature"))
	}
	t := &TNEF{}
	var (
		cur      *TNEFAttachment
		codepage = 1252
		bodyText string
		htmlBody string
		rtfBody  []byte
	)
	flush := func() {
		if cur != nil && (cur.Name != "" || len(cur.Data) > 0) {
			t.Attachments = append(t.Attachments, *cur)
		}
		cur = nil
	}
	pos := 6
	var err error
	for pos < len(data) {
		if len(data)-pos < 9 {
			err = damaged("tnef", fmt.Errorf("attribute header cut at %d", pos))
			break
		}
		level := data[pos]
		id := binary.LittleEndian.Uint32(data[pos+1:])
		n := binary.LittleEndian.Uint32(data[pos+5:])
		pos += 9
		if uint64(n)+2 > uint64(len(data)-pos) {
			err = damaged("tnef", fmt.Errorf("attribute %#x of %d bytes at %d runs past the end", id, n, pos))
			break
		}
		v := data[pos : pos+int(n)]
		pos += int(n) + 2 // the checksum is not checked: a wrong one costs nothing here
		switch id & 0xffff {
		case attOemCodepage:
			if len(v) >= 4 {
				codepage = int(binary.LittleEndian.Uint32(v))
			}
		case attBody:
			if level == tnefLvlMessage {
				bodyText = decodeCodepage(trimNul(v), codepage)
			}
		case attAttachRendData:
			flush()
			cur = &TNEFAttachment{}
		case attAttachTitle:
			if cur == nil {
				cur = &TNEFAttachment{}
			}
			if cur.Name == "" {
				cur.Name = decodeCodepage(trimNul(v), codepage)
			}
		case attAttachData:
			if cur == nil {
				cur = &TNEFAttachment{}
			}
			cur.Data = v
		case attAttachment, attMAPIProps:
			props, perr := readMAPIProps(v)
			if level == tnefLvlAttachment && id&0xffff == attAttachment {
				if cur == nil {
					cur = &TNEFAttachment{}
				}
				applyAttachProps(cur, props, codepage)
			} else if level == tnefLvlMessage {
				for _, p := range props {
					switch p.id {
					case prBody:
						if s := p.text(codepage); s != "" {
							bodyText = s
						}
					case prBodyHTML:
						htmlBody = p.text(codepage)
					case prRTFCompressed:
						if len(p.vals) > 0 {
							rtfBody = p.vals[0]
						}
					}
				}
			}
			if perr != nil && err == nil {
				err = damaged("tnef properties", perr)
			}
		}
	}
	flush()
	switch {
	case strings.TrimSpace(bodyText) != "":
		t.Body = bodyText
	case strings.TrimSpace(htmlBody) != "":
		t.Body, _ = htmlToText(htmlBody, nil)
	case len(rtfBody) > 0:
		if raw, rerr := decompressRTF(rtfBody, lim.MaxTextBytes*4); rerr == nil {
			t.Body, _ = rtfText(raw, lim)
		}
	}
	if len(t.Body) > lim.MaxTextBytes {
		t.Body = t.Body[:lim.MaxTextBytes]
	}
	return t, err
}

// mapiProp is one MAPI property of a TNEF property list.
type mapiProp struct {
	typ, id uint16
	vals    [][]byte // the raw values (one unless multi-valued)
}

func (p mapiProp) text(codepage int) string {
	if len(p.vals) == 0 {
		return ""
	}
	switch p.typ &^ mapiMultiValueFlag {
	case 0x1f: // PT_UNICODE
		return utf16LE(trimNul16(p.vals[0]))
	case 0x1e: // PT_STRING8
		return decodeCodepage(trimNul(p.vals[0]), codepage)
	case 0x102: // PT_BINARY: Outlook stores PR_BODY_HTML so at times
		return decodeCodepage(trimNul(p.vals[0]), codepage)
	}
	return ""
}

func (p mapiProp) uint32() uint32 {
	if len(p.vals) == 0 || len(p.vals[0]) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(p.vals[0])
}

// readMAPIProps reads a MAPI property list (MS-OXTNEF 2.1.3.4). The values
// are slices of b, not copies.
func readMAPIProps(b []byte) ([]mapiProp, error) {
	r := &leReader{b: b}
	count := r.u32()
	var props []mapiProp
	for i := uint32(0); i < count && r.err == nil; i++ {
		if len(props) > 100000 {
			return props, errors.New("too many properties")
		}
		typ, id := r.u16(), r.u16()
		if id >= 0x8000 { // a named property: its GUID and name or number
			r.skip(16)
			if kind := r.u32(); kind == 0 {
				r.u32()
			} else {
				r.skip(pad4(int(r.u32())))
			}
		}
		p := mapiProp{typ: typ, id: id}
		base := typ &^ mapiMultiValueFlag
		n := uint32(1)
		multi := typ&mapiMultiValueFlag != 0
		if multi || base == 0x1e || base == 0x1f || base == 0x102 || base == 0x0d {
			n = r.u32()
			// Every value takes at least four bytes: a count beyond what is
			// left is a lie, not a loop to run.
			if uint64(n)*4 > uint64(len(r.b)-r.pos) {
				return props, fmt.Errorf("property %#x: %d values in %d bytes", id, n, len(r.b)-r.pos)
			}
		}
		for k := uint32(0); k < n && r.err == nil; k++ {
			var v []byte
			switch base {
			case 0x02, 0x03, 0x04, 0x0a, 0x0b: // short, long, float, error, boolean: 4 bytes
				v = r.bytes(4)
			case 0x05, 0x06, 0x07, 0x14, 0x40: // double, currency, apptime, i8, systime: 8 bytes
				v = r.bytes(8)
			case 0x48: // CLSID
				v = r.bytes(16)
			case 0x1e, 0x1f, 0x102, 0x0d: // string8, unicode, binary, object
				l := r.u32()
				if uint64(l) > uint64(len(r.b)-r.pos) {
					r.err = fmt.Errorf("property %#x of %d bytes runs past the end", id, l)
					break
				}
				v = r.bytes(int(l))
				r.skip(pad4(int(l)) - int(l))
			case 0x01: // PT_NULL
			default:
				r.err = fmt.Errorf("property %#x: unknown type %#x", id, typ)
			}
			if r.err == nil && len(p.vals) < 1024 {
				p.vals = append(p.vals, v)
			}
		}
		if r.err == nil {
			props = append(props, p)
		}
	}
	return props, r.err
}

func applyAttachProps(a *TNEFAttachment, props []mapiProp, codepage int) {
	var long, short, display string
	for _, p := range props {
		switch p.id {
		case prAttachLongName:
			long = p.text(codepage)
		case prAttachFilename:
			short = p.text(codepage)
		case prDisplayName:
			display = p.text(codepage)
		case prAttachMimeTag:
			a.MediaType = strings.ToLower(strings.TrimSpace(p.text(codepage)))
		case prAttachMethod:
			if p.uint32() == attachEmbeddedMsg {
				a.Embedded = true
			}
		case prAttachDataBin:
			if len(p.vals) == 0 {
				continue
			}
			v := p.vals[0]
			if p.typ == 0x0d { // PR_ATTACH_DATA_OBJ: an IID, then the object's bytes
				a.Embedded = true
				if len(v) >= 16 {
					v = v[16:]
				}
			}
			if len(a.Data) == 0 || !a.Embedded {
				a.Data = v
			}
		}
	}
	switch {
	case long != "":
		a.Name = long
	case a.Name == "" && short != "":
		a.Name = short
	case a.Name == "" && display != "":
		a.Name = display
	}
}

// leReader reads little-endian values and remembers the first overrun.
type leReader struct {
	b   []byte
	pos int
	err error
}

func (r *leReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.err = fmt.Errorf("read of %d bytes at %d past the end", n, r.pos)
		return nil
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}

func (r *leReader) skip(n int) { r.bytes(n) }

func (r *leReader) u16() uint16 {
	if v := r.bytes(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *leReader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func pad4(n int) int {
	if n < 0 {
		return n
	}
	return (n + 3) &^ 3
}

func trimNul(b []byte) []byte {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return b[:i]
	}
	return b
}

func trimNul16(b []byte) []byte {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return b[:i]
		}
	}
	return b
}

// utf16LE decodes UTF-16LE text; an odd last byte is dropped.
func utf16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// lzfuPrebuf is the dictionary compressed RTF starts with (MS-OXRTFCP
// 3.1.3.1).
const lzfuPrebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// decompressRTF undoes Outlook's compressed RTF (PR_RTF_COMPRESSED,
// MS-OXRTFCP): LZFu, or MELA for uncompressed. At most max bytes come out.
func decompressRTF(b []byte, max int) ([]byte, error) {
	if len(b) < 16 {
		return nil, damaged("compressed rtf", errors.New("short header"))
	}
	size := binary.LittleEndian.Uint32(b[0:])
	raw := binary.LittleEndian.Uint32(b[4:])
	magic := binary.LittleEndian.Uint32(b[8:])
	in := b[16:]
	if uint64(size) >= 12 && uint64(size)-12 < uint64(len(in)) {
		in = in[:size-12]
	}
	switch magic {
	case 0x414c454d: // "MELA": stored
		if uint64(raw) < uint64(len(in)) {
			in = in[:raw]
		}
		return in[:min(len(in), max)], nil
	case 0x75465a4c: // "LZFu"
	default:
		return nil, damaged("compressed rtf", fmt.Errorf("unknown method %#x", magic))
	}
	var dict [4096]byte
	copy(dict[:], lzfuPrebuf)
	wpos := len(lzfuPrebuf)
	out := make([]byte, 0, min(int(min(raw, 1<<24)), max))
	for i := 0; i < len(in); {
		ctrl := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in); bit++ {
			if ctrl&(1<<bit) == 0 {
				c := in[i]
				i++
				out = append(out, c)
				dict[wpos] = c
				wpos = (wpos + 1) & 4095
			} else {
				if i+1 >= len(in) {
					return out, nil
				}
				ref := int(in[i])<<8 | int(in[i+1])
				i += 2
				off, n := ref>>4, ref&15+2
				if off == wpos {
					return out, nil
				}
				for k := 0; k < n; k++ {
					c := dict[(off+k)&4095]
					out = append(out, c)
					dict[wpos] = c
					wpos = (wpos + 1) & 4095
				}
			}
			if len(out) >= max {
				return out[:max], nil
			}
		}
	}
	return out, nil
}

package pdf

import "encoding/binary"

// embeddedText lets a Type0 font without a ToUnicode CMap show text: the
// CID goes to a glyph id (CIDToGIDMap) and the embedded TrueType font's
// Unicode cmap, read backwards, gives the glyph's character.
func (r *reader) embeddedText(f *font, cf dict) {
	fd := r.dict(cf["FontDescriptor"])
	s, ok := r.resolve(fd["FontFile2"]).(*stream)
	if !ok {
		return
	}
	f.gidText = trueTypeText(r.streamData(s))
	if m, ok := r.resolve(cf["CIDToGIDMap"]).(*stream); ok {
		b := r.streamData(m)
		f.cidToGID = make([]uint16, len(b)/2)
		for i := range f.cidToGID {
			f.cidToGID[i] = binary.BigEndian.Uint16(b[2*i:])
		}
	}
}

// trueTypeText reads the Unicode subtable of a TrueType font's cmap
// (format 4 or 12) into glyph id → text.
func trueTypeText(b []byte) map[uint16]string {
	cm := ttTable(b, "cmap")
	if len(cm) < 4 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(cm[2:]))
	var best []byte
	for i := range n {
		rec := cm[min(4+8*i, len(cm)):]
		if len(rec) < 8 {
			break
		}
		pid, eid := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:])
		off := int(binary.BigEndian.Uint32(rec[4:]))
		if off >= len(cm) || !(pid == 0 || pid == 3 && (eid == 1 || eid == 10)) {
			continue
		}
		if sub := cm[off:]; best == nil || binary.BigEndian.Uint16(sub) == 12 {
			best = sub
		}
	}
	out := map[uint16]string{}
	budget := 1 << 18 // characters looked at
	add := func(c rune, gid uint32) bool {
		if _, ok := out[uint16(gid)]; !ok && gid != 0 && gid < 1<<16 {
			out[uint16(gid)] = normalize(string(c))
		}
		budget--
		return budget > 0
	}
	if len(best) >= 2 {
		switch binary.BigEndian.Uint16(best) {
		case 4:
			cmapFormat4(best, add)
		case 12:
			cmapFormat12(best, add)
		}
	}
	return out
}

// ttTable finds a table of an sfnt font.
func ttTable(b []byte, tag string) []byte {
	if len(b) < 12 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for i := range n {
		rec := b[min(12+16*i, len(b)):]
		if len(rec) < 16 {
			return nil
		}
		if string(rec[:4]) == tag {
			off, l := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
			if uint64(off)+uint64(l) > uint64(len(b)) {
				return b[min(int(off), len(b)):]
			}
			return b[off : off+l]
		}
	}
	return nil
}

func cmapFormat4(t []byte, add func(rune, uint32) bool) {
	if len(t) < 14 {
		return
	}
	segs := int(binary.BigEndian.Uint16(t[6:])) / 2
	u16 := func(off int) int {
		if off < 0 || off+2 > len(t) {
			return 0
		}
		return int(binary.BigEndian.Uint16(t[off:]))
	}
	ends, starts := 14, 16+2*segs
	deltas, ranges := starts+2*segs, starts+4*segs
	for s := range segs {
		end, start := u16(ends+2*s), u16(starts+2*s)
		delta, ro := u16(deltas+2*s), u16(ranges+2*s)
		for c := start; c <= end && c != 0xffff; c++ {
			gid := (c + delta) & 0xffff
			if ro != 0 {
				g := u16(ranges + 2*s + ro + 2*(c-start))
				if g == 0 {
					continue
				}
				gid = (g + delta) & 0xffff
			}
			if !add(rune(c), uint32(gid)) {
				return
			}
		}
	}
}

func cmapFormat12(t []byte, add func(rune, uint32) bool) {
	if len(t) < 16 {
		return
	}
	n := int(binary.BigEndian.Uint32(t[12:]))
	for i := 0; i < n && 16+12*i+12 <= len(t); i++ {
		g := t[16+12*i:]
		lo, hi, gid := binary.BigEndian.Uint32(g), binary.BigEndian.Uint32(g[4:]), binary.BigEndian.Uint32(g[8:])
		for c := lo; c <= hi && c-lo < 1<<16 && c <= 0x10ffff; c++ {
			if !add(rune(c), gid+c-lo) {
				return
			}
		}
	}
}

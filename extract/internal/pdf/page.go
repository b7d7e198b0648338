package pdf

import (
	"bytes"
	"math"
)

type page struct {
	dict dict
	res  dict
	box  [4]float64 // the MediaBox, normalised: x0 y0 x1 y1
	rot  int        // /Rotate
}

// pages walks the page tree from the catalog, in reading order.
func (r *reader) pages() []page {
	root := r.dict(r.trailer["Root"])
	if root == nil || root["Pages"] == nil {
		root = r.findCatalog()
	}
	if root == nil {
		return nil
	}
	var out []page
	seen := map[objRef]bool{}
	var walk func(v any, inh page, depth int)
	walk = func(v any, inh page, depth int) {
		if depth > 64 || len(out) > r.lim.MaxPages || !r.tick() {
			return
		}
		if ref, ok := v.(objRef); ok {
			if seen[ref] {
				return
			}
			seen[ref] = true
		}
		d := r.dict(v)
		if d == nil {
			return
		}
		inh = r.inherit(d, inh)
		if kids, ok := r.resolve(d["Kids"]).(array); ok {
			for _, k := range kids {
				walk(k, inh, depth+1)
			}
			return
		}
		if d["Contents"] != nil {
			inh.dict = d
			out = append(out, inh)
		}
	}
	walk(root["Pages"], page{box: [4]float64{0, 0, 612, 792}}, 0)
	return out
}

// inherit takes the inheritable attributes of a page tree node.
func (r *reader) inherit(d dict, p page) page {
	if rd := r.dict(d["Resources"]); rd != nil {
		p.res = rd
	}
	if mb, ok := r.resolve(d["MediaBox"]).(array); ok && len(mb) == 4 {
		var b [4]float64
		for i := range b {
			b[i] = num(r.resolve(mb[i]))
		}
		p.box = [4]float64{math.Min(b[0], b[2]), math.Min(b[1], b[3]), math.Max(b[0], b[2]), math.Max(b[1], b[3])}
	}
	if rot, ok := r.resolve(d["Rotate"]).(int); ok {
		p.rot = ((rot % 360) + 360) % 360
	}
	return p
}

// findCatalog looks for the catalog when the trailer does not lead to it.
func (r *reader) findCatalog() dict {
	r.parseAll()
	for _, num := range r.sortedNums() {
		if d, ok := r.objs[num].(dict); ok {
			if t, _ := d["Type"].(name); t == "Catalog" && d["Pages"] != nil {
				return d
			}
		}
	}
	return nil
}

// orphanContent makes pages of the streams that look like page content,
// for a file whose page tree is lost.
func (r *reader) orphanContent() []page {
	var out []page
	for _, num := range r.sortedNums() {
		s, ok := r.objs[num].(*stream)
		if !ok || !looksLikeContent(s.dict) {
			continue
		}
		if b := r.streamData(s); bytes.Contains(b, []byte("BT")) {
			out = append(out, page{dict: dict{"Contents": objRef{num: num}}, box: [4]float64{-1e6, -1e6, 1e6, 1e6}})
		}
		if r.err != nil || len(out) > r.lim.MaxPages {
			break
		}
	}
	return out
}

func looksLikeContent(d dict) bool {
	for _, k := range []name{"Type", "Subtype", "Length1", "Length2", "Length3", "N", "BitsPerComponent", "Width"} {
		if _, ok := d[k]; ok {
			return false
		}
	}
	return true
}

// pageText reads one page's content streams and appends its text to out.
func (r *reader) pageText(out []byte, pg page) []byte {
	// The content is decoded into buffers reused page after page.
	var content []byte
	switch c := r.resolve(pg.dict["Contents"]).(type) {
	case *stream:
		var owned bool
		content, owned = r.decodeStream(c, r.content)
		if owned {
			r.content = content
		}
	case array:
		content = r.content[:0]
		for _, x := range c {
			if s, ok := r.resolve(x).(*stream); ok {
				b, owned := r.decodeStream(s, r.part)
				if owned {
					r.part = b
				}
				content = append(content, b...)
				content = append(content, '\n')
			}
		}
		r.content = content
	default:
		r.missing++
	}
	in := newInterp(r, rotation(pg), &r.page)
	in.run(content, pg.res, 0)
	return layout(out, &r.page, pg.box)
}

// rotation turns a page shown with /Rotate upright again, so its lines run
// left to right.
func rotation(pg page) matrix {
	b := pg.box
	switch pg.rot {
	case 90:
		return matrix{0, -1, 1, 0, -b[1], b[2]}
	case 180:
		return matrix{-1, 0, 0, -1, b[2], b[3]}
	case 270:
		return matrix{0, 1, -1, 0, b[3], -b[0]}
	}
	return identity
}

package pdf

import (
	"cmp"
	"math"
	"slices"
)

// span is an interval of x free of text.
type span struct{ lo, hi float64 }

// readingOrder puts the lines of a page, or of one column, in reading
// order: blocks of lines that share a gutter and hold prose on its left
// are read left column first; everything else stays in line order.
func readingOrder(lines []line, depth int, sb *spanBufs) []line {
	if depth > 3 || len(lines) < 3 {
		return lines
	}
	minX, maxX := extent(lines)
	var out []line
	for i := 0; i < len(lines); {
		j, gutter := growBlock(lines, i, minX, maxX, sb)
		block := lines[i:j]
		if left, right, ok := splitColumns(block, gutter); ok {
			out = append(out, readingOrder(left, depth+1, sb)...)
			out = append(out, readingOrder(right, depth+1, sb)...)
		} else {
			out = append(out, block...)
		}
		i = j
	}
	return out
}

func extent(lines []line) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		lo = math.Min(lo, l.chunks[0].x0)
		hi = math.Max(hi, l.chunks[len(l.chunks)-1].x1)
	}
	return lo, hi
}

// spanBufs are growBlock's buffers, reused line after line.
type spanBufs struct{ free, next, line []span }

// growBlock extends a block from line i while the lines keep a common
// free interval inside [minX, maxX]; it returns the end of the block and
// the widest such interval with text on both sides (hi < lo if none).
func growBlock(lines []line, i int, minX, maxX float64, sb *spanBufs) (int, span) {
	sb.free = freeSpans(sb.free[:0], lines[i], minX, maxX)
	j := i + 1
	for ; j < len(lines); j++ {
		sb.line = freeSpans(sb.line[:0], lines[j], minX, maxX)
		sb.next = intersect(sb.next[:0], sb.free, sb.line)
		if !hasInterior(sb.next, minX, maxX) {
			break
		}
		sb.free, sb.next = sb.next, sb.free
	}
	best := span{1, 0}
	for _, s := range sb.free {
		if s.lo > minX && s.hi < maxX && s.hi-s.lo > best.hi-best.lo {
			best = s
		}
	}
	return j, best
}

// freeSpans appends the gaps between a line's chunks and its margins to
// out.
func freeSpans(out []span, l line, minX, maxX float64) []span {
	out = append(out, span{minX - 1, l.chunks[0].x0})
	for k := 1; k < len(l.chunks); k++ {
		if l.chunks[k].x0 > l.chunks[k-1].x1 {
			out = append(out, span{l.chunks[k-1].x1, l.chunks[k].x0})
		}
	}
	return union(append(out, span{l.chunks[len(l.chunks)-1].x1, maxX + 1}))
}

// intersect appends the parts of x free in both a and b to out, as
// disjoint spans in order (chunks that overlap would otherwise multiply
// them).
func intersect(out, a, b []span) []span {
	for _, x := range a {
		for _, y := range b {
			if lo, hi := math.Max(x.lo, y.lo), math.Min(x.hi, y.hi); hi > lo {
				out = append(out, span{lo, hi})
			}
		}
	}
	return union(out)
}

// union merges overlapping spans.
func union(s []span) []span {
	if !slices.IsSortedFunc(s, func(a, b span) int { return cmp.Compare(a.lo, b.lo) }) {
		slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	}
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi {
			out[n-1].hi = math.Max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

func hasInterior(spans []span, minX, maxX float64) bool {
	for _, s := range spans {
		if s.lo > minX && s.hi < maxX {
			return true
		}
	}
	return false
}

// splitColumns splits a block at its gutter when it reads as two columns
// of prose: at least three lines with text on both sides, most of whose
// left parts run up to the gutter and hold several words. A table of
// labels and values has short left cells and stays in rows.
func splitColumns(block []line, g span) (left, right []line, ok bool) {
	if g.hi <= g.lo || len(block) < 3 {
		return nil, nil, false
	}
	both, reach, words := 0, 0, 0
	minX, _ := extent(block)
	for _, l := range block {
		lp, rp := cut(l, g)
		if lp.chunks != nil {
			left = append(left, lp)
		}
		if rp.chunks != nil {
			right = append(right, rp)
		}
		if lp.chunks == nil || rp.chunks == nil {
			continue
		}
		both++
		end := lp.chunks[len(lp.chunks)-1].x1
		if end >= g.lo-0.2*(g.lo-minX) {
			reach++
		}
		for _, c := range lp.chunks {
			words += c.words
		}
	}
	if both < 3 || float64(reach) < 0.6*float64(both) || words < 3*both {
		return nil, nil, false
	}
	return left, right, true
}

// cut splits a line at a gutter.
func cut(l line, g span) (left, right line) {
	left, right = line{y: l.y, size: l.size}, line{y: l.y, size: l.size}
	for _, c := range l.chunks {
		if c.x1 <= g.lo+0.01 {
			left.chunks = append(left.chunks, c)
		} else {
			right.chunks = append(right.chunks, c)
		}
	}
	return left, right
}

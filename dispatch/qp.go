package dispatch

// appendQP appends p to dst in quoted-printable, byte for byte what
// mime/quotedprintable's Writer (not in Binary mode) writes for p followed
// by Close. That Writer hands every line to the writers under it, through
// go-message's layers, one call per line and a byte at a time: a fifth of
// composing a notification. Runs of bytes that need no encoding are
// copied here in one append each.
func appendQP(dst, p []byte) []byte {
	const max = 76 - 1 // the last column is kept for the soft break's '='
	line := 0          // bytes in the output line so far
	cr := false        // the previous byte was a CR that ended a line
	// encode appends b as =XY, breaking the line first if it would not fit.
	encode := func(b byte) {
		if max-line < 3 {
			dst = append(dst, "=\r\n"...)
			line = 0
		}
		dst = append(dst, '=', upperHex[b>>4], upperHex[b&0x0f])
		line += 3
	}
	// lastSpace encodes a space or tab that ends a line: it would be
	// taken for padding and dropped.
	lastSpace := func() {
		if line == 0 {
			return
		}
		if b := dst[len(dst)-1]; b == ' ' || b == '\t' {
			dst = dst[:len(dst)-1]
			line--
			encode(b)
		}
	}
	for k := 0; k < len(p); {
		b := p[k]
		switch {
		case b == '\r' || b == '\n':
			k++
			if cr && b == '\n' {
				cr = false
				continue
			}
			cr = b == '\r'
			lastSpace()
			dst = append(dst, '\r', '\n')
			line = 0
		case qpPlain(b):
			j := k + 1
			for j < len(p) && qpPlain(p[j]) {
				j++
			}
			for run := p[k:j]; len(run) > 0; {
				if line == max {
					dst = append(dst, "=\r\n"...)
					line = 0
				}
				n := min(len(run), max-line)
				dst = append(dst, run[:n]...)
				line += n
				run = run[n:]
			}
			cr = false
			k = j
		default:
			// Unlike a plain byte, an encoded one leaves cr as it was
			// (so does the Writer): "\r=\n" is one line end.
			encode(b)
			k++
		}
	}
	lastSpace()
	return dst
}

const upperHex = "0123456789ABCDEF"

// qpPlain reports whether b is written as itself.
func qpPlain(b byte) bool {
	return b >= '!' && b <= '~' && b != '=' || b == ' ' || b == '\t'
}

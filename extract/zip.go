package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// containedFile is one file found inside a container attachment (a zip
// bundle, a TNEF winmail.dat).
type containedFile struct {
	Name      string // path inside the container, cleaned
	MediaType string // "" when the container does not say
	Data      []byte
	Err       error // the file is named but its bytes could not be had
}

// maxContainedFiles bounds the files recorded out of one mail's
// containers: each becomes an attachment with its own blob.
const maxContainedFiles = 200

// maxZipRatio bounds how much larger than its compressed size a zip entry
// may grow (past the first MiB): deflate itself stops near 1032:1, so
// only bombs come near it, and real documents stay far below.
const maxZipRatio = 200

// zipBudget is what one mail's containers may still unpack.
type zipBudget struct {
	started bool
	bytes   int64 // uncompressed bytes, over all containers of the mail
	files   int   // files recorded
}

// unzipFiles returns the regular files of a zip archive (a 3GPP tdoc
// bundle), at most lim.MaxDocxEntries entries in its directory, each file
// at most lim.MaxPartBytes, all together at most what budget has left,
// and none past maxZipRatio: a zip bomb costs the budget and no more.
// Directories and the metadata macOS and Windows leave behind
// (__MACOSX/, .DS_Store, Thumbs.db) are skipped. An error for the whole archive says
// the zip is damaged or a limit was reached, and comes with the files
// read until then.
//
// An entry that cannot be read (encrypted, an unknown compression method,
// corrupt data) is returned with Err set and, for a wrong checksum only,
// its bytes.
func unzipFiles(ctx context.Context, data []byte, lim Limits, budget *zipBudget) ([]containedFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, damaged("open zip", err)
	}
	if len(zr.File) > lim.MaxDocxEntries {
		return nil, fmt.Errorf("open zip: %d entries: %w", len(zr.File), ErrLimit)
	}
	var out []containedFile
	for _, f := range zr.File {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		name := cleanZipName(f.Name)
		if name == "" || f.FileInfo().IsDir() || zipJunk(name) {
			continue
		}
		if budget.files >= maxContainedFiles {
			return out, fmt.Errorf("zip: more than %d files: %w", maxContainedFiles, ErrLimit)
		}
		budget.files++
		cf := containedFile{Name: name}
		if f.Flags&0x1 != 0 {
			cf.Err = fmt.Errorf("zip entry %s: %w", name, ErrEncrypted)
			out = append(out, cf)
			continue
		}
		if budget.bytes <= 0 {
			return out, fmt.Errorf("zip: uncompressed size: %w", ErrLimit)
		}
		b, err := readZipEntry(f, min(lim.MaxPartBytes, budget.bytes))
		budget.bytes -= int64(len(b))
		if errors.Is(err, ErrLimit) {
			return out, fmt.Errorf("zip entry %s: %w", name, err)
		}
		cf.Data = b // a file with a wrong checksum is kept, with its error
		if err != nil {
			cf.Err = fmt.Errorf("zip entry %s: %w", name, err)
		}
		out = append(out, cf)
	}
	return out, nil
}

// readZipEntry reads one entry, whatever its header claims, up to max
// bytes and maxZipRatio times its compressed size.
func readZipEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		if errors.Is(err, zip.ErrAlgorithm) {
			return nil, fmt.Errorf("compression method %d: %w", f.Method, ErrUnsupported)
		}
		return nil, damaged("open", err)
	}
	defer rc.Close()
	// The decompressor reads only from the entry's compressed section, so
	// its declared compressed size bounds the input actually used.
	ratioMax := limit
	if c := int64(f.CompressedSize64); c < (limit-(1<<20))/maxZipRatio {
		ratioMax = (1 << 20) + c*maxZipRatio
	}
	// The declared size is only a hint, and a hostile one costs at most 4 MiB.
	capHint := min(int64(f.UncompressedSize64), ratioMax, 4<<20)
	buf := bytes.NewBuffer(make([]byte, 0, max(capHint, 0)+1))
	n, err := io.Copy(buf, io.LimitReader(rc, ratioMax+1))
	if n > ratioMax {
		if ratioMax < limit {
			return nil, fmt.Errorf("expands over %d times its compressed size: %w", maxZipRatio, ErrLimit)
		}
		return nil, fmt.Errorf("over %d bytes: %w", limit, ErrLimit)
	}
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) {
			// The bytes are all there; a wrong CRC is worth a problem,
			// not the loss of the file.
			return buf.Bytes(), damaged("checksum", err)
		}
		return nil, damaged("read", err)
	}
	return buf.Bytes(), nil
}

// cleanZipName makes an entry name safe to show and store: forward
// slashes, no leading slash or drive, no "." or ".." elements, no control
// characters, and valid UTF-8 (names without the UTF-8 flag are nearly
// always cp437 or cp1252; cp1252 is taken).
func cleanZipName(n string) string {
	n = cleanFilenameChars(n)
	n = strings.ReplaceAll(n, "\\", "/")
	if i := strings.IndexByte(n, ':'); i == 1 {
		n = n[2:]
	}
	var parts []string
	for _, p := range strings.Split(n, "/") {
		p = strings.TrimSpace(p)
		if p == "" || p == "." || p == ".." {
			continue
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return path.Join(parts...)
}

func cleanFilenameChars(s string) string {
	if !utf8.ValidString(s) {
		s = decodeLatin(s)
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// zipJunk reports files that only archivers and file browsers leave.
func zipJunk(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || base == ".DS_Store" || strings.EqualFold(base, "Thumbs.db") ||
		strings.EqualFold(base, "desktop.ini") || strings.HasPrefix(base, "._")
}

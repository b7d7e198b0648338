// Package pdf reads the text layer of PDF files as a reader would read
// it, for package extract: statements from Word, LibreOffice, browsers,
// Ghostscript and LaTeX, often encrypted with the empty user password.
//
// Text returns the text of a file page by page. It finds every object by
// scanning for "N G obj" (a later definition wins, so incremental updates
// and broken or missing xref tables need nothing more), reads object
// streams, decrypts the standard security handler with the empty user
// password (RC4 40 to 128 bits, AES-128, AES-256 of revisions 5 and 6),
// and runs each page's content streams, form XObjects included, to place
// every glyph on the page: font widths (/Widths, a CIDFont's /W, the
// standard 14 fonts' metrics, a Type3 FontMatrix), TJ adjustments, Tc, Tw,
// Tz and the CTM. The layout then cuts words where the gap between glyphs
// is more than 40% of a space, cells where it is more than 1.5 font
// sizes, and reads blocks of lines that share a gutter with prose on its
// left as two columns, one after the other (tables stay in rows, cells
// apart by tabs).
//
// Text comes from a font's ToUnicode CMap, else its encoding (WinAnsi,
// MacRoman, Standard with Differences and glyph names such as "f_f_i" or
// "uni00E9"), else, for a Type0 font with an embedded TrueType program,
// the program's own cmap read backwards. Ligatures and other presentation
// forms are normalised with NFKC (only those: superscripts and fractions
// keep their meaning).
//
// A file that cannot be read says why: ErrEncrypted (a real user password
// or another security handler), ErrNoTextLayer (pages, but no text: a
// scan), ErrDamaged (no page and no content could be read), ErrNotPDF,
// ErrLimit (see Limits; text found before a limit is returned with it).
//
// extract/README.md compares this reader with PDFium and poppler on the
// corpus in extract/testdata/pdf.
package pdf

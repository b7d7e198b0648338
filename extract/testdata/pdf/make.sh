#!/bin/sh
# make.sh: makes the PDF corpus of the golden tests from the sources in
# src/ with the real tools, and the reference text of each with poppler's
# pdftotext -layout. Run once, by hand; the tests need none of these tools.
#
# Debian packages: chromium ghostscript qpdf libreoffice-writer-nogui
# img2pdf poppler-utils fonts-dejavu-core fonts-liberation2
# texlive-latex-base texlive-fonts-recommended (pdflatex with the Type1
# Computer Modern fonts; without the second it sets bitmap Type3 fonts)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

chrome() { # html pdf
	chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
		--user-data-dir="$tmp/chrome" --print-to-pdf="$2" "file://$(realpath "$1")" 2>/dev/null
}
office() { # fodt pdf
	soffice --headless -env:UserInstallation="file://$tmp/lo" --convert-to pdf --outdir "$tmp" "$1" >/dev/null
	mv "$tmp/$(basename "${1%.*}").pdf" "$2"
}

# One statement from each generator.
chrome src/chromium.html chromium.pdf
office src/libreoffice.fodt libreoffice.pdf
ps2pdf src/ghostscript.ps ghostscript.pdf
pdflatex -interaction=batchmode -output-directory "$tmp" src/latex.tex >/dev/null
mv "$tmp/latex.pdf" latex.pdf

# Object and cross-reference streams.
qpdf --object-streams=generate ghostscript.pdf ghostscript-objstm.pdf

# Encrypted with the empty user password, and with a real one.
qpdf --allow-weak-crypto --encrypt "" owner 40 -- libreoffice.pdf enc-rc4-40.pdf
qpdf --allow-weak-crypto --encrypt "" owner 128 --use-aes=n -- libreoffice.pdf enc-rc4-128.pdf
qpdf --encrypt "" owner 128 --use-aes=y -- libreoffice.pdf enc-aes-128.pdf
qpdf --encrypt "" owner 256 -- chromium.pdf enc-aes-256.pdf
qpdf --encrypt secret owner 256 -- chromium.pdf enc-password.pdf

# A Type0 font without its ToUnicode CMap: the text must come from the
# embedded TrueType font's cmap.
qpdf --qdf --object-streams=disable chromium.pdf "$tmp/q.pdf"
perl -pe 's{/ToUnicode \d+ 0 R}{" " x length($&)}ge' "$tmp/q.pdf" > "$tmp/q2.pdf"
fix-qdf "$tmp/q2.pdf" > "$tmp/q3.pdf"
qpdf "$tmp/q3.pdf" chromium-notounicode.pdf

# A scan: the statement as an image only.
pdftoppm -r 80 -gray -png chromium.pdf "$tmp/scan"
img2pdf "$tmp"/scan*.png -o scan.pdf

# Damaged: wrong xref offsets (recovered by scanning), and a file cut in
# the middle of its first page's content.
perl -0pe 's/startxref\s+\d+/startxref\n999999/; s/(\d{10}) 00000 n/sprintf("%010d 00000 n", $1 + 7)/ge' \
	libreoffice.pdf > damaged-xref.pdf
head -c 1200 libreoffice.pdf > truncated.pdf

# The reference text.
for f in chromium libreoffice ghostscript latex ghostscript-objstm enc-rc4-40 enc-rc4-128 enc-aes-128 \
	enc-aes-256 damaged-xref bench-chromium bench-libreoffice bench-ghostscript; do
	pdftotext -layout "$f.pdf" "$f.layout.txt"
done

# About 300 KB from each generator, for the benchmarks: sentences drawn
# from a fixed vocabulary with a fixed seed, so the text does not compress
# away.
words() { # n: n pseudo-random sentences, one a line
	awk -v n="$1" 'BEGIN { srand(17); split("the working group study liaison statement profile certificate official offline affiliated efficient review draft comments meeting network functions keys security requirements release specification deadline action information document clause annex figure table procedure protocol interface management verification authority record migration schedule quantum cryptography alignment fronthaul synchronization timing", v, " ")
		for (i = 0; i < n; i++) { s = "Item " i ":"; k = 12 + int(rand() * 14); for (j = 0; j < k; j++) s = s " " v[1 + int(rand() * 56)]; print s "." } }'
}
{ sed '/<h1>/q' src/chromium.html; words 580 | sed 's|.*|<p>&</p>|'; echo '</body></html>'; } > "$tmp/bench.html"
chrome "$tmp/bench.html" bench-chromium.pdf
{ sed '/<text:section/q' src/libreoffice.fodt; words 1700 | sed 's|.*|<text:p text:style-name="Just">&</text:p>|'; sed -n '/<\/text:section>/,$p' src/libreoffice.fodt; } > "$tmp/bench.fodt"
office "$tmp/bench.fodt" bench-libreoffice.pdf
{ sed '/^showpage/q' src/ghostscript.ps; words 3000 | fold -s -w 100 | awk '{ if (NR % 50 == 1) print "showpage /y 780 def /Times-Roman findfont 9 scalefont setfont"; gsub(/[()\\]/, ""); print "(" $0 ") L" } END { print "showpage" }'; } > "$tmp/bench.ps"
ps2pdf "$tmp/bench.ps" bench-ghostscript.pdf
ls -l *.pdf

#!/bin/sh
# Regenerates the documents made by real tools for the golden tests of
# extract (doc_test.go, TestGoldenDocuments). Run it by hand from this
# directory; no test runs it, and no tool here is needed at test time.
#
# Needs LibreOffice Writer (Debian: apt-get install libreoffice-writer-nogui).
#
# Sources: 3gpp-ls.html (the 3GPP LS template: label/value table, header
# lines with the meeting and tdoc number), itu-ls.html (the ITU-T LS
# template). Each statement's metadata is in the document only.
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for src in 3gpp-ls itu-ls; do
	for fmt in "doc:MS Word 97" "odt:writer8" "rtf:Rich Text Format" "docx:MS Word 2007 XML"; do
		ext=${fmt%%:*}
		filter=${fmt#*:}
		soffice --headless -env:UserInstallation=file://$out/profile \
			--infilter="HTML (StarWriter)" --convert-to "$ext:$filter" --outdir "$out" "$src.html" >/dev/null
		cp "$out/$src.$ext" "$src.$ext"
	done
done
# A .doc saved as plain paragraphs (no table): label lines only.
soffice --headless -env:UserInstallation=file://$out/profile --convert-to "doc:MS Word 97" --outdir "$out" labels.txt >/dev/null
cp "$out/labels.doc" labels.doc
ls -l *.doc *.odt *.rtf *.docx

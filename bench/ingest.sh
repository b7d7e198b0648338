#!/bin/sh
# Benchmark of liaisond against a real Dovecot:
#   - wall time and peak RSS of `liaisond serve --once` (capture, extraction,
#     recording, notifications flushed to an SMTP sink) on a fresh store over
#     N realistic liaison mails (80% 5-20 KB text, 20% with a 100-300 KB
#     .docx or .pdf), alternating with mbsync syncing the same mailbox to a
#     local Maildir; prints both ratios: to the end of processing (capture +
#     extract + record, what the target counts, from liaisond's logged stage
#     ends) and to the last mail sent; checks that the store holds N
#     statements; plus one capture-only run (no extraction);
#   - APPEND-to-captured latency while IDLE next to a bare IDLE client
#     (target: at most 50 ms above it);
#   - peak RSS of a capture with one 50 MB message in the batch (< 150 MB).
# Needs dovecot (Debian: dovecot-imapd) and mbsync (Debian: isync); the
# Dovecot it starts lives in a temp dir on 127.0.0.1 and is killed at the end.
#
# Usage: bench/ingest.sh [-n 10000] [-runs 3] [-latency 50] [-big 50]
#                        [-capture=false] [-perf FILE|FILE.pprof]
#                        [-baseline REV]
# -baseline REV builds liaisond at git revision REV too and times it in the
# same runs, alternating with the working tree's: the CPU and time ratios
# between two versions, free of the drift between separate invocations.
# BENCH_MODE=capture times the capture-only child instead of serve --once.
set -eu
cd "$(dirname "$0")/.."
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo "dovecot not installed (apt-get install dovecot-imapd)" >&2; exit 1; }
mbsync=mbsync
command -v mbsync >/dev/null 2>&1 || { echo "mbsync not installed (apt-get install isync): skipping the comparison" >&2; mbsync=; }
bin=$(mktemp -d)/ingestbench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/ingestbench
liaisond=
if [ "${BENCH_MODE:-serve}" = serve ]; then
	liaisond=$(dirname "$bin")/liaisond
	go build -o "$liaisond" ./cmd/liaisond
fi
# -baseline REV: build that revision from a clean export of it.
n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	if [ "$a" = -baseline ] && [ "$n" -gt 0 ]; then
		src=$(dirname "$bin")/baseline-src
		mkdir -p "$src"
		git archive "$1" | tar -x -C "$src"
		(cd "$src" && go build -o ../liaisond-baseline ./cmd/liaisond)
		set -- "$@" -baseline "$(dirname "$bin")/liaisond-baseline"
		shift
		n=$((n - 1))
		continue
	fi
	set -- "$@" "$a"
done
PATH=$PATH:/usr/sbin "$bin" -mbsync "$mbsync" -liaisond "$liaisond" "$@"

#!/bin/sh
# Benchmark of liaisond's IMAP capture (ingest) against a real Dovecot:
#   - time to capture N realistic liaison mails into a fresh store (with a
#     pending-queue drain), alternating with mbsync syncing the same mailbox
#     to a local Maildir; prints the ratio (target <= 1.0);
#   - APPEND-to-captured latency while IDLE next to a bare IDLE client
#     (target: at most 50 ms above it);
#   - peak RSS of a capture with one 50 MB message in the batch (< 150 MB).
# Needs dovecot (Debian: dovecot-imapd) and mbsync (Debian: isync); the
# Dovecot it starts lives in a temp dir on 127.0.0.1 and is killed at the end.
#
# Usage: bench/ingest.sh [-n 10000] [-runs 3] [-latency 50] [-big 50]
set -eu
cd "$(dirname "$0")/.."
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo "dovecot not installed (apt-get install dovecot-imapd)" >&2; exit 1; }
mbsync=mbsync
command -v mbsync >/dev/null 2>&1 || { echo "mbsync not installed (apt-get install isync): skipping the comparison" >&2; mbsync=; }
bin=$(mktemp -d)/ingestbench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/ingestbench
# Later: the ingest side will run `liaisond serve --once -config ...`.
PATH=$PATH:/usr/sbin "$bin" -mbsync "$mbsync" "$@"

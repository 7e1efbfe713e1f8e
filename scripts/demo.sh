#!/bin/sh
# `make demo`: serve the bundled fake Trakt (sample account) on 127.0.0.1 and run the real,
# installed trakt-export against it; then the free user's way: the same account's data-export
# ZIP (written by the fake, as trakt.tv Settings > Data > Export gives it), with no API app and
# no network. No Trakt account and no internet needed.
set -eu
out="${DEMO_OUT:-demo-out}"
work=$(mktemp -d "${TMPDIR:-/tmp}/trakt-export-demo.XXXXXX")
PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}" python -m trakt_fake serve --dataset sample --port 0 \
    --client-id demo-client --token demo-token >"$work/server.out" 2>"$work/server.err" &
server=$!
# The server goes whatever ends the script, a closed output pipe included (`make demo | head`):
# SIGPIPE, HUP, INT and TERM turn into a normal exit, which runs the EXIT trap.
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 141' PIPE
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Wait for the server's URL as long as the server lives (a busy machine only makes it slower).
url=""
while :; do
    # The server's shell may not have opened server.out yet: not an error (set -e) but a wait.
    url=$(sed -n 's/^URL //p' "$work/server.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 0.1
done

export TRAKT_EXPORT_HOME="$work/home"
export TRAKT_EXPORT_API_URL="$url" TRAKT_EXPORT_AUTH_URL="$url"
export TRAKT_EXPORT_CLIENT_ID=demo-client TRAKT_EXPORT_ACCESS_TOKEN=demo-token
mkdir -p "$out"

echo "== fake Trakt serving the sample account at $url"
echo "== trakt-export movies --mode history -o $out/letterboxd-history.csv"
trakt-export movies --mode history -o "$out/letterboxd-history.csv"
echo "== trakt-export watchlist -o $out/letterboxd-watchlist.csv"
trakt-export watchlist -o "$out/letterboxd-watchlist.csv"
echo "== the same export again: answered from the cache (last_activities unchanged)"
trakt-export movies --mode history -o "$out/letterboxd-history.csv"
echo
echo "== head of $out/letterboxd-history.csv"
head -n 12 "$out/letterboxd-history.csv"
echo
echo "== head of $out/letterboxd-watchlist.csv"
head -n 6 "$out/letterboxd-watchlist.csv"

# The free user: no API app, no login, no network -- only Trakt's export ZIP.
zip="$out/trakt-data-export.zip"
PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}" python -c '
import sys
from pathlib import Path
from trakt_fake import sample
from trakt_fake.zipexport import write_export_zip
data = sample()
write_export_zip(data, data.primary, Path(sys.argv[1]))
' "$zip"
unset TRAKT_EXPORT_API_URL TRAKT_EXPORT_AUTH_URL TRAKT_EXPORT_CLIENT_ID TRAKT_EXPORT_ACCESS_TOKEN
export TRAKT_EXPORT_HOME="$work/free-home"
echo
echo "== without an API app: the sample account's data-export ZIP, $zip"
echo "== trakt-export doctor --from-zip $zip"
trakt-export doctor --from-zip "$zip"
echo "== trakt-export movies --mode history --from-zip $zip -o $out/zip-letterboxd-history.csv"
trakt-export movies --mode history --from-zip "$zip" -o "$out/zip-letterboxd-history.csv"
if cmp -s "$out/letterboxd-history.csv" "$out/zip-letterboxd-history.csv"; then
    echo "== the ZIP export is byte-identical to the API export"
else
    echo "== the ZIP export differs from the API export:" >&2
    diff "$out/letterboxd-history.csv" "$out/zip-letterboxd-history.csv" >&2 || true
    exit 1
fi

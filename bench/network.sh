#!/usr/bin/env bash
# The professional network at dataset M (issue: professional network):
# 10,000 members, 1,000,000 posts over 90 days by Zipf-drawn authors,
# log-normal connections (mean 150, at most 5,000), 5,000,000 reactions and
# 1,000,000 comments, written by `lyceum-load seed-network` straight into a
# stopped server's SQLite databases (or PostgreSQL: set LYCEUM_DATABASE_URL
# and LYCEUM_KEYRING_URL to empty databases). Then: feed page 1 and page 50
# for one client and under load, the HTML feed page, the fan-out of new
# posts (answer and time to every reader's timeline, one author with
# 50,000 followers) and one viral post. Results go to stdout; copy them
# into docs/benchmarks.md.
# Sizes: MEMBERS, POSTS, REACTIONS, COMMENTS; rates: FEED_RATE, REACT_RATE.
# KEEP=DIR saves the seeded data dir, SEEDED=DIR starts from such a copy.
# LYCEUM_SQLITE_MMAP_MB=8192 has the server read SQLite through a memory map.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p lyceum -p lyceum-bench
data=${DATA:-$(mktemp -d)}
trap 'kill "${pid:-}" 2>/dev/null || true; [ -n "${DATA:-}" ] || rm -rf "$data"' EXIT
export LYCEUM_LOG=warn
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_IP__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_ACCOUNT__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNUP_PER_IP__MAX=0
lyceum="$target/release/lyceum"
load="$target/release/lyceum-load"
if [ -n "${LYCEUM_DATABASE_URL:-}" ]; then
  where=(--database "$LYCEUM_DATABASE_URL" --keyring "$LYCEUM_KEYRING_URL" --key-file "$data/instance.key")
  database=$LYCEUM_DATABASE_URL
else
  where=(--data-dir "$data")
  database="sqlite://$data/lyceum.db"
fi
members=${MEMBERS:-10000}
if [ -n "${SEEDED:-}" ]; then
  cp -a "$SEEDED"/. "$data"/
else
  "$lyceum" --data-dir "$data" migrate >/dev/null
  # Member 0 (the most prolific, by Zipf rank) gets followers without
  # accounts on top of its members, about 50,000 in all.
  $load seed-network "${where[@]}" --members "$members" --posts "${POSTS:-1000000}" \
    --reactions "${REACTIONS:-5000000}" --comments "${COMMENTS:-1000000}" \
    --extra-followers "${EXTRA_FOLLOWERS:-44000}"
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -a "$data"/. "$KEEP"/; fi
fi
du -sh "$data"
# Read the file once, so the runs start from the OS's file cache as a
# running server would: some virtual machines give cached pages back to
# their host within minutes, and reads from disk would then be measured.
[ -n "${LYCEUM_DATABASE_URL:-}" ] || cat "$data/lyceum.db" >/dev/null
exec 3< <("$lyceum" serve --listen 127.0.0.1:0 --data-dir "$data")
pid=$!
read -r line <&3
base=${line#listening on }
echo "server: $base  pid $pid"
d=${DURATION:-15}
# One client: each request sent when the last is answered; then one every
# 20 ms, which adds the cost of waking idle cores to each.
for w in feed feed-deep; do
  $load --base "$base" run --workload "$w" --clients 1 --duration "$d"
  $load --base "$base" run --workload "$w" --rate 50 --duration "$d"
done
for rate in ${FEED_RATE:-1000 2000 3000}; do
  $load --base "$base" run --workload feed --rate "$rate" --duration "$d"
  $load --base "$base" run --workload feed-deep --rate "$rate" --duration "$d"
done
$load --base "$base" run --workload feed-page --rate 500 --duration "$d"
$load --base "$base" fanout-bench --database "$database"
for rate in ${REACT_RATE:-1000 2000 5000}; do
  $load --base "$base" run --workload viral-post --members 1000 --rate "$rate" --duration "$d" --database "$database"
done

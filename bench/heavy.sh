#!/usr/bin/env bash
# The heavy account (issue: privacy and data rights): a fresh demo instance
# on SQLite (or PostgreSQL when LYCEUM_DATABASE_URL is set), one member
# seeded through the API with 50,000 posts, 200,000 reactions on them,
# 20,000 reactions of their own, 2,000 messages and 300 enrolments; then
# their export (first byte, total, server memory) and their erasure under a
# steady foreground load. Results go to stdout; copy them into
# docs/benchmarks.md. Sizes: POSTS, REACTIONS, GIVEN, MESSAGES, ENROLMENTS;
# KEEP=DIR saves the seeded data dir, SEEDED=DIR starts from such a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p lyceum -p lyceum-bench
data=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$data"' EXIT
export LYCEUM_LOG=warn,lyceum_store::erasure=info
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_IP__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_ACCOUNT__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNUP_PER_IP__MAX=0
load="$target/release/lyceum-load"
if [ -n "${SEEDED:-}" ]; then
  # A data dir seeded earlier (see KEEP below), copied: seeding takes minutes.
  cp -a "$SEEDED"/. "$data"/
else
  "$target/release/lyceum" --data-dir "$data" demo --password "bench demo password" >/dev/null
  exec 3< <("$target/release/lyceum" serve --listen 127.0.0.1:0 --data-dir "$data")
  pid=$!
  read -r line <&3
  base=${line#listening on }
  echo "server: $base  pid $pid ($(cat /proc/$pid/comm))"
  $load --base "$base" seed-heavy --posts "${POSTS:-50000}" --reactions "${REACTIONS:-200000}" \
    --given "${GIVEN:-20000}" --messages "${MESSAGES:-2000}" --enrolments "${ENROLMENTS:-300}"
  # A fresh process, so that the memory figures are the export's and not
  # what seeding left behind in the allocator.
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -a "$data"/. "$KEEP"/; fi
fi
du -sh "$data"
exec 3< <("$target/release/lyceum" serve --listen 127.0.0.1:0 --data-dir "$data")
pid=$!
read -r line <&3
base=${line#listening on }
echo "server: $base  pid $pid ($(cat /proc/$pid/comm))"
$load --base "$base" heavy-bench --pid "$pid" --rate "${RATE:-200}" --baseline "${BASELINE:-20}" \
  --database "${LYCEUM_DATABASE_URL:-sqlite://$data/lyceum.db}"

#!/usr/bin/env bash
# Builds Lyceum in release mode, starts it on a fresh SQLite data dir (or on
# PostgreSQL when LYCEUM_DATABASE_URL is set) with authentication rate
# limits off, seeds members and runs the workloads. Results go to stdout;
# copy them into docs/benchmarks.md with the machine description.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p lyceum -p lyceum-bench
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
export LYCEUM_LOG=warn
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_IP__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_ACCOUNT__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNUP_PER_IP__MAX=0
exec 3< <(./target/release/lyceum serve --listen 127.0.0.1:0 --data-dir "$data")
pid=$!
read -r line <&3
base=${line#listening on }
load=./target/release/lyceum-load
echo "server: $base  members: ${MEMBERS:=1000}"
$load --base "$base" seed --members "$MEMBERS"
$load --base "$base" run --workload health --rate "${HEALTH_RATE:-5000}" --duration "${DURATION:-15}"
$load --base "$base" run --workload signin --rate "${SIGNIN_RATE:-50}" --duration "${DURATION:-15}"
$load --base "$base" run --workload auth-page --rate "${PAGE_RATE:-5000}" --duration "${DURATION:-15}"
$load --base "$base" run --workload auth-api --rate "${PAGE_RATE:-5000}" --duration "${DURATION:-15}"

#!/usr/bin/env bash
# Builds Lyceum in release mode, starts it on a fresh SQLite data dir (or on
# PostgreSQL when LYCEUM_DATABASE_URL is set) with authentication rate
# limits off, seeds members and runs the workloads. Results go to stdout;
# copy them into docs/benchmarks.md with the machine description.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p lyceum -p lyceum-bench
data=$(mktemp -d)
trap 'kill "$pid" "${sip2:-}" 2>/dev/null || true; rm -rf "$data"' EXIT
export LYCEUM_LOG=warn
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_IP__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNIN_PER_ACCOUNT__MAX=0
export LYCEUM_WEB__RATE_LIMITS__SIGNUP_PER_IP__MAX=0
export LYCEUM_WEB__RATE_LIMITS__PATRON_PER_CARD__MAX=0
export LYCEUM_WEB__RATE_LIMITS__PATRON_PER_LIBRARY__MAX=0
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

# Library card sign-in over SIP2, against the SIP2 test server on loopback
# (so the figure is Lyceum's own cost plus one SIP2 round trip).
cards=${CARDS:-1000}
{
  printf 'login_user = "lyceum"\nlogin_password = "sip-secret"\ninstitution = "BENCH"\n'
  for i in $(seq 0 $((cards - 1))); do
    printf '[[patrons]]\ncard = "4%07d"\npin = "1234"\nstate = "valid"\n' "$i"
  done
} > "$data/patrons.toml"
exec 4< <(./target/release/lyceum dev sip2-server --patrons "$data/patrons.toml" --bind 127.0.0.1:0)
sip2=$!
read -r sipline <&4
sipaddr=${sipline#listening on }
echo "bench operator password" | ./target/release/lyceum --data-dir "$data" admin create-operator --email op@load.test >/dev/null
./target/release/lyceum --data-dir "$data" admin create-library --slug bench --name "Bench Library" >/dev/null
echo sip-secret | ./target/release/lyceum --data-dir "$data" admin set-sip2 --library bench \
  --host "${sipaddr%:*}" --port "${sipaddr##*:}" --login-user lyceum --login-password-stdin --institution BENCH >/dev/null
$load --base "$base" run --workload patron-signin --members "$cards" --rate "${PATRON_RATE:-200}" --duration "${DURATION:-15}"

# The course library, on a second server loaded with `lyceum demo` (814
# courses from three providers): course pages and catalog search.
demo=$(mktemp -d)
trap 'kill "$pid" "${sip2:-}" "${pid2:-}" 2>/dev/null || true; rm -rf "$data" "$demo"' EXIT
./target/release/lyceum --data-dir "$demo" demo --password "bench demo password" >/dev/null
exec 5< <(./target/release/lyceum serve --listen 127.0.0.1:0 --data-dir "$demo")
pid2=$!
read -r line2 <&5
base2=${line2#listening on }
$load --base "$base2" run --workload course-page --rate "${COURSE_RATE:-3000}" --duration "${DURATION:-15}"
$load --base "$base2" run --workload catalog-search --rate "${SEARCH_RATE:-500}" --duration "${DURATION:-15}"

# Search over a large catalog: 100,000 generated courses imported through
# the provider import API on the first server, searched, then the server is
# restarted to time a full index build from the database.
$load --base "$base" seed-courses --count "${COURSES:-100000}" --email op@load.test --password "bench operator password"
$load --base "$base" run --workload catalog-search --rate 1 --duration 5 >/dev/null
$load --base "$base" run --workload catalog-search --clients 1 --duration "${DURATION:-15}"
for rate in ${SEARCH_RATE_BIG:-1000 2000}; do
  $load --base "$base" run --workload catalog-search --rate "$rate" --duration "${DURATION:-15}"
done
kill "$pid"; wait "$pid" 2>/dev/null || true
LYCEUM_LOG=info timeout 300 ./target/release/lyceum serve --listen 127.0.0.1:0 --data-dir "$data" 2>&1 | grep -m1 "search index built" || true

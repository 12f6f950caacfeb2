#!/usr/bin/env bash
# Streaming benchmark (issue 9, DESIGN §10): a DS attachment (200 MiB by
# default) saved to a read-write mount by `pont run` (release build, robot
# tests/fixtures/pj-saver: DS → blob → mount, checksum checked by the host)
# against `curl -o` of the same signed URL, both from the simulator on
# loopback. Prints each one's throughput (median of the runs), the ratio
# (target: pont ≥ 80 % of curl) and pont's peak-RSS growth over the same run
# with a 4 KiB attachment (target: < 32 MB). Asserts nothing; a missed target
# is reported as such.
#
#   benches/streaming.sh                 # 200 MiB, 3 runs each
#   SIZE=64M RUNS=5 benches/streaming.sh
#
# Peak RSS comes from wait4(2)'s rusage of each process (exact, no polling).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SIZE=${SIZE:-200M}
RUNS=${RUNS:-3}
target_dir=${CARGO_TARGET_DIR:-$root/target}

command -v curl >/dev/null 2>&1 || {
    echo "streaming: curl is missing (scripts/setup installs it)" >&2
    exit 1
}

echo "streaming: building pj-saver (wasm32-wasip2), pont and the simulator (release)" >&2
(cd tests/fixtures && cargo build --release --quiet --target wasm32-wasip2 \
    --target-dir "$root/target/guests" -p pj-saver)
cargo build --release --quiet -p pont-cli -p pont-sandbox
pont="$target_dir/release/pont"
wasm="$root/target/guests/wasm32-wasip2/release/pj_saver.wasm"

work=$(mktemp -d "${TMPDIR:-/tmp}/pont-streaming-XXXXXX")
sandbox_pid=
cleanup() {
    [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Dossier 10500002 gets the tiny file (the memory baseline), 10500003 the large one.
"$target_dir/release/pont-sandbox" --dossiers 3 --rate-limit 1000000 \
    --attachment 10500002:4K --attachment "10500003:$SIZE" >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!
for _ in $(seq 600); do
    [ "$(grep -c '^attachment ' "$work/sandbox.out" || true)" -ge 2 ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.out" >&2; exit 1; }
    sleep 0.1
done
ds_url=$(awk '$1 == "ds" { print $2 }' "$work/sandbox.out")
tiny_url=$(awk '$1 == "attachment" && $2 == 10500002 { print $3 }' "$work/sandbox.out")
big_url=$(awk '$1 == "attachment" && $2 == 10500003 { print $3 }' "$work/sandbox.out")
[ -n "$ds_url" ] && [ -n "$big_url" ] && [ -n "$tiny_url" ] || {
    cat "$work/sandbox.out" >&2
    exit 1
}

# measure OUT CMD...: runs CMD, writes "seconds peak_rss_kb exit_code" to OUT.
measure() {
    python3 - "$@" <<'EOF'
import os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(out + ".err", "w"))
_, status, usage = os.wait4(p.pid, 0)
secs = time.monotonic() - start
with open(out, "w") as f:
    f.write(f"{secs} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")
EOF
}

# pont_config DIR DOSSIER FILE: a robot config saving FILE of DOSSIER into DIR/out.
pont_config() {
    mkdir -p "$1/out"
    cat >"$1/robot.toml" <<EOF
[plugin]
path = "$wasm"
manifest = "$root/tests/fixtures/pj-saver/pont.toml"

[paths]
journal = "journal.sqlite"
audit = "audit.jsonl"
cache = "$work/cache"

[ds]
endpoint = "$ds_url"
token = { env = "PONT_BENCH_DS_TOKEN" }
instructeur = "robot.pj-actes@sandbox.gouv.fr"

[grant]
log = true

[grant.ds]
demarches = [105]
actions = ["read"]

[grant.mounts.out]
path = "out"
access = "read-write"

[settings]
only = "$3"

[queue]
dossiers = [$2]
EOF
}

export PONT_BENCH_DS_TOKEN=sandbox-rw-all
# pont_run NAME DOSSIER URL: one fresh run (own journal, shared compile cache).
pont_run() {
    local dir="$work/$1"
    rm -rf "$dir"
    pont_config "$dir" "$2" "${3##*/}"
    measure "$dir/m" "$pont" run --allow-unsigned --json -q "$dir/robot.toml"
    read -r secs kb code <"$dir/m"
    [ "$code" = 0 ] || { cat "$dir/m.err" >&2; exit 1; }
    echo "$secs $kb"
}

curl_run() {
    rm -f "$work/curl.bin"
    measure "$work/curl.m" curl -sS --fail -o "$work/curl.bin" "$big_url"
    read -r secs kb code <"$work/curl.m"
    [ "$code" = 0 ] || { cat "$work/curl.m.err" >&2; exit 1; }
    echo "$secs"
}

echo "streaming: warming up (compile cache, DS checksum, page cache)" >&2
r=$(pont_run warm 10500003 "$big_url")
r=$(curl_run)

big_bytes=$(stat -c %s "$work/warm/out/${big_url##*/}")
pont_secs=() curl_secs=() big_kb=() tiny_kb=()
for i in $(seq "$RUNS"); do
    r=$(pont_run "big-$i" 10500003 "$big_url")
    read -r s kb <<<"$r"
    pont_secs+=("$s") big_kb+=("$kb")
    c=$(curl_run)
    curl_secs+=("$c")
    r=$(pont_run "tiny-$i" 10500002 "$tiny_url")
    read -r _ kb <<<"$r"
    tiny_kb+=("$kb")
    echo "streaming: run $i: pont ${pont_secs[-1]} s, curl ${curl_secs[-1]} s, peak RSS ${big_kb[-1]} kB (tiny ${tiny_kb[-1]} kB)" >&2
done

pont_sha=$(sha256sum "$work/big-$RUNS/out/${big_url##*/}" | cut -d' ' -f1)
curl_sha=$(sha256sum "$work/curl.bin" | cut -d' ' -f1)
[ "$pont_sha" = "$curl_sha" ] || { echo "streaming: pont and curl saved different bytes" >&2; exit 1; }

python3 - "$big_bytes" "$RUNS" "${pont_secs[*]}" "${curl_secs[*]}" "${big_kb[*]}" "${tiny_kb[*]}" <<'EOF'
import statistics, sys
size, runs = int(sys.argv[1]), int(sys.argv[2])
pont, curl, big, tiny = ([float(x) for x in a.split()] for a in sys.argv[3:7])
mib = size / 2**20
p, c = statistics.median(pont), statistics.median(curl)
ratio = c / p
growth = (statistics.median(big) - statistics.median(tiny)) / 1024
worst = (max(big) - min(tiny)) / 1024
ok = lambda b: "met" if b else "NOT met"
print(f"attachment: {mib:.0f} MiB, {runs} runs each (median)")
print(f"pont run:   {p:.2f} s  {mib / p:7.1f} MiB/s  (runs: {', '.join(f'{x:.2f}' for x in pont)} s)")
print(f"curl -o:    {c:.2f} s  {mib / c:7.1f} MiB/s  (runs: {', '.join(f'{x:.2f}' for x in curl)} s)")
print(f"ratio:      {ratio:.0%} of curl's throughput (target >= 80 %: {ok(ratio >= 0.8)})")
print(f"peak RSS:   {statistics.median(big) / 1024:.1f} MiB with the attachment, "
      f"{statistics.median(tiny) / 1024:.1f} MiB with 4 KiB")
print(f"growth:     {growth:.1f} MiB (worst pair {worst:.1f} MiB; target < 32 MB: {ok(worst < 32)})")
EOF

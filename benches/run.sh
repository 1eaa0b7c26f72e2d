#!/usr/bin/env bash
# Regenerates reports/performance.md and its plots (`just bench`).
#
# Builds the release binaries, then measures, in one run on this machine:
#   1. codec: lastwill vs mqttbytes 0.6 (examples/codec_ratio.rs; the
#      criterion version of the same benchmarks is `cargo bench -p lastwill-codec`);
#   2. will storm: `lastwill bench will-storm` against a fresh reference
#      broker and a fresh mosquitto for every N, normal and frozen (SIGSTOP);
#   3. keep-alive precision: `lastwill bench keep-alive` against both;
#   4. suite time: `lastwill run` embedded, and against the reference broker.
# and writes the figures with benches/report.py.
#
# Environment: STORM_SIZES (default "1000 2000 5000 10000 19000 50000"),
# STORM_REPEAT (3), KA_CLIENTS (1000), SKIP_SUITE=1 to skip the two-minute
# real-broker suite run (the last figures are kept), SKIP_BUILD=1 to use
# the release binaries as they are, SUITE_SCENARIOS (default scenarios/),
# MOSQUITTO (path).
# Sizes above the open-file limit are recorded as skipped, not run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
mkdir -p "$OUT"
STORM_SIZES=${STORM_SIZES:-"1000 2000 5000 10000 19000 50000"}
STORM_REPEAT=${STORM_REPEAT:-3}
KA_CLIENTS=${KA_CLIENTS:-1000}
SUITE_SCENARIOS=${SUITE_SCENARIOS:-$ROOT/scenarios}
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
LASTWILL=$ROOT/target/release/lastwill
RESULTS=$OUT/results.jsonl

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release -p lastwill
    cargo build --release -p lastwill-codec --example codec_ratio
fi

# Both brokers and the tool need one descriptor per connection.
ulimit -n "$(ulimit -Hn)" || true
LIMIT=$(ulimit -n)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

BROKER_PID=""
BROKER_ADDR=""
stop_broker() {
    if [[ -n $BROKER_PID ]]; then
        kill -CONT "$BROKER_PID" 2>/dev/null || true
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=""
    fi
}
trap stop_broker EXIT

# start_broker reference|mosquitto: sets BROKER_PID and BROKER_ADDR.
start_broker() {
    local port
    port=$(free_port)
    case $1 in
    reference)
        # Logging off for both brokers: the reference broker logs a line per
        # will at INFO, mosquitto a line per connection.
        RUST_LOG=off "$LASTWILL" broker --listen "127.0.0.1:$port" >"$OUT/broker.log" 2>&1 &
        BROKER_PID=$!
        ;;
    mosquitto)
        cat >"$OUT/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_connections -1
max_queued_messages 0
persistence false
log_dest none
CONF
        "$MOSQUITTO" -c "$OUT/mosquitto.conf" >"$OUT/broker.log" 2>&1 &
        BROKER_PID=$!
        ;;
    esac
    BROKER_ADDR="tcp://127.0.0.1:$port"
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "$1 did not start listening on $port" >&2
    exit 2
}

echo "== codec"
"$ROOT/target/release/examples/codec_ratio" 0.5 | tee "$OUT/codec.md"

: >"$RESULTS"
echo "== will storm (sizes: $STORM_SIZES; open-file limit $LIMIT)"
for n in $STORM_SIZES; do
    for broker in reference mosquitto; do
        if (( n + 100 > LIMIT )); then
            echo "{\"kind\":\"will-storm-skipped\",\"broker\":\"$broker\",\"clients\":$n,\"reason\":\"needs ulimit -n >= $((n + 100)) for the broker and the tool; the limit here is $LIMIT\"}" >>"$RESULTS"
            echo "$broker n=$n: skipped (open-file limit $LIMIT)"
            continue
        fi
        start_broker "$broker"
        "$LASTWILL" bench will-storm --broker "$BROKER_ADDR" --label "$broker" \
            --clients "$n" --pid "$BROKER_PID" --freeze --repeat "$STORM_REPEAT" --json "$RESULTS"
        stop_broker
    done
done

echo "== keep-alive precision ($KA_CLIENTS clients, Keep Alive 2 s)"
for broker in reference mosquitto; do
    start_broker "$broker"
    "$LASTWILL" bench keep-alive --broker "$BROKER_ADDR" --label "$broker" \
        --clients "$KA_CLIENTS" --keep-alive 2 --json "$RESULTS"
    stop_broker
done

echo "== suite time (scenarios: $SUITE_SCENARIOS)"
# run_suite NAME ARGS...: times `lastwill run ARGS`; a run that cannot start
# (exit 2: bad scenario files, unreachable broker) records no time.
run_suite() {
    local name=$1 start end status=0
    shift
    start=$(date +%s.%N)
    "$LASTWILL" run --scenarios "$SUITE_SCENARIOS" --report-dir "$OUT/suite-$name" "$@" \
        >"$OUT/suite-$name.txt" 2>&1 || status=$?
    end=$(date +%s.%N)
    tail -1 "$OUT/suite-$name.txt" >&2
    if (( status == 2 )); then
        echo "suite $name could not run; see $OUT/suite-$name.txt" >&2
        return 1
    fi
    echo "{\"kind\":\"suite\",\"target\":\"$name\",\"wall_s\":$(printf "%.3f" "$(echo "$end - $start" | bc)")}"
}
run_suite embedded >"$OUT/suite.jsonl" || true
if [[ ${SKIP_SUITE:-0} != 1 ]]; then
    start_broker reference
    run_suite reference --broker "$BROKER_ADDR" >"$OUT/suite-real.jsonl" || true
    stop_broker
fi
cat "$OUT/suite.jsonl" "$OUT/suite-real.jsonl" 2>/dev/null >"$OUT/suite-all.jsonl" || true

echo "== machine"
{
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "cores: $(nproc)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "open-file limit: $LIMIT"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rustc: $(rustc --version)"
    echo "mosquitto: $("$MOSQUITTO" -h 2>&1 | head -1)"
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

python3 "$ROOT/benches/report.py" "$OUT" "$ROOT/reports"

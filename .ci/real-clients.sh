#!/usr/bin/env bash
# Real-client checks of a running broker with Debian's mosquitto-clients:
#   1. a client killed with SIGKILL gets its will published (MQTT-3.1.2-8);
#   2. the same client stopped with SIGINT disconnects cleanly: no will
#      (MQTT-3.14.4-3, MQTT-3.1.2-10);
#   3. an MQTT 5 client with Will Delay Interval 3 s and Session Expiry 60 s,
#      killed: the will arrives no sooner than 3 s after the kill (MQTT-3.1.3-9).
# Usage: real-clients.sh HOST PORT
set -euo pipefail
host=${1:?host}
port=${2:?port}
ns="lastwill-ci-$$"
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

pass() { echo "real-clients: PASS $1"; }
fail() { echo "real-clients: FAIL $1"; failures=$((failures + 1)); }

now_ms() { date +%s%3N; }

# watch TOPIC SECONDS OUTFILE: one message at most, printed with its arrival
# time; sets $watcher to the pid to wait for.
watch() {
  local topic=$1 secs=$2 out=$3
  ( mosquitto_sub -h "$host" -p "$port" -i "$ns-watch-$RANDOM" -t "$topic" -q 1 -v -C 1 -W "$secs" \
      | while IFS= read -r line; do echo "$(now_ms) $line"; done ) >"$out" 2>/dev/null &
  watcher=$!
  sleep 0.5
}

# A will client: subscribes to an unused topic and stays connected; sets $device.
start_device() {
  local id=$1; shift
  mosquitto_sub -h "$host" -p "$port" -i "$id" -t "$ns/unused" -k 30 "$@" >/dev/null 2>&1 &
  device=$!
  pids+=("$device")
  sleep 0.5
}

tmp=$(mktemp -d)

# 1. SIGKILL: will published.
watch "$ns/kill/status" 10 "$tmp/kill"
start_device "$ns-kill" --will-topic "$ns/kill/status" --will-payload offline --will-qos 1
kill -9 "$device"
wait "$watcher" 2>/dev/null || true
if grep -q " $ns/kill/status offline$" "$tmp/kill"; then pass "will published after SIGKILL"; else fail "no will after SIGKILL: $(cat "$tmp/kill")"; fi

# 2. SIGINT: mosquitto_sub sends DISCONNECT, so no will.
watch "$ns/int/status" 3 "$tmp/int"
start_device "$ns-int" --will-topic "$ns/int/status" --will-payload offline --will-qos 1
kill -INT "$device"
wait "$watcher" 2>/dev/null || true
if [ -s "$tmp/int" ]; then fail "will published after SIGINT (clean DISCONNECT): $(cat "$tmp/int")"; else pass "no will after SIGINT"; fi

# 3. MQTT 5 will delay: 3 s delay, 60 s session, so the delay decides.
watch "$ns/delay/status" 12 "$tmp/delay"
start_device "$ns-delay" -V 5 -D connect session-expiry-interval 60 \
      -D will will-delay-interval 3 --will-topic "$ns/delay/status" --will-payload gone
killed_at=$(now_ms)
kill -9 "$device"
wait "$watcher" 2>/dev/null || true
if read -r arrived _ payload <"$tmp/delay" && [ "$payload" = gone ]; then
  elapsed=$((arrived - killed_at))
  # Not before the delay (minus 100 ms for the clock reads); at most 2 s late
  # on a loaded machine.
  if [ "$elapsed" -ge 2900 ] && [ "$elapsed" -le 5000 ]; then
    pass "v5 will delay honoured: will arrived ${elapsed} ms after SIGKILL (delay 3000 ms)"
  else
    fail "v5 will arrived ${elapsed} ms after SIGKILL; expected 3000..5000 ms"
  fi
else
  fail "no v5 delayed will within 12 s: $(cat "$tmp/delay")"
fi

rm -rf "$tmp"
echo "real-clients: $((3 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

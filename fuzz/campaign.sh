#!/usr/bin/env bash
# A fuzz campaign on one cargo-fuzz target, with a summary.
#
#   fuzz/campaign.sh TARGET DURATION [JOBS]     DURATION: 30s, 10m, 1h or seconds
#   fuzz/campaign.sh all DURATION [JOBS]        every target, one after another
#
# JOBS defaults to every core: with more than one, libFuzzer's fork mode runs
# that many workers sharing one corpus. The corpus grows in
# fuzz/corpus/TARGET (not committed); the byte-level targets also read the
# committed seeds (fuzz/seeds/, from the scenario traffic: `just fuzz-seeds`)
# and the MQTT dictionary (fuzz/mqtt.dict). Crashes land in
# fuzz/artifacts/TARGET/; a minimised one is kept as a named regression
# input in fuzz/regressions/TARGET/ (see fuzz/README.md), which `cargo test`
# replays.
#
# Writes target/fuzz-campaigns/TARGET.log and appends one row per campaign to
# target/fuzz-campaigns/summary.md: execs, execs/s, coverage (cov/ft),
# corpus size, crashes. Exits 1 if the target crashed.
set -euo pipefail
cd "$(dirname "$0")"
targets=(decode_v311 decode_v5 roundtrip differential_mqttbytes broker_core mqttbytes_v311 mqttbytes_v5)

usage() { echo "usage: fuzz/campaign.sh TARGET|all DURATION [JOBS]  (targets: ${targets[*]})" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1
case $2 in
  *h) seconds=$(( ${2%h} * 3600 )) ;;
  *m) seconds=$(( ${2%m} * 60 )) ;;
  *s) seconds=${2%s} ;;
  *[!0-9]*|'') usage ;;
  *) seconds=$2 ;;
esac
jobs=${3:-$(nproc)}

if [ "$target" = all ]; then
  status=0
  for t in "${targets[@]}"; do "$0" "$t" "$seconds" "$jobs" || status=1; done
  exit $status
fi
printf '%s\n' "${targets[@]}" | grep -qx "$target" || usage

out=../target/fuzz-campaigns
mkdir -p "$out" "corpus/$target" "artifacts/$target"
log=$out/$target.log
summary=$out/summary.md

# Seeds and dictionary for the targets that read wire bytes.
inputs=("corpus/$target")
flags=()
case $target in
  decode_v311|mqttbytes_v311) inputs+=(seeds/v311); flags+=(-dict=mqtt.dict) ;;
  decode_v5|mqttbytes_v5) inputs+=(seeds/v5); flags+=(-dict=mqtt.dict) ;;
  differential_mqttbytes) inputs+=(seeds/v311 seeds/v5); flags+=(-dict=mqtt.dict) ;;
esac
if [ "$jobs" -gt 1 ]; then flags+=(-fork="$jobs"); fi

crashes_before=$(find "artifacts/$target" -type f | wc -l)
echo "fuzzing $target for ${seconds} s with $jobs job(s); log: $log"
set +e
# mqttbytes 0.6 leaves a `dbg!(pkid)` in its v5 UNSUBSCRIBE reader, which
# would fill the log with a line per such input; those lines are dropped.
cargo +nightly fuzz run "$target" "${inputs[@]}" -- \
  -max_total_time="$seconds" -print_final_stats=1 "${flags[@]}" 2>&1 |
  grep --line-buffered -v '^\[.*mqttbytes-0\.6\.0/src/' >"$log"
code=${PIPESTATUS[0]}
set -e
crashes=$(( $(find "artifacts/$target" -type f | wc -l) - crashes_before ))

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/..." (or
# "#N: cov: C ft: F corp: K exec/s: E ..." in fork mode).
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
corpus=$(find "corpus/$target" -type f | wc -l)
rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
if [ -z "$rate" ] && [ -n "$execs" ]; then rate=$(( execs / (seconds > 0 ? seconds : 1) )); fi

if [ ! -f "$summary" ]; then
  {
    echo "| date | target | seconds | jobs | execs | execs/s | cov | ft | corpus | crashes | exit |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  } >"$summary"
fi
echo "| $(date -u +%Y-%m-%dT%H:%MZ) | $target | $seconds | $jobs | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $corpus | $crashes | $code |" >>"$summary"
tail -1 "$summary"
if [ "$code" -ne 0 ] || [ "$crashes" -gt 0 ]; then
  echo "$target: crashed (exit $code); see $log and fuzz/artifacts/$target/" >&2
  exit 1
fi

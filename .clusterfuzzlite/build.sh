#!/bin/bash -eu
# Builds every lastwill fuzz target for ClusterFuzzLite and copies each,
# with its seed corpus (zipped, from the scenario traffic) and the MQTT
# dictionary, into $OUT. The runner supplies $SRC, $OUT and the sanitizer
# flags; cargo fuzz reads them from the environment.
cd "$SRC/lastwill/fuzz"
targets="decode_v311 decode_v5 roundtrip differential_mqttbytes broker_core"
cargo fuzz build -O --debug-assertions
release=target/x86_64-unknown-linux-gnu/release
for target in $targets; do
  cp "$release/$target" "$OUT/"
done
# Seeds: 3.1.1 and 5.0 packets for the byte-level targets.
zip -qj "$OUT/decode_v311_seed_corpus.zip" seeds/v311/*
zip -qj "$OUT/decode_v5_seed_corpus.zip" seeds/v5/*
zip -qj "$OUT/differential_mqttbytes_seed_corpus.zip" seeds/v311/* seeds/v5/*
for target in decode_v311 decode_v5 differential_mqttbytes; do
  cp mqtt.dict "$OUT/$target.dict"
done

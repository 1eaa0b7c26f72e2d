# Everyday recipes. None of them is needed: each is one plain cargo or shell
# command, and the README's two commands do everything on their own.

default: test

# The README's test command.
test:
    cargo test --workspace

# Formatting, lints and tests, as CI runs them (without the real-client stage).
check:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace

# Everything CI runs, including the mosquitto-clients checks (installs them with apt-get).
ci:
    bash .ci/run

# The reference broker on 127.0.0.1:1883; pass --fault NAME to break a rule on purpose.
broker *ARGS:
    cargo run --release -- broker {{ARGS}}

# The faults the reference broker can inject.
faults:
    cargo run --release -- broker --list-faults

# Accept changed codec golden-byte snapshots after reviewing them.
snapshots:
    INSTA_UPDATE=always cargo test -p lastwill-codec

# A cargo-fuzz campaign on one target with all cores (DURATION: 30s, 10m, 1h),
# summarised in target/fuzz-campaigns/summary.md. Needs nightly and cargo-fuzz.
fuzz TARGET DURATION:
    fuzz/campaign.sh {{TARGET}} {{DURATION}}

# The same for every target, one after another.
fuzz-all DURATION:
    fuzz/campaign.sh all {{DURATION}}

# Regenerate the seed corpora (fuzz/seeds/) from the scenario suite's traffic.
fuzz-seeds:
    cargo run --release -- run --report-dir target/seed-run
    cd fuzz && cargo run --release --bin seed_corpus -- ../target/seed-run/report.json seeds

# The published matrix: the suite against the reference broker, mosquitto,
# aedes, amqtt and rumqttd (targets/*.yaml; each must be installed, see its
# `install:` line), written to reports/. `just matrix --runs 3` checks that
# every verdict is stable; `just matrix --targets mosquitto,aedes` a subset.
matrix *ARGS:
    cargo run --release -- matrix {{ARGS}}

# One report and matrix from JSON reports of shards, brokers or versions:
# `just merge merged.json shard1/report.json shard2/report.json --matrix out/`.
merge OUT +INPUTS:
    cargo run --release -- report merge {{OUT}} {{INPUTS}}

# Regenerate reports/performance.md and its plots: codec vs mqttbytes, will
# storm and keep-alive precision vs mosquitto, suite time (about 6 minutes).
bench:
    bash benches/run.sh

# Build the local mosquitto image (no registry needed) and run the suite
# against it through testcontainers; needs Docker, or Podman's socket in
# DOCKER_HOST (see README, "Containers"). `just container IMAGE` for another image.
container IMAGE="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ -n "{{IMAGE}}" ]; then exec cargo run --release -- run --container "{{IMAGE}}"; fi
    image=$(.ci/build-mosquitto-image.sh)
    cargo run --release -- run --container "$image" --expectations targets/mosquitto.expectations.yaml

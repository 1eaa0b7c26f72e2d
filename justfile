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

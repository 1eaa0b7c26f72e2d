//! Decode and encode throughput of lastwill's codec next to mqttbytes 0.6,
//! on identical bytes (see `support`). `cargo bench -p lastwill-codec`;
//! `cargo run --release -p lastwill-codec --example codec_ratio` prints the
//! same comparison as one ratio table.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

#[path = "support/mod.rs"]
mod support;

use support::{Set, Version};

fn decode(c: &mut Criterion) {
    for set in support::all_sets() {
        let mut group = c.benchmark_group(format!("decode/{}/{}", set.version.short(), set.name));
        group.throughput(Throughput::Elements(set.packets as u64));
        bench_decoder(
            &mut group,
            &set,
            "lastwill",
            support::decode_lastwill_stream,
        );
        bench_decoder(
            &mut group,
            &set,
            "mqttbytes",
            support::decode_mqttbytes_stream,
        );
        group.finish();
    }
}

fn bench_decoder(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    set: &Set,
    name: &str,
    decode: fn(&mut BytesMut, Version) -> usize,
) {
    group.bench_function(name, |b| {
        b.iter_batched_ref(
            || BytesMut::from(&set.bytes[..]),
            |stream| {
                let decoded = decode(stream, set.version);
                assert_eq!(decoded, set.packets);
            },
            BatchSize::LargeInput,
        )
    });
}

fn encode(c: &mut Criterion) {
    for set in support::all_sets() {
        let mut group = c.benchmark_group(format!("encode/{}/{}", set.version.short(), set.name));
        group.throughput(Throughput::Elements(set.packets as u64));
        let mut out = BytesMut::with_capacity(set.bytes.len() * 2);
        group.bench_function("lastwill", |b| {
            b.iter(|| support::encode_lastwill(&set, &mut out))
        });
        group.bench_function("mqttbytes", |b| {
            b.iter(|| support::encode_mqttbytes(&set, &mut out))
        });
        group.finish();
    }
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);

//! Engine benchmarks: load + check of generated flows of growing size, one answer step, and
//! the bundled flows. Run with `cargo bench -p stepwise-engine`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stepwise_engine::Source;
use stepwise_engine::{Walk, check_paths, check_sources};

/// A flow of `nodes` nodes: a chain of questions, each with a remedy beside it, ending in an
/// escalation — every node reachable and every node able to reach an outcome.
fn generated_flow(nodes: usize) -> String {
    let levels = nodes / 2;
    let mut text = String::with_capacity(nodes * 90);
    text.push_str("Flow(id: \"big\", title: \"Big\", summary: \"Generated.\", tags: [], start: \"q0\", nodes: {\n");
    for i in 0..levels {
        let next = if i + 1 == levels {
            "end".to_owned()
        } else {
            format!("q{}", i + 1)
        };
        let _ = writeln!(
            text,
            "\"q{i}\": Question(text: \"Step {i}?\", answers: [(id: \"a\", label: \"Go on\", goto: \"{next}\"), (id: \"b\", label: \"Try\", goto: \"r{i}\")]),"
        );
        let _ = writeln!(
            text,
            "\"r{i}\": Remedy(text: \"Try {i}.\", otherwise: \"{next}\"),"
        );
    }
    text.push_str("\"end\": Escalate(text: \"Contact us.\", collect: []),\n})\n");
    text
}

fn load_and_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("load+check");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for nodes in [10_000, 100_000, 1_000_000] {
        let text = generated_flow(nodes);
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &text, |b, text| {
            b.iter(|| {
                let report = check_sources(vec![Source::new("big.ron", text.as_str())]);
                assert_eq!(report.catalog.len(), 1, "the generated flow must pass");
                black_box(report)
            })
        });
    }
    group.finish();
}

fn answer_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("answer");
    for nodes in [10_000, 1_000_000] {
        let report = check_sources(vec![Source::new("big.ron", generated_flow(nodes))]);
        let catalog = report.catalog;
        let Ok((walk, _)) = Walk::start(&catalog, "big", BTreeMap::new()) else {
            panic!("the generated flow must start");
        };
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &walk, |b, walk| {
            b.iter_batched_ref(
                || walk.clone(),
                |walk| black_box(walk.answer(&catalog, "a")),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn bundled_flows(c: &mut Criterion) {
    let flows = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../flows");
    c.bench_function("bundled flows load+check", |b| {
        b.iter(|| black_box(check_paths(std::slice::from_ref(&flows))))
    });
}

criterion_group!(benches, load_and_check, answer_step, bundled_flows);
criterion_main!(benches);

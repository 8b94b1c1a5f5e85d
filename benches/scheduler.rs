//! Scheduler micro-benchmarks (criterion): graph construction + materialization, and submit-to-result of
//! no-op fan-in graphs with the event stream on, as the workbench runs it. `tessera bench` prints the same
//! figures per task for 10k/100k/1M tasks.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tessera::bench::fan_in_graph;
use tessera::engine::jobgraph::JobGraph;
use tessera::engine::{Engine, EngineConfig};

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph-build");
    for n in [10_000u32, 100_000] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let graph = fan_in_graph(n);
                JobGraph::build(&[(graph.layer.clone(), vec![0])], |_| false).ntasks()
            })
        });
    }
    g.finish();
}

fn run(c: &mut Criterion) {
    let engine = Engine::new(EngineConfig::default());
    let rx = engine.subscribe();
    std::thread::spawn(move || rx.iter().count());
    let mut g = c.benchmark_group("schedule-noop");
    g.sample_size(10);
    for n in [10_000u32, 100_000] {
        g.throughput(Throughput::Elements(n as u64));
        let graph = fan_in_graph(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &graph, |b, graph| {
            b.iter(|| engine.compute(graph, "bench").wait().expect("no-op graph"))
        });
    }
    g.finish();
}

criterion_group!(benches, build, run);
criterion_main!(benches);

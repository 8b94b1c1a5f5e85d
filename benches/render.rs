//! Drawing cost of the whole workbench at 200x60 with a big task graph (target: < 5 ms a frame).
//! Drawing works per layer and per visible row, so a million tasks cost what their layers cost.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tessera::engine::snapshot::{
    EngineSnapshot, JobSnapshot, LayerProgress, MemorySnapshot, RunningTask, TaskRecord,
};
use tessera::engine::{JobId, JobKind, JobStatus, LayerId, WorkerId};
use tessera::lang::object::{Output, Table};
use tessera::ui::draw::{draw_frame, draw_pane};
use tessera::ui::{ConsoleEntry, Pane, View};

/// One running job of `layers` layers (a chain with fan-in) holding `tasks` tasks in all, plus
/// finished jobs, a full memory table and a task stream of 8 workers.
fn snapshot(tasks: u32, layers: u32) -> EngineSnapshot {
    let per = tasks / layers;
    let ls: Vec<LayerProgress> = (0..layers)
        .map(|i| {
            let done = per.saturating_sub(i * per / layers);
            LayerProgress {
                layer: LayerId(i + 1),
                name: format!("op{}-{:08x}", i % 7, i.wrapping_mul(2654435761u32)).into(),
                prefix: format!("op{}", i % 7).into(),
                ntasks: per,
                waiting: per - done - (per - done).min(8),
                ready: 0,
                running: (per - done).min(8),
                memory: done / 3,
                released: done - done / 3,
                erred: 0,
                inputs: if i == 0 {
                    vec![]
                } else {
                    vec![LayerId(i), LayerId(i / 2 + 1)]
                },
            }
        })
        .collect();
    let total = ls.iter().map(|l| l.ntasks as u64).sum();
    let done = ls.iter().map(|l| (l.memory + l.released) as u64).sum();
    let mut jobs: Vec<JobSnapshot> = (1..40)
        .map(|i| JobSnapshot {
            id: JobId(i),
            kind: JobKind::Persist,
            label: format!("ds{i}.persist()"),
            status: JobStatus::Done,
            done: 100,
            total: 100,
            bytes: 1 << 30,
            elapsed: Duration::from_secs(3),
            stage: None,
            layers: Vec::new(),
            failure: None,
            output: Vec::new(),
        })
        .collect();
    jobs.push(JobSnapshot {
        id: JobId(40),
        kind: JobKind::Compute,
        label: "big.compute()".into(),
        status: JobStatus::Running,
        done,
        total,
        bytes: done * 1_000_000,
        elapsed: Duration::from_secs(100),
        stage: Some("op3".into()),
        layers: ls,
        failure: None,
        output: Vec::new(),
    });
    let stream = (0..5000u64)
        .map(|k| TaskRecord {
            worker: WorkerId((k % 8) as u32),
            job: JobId(40),
            prefix: format!("op{}", k % 7).into(),
            start: Duration::from_millis(40_000 + k * 12),
            end: Duration::from_millis(40_000 + k * 12 + 90),
            ok: k % 997 != 0,
        })
        .collect();
    EngineSnapshot {
        now: Duration::from_secs(100),
        threads: 8,
        jobs,
        memory: MemorySnapshot {
            managed: 3 << 30,
            process: 4 << 30,
            system_total: 32 << 30,
            system_used: 12 << 30,
            limit: Some(8 << 30),
            target: Some(0.6),
            spill: Some(0.7),
            pause: Some(0.8),
            by_layer: (0..200)
                .map(|i| (format!("op-{i}").into(), (200 - i) << 20, 0))
                .collect(),
            ..Default::default()
        },
        stream,
        running: (0..8)
            .map(|w| RunningTask {
                worker: WorkerId(w),
                job: JobId(40),
                key: format!("('op3', {w})"),
                since: Duration::from_millis(99_500),
            })
            .collect(),
        version: 1,
    }
}

fn view(tasks: u32, layers: u32) -> View {
    let mut v = View::with_defaults();
    v.set_snapshot(Arc::new(snapshot(tasks, layers)));
    let t = Table {
        index_name: None,
        columns: (0..30).map(|c| format!("col{c}")).collect(),
        index: (0..10).map(|r| r.to_string()).collect(),
        rows: (0..10)
            .map(|r| (0..30).map(|c| format!("{}.5", r * c)).collect())
            .collect(),
        footer: Some("[10 rows x 30 columns]".into()),
    };
    let entries = (0..50)
        .map(|i| ConsoleEntry {
            line: i,
            source: format!("x{i}.head(10)"),
            output: Some(Output::Table(t.clone())),
            error: None,
        })
        .collect();
    v.add_entries(entries, true);
    v.focus_pane(Pane::Jobs);
    v
}

fn bench(c: &mut Criterion) {
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    for (name, tasks, layers) in [
        ("draw_200x60_100k_tasks", 100_000, 50),
        ("draw_200x60_1m_tasks", 1_000_000, 500),
    ] {
        let v = view(tasks, layers);
        c.bench_function(name, |b| {
            b.iter(|| {
                term.draw(|f| draw_frame(&v, f)).unwrap();
            })
        });
    }
}

/// Each pane alone at 200x60, to see where a frame's time goes.
fn bench_panes(c: &mut Criterion) {
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let v = view(100_000, 50);
    for p in Pane::CYCLE {
        c.bench_function(&format!("pane_{}_200x60", p.name()), |b| {
            b.iter(|| {
                term.draw(|f| draw_pane(&v, p, f, f.area())).unwrap();
            })
        });
    }
}

criterion_group!(benches, bench, bench_panes);
criterion_main!(benches);

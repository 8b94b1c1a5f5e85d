//! Hand-made engine snapshots, datasets and a fake engine for the workbench tests.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};
use parking_lot::Mutex;
use tessera::engine::inspect::{LayerTasks, TaskInfo};
use tessera::engine::snapshot::{
    AllocatorStats, EngineSnapshot, FailureInfo, JobSnapshot, LayerProgress, MemorySnapshot,
    RunningTask, TaskRecord,
};
use tessera::engine::{Event, JobId, JobKind, JobStatus, LayerId, WorkerId};
use tessera::ui::{DatasetInfo, EngineLink, Variable, View};

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

pub fn layer(
    id: u32,
    name: &str,
    n: u32,
    done: u32,
    running: u32,
    erred: u32,
    inputs: &[u32],
) -> LayerProgress {
    LayerProgress {
        layer: LayerId(id),
        name: name.into(),
        prefix: name.split('-').next().unwrap_or(name).into(),
        ntasks: n,
        waiting: n - done - running - erred,
        ready: 0,
        running,
        memory: done / 2,
        released: done - done / 2,
        erred,
        inputs: inputs.iter().map(|&i| LayerId(i)).collect(),
    }
}

pub fn job(id: u32, label: &str, status: JobStatus, layers: Vec<LayerProgress>) -> JobSnapshot {
    let total = layers.iter().map(|l| l.ntasks as u64).sum();
    let done = layers.iter().map(|l| (l.memory + l.released) as u64).sum();
    JobSnapshot {
        id: JobId(id),
        kind: JobKind::Compute,
        label: label.into(),
        status,
        done,
        total,
        bytes: done * 3 * MIB,
        elapsed: Duration::from_secs(12),
        stage: layers.last().map(|l| l.name.to_string()),
        layers,
        failure: None,
        output: Vec::new(),
    }
}

/// Three jobs (done, failed, running), memory near the spill threshold, a short task stream.
pub fn snapshot() -> EngineSnapshot {
    let done = job(
        1,
        "df.describe()",
        JobStatus::Done,
        vec![
            layer(1, "read-csv-1a2b", 8, 8, 0, 0, &[]),
            layer(2, "describe-chunk-3c4d", 8, 8, 0, 0, &[1]),
        ],
    );
    let mut failed = job(
        2,
        "ds.t2m.mean()",
        JobStatus::Failed,
        vec![
            layer(3, "open-dataset-5e6f", 12, 7, 0, 1, &[]),
            layer(4, "mean-chunk-7a8b", 12, 6, 0, 0, &[3]),
        ],
    );
    failed.failure = Some(FailureInfo {
        layer: "open-dataset-5e6f".into(),
        index: 7,
        what: Some("data/era5_1987.nc".into()),
        chain: vec![
            "task ('open-dataset-5e6f', 7) failed: data/era5_1987.nc: NetCDF: HDF error".into(),
            "NetCDF: HDF error".into(),
        ],
    });
    let running = job(
        3,
        "df.groupby('station').temp.mean()",
        JobStatus::Running,
        vec![
            layer(5, "read-csv-9c0d", 400, 300, 4, 0, &[]),
            layer(6, "groupby-chunk-1e2f", 400, 250, 2, 0, &[5]),
            layer(7, "groupby-combine-3a4b", 20, 0, 0, 0, &[6]),
            layer(8, "groupby-agg-5c6d", 1, 0, 0, 0, &[7]),
        ],
    );
    let mut stream = Vec::new();
    for w in 0..4u32 {
        for k in 0..12u32 {
            let start = Duration::from_millis(20_000 + (k as u64) * 800 + (w as u64) * 100);
            stream.push(TaskRecord {
                worker: WorkerId(w),
                job: JobId(3),
                prefix: if k % 3 == 0 {
                    "groupby".into()
                } else {
                    "read".into()
                },
                start,
                end: start + Duration::from_millis(600),
                ok: !(w == 2 && k == 5),
            });
        }
    }
    EngineSnapshot {
        now: Duration::from_secs(30),
        threads: 4,
        jobs: vec![done, failed, running],
        memory: MemorySnapshot {
            managed: 2 * GIB + 300 * MIB,
            spilled: 512 * MIB,
            process: 3 * GIB,
            system_total: 16 * GIB,
            system_used: 9 * GIB,
            limit: Some(4 * GIB),
            target: Some(0.6),
            spill: Some(0.7),
            pause: Some(0.8),
            paused: false,
            by_layer: vec![
                ("read-csv-9c0d".into(), 1536 * MIB, 512 * MIB),
                ("groupby-chunk-1e2f".into(), 800 * MIB, 0),
            ],
            allocator: Some(AllocatorStats {
                allocated: 3 * GIB,
                active: 3 * GIB,
                resident: 3 * GIB + 100 * MIB,
                retained: 200 * MIB,
            }),
        },
        stream,
        running: vec![
            RunningTask {
                worker: WorkerId(0),
                job: JobId(3),
                key: "('read-csv-9c0d', 301)".into(),
                since: Duration::from_millis(29_000),
            },
            RunningTask {
                worker: WorkerId(3),
                job: JobId(3),
                key: "('groupby-chunk-1e2f', 251)".into(),
                since: Duration::from_millis(28_500),
            },
        ],
        version: 42,
    }
}

pub fn datasets() -> Vec<DatasetInfo> {
    vec![
        DatasetInfo {
            name: "df".into(),
            kind: "DataFrame".into(),
            npartitions: Some(400),
            columns: vec![
                ("station".into(), "string".into()),
                ("time".into(), "datetime64[ns]".into()),
                ("temp".into(), "float64".into()),
            ],
            nbytes: Some(12 * GIB),
            held: Some(1536 * MIB),
            persisted: true,
            layer: Some("read-csv-9c0d".into()),
            ..Default::default()
        },
        DatasetInfo {
            name: "ds".into(),
            kind: "Dataset".into(),
            chunks: Some("((365, 365), (721,), (1440,))".into()),
            dims: vec![
                ("time".into(), 730),
                ("lat".into(), 721),
                ("lon".into(), 1440),
            ],
            variables: vec![
                Variable {
                    name: "time".into(),
                    dtype: "datetime64[ns]".into(),
                    dims: vec!["time".into()],
                    is_coord: true,
                },
                Variable {
                    name: "t2m".into(),
                    dtype: "float32".into(),
                    dims: vec!["time".into(), "lat".into(), "lon".into()],
                    is_coord: false,
                },
            ],
            attrs: vec![
                ("Conventions".into(), "CF-1.6".into()),
                ("title".into(), "ERA5 2m temperature".into()),
            ],
            nbytes: Some(3 * GIB),
            ..Default::default()
        },
        DatasetInfo {
            name: "n".into(),
            kind: "int".into(),
            summary: "42".into(),
            ..Default::default()
        },
    ]
}

pub fn view() -> View {
    let mut v = View::with_defaults();
    v.datasets = datasets();
    v.set_snapshot(Arc::new(snapshot()));
    v
}

/// An engine that serves a fixed snapshot and records what it was asked to do.
pub struct FakeEngine {
    pub snap: Mutex<EngineSnapshot>,
    pub cancelled: Mutex<Vec<JobId>>,
    pub restarts: Mutex<u32>,
    pub events: (Sender<Event>, Receiver<Event>),
    /// Task windows asked for: (offset, limit).
    pub asked: Mutex<Vec<(usize, usize)>>,
}

impl FakeEngine {
    pub fn new(snap: EngineSnapshot) -> Self {
        FakeEngine {
            snap: Mutex::new(snap),
            cancelled: Mutex::new(Vec::new()),
            restarts: Mutex::new(0),
            events: unbounded(),
            asked: Mutex::new(Vec::new()),
        }
    }
}

impl EngineLink for FakeEngine {
    fn snapshot(&self) -> EngineSnapshot {
        self.snap.lock().clone()
    }
    fn cancel_job(&self, job: JobId) -> bool {
        self.cancelled.lock().push(job);
        true
    }
    fn restart(&self) {
        *self.restarts.lock() += 1;
    }
    fn subscribe(&self) -> Receiver<Event> {
        self.events.1.clone()
    }
    /// The running job (3) has a million tasks in every layer, in a cycle of states; the others
    /// have finished (their tasks are gone). Only the asked window is made.
    fn layer_tasks(
        &self,
        job: JobId,
        layer: LayerId,
        offset: usize,
        limit: usize,
    ) -> Option<LayerTasks> {
        self.asked.lock().push((offset, limit));
        if job != JobId(3) {
            return None;
        }
        let total = 1_000_000;
        let offset = offset.min(total);
        let tasks = (offset..(offset + limit).min(total))
            .map(|i| {
                let (state, worker, elapsed, bytes) = match i % 6 {
                    0 => (
                        "running",
                        Some(WorkerId((i % 4) as u32)),
                        Some(Duration::from_millis(1500)),
                        0,
                    ),
                    1 => ("memory", None, None, 3 * MIB),
                    2 => ("released", None, None, 0),
                    3 => ("ready", None, None, 0),
                    4 => ("spilled", None, None, 12 * MIB),
                    _ => ("waiting", None, None, 0),
                };
                TaskInfo {
                    index: i as u32,
                    state,
                    worker,
                    elapsed,
                    bytes,
                    what: Some(format!("data/part-{i:07}.csv")),
                }
            })
            .collect();
        Some(LayerTasks {
            job,
            layer,
            total,
            offset,
            tasks,
        })
    }
}

//! Memory accounting: managed bytes per layer (from the scheduler state), process and system memory
//! (sysinfo), and allocator statistics (jemalloc), gathered into a snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::api::EngineConfig;
use super::snapshot::{AllocatorStats, MemorySnapshot};
use super::state::State;
use super::store::EntryState;

/// Managed bytes per layer, largest first: (layer name, bytes in memory, bytes spilled).
pub fn by_layer(st: &State) -> Vec<(Arc<str>, u64, u64)> {
    let mut m: HashMap<Arc<str>, (u64, u64)> = HashMap::new();
    for e in st.store.entries.values() {
        match e.state {
            EntryState::Memory { bytes, .. } => {
                m.entry(e.layer_name.clone()).or_default().0 += bytes
            }
            EntryState::Spilled { bytes, .. } => {
                m.entry(e.layer_name.clone()).or_default().1 += bytes
            }
            _ => {}
        }
    }
    for j in st.jobs.values() {
        if let Some(g) = &j.graph {
            for ((jl, b), sp) in g.layers.iter().zip(&j.layer_bytes).zip(&j.layer_spilled) {
                if *b > 0 || *sp > 0 {
                    let e = m.entry(jl.layer.name.clone()).or_default();
                    e.0 += b;
                    e.1 += sp;
                }
            }
        }
    }
    let mut v: Vec<_> = m.into_iter().map(|(k, (b, s))| (k, b, s)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Reads process and system memory. Kept between snapshots: sysinfo reuses its buffers.
pub struct Probe {
    sys: System,
    pid: Pid,
}

impl Default for Probe {
    fn default() -> Self {
        Self::new()
    }
}

impl Probe {
    pub fn new() -> Self {
        Probe {
            sys: System::new(),
            pid: Pid::from_u32(std::process::id()),
        }
    }

    /// Resident set size of this process, in bytes.
    pub fn process_rss(&mut self) -> u64 {
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        self.sys.process(self.pid).map_or(0, |p| p.memory())
    }

    pub fn snapshot(
        &mut self,
        cfg: &EngineConfig,
        managed: u64,
        by_layer: Vec<(Arc<str>, u64, u64)>,
        paused: bool,
    ) -> MemorySnapshot {
        let process = self.process_rss();
        self.sys.refresh_memory();
        MemorySnapshot {
            managed,
            spilled: by_layer.iter().map(|x| x.2).sum(),
            process,
            system_total: self.sys.total_memory(),
            system_used: self.sys.used_memory(),
            limit: cfg.memory_limit,
            target: cfg.target,
            spill: cfg.spill,
            pause: cfg.pause,
            paused,
            by_layer,
            allocator: allocator_stats(),
        }
    }
}

/// jemalloc's view: allocated by the program, active pages, resident, retained (not returned to the OS).
pub fn allocator_stats() -> Option<AllocatorStats> {
    #[cfg(not(target_env = "msvc"))]
    {
        use tikv_jemalloc_ctl::{epoch, stats};
        epoch::advance().ok()?;
        Some(AllocatorStats {
            allocated: stats::allocated::read().ok()? as u64,
            active: stats::active::read().ok()? as u64,
            resident: stats::resident::read().ok()? as u64,
            retained: stats::retained::read().ok()? as u64,
        })
    }
    #[cfg(target_env = "msvc")]
    {
        None
    }
}

/// Ask the allocator to return unused memory to the OS (the UI's "trim").
pub fn trim() {
    #[cfg(not(target_env = "msvc"))]
    {
        // "arena.<MALLCTL_ARENAS_ALL>.purge": 4096 is MALLCTL_ARENAS_ALL.
        let _ = unsafe { tikv_jemalloc_ctl::raw::write(b"arena.4096.purge\0", ()) };
    }
}

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

/// Whether freed big buffers (chunk-sized arrays and frames, 8 MiB and up) are kept for about a
/// second for reuse, or handed back to the OS at once as jemalloc does by default.
///
/// By default jemalloc purges every freed extent of 8 MiB or more on the spot (and serves such
/// allocations from an arena that decays at once), so every chunk-sized buffer was page-faulted in
/// afresh: half of a netCDF chunk read went to the kernel, and two threads decoded no faster than
/// one. Reuse fixes that, but under a memory limit the retained pages count in the process memory
/// the limit is checked against (a persist of 3× the limit then reached it), so the engine keeps
/// jemalloc's eager purge when the process nears its thresholds (the memory monitor decides at each
/// look) and reuse otherwise. Arenas are created lazily as threads first allocate: each call also
/// applies the choice to the arenas created since the last one.
pub fn reuse_big_buffers(reuse: bool) {
    let was = REUSE.swap(reuse, std::sync::atomic::Ordering::Relaxed);
    refresh_big_buffers();
    if was && !reuse {
        // What was kept for reuse goes back now, not at the next allocation.
        trim();
    }
}

static REUSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Apply [`reuse_big_buffers`]' choice to every arena that exists now.
pub fn refresh_big_buffers() {
    #[cfg(not(target_env = "msvc"))]
    {
        use std::sync::atomic::{AtomicU8, Ordering};
        /// Per arena, the choice last applied (0 none, 1 purge, 2 reuse): the monitor calls this
        /// every look, and only arenas created or switched since are written.
        static APPLIED: [AtomicU8; 256] = [const { AtomicU8::new(0) }; 256];
        let reuse = REUSE.load(Ordering::Relaxed);
        let mode = if reuse { 2 } else { 1 };
        // SAFETY: opt.oversize_threshold is a size_t, arenas.narenas an unsigned.
        let eager = unsafe { tikv_jemalloc_ctl::raw::read::<usize>(b"opt.oversize_threshold\0") };
        let threshold = if reuse {
            usize::MAX
        } else {
            eager.unwrap_or(8 << 20)
        };
        let n = unsafe { tikv_jemalloc_ctl::raw::read::<u32>(b"arenas.narenas\0") }.unwrap_or(0);
        let big = big_buffer_arena();
        for (i, applied) in APPLIED.iter().enumerate().take(n as usize) {
            if applied.load(Ordering::Relaxed) == mode {
                continue;
            }
            // Arenas not created yet answer with an error: they are done at a later call.
            let mut ok = set_arena(i as u32, "oversize_threshold", threshold);
            if big == Some(i as u32) {
                let ms: libc::ssize_t = if reuse { 1000 } else { 0 };
                ok &= set_arena(i as u32, "dirty_decay_ms", ms);
            }
            if ok {
                applied.store(mode, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(not(target_env = "msvc"))]
fn set_arena<T>(arena: u32, control: &str, value: T) -> bool {
    let name = format!("arena.{arena}.{control}\0");
    // SAFETY: callers pass the type the control takes (size_t, ssize_t).
    unsafe { tikv_jemalloc_ctl::raw::write(name.as_bytes(), value) }.is_ok()
}

#[cfg(test)]
fn set_big_buffer_decay_ms(ms: i64) {
    #[cfg(not(target_env = "msvc"))]
    if let Some(i) = big_buffer_arena() {
        set_arena(i, "dirty_decay_ms", ms as libc::ssize_t);
    }
    #[cfg(target_env = "msvc")]
    let _ = ms;
}

/// The big-buffer arena's current `dirty_decay_ms`, `None` where unknown.
pub fn big_buffer_decay_ms() -> Option<i64> {
    #[cfg(not(target_env = "msvc"))]
    {
        let name = format!("arena.{}.dirty_decay_ms\0", big_buffer_arena()?);
        // SAFETY: the control is an ssize_t.
        unsafe { tikv_jemalloc_ctl::raw::read::<libc::ssize_t>(name.as_bytes()) }
            .ok()
            .map(|v| v as i64)
    }
    #[cfg(target_env = "msvc")]
    None
}

/// The index of the arena that serves big allocations.
#[cfg(not(target_env = "msvc"))]
fn big_buffer_arena() -> Option<u32> {
    static ARENA: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *ARENA.get_or_init(lookup_big_buffer_arena)
}

#[cfg(not(target_env = "msvc"))]
fn lookup_big_buffer_arena() -> Option<u32> {
    use std::ffi::c_void;
    // A reservation past the threshold lands in (and first creates) that arena; no page is touched.
    let probe: Vec<u8> = Vec::with_capacity(16 << 20);
    let ptr = probe.as_ptr() as *const c_void;
    let (mut idx, mut len) = (0u32, std::mem::size_of::<u32>());
    // SAFETY: "arenas.lookup" reads a pointer and writes an unsigned; the sizes given match.
    let r = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arenas.lookup".as_ptr(),
            (&mut idx as *mut u32).cast(),
            &mut len,
            (&ptr as *const *const c_void) as *mut c_void,
            std::mem::size_of::<*const c_void>(),
        )
    };
    (r == 0).then_some(idx)
}

#[cfg(all(test, not(target_env = "msvc")))]
mod big_buffer_tests {
    #[test]
    fn the_big_buffer_arena_is_found_and_its_decay_set() {
        // 777 is a value no engine sets, so a concurrent test's engine cannot make this pass.
        super::set_big_buffer_decay_ms(777);
        assert_eq!(super::big_buffer_decay_ms(), Some(777));
        super::reuse_big_buffers(true);
    }
}

//! The memory monitor: a named thread (`tessera-memory`) that every 50 ms reads process memory and managed
//! bytes and applies [`super::pressure`]'s decisions: spill least-recently-used values to disk (written
//! without the state lock), pause and resume workers, and at the limit fail the newest job rather than
//! let the process be killed. Every change is logged as an event. Each look also sets the managed level
//! above which workers spill as they finish tasks ([`super::pressure::spill_level`]): the monitor alone
//! is too slow for readers that produce hundreds of MB a second.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::api::EngineConfig;
use super::events::{Event, LogLevel};
use super::memory;
use super::pressure::{decide, limit_message, spill_level, Candidate, Thresholds};
use super::runtime::Shared;
use super::spill::SpillDir;
use crate::error::Result;
use crate::units::format_bytes;

/// How often the monitor looks.
pub const INTERVAL: Duration = Duration::from_millis(50);
/// After failing a job at the limit, give memory this long to come down before failing another.
const COOLDOWN: Duration = Duration::from_secs(2);

/// Start the monitor thread; it ends when the engine is dropped.
pub(crate) fn start(shared: &Arc<Shared>) {
    let weak = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("tessera-memory".into())
        .spawn(move || {
            let mut m = Monitor::default();
            loop {
                std::thread::sleep(INTERVAL);
                let Some(s) = weak.upgrade() else { break };
                if s.shutdown.load(Ordering::Acquire) {
                    break;
                }
                m.tick(&s);
            }
        });
    if let Err(e) = spawned {
        eprintln!("tessera: cannot start the memory monitor: {e}");
    }
}

/// What the monitor remembers between looks.
#[derive(Default)]
pub(crate) struct Monitor {
    last_cancel: Option<Instant>,
    /// The last problem logged, so a persisting one is logged once.
    last_problem: Option<String>,
    /// A limit was set at the last look (so removing it resumes paused workers).
    limited: bool,
    last_pause_log: Option<Instant>,
}

impl Shared {
    /// Process memory: the probe's resident set size, or the figure a test set.
    pub(crate) fn process_memory(&self) -> u64 {
        match self.fake_process.load(Ordering::Relaxed) {
            0 => self.probe.lock().process_rss(),
            n => n,
        }
    }

    /// The spill directory, created at first use.
    pub(crate) fn spill_dir(&self, cfg: &EngineConfig) -> Result<Arc<SpillDir>> {
        let mut g = self.spill.lock();
        if let Some(d) = &*g {
            return Ok(d.clone());
        }
        let d = SpillDir::create(cfg.spill_dir.as_deref(), cfg.max_spill)?;
        *g = Some(d.clone());
        Ok(d)
    }

    /// Arm (or disarm) the workers' own spilling at the memory target of `cfg`.
    pub(crate) fn arm_spill(&self, cfg: &EngineConfig) {
        // Until the monitor's first look: reuse freed big buffers unless memory is limited.
        memory::reuse_big_buffers(cfg.memory_limit.is_none());
        // Until the monitor's first look measures unmanaged memory.
        let th = Thresholds::of(cfg);
        let at = th.target.or(th.spill);
        self.state.lock().spill_at = at;
    }

    /// Write `candidates` to disk without the state lock and swap each for its file: the bytes moved and
    /// the first error (the rest stay in memory).
    pub(crate) fn spill_to_disk(
        &self,
        cfg: &EngineConfig,
        candidates: Vec<Candidate>,
    ) -> (u64, Option<String>) {
        if candidates.is_empty() {
            return (0, None);
        }
        let dir = match self.spill_dir(cfg) {
            Ok(d) => d,
            Err(e) => return (0, Some(format!("cannot spill to disk: {e}"))),
        };
        let mut moved = 0;
        let mut err = None;
        for c in candidates {
            match dir.write(&c.value, c.bytes) {
                Ok(f) => {
                    if self.with_state(|st, _, _| st.apply_spill(&c, f)) {
                        moved += c.bytes;
                    }
                }
                Err(e) => {
                    err = Some(format!("cannot spill to disk: {e}; data stays in memory"));
                    break;
                }
            }
            // `c` drops here: a swapped value's memory is freed now.
        }
        if moved > 0 {
            self.spilled_total.fetch_add(moved, Ordering::Relaxed);
        }
        (moved, err)
    }

    /// A worker spills what `State::spill_due` picked before it takes another task, then hands the freed
    /// pages back to the OS. A failure disarms the workers' spilling until the monitor's next look (which
    /// re-arms it and reports the error), so a full disk is not retried at every task.
    pub(crate) fn spill_due(&self, candidates: Vec<Candidate>) {
        if candidates.is_empty() {
            return;
        }
        let cfg = self.config.lock().clone();
        let (moved, err) = self.spill_to_disk(&cfg, candidates);
        if err.is_some() {
            self.state.lock().spill_at = None;
        }
        if moved > 0 {
            memory::trim();
        }
    }

    fn log(&self, level: LogLevel, message: String) {
        let mut ev = vec![
            Event::Log {
                level,
                message: message.into(),
            },
            Event::Memory,
        ];
        self.emit_pub(&mut ev);
    }
}

impl Monitor {
    fn problem(&mut self, s: &Shared, level: LogLevel, msg: String) {
        if self.last_problem.as_deref() != Some(&msg) {
            s.log(level, msg.clone());
            self.last_problem = Some(msg);
        }
    }

    /// One look: spill, pause or resume, act at the limit.
    pub(crate) fn tick(&mut self, s: &Shared) {
        let cfg = s.config.lock().clone();
        let th = Thresholds::of(&cfg);
        if th.limit.is_none() {
            memory::reuse_big_buffers(true);
            // Without a limit the monitor stays off the state lock (the scheduler's hot path).
            if std::mem::take(&mut self.limited) {
                s.with_state(|st, _, fx| {
                    st.spill_at = None;
                    st.set_paused(false, fx)
                });
            }
            return;
        }
        self.limited = true;
        let mut process = s.process_memory();
        // Above the spill threshold, first hand freed pages back to the OS: jemalloc keeps them resident
        // for seconds, and pausing, spilling or failing a job for memory already free would be wrong.
        let high = th.spill.or(th.pause).or(th.limit).unwrap_or(u64::MAX);
        if process > high {
            memory::trim();
            process = s.process_memory();
        }
        // Freed big buffers are kept for reuse only while the process is far from its thresholds:
        // what is kept is at most the recent peak, and a fast producer (a persist of 3× the limit)
        // crosses half the target within a look, long before the limit.
        let calm = th.target.or(th.spill).or(th.limit).unwrap_or(u64::MAX) / 2;
        memory::reuse_big_buffers(process < calm);
        let managed = {
            let mut st = s.state.lock();
            let managed = st.managed();
            // Re-armed at every look: a configuration change or a failed worker spill disarmed it.
            st.spill_at = spill_level(&th, process, managed);
            managed
        };
        let mut d = decide(&th, process, managed);
        if d.spill > 0 && self.spill(s, &cfg, d.spill) > 0 {
            // Freed pages go back to the OS now rather than at jemalloc's decay.
            memory::trim();
            process = s.process_memory();
            let managed = {
                let st = s.state.lock();
                st.store.bytes + st.held
            };
            d = decide(&th, process, managed);
        }
        let pct = |f: Option<f64>| (f.unwrap_or(0.0) * 100.0).round();
        let limit = th.limit.unwrap_or(0);
        let pause_at = th.pause.unwrap_or(0);
        if s.with_state(|st, _, fx| st.set_paused(d.pause, fx)) {
            let msg = if d.pause {
                format!(
                    "paused: process memory {} is above the pause threshold {} ({}% of the {} limit); \
                     running tasks finish and new ones start one at a time until it drops",
                    format_bytes(process),
                    format_bytes(pause_at),
                    pct(cfg.pause),
                    format_bytes(limit)
                )
            } else {
                format!(
                    "resumed: process memory {} is below the pause threshold {}",
                    format_bytes(process),
                    format_bytes(pause_at)
                )
            };
            // Pausing can flap around the threshold: warn at most once a second, the rest is debug.
            let level = if self
                .last_pause_log
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                self.last_pause_log = Some(Instant::now());
                LogLevel::Warn
            } else {
                LogLevel::Debug
            };
            s.log(level, msg);
        }
        if d.over_limit && self.last_cancel.is_none_or(|t| t.elapsed() >= COOLDOWN) {
            let now = s.now_pub();
            let failed = s.with_state(|st, _, fx| {
                let job = st.newest_graph_job()?;
                let label = st.jobs[&job].label.clone();
                let spilled = st.store.spilled + st.spilled;
                let msg = limit_message(job, &label, process, limit, spilled);
                st.fail_for_memory(job, msg.clone(), now, fx);
                Some(msg)
            });
            match failed {
                Some(msg) => {
                    self.last_cancel = Some(Instant::now());
                    s.log(LogLevel::Error, msg);
                    memory::trim();
                }
                None => self.problem(
                    s,
                    LogLevel::Warn,
                    format!(
                        "process memory {} is above the {} limit and no job is running: release \
                         persisted data (del x) or restart()",
                        format_bytes(process),
                        format_bytes(limit)
                    ),
                ),
            }
        }
    }

    /// Move about `need` bytes of least-recently-used data to disk; the bytes moved.
    fn spill(&mut self, s: &Shared, cfg: &EngineConfig, need: u64) -> u64 {
        let candidates = s.state.lock().spill_candidates(need);
        let (moved, err) = s.spill_to_disk(cfg, candidates);
        if let Some(e) = err {
            self.problem(s, LogLevel::Error, e);
        }
        if moved > 0 {
            self.last_problem = None;
            if let Ok(dir) = s.spill_dir(cfg) {
                s.log(
                    LogLevel::Debug,
                    format!(
                        "spilled {} to {} ({} on disk)",
                        format_bytes(moved),
                        dir.path.display(),
                        format_bytes(dir.used())
                    ),
                );
            }
        }
        moved
    }
}

//! `tessera bench memory`: larger-than-memory workloads under a memory limit, reporting peak process
//! memory against the limit (Dask's promise: bounded memory on data many times larger). Generates a
//! netCDF set and a CSV set of `factor` × the limit, then runs a mean over time, a filter + groupby, and a
//! persist of about 3 × the limit that must complete by spilling.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::memory::{trim, Probe};
use crate::engine::{Engine, EngineConfig, Event};
use crate::error::Result;
use crate::io::demo_bom::{bom_demo_glob, write_bom_demo, BomDemoOptions};
use crate::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions};
use crate::units::format_bytes;

/// One workload's figures.
#[derive(Debug, Clone)]
pub struct MemoryFigures {
    pub name: String,
    /// Bytes of input on disk.
    pub input: u64,
    pub limit: u64,
    /// Process memory when the workload started, and its peak while it ran.
    pub baseline: u64,
    pub peak: u64,
    /// Bytes spilled to disk at the end (persist).
    pub spilled: u64,
    pub elapsed: Duration,
    pub ok: bool,
    /// The script's output (last lines) or its error.
    pub output: String,
    /// Pause/resume/limit events logged while it ran.
    pub events: Vec<String>,
}

impl MemoryFigures {
    pub fn peak_ratio(&self) -> f64 {
        self.peak as f64 / self.limit as f64
    }
}

/// Samples process memory every 5 ms on its own thread, keeping the maximum.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start() -> Sampler {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("tessera-bench-rss".into())
            .spawn(move || {
                let mut probe = Probe::new();
                while !s.load(Ordering::Relaxed) {
                    p.fetch_max(probe.process_rss(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
            .ok();
        Sampler { peak, stop, thread }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Run one script on `engine`, measuring peak process memory.
fn measure(engine: &Engine, name: &str, input: u64, limit: u64, script: &str) -> MemoryFigures {
    trim();
    let logs = engine.subscribe();
    let baseline = Probe::new().process_rss();
    let sampler = Sampler::start();
    let t0 = Instant::now();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = crate::lang::run_script(engine.clone(), script, name, true, &mut out, &mut err);
    let elapsed = t0.elapsed();
    let peak = sampler.finish();
    let spilled = engine.snapshot().memory.spilled;
    let events = logs
        .try_iter()
        .filter_map(|ev| match ev {
            Event::Log { message, .. }
                if ["paused", "resumed", "memory limit", "cannot spill"]
                    .iter()
                    .any(|p| message.starts_with(p)) =>
            {
                Some(message.to_string())
            }
            _ => None,
        })
        .collect();
    let text = String::from_utf8_lossy(if code == 0 { &out } else { &err }).to_string();
    let tail: Vec<&str> = text.lines().rev().take(6).collect();
    MemoryFigures {
        name: name.to_string(),
        input,
        limit,
        baseline,
        peak,
        spilled,
        elapsed,
        ok: code == 0,
        output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        events,
    }
}

/// Generate the data under `dir` and run the three workloads with `limit` bytes of memory.
/// `cfg.memory_limit` must be set.
pub fn run_memory_bench(dir: &Path, cfg: EngineConfig, factor: f64) -> Result<Vec<MemoryFigures>> {
    let limit = cfg.memory_limit.unwrap_or(256_000_000);
    let target = (limit as f64 * factor) as u64;
    // netCDF: 180 × 360 float32 a day, one year a file (about 95 MB each).
    let nc_dir = dir.join("netcdf");
    let per_file = 365 * 180 * 360 * 4u64;
    let files = target.div_ceil(per_file).max(1) as usize;
    if !nc_dir.join(".done").exists() {
        let _ = std::fs::remove_dir_all(&nc_dir);
        write_cmip6_demo(
            &nc_dir,
            &Cmip6DemoOptions {
                files,
                years_per_file: 1,
                nlat: 180,
                nlon: 360,
                seed: 7,
                zlib: false,
            },
        )?;
        std::fs::write(nc_dir.join(".done"), b"ok")
            .map_err(|e| crate::error::Error::io(&nc_dir, e))?;
    }
    // CSV: BOM daily rainfall (about 39 bytes a row); the generator knows at most ~1000 station codes,
    // so up to 900 stations with as many years as the size needs.
    let csv_dir = dir.join("csv");
    let stations = (target / (35 * 365 * 39)).clamp(1, 900) as usize;
    let years = (target / (stations as u64 * 365 * 39)).clamp(1, 400) as i32;
    if !csv_dir.join(".done").exists() {
        let _ = std::fs::remove_dir_all(&csv_dir);
        write_bom_demo(
            &csv_dir,
            &BomDemoOptions {
                stations,
                first_year: 2025 - years,
                last_year: 2024,
                seed: 7,
                missing_fraction: 0.03,
            },
        )?;
        std::fs::write(csv_dir.join(".done"), b"ok")
            .map_err(|e| crate::error::Error::io(&csv_dir, e))?;
    }
    let nc_bytes = dir_bytes(&nc_dir);
    let csv_bytes = dir_bytes(&csv_dir);
    let engine = Engine::new(EngineConfig {
        memory_limit: Some(limit),
        ..cfg
    });
    let nc_glob = nc_dir.join("pr_day_*.nc");
    let csv_glob = bom_demo_glob(&csv_dir);
    let mut out = Vec::new();
    out.push(measure(
        &engine,
        "netCDF mean over time",
        nc_bytes,
        limit,
        &format!(
            "ds = open_mfdataset({:?}, chunks={{\"time\": 30}})\nm = ds.pr.mean(\"time\").compute()\nm.max()\n",
            nc_glob.display().to_string()
        ),
    ));
    out.push(measure(
        &engine,
        "CSV filter + groupby",
        csv_bytes,
        limit,
        &format!(
            "ddf = read_csv({:?})\nwet = ddf[ddf[\"Rainfall amount (millimetres)\"] > 1]\n\
             r = wet.groupby(\"Bureau of Meteorology station number\")[\"Rainfall amount (millimetres)\"].mean().compute()\nr.max()\n",
            csv_glob
        ),
    ));
    // Persist about 3 × the limit of the netCDF data (whole 30-day chunks), then reduce it.
    let day = 180 * 360 * 4u64;
    let days = ((3 * limit) / day).div_ceil(30) * 30;
    engine.restart();
    out.push(measure(
        &engine,
        "persist 3x the limit",
        days * day,
        limit,
        &format!(
            "ds = open_mfdataset({:?}, chunks={{\"time\": 30}})\np = ds.pr.isel(time=slice(0, {days})).persist()\nwait(p)\np.mean(\"time\").max().compute()\n",
            nc_glob.display().to_string()
        ),
    ));
    Ok(out)
}

/// A default place for the generated data: reused between runs.
pub fn default_bench_dir() -> PathBuf {
    std::env::temp_dir().join("tessera-bench-memory")
}

/// The report, one workload a block.
pub fn format_report(figs: &[MemoryFigures]) -> String {
    let mut s = String::new();
    for f in figs {
        s.push_str(&format!(
            "{:<24} input {:>10}  limit {:>10}  baseline {:>10}  peak {:>10}  peak/limit {:.2}  spilled {:>10}  {:.1} s  {}\n",
            f.name,
            format_bytes(f.input),
            format_bytes(f.limit),
            format_bytes(f.baseline),
            format_bytes(f.peak),
            f.peak_ratio(),
            format_bytes(f.spilled),
            f.elapsed.as_secs_f64(),
            if f.ok { "ok" } else { "FAILED" }
        ));
        for e in &f.events {
            s.push_str(&format!("    event: {e}\n"));
        }
        for l in f.output.lines() {
            s.push_str(&format!("    | {l}\n"));
        }
    }
    s
}

//! `tessera bench memory`: larger-than-memory workloads under a memory limit, reporting peak process
//! memory against the limit (Dask's promise: bounded memory on data many times larger). Generates a
//! netCDF set and a CSV set of `factor` × the limit, then runs a mean over time, a filter + groupby, and a
//! persist of about 3 × the limit that must complete by spilling.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::EngineConfig;
use crate::error::{Error, Result};
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
    /// Peak resident memory of the process that ran it.
    pub peak: u64,
    /// Bytes spilled to disk at the end (persist).
    pub spilled: u64,
    pub elapsed: Duration,
    pub ok: bool,
    /// The script's output (last lines) or its error.
    pub output: String,
}

impl MemoryFigures {
    pub fn peak_ratio(&self) -> f64 {
        self.peak as f64 / self.limit as f64
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

/// Run one script in a fresh `tessera run` process (`exe`) with the limit, measuring its peak resident
/// memory (the kernel's high-water mark, from `wait4`): each workload starts from a clean process, as a
/// user's session would.
fn measure(
    exe: &Path,
    dir: &Path,
    name: &str,
    input: u64,
    cfg: &EngineConfig,
    script: &str,
) -> Result<MemoryFigures> {
    let limit = cfg.memory_limit.unwrap_or(0);
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let script_path = dir.join(format!("{slug}.tess"));
    let out_path = dir.join(format!("{slug}.out"));
    std::fs::write(&script_path, script).map_err(|e| Error::io(&script_path, e))?;
    let out = std::fs::File::create(&out_path).map_err(|e| Error::io(&out_path, e))?;
    let err = out.try_clone().map_err(|e| Error::io(&out_path, e))?;
    let mut cmd = std::process::Command::new(exe);
    // The child reports the bytes it spilled in all on its last line.
    cmd.env("TESSERA_REPORT_SPILLED", "1")
        .arg("run")
        .arg(&script_path)
        .arg("--memory-limit")
        .arg(limit.to_string())
        .arg("--threads")
        .arg(cfg.threads.to_string())
        .stdout(out)
        .stderr(err);
    if let Some(d) = &cfg.spill_dir {
        cmd.arg("--spill-dir").arg(d);
    }
    let t0 = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| Error::value(format!("cannot run {}: {e}", exe.display())))?;
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let elapsed = t0.elapsed();
    if r < 0 {
        return Err(Error::value(format!(
            "waiting for the benchmark process: {}",
            std::io::Error::last_os_error()
        )));
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(8).collect();
    let spilled = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("spilled bytes:"))
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or(0);
    Ok(MemoryFigures {
        name: name.to_string(),
        input,
        limit,
        // ru_maxrss is in kilobytes on Linux.
        peak: ru.ru_maxrss as u64 * 1024,
        spilled,
        elapsed,
        ok,
        output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

/// Generate the data under `dir` and run the three workloads with `limit` bytes of memory.
/// `cfg.memory_limit` must be set.
pub fn run_memory_bench(
    exe: &Path,
    dir: &Path,
    cfg: EngineConfig,
    factor: f64,
) -> Result<Vec<MemoryFigures>> {
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
        std::fs::write(nc_dir.join(".done"), b"ok").map_err(|e| Error::io(&nc_dir, e))?;
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
        std::fs::write(csv_dir.join(".done"), b"ok").map_err(|e| Error::io(&csv_dir, e))?;
    }
    let nc_bytes = dir_bytes(&nc_dir);
    let csv_bytes = dir_bytes(&csv_dir);
    let cfg = EngineConfig {
        memory_limit: Some(limit),
        ..cfg
    };
    let nc_glob = nc_dir.join("pr_day_*.nc");
    let csv_glob = bom_demo_glob(&csv_dir);
    let mut out = Vec::new();
    out.push(measure(
        exe,
        dir,
        "netCDF mean over time",
        nc_bytes,
        &cfg,
        &format!(
            "ds = open_mfdataset({:?}, chunks={{\"time\": 30}})\nm = ds.pr.mean(\"time\").compute()\nm\n",
            nc_glob.display().to_string()
        ),
    )?);
    out.push(measure(
        exe,
        dir,
        "CSV filter + groupby",
        csv_bytes,
        &cfg,
        &format!(
            "ddf = read_csv({:?})\nwet = ddf[ddf[\"Rainfall amount (millimetres)\"] > 1]\n\
             r = wet.groupby(\"Bureau of Meteorology station number\")[\"Rainfall amount (millimetres)\"].mean().compute()\nr\n",
            csv_glob
        ),
    )?);
    // Persist about 3 × the limit of the netCDF data (whole 30-day chunks), then reduce it.
    let day = 180 * 360 * 4u64;
    let days = ((3 * limit) / day).div_ceil(30) * 30;
    out.push(measure(
        exe,
        dir,
        "persist 3x the limit",
        days * day,
        &cfg,
        &format!(
            "ds = open_mfdataset({:?}, chunks={{\"time\": 30}})\np = ds.pr.isel(time=slice(0, {days})).persist()\nwait(p)\np.mean(\"time\").compute()\n",
            nc_glob.display().to_string()
        ),
    )?);
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
            "{:<24} input {:>10}  limit {:>10}  peak RSS {:>10}  peak/limit {:.2}  spilled {:>10}  {:.1} s  {}\n",
            f.name,
            format_bytes(f.input),
            format_bytes(f.limit),
            format_bytes(f.peak),
            f.peak_ratio(),
            format_bytes(f.spilled),
            f.elapsed.as_secs_f64(),
            if f.ok { "ok" } else { "FAILED" }
        ));
        for l in f.output.lines() {
            s.push_str(&format!("    | {l}\n"));
        }
    }
    s
}

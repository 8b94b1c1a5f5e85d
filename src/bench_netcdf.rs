//! `tessera bench netcdf`: the netCDF read path against its targets. Decoding zlib+shuffle chunks
//! must scale with threads (at least 0.8 × threads × the one-thread rate), uncompressed chunked data
//! in page cache must read at 2 GB/s per thread or more, and `open_mfdataset` of 1,000 files must
//! take under a second. Data is generated once with the demo writer and kept for the next run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::array::open::{expand, open_mfdataset, OpenOptions};
use crate::error::{Error, Result};
use crate::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions};
use crate::io::netcdf::h5chunks::read_raw_chunks;
use crate::io::netcdf::read::read_raw_library;

/// Shape of the generated sets (one HDF5 chunk per year, as the demo writes them).
const FILES: usize = 4;
const YEARS: u32 = 2;
const NLAT: usize = 90;
const NLON: usize = 180;
const MANY: usize = 1000;

/// One figure of the report.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub value: String,
    /// `Some((met, target text))` when the issue sets a target for it.
    pub target: Option<(bool, String)>,
}

/// Default data directory: next to the memory bench's.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("tessera-bench-netcdf")
}

/// Write `opts` into `dir` unless a previous run completed it.
fn ensure(dir: &Path, opts: &Cmip6DemoOptions) -> Result<Vec<PathBuf>> {
    let stamp = dir.join(".complete");
    let want = format!("{opts:?}");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(want.as_str()) {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_cmip6_demo(dir, opts)?;
        std::fs::write(&stamp, want).map_err(|e| Error::io(&stamp, e))?;
    }
    expand(&dir.join("pr_day_*.nc").to_string_lossy())
}

/// One year slab (one HDF5 chunk) per task.
fn slabs(files: &[PathBuf]) -> Vec<(PathBuf, [usize; 3], [usize; 3])> {
    let nt = 365 * YEARS as usize;
    files
        .iter()
        .flat_map(|f| {
            (0..nt)
                .step_by(365)
                .map(move |t| (f.clone(), [t, 0, 0], [365, NLAT, NLON]))
        })
        .collect()
}

/// Best wall time of `rounds` passes of `read` over every slab on a pool of `threads`, and the
/// bytes one pass decodes.
fn rate(
    threads: usize,
    rounds: usize,
    tasks: &[(PathBuf, [usize; 3], [usize; 3])],
    read: &(dyn Fn(&Path, &[usize], &[usize]) -> Result<usize> + Sync),
) -> Result<(Duration, usize)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("tessera-bench-{i}"))
        .build()
        .map_err(|e| Error::value(format!("cannot start the bench pool: {e}")))?;
    let mut best = Duration::MAX;
    let mut bytes = 0;
    // The first pass also warms the page cache; it counts like the others (best of all).
    for _ in 0..rounds.max(1) + 1 {
        // The pool's threads got their allocator arenas in the pass before: reuse there too.
        crate::engine::memory::refresh_big_buffers();
        let t = Instant::now();
        bytes = pool.install(|| {
            tasks
                .par_iter()
                .map(|(p, s, c)| read(p, s, c))
                .try_reduce(|| 0, |a, b| Ok(a + b))
        })?;
        best = best.min(t.elapsed());
    }
    Ok((best, bytes))
}

fn gbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

fn fast(p: &Path, s: &[usize], c: &[usize]) -> Result<usize> {
    read_raw_chunks(p, "pr", s, c)?
        .map(|a| a.nbytes())
        .ok_or_else(|| Error::file(p, "not eligible for the chunk fast path"))
}

/// Run every measurement; `threads` is the pool size of the parallel figures.
pub fn run_netcdf_bench(dir: &Path, threads: usize, rounds: usize) -> Result<Vec<Figure>> {
    let threads = threads.max(1);
    // As an engine without a memory limit runs (no engine is started here).
    crate::engine::memory::reuse_big_buffers(true);
    let opts = |zlib: bool| Cmip6DemoOptions {
        files: FILES,
        years_per_file: YEARS,
        nlat: NLAT,
        nlon: NLON,
        zlib,
        ..Default::default()
    };
    let zfiles = ensure(&dir.join("zlib"), &opts(true))?;
    let rfiles = ensure(&dir.join("raw"), &opts(false))?;
    let many = ensure(
        &dir.join("many"),
        &Cmip6DemoOptions {
            files: MANY,
            years_per_file: 1,
            nlat: 4,
            nlon: 4,
            ..Default::default()
        },
    )?;
    let mut out = Vec::new();
    let (zt, rt) = (slabs(&zfiles), slabs(&rfiles));
    let lib = |p: &Path, s: &[usize], c: &[usize]| Ok(read_raw_library(p, "pr", s, c)?.nbytes());

    let (d, n) = rate(1, rounds, &zt, &lib)?;
    out.push(Figure {
        name: "zlib+shuffle through libnetcdf, 1 thread".into(),
        value: format!("{:.2} GB/s (reference)", gbps(n, d)),
        target: None,
    });
    let (d1, n1) = rate(1, rounds, &zt, &fast)?;
    let one = gbps(n1, d1);
    out.push(Figure {
        name: "zlib+shuffle parallel decode, 1 thread".into(),
        value: format!("{one:.2} GB/s decoded"),
        target: None,
    });
    let (dn, nn) = rate(threads, rounds, &zt, &fast)?;
    let many_rate = gbps(nn, dn);
    let eff = many_rate / (threads as f64 * one);
    out.push(Figure {
        name: format!("zlib+shuffle parallel decode, {threads} threads"),
        value: format!("{many_rate:.2} GB/s = {eff:.2} × {threads} × one thread"),
        target: Some((eff >= 0.8, "≥ 0.8 × threads × one thread".into())),
    });
    for t in [1, threads] {
        let (d, n) = rate(t, rounds, &rt, &fast)?;
        let per = gbps(n, d) / t as f64;
        out.push(Figure {
            name: format!("uncompressed chunks in page cache, {t} thread(s)"),
            value: format!("{per:.2} GB/s per thread"),
            target: Some((per >= 2.0, "≥ 2 GB/s per thread".into())),
        });
        if t == threads {
            break;
        }
    }
    let mut times = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let ds = open_mfdataset(&many, &OpenOptions::default())?;
        times.push(t.elapsed());
        if ds.dims.iter().find(|d| d.0 == "time").map(|d| d.1) != Some(365 * MANY) {
            return Err(Error::value(
                "open_mfdataset of the 1,000 files: wrong time length",
            ));
        }
    }
    times.sort();
    let med = times[times.len() / 2];
    out.push(Figure {
        name: format!("open_mfdataset of {MANY} files (metadata)"),
        value: format!("{:.3} s (median of {})", med.as_secs_f64(), times.len()),
        target: Some((med < Duration::from_secs(1), "< 1 s".into())),
    });
    Ok(out)
}

/// The report as printed by the command.
pub fn format_report(figs: &[Figure]) -> String {
    let w = figs
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for f in figs {
        let t = match &f.target {
            Some((true, t)) => format!("   target {t}: ok"),
            Some((false, t)) => format!("   target {t}: MISSED"),
            None => String::new(),
        };
        s.push_str(&format!("{:<w$}  {}{t}\n", f.name, f.value));
    }
    s
}

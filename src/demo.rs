//! Built-in demo data: a BOM-like station CSV tree and a CMIP6-like multi-file netCDF dataset, written
//! deterministically for a seed so the README, the tutorial and the tests all see the same files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::demo_bom::{write_bom_demo, BomDemoOptions, BomDemoSummary};
use crate::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions, Cmip6DemoSummary};

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    pub bom: Option<BomDemoOptions>,
    pub cmip6: Option<Cmip6DemoOptions>,
}

impl DemoOptions {
    /// Both datasets with their default sizes.
    pub fn full() -> Self {
        DemoOptions {
            bom: Some(BomDemoOptions::default()),
            cmip6: Some(Cmip6DemoOptions::default()),
        }
    }
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub dir: PathBuf,
    pub bom: Option<BomDemoSummary>,
    pub cmip6: Option<Cmip6DemoSummary>,
}

/// The marker written last: its presence means the demo in `dir` is complete.
const MARKER: &str = ".tessera-demo-complete";

/// Write the demo data under `dir` (created if needed).
pub fn write_demo(dir: &Path, opts: &DemoOptions) -> Result<DemoSummary> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let _ = std::fs::remove_file(dir.join(MARKER));
    let mut out = DemoSummary {
        dir: dir.to_path_buf(),
        ..Default::default()
    };
    if let Some(b) = &opts.bom {
        out.bom = Some(write_bom_demo(dir, b)?);
    }
    if let Some(c) = &opts.cmip6 {
        out.cmip6 = Some(write_cmip6_demo(dir, c)?);
    }
    std::fs::write(dir.join(MARKER), b"ok\n").map_err(|e| Error::io(dir.join(MARKER), e))?;
    Ok(out)
}

/// True when `dir` holds a complete demo (a generation interrupted halfway does not count).
pub fn demo_is_complete(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Where the workbench keeps its demo data: the user's cache directory.
pub fn default_demo_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("tessera")
        .join("demo")
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "demo data in {}", self.dir.display())?;
        if let Some(b) = &self.bom {
            writeln!(
                f,
                "  stations: {} CSV files, {} rows, {} bytes  ({})",
                b.files, b.rows, b.bytes, b.pattern
            )?;
        }
        if let Some(c) = &self.cmip6 {
            writeln!(
                f,
                "  CMIP6 pr: {} netCDF files, time={} lat={} lon={}, {} bytes on disk  ({})",
                c.files.len(),
                c.ntime,
                c.nlat,
                c.nlon,
                c.disk_bytes,
                c.pattern
            )?;
        }
        Ok(())
    }
}

/// The tutorial session, embedded so the workbench works from any directory.
pub const TUTORIAL: &str = include_str!("../sessions/tutorial.tess");

/// Files of the demo present in `dir` now (station CSVs and netCDF files, each renamed into place
/// when complete), for the first run's progress bar.
fn files_done(dir: &Path) -> usize {
    let count = |d: &Path, keep: &dyn Fn(&str) -> bool| -> usize {
        std::fs::read_dir(d).map_or(0, |it| {
            it.filter_map(|e| e.ok())
                .filter(|e| keep(&e.file_name().to_string_lossy()))
                .count()
        })
    };
    let stations = std::fs::read_dir(dir.join("Weather_Stations_ACT")).map_or(0, |it| {
        it.filter_map(|e| e.ok())
            .map(|e| count(&e.path(), &|n: &str| n.ends_with("_Data.csv")))
            .sum()
    });
    stations
        + count(dir, &|n: &str| {
            n.starts_with("pr_day_") && n.ends_with(".nc")
        })
}

/// One progress line, redrawn in place: `[#####.....] 12/34 files  3.1s`.
fn progress_line(done: usize, total: usize, secs: f64) -> String {
    const W: usize = 30;
    let filled = (done * W).checked_div(total).unwrap_or(W).min(W);
    format!(
        "\r  [{}{}] {done}/{total} files  {secs:.1}s",
        "#".repeat(filled),
        ".".repeat(W - filled)
    )
}

/// Generate the demo on a thread; on a terminal, a progress bar counts the files as they land.
fn generate_with_progress(dir: &Path, opts: DemoOptions) -> Result<DemoSummary> {
    use std::io::{IsTerminal, Write};
    let total = opts.bom.as_ref().map_or(0, |b| b.stations)
        + opts.cmip6.as_ref().map_or(0, |c| c.files.max(1));
    let t0 = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let out = std::thread::scope(|s| {
        let job = s.spawn(|| write_demo(dir, &opts));
        while tty && !job.is_finished() {
            let line = progress_line(
                files_done(dir).min(total),
                total,
                t0.elapsed().as_secs_f64(),
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        job.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    if tty {
        eprintln!(
            "{}",
            progress_line(total, total, t0.elapsed().as_secs_f64())
        );
    }
    out
}

/// Get the workbench's first run ready: generate the demo data in the cache directory when missing
/// (with a progress bar on the terminal), make it the working directory, and return the tutorial's path.
pub fn prepare_tutorial() -> Result<PathBuf> {
    let dir = default_demo_dir();
    if !demo_is_complete(&dir) {
        eprintln!(
            "tessera: first run: generating the demo data in {}",
            dir.display()
        );
        let t0 = std::time::Instant::now();
        let s = generate_with_progress(&dir, DemoOptions::full())?;
        eprintln!("done in {:.1}s", t0.elapsed().as_secs_f64());
        eprint!("{s}");
    }
    std::env::set_current_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let tut = dir.join("tutorial.tess");
    std::fs::write(&tut, TUTORIAL).map_err(|e| Error::io(&tut, e))?;
    Ok(tut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_finished_files() {
        let dir =
            std::env::temp_dir().join(format!("tessera-demo-progress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opts = DemoOptions {
            bom: Some(BomDemoOptions {
                stations: 2,
                first_year: 2020,
                last_year: 2020,
                ..Default::default()
            }),
            cmip6: Some(Cmip6DemoOptions {
                files: 1,
                years_per_file: 1,
                nlat: 2,
                nlon: 3,
                ..Default::default()
            }),
        };
        assert_eq!(files_done(&dir), 0);
        write_demo(&dir, &opts).unwrap();
        assert_eq!(files_done(&dir), 3);
        assert_eq!(
            progress_line(1, 3, 0.5),
            format!("\r  [{}{}] 1/3 files  0.5s", "#".repeat(10), ".".repeat(20))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Demo data: Bureau of Meteorology daily rainfall CSVs (product IDCJAC0009) for ACT weather stations, laid out
//! as BOM's downloads unpack: `DIR/Weather_Stations_ACT/IDCJAC0009_<station>_1800/IDCJAC0009_<station>_1800_Data.csv`
//! (`1800` is BOM's code for an "all years" download). Rainfall follows a seasonal wet/dry Markov chain with
//! skewed amounts; stations start in different years; gaps are empty fields (sometimes followed by an
//! accumulated total over several days, as BOM reports). Deterministic for a seed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::graph::splitmix;
use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;

/// The CSV header of BOM's daily rainfall product.
pub const BOM_HEADER: &str = "Product code,Bureau of Meteorology station number,Year,Month,Day,\
Rainfall amount (millimetres),Period over which rainfall was measured (days),Quality";

/// Real ACT station numbers, used first; more are made up in the same 070xxx range.
const KNOWN_STATIONS: &[u32] = &[
    70014, 70351, 70247, 70217, 70282, 70339, 70349, 70278, 70005, 70091, 70300, 70316,
];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct BomDemoOptions {
    pub stations: usize,
    pub first_year: i32,
    pub last_year: i32,
    pub seed: u64,
    /// About this fraction of days is missing (empty rainfall).
    pub missing_fraction: f64,
}

impl Default for BomDemoOptions {
    fn default() -> Self {
        Self {
            stations: 30,
            first_year: 1990,
            last_year: 2024,
            seed: 42,
            missing_fraction: 0.03,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct BomDemoSummary {
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    /// A glob matching every data file (for `read_csv`).
    pub pattern: String,
}

/// A glob matching the data files written by [`write_bom_demo`] into `dir`.
pub fn bom_demo_glob(dir: &Path) -> String {
    dir.join("Weather_Stations_ACT")
        .join("*")
        .join("IDCJAC0009_*_Data.csv")
        .to_string_lossy()
        .into_owned()
}

/// splitmix64 stream.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix(self.0)
    }
    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Station numbers: the known ones, then distinct made-up 070xxx numbers.
fn station_numbers(n: usize, seed: u64) -> Vec<u32> {
    let mut out: Vec<u32> = KNOWN_STATIONS.iter().copied().take(n).collect();
    let mut rng = Rng(seed ^ 0x5747_a710);
    while out.len() < n {
        let code = 70000 + (rng.next_u64() % 1000) as u32;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

/// Write one station's file contents into `w`; returns the number of rows.
fn write_station(
    w: &mut impl Write,
    code: u32,
    start_year: i32,
    opts: &BomDemoOptions,
) -> std::io::Result<u64> {
    let mut rng = Rng(splitmix(
        opts.seed ^ (code as u64).wrapping_mul(0x1000_0000_01b3),
    ));
    let wetness = 0.7 + 0.8 * rng.unit(); // mountain stations are wetter
    const GAP_MEAN: f64 = 8.0;
    let p_gap = (opts.missing_fraction / GAP_MEAN).clamp(0.0, 1.0);
    writeln!(w, "{BOM_HEADER}")?;
    let (mut rows, mut day_index) = (0u64, 0u64);
    let (mut wet, mut gap_left, mut gap_len, mut owed) = (false, 0u32, 0u32, 0.0f64);
    for year in start_year..=opts.last_year {
        for month in 1..=12u32 {
            for day in 1..=days_in_month(year, month) {
                // Season: 0 in mid-January (summer storms), phase in radians over the year.
                let doy = (month - 1) as f64 * 30.4 + day as f64;
                let season = (2.0 * std::f64::consts::PI * (doy - 15.0) / 365.25).cos();
                let p_wet = if wet { 0.55 } else { 0.18 } * (1.0 + 0.15 * season);
                wet = rng.unit() < p_wet;
                let mut amount = 0.0;
                if wet {
                    let mean = (4.0 + 1.5 * season) * wetness;
                    amount = -mean * rng.unit().ln();
                    if rng.unit() < 0.03 {
                        amount *= 3.0; // the occasional storm
                    }
                    amount = (amount * 10.0).round() / 10.0;
                    amount = amount.max(0.2);
                }
                // Gaps: one in the first 10 rows of every file (so that dtype inference, even Dask's 10-row
                // `sample_rows`, sees missing values) and random ones.
                if gap_left == 0 && opts.missing_fraction > 0.0 {
                    let early = day_index == 3;
                    if early || rng.unit() < p_gap {
                        gap_len = if early {
                            5
                        } else {
                            1 + (-GAP_MEAN * rng.unit().ln()) as u32
                        };
                        gap_left = gap_len;
                    }
                }
                day_index += 1;
                rows += 1;
                write!(w, "IDCJAC0009,{code:06},{year},{month:02},{day:02},")?;
                if gap_left > 0 {
                    gap_left -= 1;
                    owed += amount;
                    writeln!(w, ",,")?;
                    if gap_left == 0 && (gap_len > 14 || rng.unit() < 0.5) {
                        owed = -1.0; // the total over the gap is lost
                    }
                    continue;
                }
                let quality = if year >= opts.last_year || rng.unit() < 0.004 {
                    'N'
                } else {
                    'Y'
                };
                if owed != 0.0 {
                    // First day after a gap: either the accumulated total over the gap, or just this day.
                    if owed > 0.0 {
                        writeln!(w, "{:.1},{},{quality}", owed + amount, gap_len + 1)?;
                    } else {
                        writeln!(w, "{amount:.1},1,{quality}")?;
                    }
                    owed = 0.0;
                    continue;
                }
                writeln!(w, "{amount:.1},1,{quality}")?;
            }
        }
    }
    Ok(rows)
}

/// Write the demo dataset under `dir` (see the module docs). Each file is written atomically.
pub fn write_bom_demo(dir: &Path, opts: &BomDemoOptions) -> Result<BomDemoSummary> {
    if opts.last_year < opts.first_year {
        return Err(Error::value(format!(
            "last_year ({}) is before first_year ({})",
            opts.last_year, opts.first_year
        )));
    }
    let root = dir.join("Weather_Stations_ACT");
    let spread = (opts.last_year - opts.first_year).min(20) as u64 + 1;
    let mut summary = BomDemoSummary {
        files: 0,
        rows: 0,
        bytes: 0,
        pattern: bom_demo_glob(dir),
    };
    for (k, code) in station_numbers(opts.stations, opts.seed)
        .into_iter()
        .enumerate()
    {
        // The first station (Canberra Airport) covers every year; others start later.
        let offset = if k == 0 {
            0
        } else {
            splitmix(opts.seed ^ code as u64) % spread
        };
        let start_year = opts.first_year + offset as i32;
        let name = format!("IDCJAC0009_{code:06}_1800");
        let path: PathBuf = root.join(&name).join(format!("{name}_Data.csv"));
        let mut rows = 0;
        write_atomic(&path, |tmp| {
            let file = std::fs::File::create(tmp)
                .map_err(|e| Error::file(&path, format!("cannot write: {e}")))?;
            let mut w = std::io::BufWriter::new(file);
            rows = write_station(&mut w, code, start_year, opts)
                .and_then(|r| w.flush().map(|()| r))
                .map_err(|e| Error::file(&path, format!("cannot write: {e}")))?;
            Ok(())
        })?;
        summary.files += 1;
        summary.rows += rows;
        summary.bytes += std::fs::metadata(&path)
            .map_err(|e| Error::io(&path, e))?
            .len();
    }
    Ok(summary)
}

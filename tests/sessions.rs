//! End to end: the shipped session scripts run headless with the real binary against generated demo data,
//! and their printed results are checked against values computed here independently of the engine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tessera::demo::{write_demo, DemoOptions};
use tessera::io::demo_bom::BomDemoOptions;
use tessera::io::demo_cmip6::Cmip6DemoOptions;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Held while this test process writes netCDF files or spawns the binary: libhdf5 opens files without
/// `O_CLOEXEC` and locks them, so a child spawned mid-write would inherit the lock and make that file
/// unreadable to the other tests' children.
static NETCDF_AND_SPAWN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tessera(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let _guard = NETCDF_AND_SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    if let Some(input) = stdin {
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn tessera");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    } else {
        cmd.output().expect("run tessera")
    }
}

fn small_demo(dir: &Path) {
    let opts = DemoOptions {
        bom: Some(BomDemoOptions {
            stations: 6,
            first_year: 2000,
            last_year: 2009,
            seed: 7,
            ..Default::default()
        }),
        cmip6: Some(Cmip6DemoOptions {
            files: 3,
            years_per_file: 1,
            nlat: 12,
            nlon: 24,
            seed: 7,
            zlib: true,
        }),
    };
    let _guard = NETCDF_AND_SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    write_demo(dir, &opts).unwrap();
}

/// Rainfall column of every demo CSV, read with the csv crate (independent of polars): None when empty.
fn rainfall(dir: &Path) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    let pattern = format!(
        "{}/Weather_Stations_ACT/IDCJAC0009_*_*/IDCJAC0009*.csv",
        dir.display()
    );
    for f in glob::glob(&pattern).unwrap() {
        let mut r = csv::Reader::from_path(f.unwrap()).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let v = rec.get(5).unwrap();
            out.push(if v.is_empty() {
                None
            } else {
                Some(v.parse().unwrap())
            });
        }
    }
    out
}

fn lines(o: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(o)
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn act_weather_session_runs_end_to_end_with_dask_results() {
    let tmp = tempfile::tempdir().unwrap();
    small_demo(tmp.path());
    let out = tessera(
        tmp.path(),
        &[
            "run",
            repo().join("sessions/act_weather.tess").to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );

    let rain = rainfall(tmp.path());
    let max = rain.iter().flatten().cloned().fold(f64::MIN, f64::max);
    let wet: Vec<f64> = rain
        .iter()
        .flatten()
        .cloned()
        .filter(|v| *v > 20.0)
        .collect();
    let wet_sum: f64 = wet.iter().sum();
    let l = lines(&out.stdout);
    assert!(stdout.contains("npartitions=6"), "{stdout}");
    // mx.compute(): a series indexed by product code.
    assert!(
        l.iter()
            .any(|x| x.starts_with("IDCJAC0009") && x.ends_with(&format!("{max}"))),
        "groupby max {max} in\n{stdout}"
    );
    assert!(
        l.iter().any(|x| x == &wet.len().to_string()),
        "len(wet) = {} in\n{stdout}",
        wet.len()
    );
    let printed_sum: f64 = l
        .iter()
        .filter_map(|x| x.parse::<f64>().ok())
        .find(|v| (v - wet_sum).abs() < 1e-6 * wet_sum.max(1.0))
        .unwrap_or_else(|| panic!("wet sum {wet_sum} not printed in\n{stdout}"));
    assert!((printed_sum - wet_sum).abs() < 1e-6 * wet_sum);
    assert!(stdout.contains("futures"), "futures_of table in\n{stdout}");
    // to_parquet wrote one part per partition, readable back: the max equals the CSV max.
    let parts: Vec<_> = std::fs::read_dir(tmp.path().join("out/ACT_weather.parquet"))
        .unwrap()
        .collect();
    assert_eq!(parts.len(), 6);
    assert!(tmp
        .path()
        .join("out/ACT_weather.parquet/part.0.parquet")
        .is_file());
    assert!(
        l.iter().filter(|x| *x == &format!("{max}")).count() >= 1,
        "{stdout}"
    );
    assert!(tmp.path().join("dataframe_graph.dot").is_file());
    let dot = std::fs::read_to_string(tmp.path().join("dataframe_graph.dot")).unwrap();
    assert!(
        dot.starts_with("digraph") && dot.contains("read-csv"),
        "{dot}"
    );
    // Nothing half-written is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn cmip6_session_runs_end_to_end_and_writes_netcdf() {
    let tmp = tempfile::tempdir().unwrap();
    small_demo(tmp.path());
    let out = tessera(
        tmp.path(),
        &[
            "run",
            repo().join("sessions/cmip6_precip.tess").to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("<xarray.Dataset>") && stdout.contains("time: 1095"),
        "{stdout}"
    );
    // The series file holds the spatial mean of each day: check day 0 against a direct read.
    let series = netcdf::open(tmp.path().join("out/pr_series.nc")).unwrap();
    let s: Vec<f32> = series
        .variable("pr")
        .unwrap()
        .get_values::<f32, _>(..)
        .unwrap();
    assert_eq!(s.len(), 1095);
    let files: Vec<PathBuf> = glob::glob(&format!("{}/pr_day_*.nc", tmp.path().display()))
        .unwrap()
        .map(|p| p.unwrap())
        .collect();
    let first = files.iter().min().unwrap();
    let f = netcdf::open(first).unwrap();
    let pr = f.variable("pr").unwrap();
    let day0: Vec<f32> = pr.get_values::<f32, _>((0, .., ..)).unwrap();
    let valid: Vec<f64> = day0
        .iter()
        .filter(|v| **v < 1e19)
        .map(|v| *v as f64)
        .collect();
    let mean = valid.iter().sum::<f64>() / valid.len() as f64;
    assert!(
        ((s[0] as f64) - mean).abs() < 1e-6 * mean.abs(),
        "{} vs {mean}",
        s[0]
    );
    // The whole dataset round-trips: same shape and compression.
    let full = netcdf::open(tmp.path().join("out/cmip6-precipitation-data.nc")).unwrap();
    let v = full.variable("pr").unwrap();
    assert_eq!(
        v.dimensions().iter().map(|d| d.len()).collect::<Vec<_>>(),
        vec![1095, 12, 24]
    );
    assert_eq!(
        v.attribute_value("units").unwrap().unwrap(),
        netcdf::AttributeValue::Str("kg m-2 s-1".into())
    );
}

#[test]
fn errors_point_at_file_line_and_column_and_exit_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("bad.tess");
    std::fs::write(&script, "ddf = 1\nx = ddff + 1\nprint('never')\n").unwrap();
    let out = tessera(tmp.path(), &["run", "bad.tess"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.tess:2:5:"), "{err}");
    assert!(err.contains("did you mean 'ddf'"), "{err}");
    assert!(err.contains("    ^"), "caret under the column: {err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("never"));

    let missing = tessera(
        tmp.path(),
        &["run", "-"],
        Some("read_csv('nothing/*.csv')\n"),
    );
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("<stdin>:1:1:") && err.contains("nothing/*.csv"),
        "{err}"
    );
}

#[test]
fn run_reads_standard_input_and_prints_values_like_a_notebook() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tessera(
        tmp.path(),
        &["run", "-"],
        Some("format_bytes(227057664)\n1 + 2\nparse_bytes('2GB')\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout), vec!["'216.54 MiB'", "3", "2000000000"]);
}

#[test]
fn demo_command_writes_both_datasets() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tessera(
        tmp.path(),
        &[
            "demo",
            "d",
            "--stations",
            "3",
            "--nc-files",
            "2",
            "--nlat",
            "4",
            "--nlon",
            "8",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        glob::glob(&format!(
            "{}/d/Weather_Stations_ACT/*/*.csv",
            tmp.path().display()
        ))
        .unwrap()
        .count(),
        3
    );
    assert_eq!(
        glob::glob(&format!("{}/d/pr_day_*.nc", tmp.path().display()))
            .unwrap()
            .count(),
        2
    );
    assert!(tessera::demo::demo_is_complete(&tmp.path().join("d")));
}

#[test]
fn the_tutorial_runs_headless_on_the_demo_data() {
    let tmp = tempfile::tempdir().unwrap();
    small_demo(tmp.path());
    let out = tessera(
        tmp.path(),
        &[
            "run",
            repo().join("sessions/tutorial.tess").to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("restarted"), "{stdout}");
    assert!(tmp
        .path()
        .join("out/ACT_weather.parquet/part.0.parquet")
        .is_file());
}

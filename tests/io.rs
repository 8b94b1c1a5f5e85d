//! Integration tests of `tessera::io` through its public API: the BOM demo dataset read back as Dask would,
//! Parquet datasets written through a staged directory and planned/read back, and bad-input errors.

use std::path::Path;

use polars::prelude::*;
use tessera::engine::CancelToken;
use tessera::error::Error;
use tessera::io::atomic::StagedDir;
use tessera::io::csv::{plan_csv, read_csv_part, CsvOptions};
use tessera::io::demo_bom::{write_bom_demo, BomDemoOptions, BOM_HEADER};
use tessera::io::parquet::{
    parquet_part_name, plan_parquet, read_parquet_part, write_parquet_part,
};

const RAIN: &str = "Rainfall amount (millimetres)";
const STATION: &str = "Bureau of Meteorology station number";

fn small_demo(dir: &Path, seed: u64) -> tessera::io::demo_bom::BomDemoSummary {
    let opts = BomDemoOptions {
        stations: 4,
        first_year: 2000,
        last_year: 2009,
        seed,
        ..Default::default()
    };
    write_bom_demo(dir, &opts).unwrap()
}

fn file_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let pattern = tessera::io::demo_bom::bom_demo_glob(dir);
    let mut out: Vec<(String, Vec<u8>)> = glob::glob(&pattern)
        .unwrap()
        .map(|p| {
            let p = p.unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn bom_demo_is_deterministic_and_reads_with_dask_dtypes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = small_demo(a.path(), 7);
    let sb = small_demo(b.path(), 7);
    small_demo(c.path(), 8);
    assert_eq!((sa.files, sa.rows, sa.bytes), (sb.files, sb.rows, sb.bytes));
    assert_eq!(
        file_bytes(a.path()),
        file_bytes(b.path()),
        "same seed, same files"
    );
    assert_ne!(
        file_bytes(a.path()),
        file_bytes(c.path()),
        "another seed, other data"
    );
    let files = file_bytes(a.path());
    assert_eq!(files.len(), 4);
    assert!(
        files[0]
            .0
            .starts_with("Weather_Stations_ACT/IDCJAC0009_070"),
        "{}",
        files[0].0
    );
    assert!(files[0].0.ends_with("_1800_Data.csv"), "{}", files[0].0);
    let text = String::from_utf8(files[0].1.clone()).unwrap();
    assert!(text.starts_with(&format!("{BOM_HEADER}\n")));

    let src = plan_csv(&sa.pattern, CsvOptions::default()).unwrap();
    assert_eq!(src.parts.len(), 4);
    let dt = |c: &str| src.schema.get(c).unwrap().clone();
    assert_eq!(dt("Product code"), DataType::String);
    assert_eq!(dt(STATION), DataType::Int64);
    assert_eq!(dt("Year"), DataType::Int64);
    assert_eq!(dt("Month"), DataType::Int64);
    assert_eq!(dt(RAIN), DataType::Float64);
    assert_eq!(dt("Quality"), DataType::String);
    let tok = CancelToken::new();
    let (mut rows, mut nulls, mut wet, mut heavy) = (0u64, 0usize, 0usize, 0usize);
    for i in 0..src.parts.len() {
        let df = read_csv_part(&src, i, &tok).unwrap();
        rows += df.height() as u64;
        let rain = df.column(RAIN).unwrap().f64().unwrap();
        nulls += rain.null_count();
        wet += rain.iter().flatten().filter(|&r| r > 0.0).count();
        heavy += rain.iter().flatten().filter(|&r| r > 20.0).count();
        assert!(df.column(STATION).unwrap().i64().unwrap().get(0).unwrap() >= 70000);
    }
    assert_eq!(rows, sa.rows);
    let frac = nulls as f64 / rows as f64;
    assert!(frac > 0.005 && frac < 0.1, "missing fraction {frac}");
    let wet_frac = wet as f64 / rows as f64;
    assert!(wet_frac > 0.15 && wet_frac < 0.5, "wet days {wet_frac}");
    assert!(heavy > 10, "some heavy rain days: {heavy}");
}

#[test]
fn parquet_round_trip_through_staged_dir() {
    let t = tempfile::tempdir().unwrap();
    let demo = small_demo(t.path(), 1);
    let src = plan_csv(&demo.pattern, CsvOptions::default()).unwrap();
    let out = t.path().join("rain.parquet");
    let tok = CancelToken::new();
    let mut heights = Vec::new();
    {
        let staged = StagedDir::new(&out, false).unwrap();
        for i in 0..src.parts.len() {
            let mut df = read_csv_part(&src, i, &tok).unwrap();
            heights.push(df.height() as u64);
            write_parquet_part(&mut df, &staged.path().join(parquet_part_name(i))).unwrap();
        }
        assert!(!out.exists(), "nothing visible before commit");
        staged.commit().unwrap();
    }
    // Noise a reader must ignore.
    std::fs::write(out.join("_metadata"), "not parquet").unwrap();
    std::fs::write(out.join(".hidden"), "x").unwrap();
    let pq = plan_parquet(&out.to_string_lossy(), None).unwrap();
    assert_eq!(pq.files.len(), 4);
    assert_eq!(pq.rows, heights, "row counts from the footers");
    assert_eq!(pq.schema, src.schema);
    let cols = vec![RAIN.to_string(), "Year".to_string()];
    let pq2 = plan_parquet(&out.to_string_lossy(), Some(&cols)).unwrap();
    let names: Vec<&str> = pq2.schema.iter_names().map(|n| n.as_str()).collect();
    assert_eq!(names, vec![RAIN, "Year"]);
    for i in 0..4 {
        let back = read_parquet_part(&pq, i, None).unwrap();
        let orig = read_csv_part(&src, i, &tok).unwrap();
        assert!(back.equals_missing(&orig), "partition {i} round-trips");
        let sub = read_parquet_part(&pq2, i, Some(&cols)).unwrap();
        assert_eq!(sub.width(), 2);
        assert_eq!(
            sub.column(RAIN).unwrap().null_count(),
            orig.column(RAIN).unwrap().null_count()
        );
    }
    // A glob finds the parts in numeric order.
    let g = plan_parquet(&out.join("part.*.parquet").to_string_lossy(), None).unwrap();
    assert_eq!(g.files, pq.files);
}

#[test]
fn parquet_numeric_order_and_bad_files() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ds");
    std::fs::create_dir(&dir).unwrap();
    for i in [0usize, 2, 10, 1] {
        let mut df = df!("x" => [i as i64; 3]).unwrap();
        write_parquet_part(&mut df, &dir.join(parquet_part_name(i))).unwrap();
    }
    let pq = plan_parquet(&dir.to_string_lossy(), None).unwrap();
    let names: Vec<String> = pq
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(
        names,
        vec![
            "part.0.parquet",
            "part.1.parquet",
            "part.2.parquet",
            "part.10.parquet"
        ]
    );
    assert_eq!(pq.rows, vec![3, 3, 3, 3]);

    let err = plan_parquet(&dir.to_string_lossy(), Some(&["y".to_string()])).unwrap_err();
    assert!(err.to_string().contains("'y'"), "{err}");

    std::fs::write(dir.join("part.3.parquet"), b"PAR1 definitely not parquet").unwrap();
    let err = plan_parquet(&dir.to_string_lossy(), None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::File { .. }), "{msg}");
    assert!(
        msg.contains("part.3.parquet") && msg.contains("not a readable Parquet file"),
        "{msg}"
    );

    let err = plan_parquet(&t.path().join("nope-*.parquet").to_string_lossy(), None).unwrap_err();
    assert!(err.to_string().contains("nope-*.parquet"), "{err}");

    let blocker = t.path().join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let mut df = df!("x" => [1i64]).unwrap();
    let err = write_parquet_part(&mut df, &blocker.join("part.0.parquet")).unwrap_err();
    assert!(
        matches!(err, Error::File { .. }) && err.to_string().contains("part.0.parquet"),
        "{err}"
    );
}

#[test]
fn failed_export_leaves_nothing() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out.parquet");
    let run = || -> tessera::error::Result<()> {
        let staged = StagedDir::new(&out, false)?;
        let mut df = df!("x" => [1i64, 2]).unwrap();
        write_parquet_part(&mut df, &staged.path().join(parquet_part_name(0)))?;
        Err(Error::Cancelled("user pressed Esc".into()))
    };
    assert!(run().unwrap_err().is_cancelled());
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(t.path()).unwrap().count(),
        0,
        "no staging directory left"
    );
}

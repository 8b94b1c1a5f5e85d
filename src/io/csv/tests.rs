//! Tests of CSV planning, inference, reading and error reporting on real small files.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::*;
use crate::engine::CancelToken;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn pat(dir: &Path, glob: &str) -> String {
    dir.join(glob).to_string_lossy().into_owned()
}

fn read_all(src: &CsvSource) -> DataFrame {
    let tok = CancelToken::new();
    let mut out: Option<DataFrame> = None;
    for i in 0..src.parts.len() {
        let df = read_csv_part(src, i, &tok).unwrap();
        assert_eq!(
            df.schema().as_ref(),
            &src.schema,
            "partition {i} has the planned schema"
        );
        match &mut out {
            None => out = Some(df),
            Some(acc) => {
                acc.vstack_mut(&df).unwrap();
            }
        }
    }
    out.unwrap()
}

fn dtype(src: &CsvSource, col: &str) -> DataType {
    src.schema.get(col).unwrap().clone()
}

/// The error of a failed plan/read, checked to be a `File` error naming `file`, `line` and `column`.
fn assert_file_err(
    err: crate::error::Error,
    file: &str,
    line: Option<u64>,
    column: Option<u64>,
) -> String {
    let msg = err.to_string();
    match &err {
        crate::error::Error::File {
            path,
            line: l,
            column: c,
            ..
        } => {
            assert!(path.to_string_lossy().ends_with(file), "{msg}");
            assert_eq!((*l, *c), (line, column), "{msg}");
        }
        other => panic!("expected a File error, got {other:?}"),
    }
    assert!(msg.contains(file), "{msg}");
    if let Some(l) = line {
        let pos = match column {
            Some(c) => format!(":{l}:{c}"),
            None => format!(":{l}"),
        };
        assert!(msg.contains(&pos), "{msg}");
    }
    msg
}

const DATA: &str =
    "station,year,rain,name,flag\n070014,1995,0.2,Airport,True\n070351,1996,,Ainslie,False\n";

#[test]
fn infers_pandas_dtypes() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", DATA);
    let src = plan_csv(&pat(t.path(), "*.csv"), CsvOptions::default()).unwrap();
    assert_eq!(src.header, vec!["station", "year", "rain", "name", "flag"]);
    assert_eq!(
        dtype(&src, "station"),
        DataType::Int64,
        "leading zeros are integers"
    );
    assert_eq!(dtype(&src, "year"), DataType::Int64);
    assert_eq!(
        dtype(&src, "rain"),
        DataType::Float64,
        "empty field makes a float column"
    );
    assert_eq!(dtype(&src, "name"), DataType::String);
    assert_eq!(dtype(&src, "flag"), DataType::Boolean);
    let df = read_all(&src);
    assert_eq!(df.height(), 2);
    let st = df.column("station").unwrap().i64().unwrap();
    assert_eq!(st.get(0), Some(70014));
    let rain = df.column("rain").unwrap().f64().unwrap();
    assert_eq!(
        (rain.get(0), rain.get(1), rain.null_count()),
        (Some(0.2), None, 1)
    );
    assert_eq!(
        df.column("flag").unwrap().bool().unwrap().get(1),
        Some(false)
    );
}

#[test]
fn dtype_override_and_usecols() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", DATA);
    let mut opts = CsvOptions::default();
    opts.dtype.insert("station".into(), DataType::String);
    opts.usecols = Some(vec!["rain".into(), "station".into()]);
    let src = plan_csv(&pat(t.path(), "a.csv"), opts).unwrap();
    let names: Vec<&str> = src.schema.iter_names().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["station", "rain"],
        "file order, only the selected columns"
    );
    assert_eq!(src.header.len(), 5);
    let df = read_all(&src);
    assert_eq!(df.width(), 2);
    assert_eq!(
        df.column("station").unwrap().str().unwrap().get(0),
        Some("070014")
    );
}

#[test]
fn files_in_sorted_order_and_blocksize_split() {
    let t = tempfile::tempdir().unwrap();
    let mut big = String::from("id,value,label\n");
    for i in 0..5000 {
        big.push_str(&format!("{i},{}.5,row{i}\n", i * 3));
    }
    write(t.path(), "b.csv", &big);
    write(t.path(), "a.csv", "id,value,label\n-1,0.5,first\n");
    let whole = plan_csv(&pat(t.path(), "*.csv"), CsvOptions::default()).unwrap();
    assert_eq!(whole.parts.len(), 2);
    assert!(whole.parts[0].path.ends_with("a.csv"));
    let opts = CsvOptions {
        blocksize: Some(10_000),
        ..Default::default()
    };
    let split = plan_csv(&pat(t.path(), "*.csv"), opts).unwrap();
    assert!(split.parts.len() > 5, "{} parts", split.parts.len());
    // Blocks tile each file exactly, starting at line starts.
    let bytes = big.as_bytes();
    for w in split.parts.windows(2).filter(|w| w[0].path == w[1].path) {
        assert_eq!(w[0].end, w[1].start);
        assert_eq!(bytes[w[1].start as usize - 1], b'\n');
    }
    let a = read_all(&whole);
    let b = read_all(&split);
    assert_eq!(a.height(), 5001);
    assert!(
        a.equals_missing(&b),
        "blocks give the same rows as whole files"
    );
    assert_eq!(estimate_csv_rows(&whole).unwrap(), 5001);
    assert_eq!(csv_bytes(&whole), csv_bytes(&split));
}

#[test]
fn no_match_names_the_pattern() {
    let t = tempfile::tempdir().unwrap();
    let p = pat(t.path(), "nothing-*.csv");
    let msg = plan_csv(&p, CsvOptions::default()).unwrap_err().to_string();
    assert!(
        msg.contains("no files match") && msg.contains("nothing-*.csv"),
        "{msg}"
    );
}

#[test]
fn unknown_usecols_and_dtype_columns_suggest_closest() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", DATA);
    let opts = CsvOptions {
        usecols: Some(vec!["stations".into()]),
        ..Default::default()
    };
    let err = plan_csv(&pat(t.path(), "a.csv"), opts).unwrap_err();
    let msg = assert_file_err(err, "a.csv", Some(1), None);
    assert!(
        msg.contains("'stations'") && msg.contains("did you mean 'station'"),
        "{msg}"
    );
    let mut opts = CsvOptions::default();
    opts.dtype.insert("yeer".into(), DataType::Float64);
    let err = plan_csv(&pat(t.path(), "a.csv"), opts).unwrap_err();
    let msg = assert_file_err(err, "a.csv", Some(1), None);
    assert!(msg.contains("did you mean 'year'"), "{msg}");
}

#[test]
fn bad_value_in_later_file_names_file_line_column() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", "id,n,s\n1,10,x\n2,20,y\n");
    write(t.path(), "b.csv", "id,n,s\n3,30,x\n4,abc,y\n5,50,z\n");
    write(t.path(), "c.csv", "id,n,s\n6,6.5,x\n");
    let src = plan_csv(&pat(t.path(), "*.csv"), CsvOptions::default()).unwrap();
    assert_eq!(dtype(&src, "n"), DataType::Int64);
    let tok = CancelToken::new();
    let err = read_csv_part(&src, 1, &tok).unwrap_err();
    let msg = assert_file_err(err, "b.csv", Some(3), Some(2));
    assert!(
        msg.contains("\"abc\"") && msg.contains("'n'") && msg.contains("int64"),
        "{msg}"
    );
    assert!(msg.contains("dtype={'n': 'object'}"), "{msg}");
    // A float in an integer column suggests float64, as Dask does.
    let err = read_csv_part(&src, 2, &tok).unwrap_err();
    let msg = assert_file_err(err, "c.csv", Some(2), Some(2));
    assert!(msg.contains("dtype={'n': 'float64'}"), "{msg}");
}

#[test]
fn bad_value_in_a_later_block_has_the_file_line() {
    let t = tempfile::tempdir().unwrap();
    let mut text = String::from("id,n\n");
    for i in 0..3000 {
        let v = if i == 2500 {
            "oops".to_string()
        } else {
            i.to_string()
        };
        text.push_str(&format!("{i},{v}\n"));
    }
    write(t.path(), "big.csv", &text);
    let opts = CsvOptions {
        blocksize: Some(4096),
        sample_bytes: 1000,
        ..Default::default()
    };
    let src = plan_csv(&pat(t.path(), "big.csv"), opts).unwrap();
    let tok = CancelToken::new();
    let errs: Vec<_> = (0..src.parts.len())
        .filter_map(|i| read_csv_part(&src, i, &tok).err())
        .collect();
    assert_eq!(errs.len(), 1);
    let err = errs.into_iter().next().unwrap();
    // Row i is on line i + 2 (header is line 1).
    assert_file_err(err, "big.csv", Some(2502), Some(2));
    // One partition for the file: the bad row is in a later internal chunk (4 KiB in tests).
    let opts = CsvOptions {
        sample_bytes: 1000,
        ..Default::default()
    };
    let src = plan_csv(&pat(t.path(), "big.csv"), opts).unwrap();
    assert_eq!(src.parts.len(), 1);
    let err = read_csv_part(&src, 0, &tok).unwrap_err();
    assert_file_err(err, "big.csv", Some(2502), Some(2));
}

#[test]
fn ragged_rows() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "many.csv", "a,b,c\n1,2,3\n4,5,6,7\n");
    write(t.path(), "few.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n");
    let tok = CancelToken::new();
    let src = plan_csv(&pat(t.path(), "many.csv"), CsvOptions::default()).unwrap();
    let msg = assert_file_err(
        read_csv_part(&src, 0, &tok).unwrap_err(),
        "many.csv",
        Some(3),
        Some(4),
    );
    assert!(
        msg.contains("expected 3 fields") && msg.contains("saw 4"),
        "{msg}"
    );
    let src = plan_csv(&pat(t.path(), "few.csv"), CsvOptions::default()).unwrap();
    let msg = assert_file_err(
        read_csv_part(&src, 0, &tok).unwrap_err(),
        "few.csv",
        Some(4),
        Some(3),
    );
    assert!(msg.contains("saw 2"), "{msg}");
    // Also with usecols (polars skips unselected fields, the field count check still sees the row).
    let opts = CsvOptions {
        usecols: Some(vec!["a".into()]),
        ..Default::default()
    };
    let src = plan_csv(&pat(t.path(), "many.csv"), opts).unwrap();
    assert_file_err(
        read_csv_part(&src, 0, &tok).unwrap_err(),
        "many.csv",
        Some(3),
        Some(4),
    );
}

#[test]
fn quoted_fields_are_not_ragged() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "q.csv", "a,b\n1,\"x, y\"\n2,\"two\nlines\"\n");
    let src = plan_csv(&pat(t.path(), "q.csv"), CsvOptions::default()).unwrap();
    let df = read_all(&src);
    assert_eq!(df.height(), 2);
    assert_eq!(df.column("b").unwrap().str().unwrap().get(0), Some("x, y"));
}

#[test]
fn empty_and_header_only_files() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "empty.csv", "");
    let err = plan_csv(&pat(t.path(), "empty.csv"), CsvOptions::default()).unwrap_err();
    let msg = assert_file_err(err, "empty.csv", Some(1), None);
    assert!(msg.contains("empty"), "{msg}");
    // An empty later file is named too.
    write(t.path(), "a1.csv", "x,y\n1,2\n");
    write(t.path(), "a2.csv", "");
    let err = plan_csv(&pat(t.path(), "a*.csv"), CsvOptions::default()).unwrap_err();
    assert_file_err(err, "a2.csv", Some(1), None);
    // Header only: an empty partition with the schema.
    write(t.path(), "h.csv", "x,y\n");
    let src = plan_csv(&pat(t.path(), "h.csv"), CsvOptions::default()).unwrap();
    let df = read_csv_part(&src, 0, &CancelToken::new()).unwrap();
    assert_eq!((df.height(), df.width()), (0, 2));
    assert_eq!(
        dtype(&src, "x"),
        DataType::String,
        "pandas: object columns without rows"
    );
    // Dtypes come from the first file that has rows.
    write(t.path(), "h2.csv", "x,y\n1,a\n");
    let src = plan_csv(&pat(t.path(), "h*.csv"), CsvOptions::default()).unwrap();
    assert_eq!(
        (dtype(&src, "x"), dtype(&src, "y")),
        (DataType::Int64, DataType::String)
    );
    assert_eq!(read_all(&src).height(), 1);
}

#[test]
fn header_mismatch_in_later_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", "x,y\n1,2\n");
    write(t.path(), "b.csv", "x,z\n1,2\n");
    let err = plan_csv(&pat(t.path(), "*.csv"), CsvOptions::default()).unwrap_err();
    let msg = assert_file_err(err, "b.csv", Some(1), Some(2));
    assert!(msg.contains("\"z\""), "{msg}");
}

#[test]
fn cancelled_read_stops() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", DATA);
    let src = plan_csv(&pat(t.path(), "a.csv"), CsvOptions::default()).unwrap();
    let tok = CancelToken::new();
    tok.cancel();
    assert!(read_csv_part(&src, 0, &tok).unwrap_err().is_cancelled());
}

#[test]
fn write_csv_round_trip_and_part_names() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", DATA);
    let src = plan_csv(&pat(t.path(), "a.csv"), CsvOptions::default()).unwrap();
    let mut df = read_all(&src);
    let out = t.path().join("out");
    let paths = write_csv_parts(std::slice::from_mut(&mut df), &out.to_string_lossy()).unwrap();
    assert_eq!(paths, vec![out.join("0.part")]);
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    assert!(
        text.starts_with("station,year,rain,name,flag\n70014,1995,0.2,Airport,true\n"),
        "{text}"
    );
    let back = read_all(&plan_csv(&paths[0].to_string_lossy(), CsvOptions::default()).unwrap());
    assert!(back.equals_missing(&df));
    assert_eq!(
        csv_part_path("o/x-*.csv", 7, 12),
        PathBuf::from("o/x-07.csv")
    );
    assert_eq!(csv_part_path("o", 3, 4), PathBuf::from("o/3.part"));
    // An unwritable path: one File error naming it.
    let blocker = write(t.path(), "file", "x");
    let err = write_csv_part(&mut df, &blocker.join("x.csv")).unwrap_err();
    assert_file_err(err, "x.csv", None, None);
}

#[test]
fn pandas_na_spellings_are_nulls() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.csv", "a,b,c\n1,x,2\nNA,NA,3\n");
    write(t.path(), "b.csv", "a,b,c\n2.5,null,N/A\nNaN,z,4\n");
    let src = plan_csv(&pat(t.path(), "*.csv"), CsvOptions::default()).unwrap();
    assert_eq!(dtype(&src, "a"), DataType::Float64);
    assert_eq!(dtype(&src, "b"), DataType::String);
    assert_eq!(dtype(&src, "c"), DataType::Int64);
    let df = read_all(&src);
    assert_eq!(
        df.column("a").unwrap().null_count(),
        2,
        "NA, and NaN in a float column"
    );
    assert_eq!(
        df.column("b").unwrap().null_count(),
        2,
        "NA and null in a text column"
    );
    let c = df.column("c").unwrap().i64().unwrap();
    assert_eq!(
        (c.get(1), c.get(2)),
        (Some(3), None),
        "N/A in an int column of a later file"
    );
}

#[test]
fn crlf_bom_and_blank_lines() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "w.csv", "\u{feff}a,b\r\n1,x\r\n\r\n2,y\r\n");
    let src = plan_csv(&pat(t.path(), "w.csv"), CsvOptions::default()).unwrap();
    assert_eq!(src.header, vec!["a", "b"]);
    assert_eq!(dtype(&src, "a"), DataType::Int64);
    let df = read_all(&src);
    eprintln!("{df:?}");
    let b = df.column("b").unwrap().str().unwrap();
    assert_eq!(b.get(0), Some("x"));
    assert_eq!(df.height(), 2, "blank lines are skipped, as pandas does");
}

#[test]
fn invalid_utf8_is_located() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("u.csv");
    std::fs::write(&p, b"a,b\n1,ok\n2,bad\xff\xfe\n").unwrap();
    let src = plan_csv(&p.to_string_lossy(), CsvOptions::default()).unwrap();
    let err = read_csv_part(&src, 0, &CancelToken::new()).unwrap_err();
    let msg = assert_file_err(err, "u.csv", Some(3), Some(2));
    assert!(msg.contains("UTF-8"), "{msg}");
}

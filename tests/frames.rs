//! Partitioned frames on small generated CSV/Parquet trees, checked against hand-computed pandas results.
//! Graphs run on a tiny sequential executor that computes only the tasks the outputs need (as the
//! engine culls), so "head reads only partition 0" is observable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use tessera::engine::{
    CancelToken, Graph, Inputs, Key, Layer, LayerId, Scalar, TaskContext, Value, WorkerId,
};
use tessera::error::{Error, Result};
use tessera::frame::io::{plan_csv, plan_parquet, CsvOptions};
use tessera::frame::series::Operand;
use tessera::frame::{csv_frame, parquet_frame, Agg, DaskFrame, DaskSeries, GroupBy, Index};
use tessera::lang::{BinOp, Collection, Obj};

/// Demand-driven sequential executor: runs only the tasks the output tasks depend on.
struct Exec {
    memo: HashMap<(LayerId, u32), Arc<Value>>,
    cancel: CancelToken,
    runs: Vec<(String, u32)>,
}

impl Exec {
    fn new() -> Self {
        Exec {
            memo: HashMap::new(),
            cancel: CancelToken::new(),
            runs: Vec::new(),
        }
    }
    fn task(&mut self, layer: &Arc<Layer>, i: u32) -> Result<Arc<Value>> {
        if let Some(v) = self.memo.get(&(layer.id, i)) {
            return Ok(v.clone());
        }
        let mut values = Vec::new();
        let mut bounds = vec![0u32];
        for input in &layer.inputs {
            let mut idx = Vec::new();
            input
                .pattern
                .for_each(i, input.layer.ntasks, |j| idx.push(j));
            for j in idx {
                values.push(self.task(&input.layer, j)?);
            }
            bounds.push(values.len() as u32);
        }
        let ctx = TaskContext {
            key: Key::new(layer.id, i),
            layer_name: &layer.name,
            worker: WorkerId(0),
            cancel: &self.cancel,
        };
        self.runs.push((layer.prefix.to_string(), i));
        let v = layer
            .kernel
            .run(i, &Inputs::new(&values, &bounds), &ctx)
            .map_err(|e| Error::Task {
                layer: layer.name.to_string(),
                index: i,
                source: Box::new(e),
            })?;
        let v = Arc::new(v);
        self.memo.insert((layer.id, i), v.clone());
        Ok(v)
    }
    fn run(&mut self, g: &Graph) -> Result<Vec<Arc<Value>>> {
        (0..g.ntasks()).map(|i| self.task(&g.layer, i)).collect()
    }
}

/// A small engine.
fn new_engine() -> tessera::engine::Engine {
    tessera::engine::Engine::new(tessera::engine::EngineConfig {
        threads: 2,
        ..Default::default()
    })
}

/// One engine for the whole test binary.
fn engine() -> &'static tessera::engine::Engine {
    static ENGINE: std::sync::OnceLock<tessera::engine::Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(new_engine)
}

/// Run a graph on the real engine (exports included: their graphs commit once).
fn run(g: &Graph) -> Result<Vec<Arc<Value>>> {
    engine()
        .compute(g, "test")
        .wait()
        .map_err(|e| Error::value(e.to_string()))
}

fn compute(c: &dyn Collection) -> Obj {
    c.finalize(run(c.graph()).expect("graph runs"))
        .expect("finalize")
}

fn scalar(g: &Graph) -> Scalar {
    run(g).unwrap()[0].as_scalar().cloned().unwrap()
}

const FILES: [&str; 3] = [
    "id,k,x,y\n1,a,1.5,10\n2,b,,20\n3,a,-2.0,30\n",
    "id,k,x,y\n4,c,4.0,40\n5,b,0.5,50\n6,a,,60\n7,c,3.0,70\n",
    "id,k,x,y\n8,b,2.5,80\n9,a,1.0,90\n",
];

fn tree() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    for (i, body) in FILES.iter().enumerate() {
        std::fs::write(dir.path().join(format!("part{i}.csv")), body).unwrap();
    }
    let pattern = dir.path().join("part*.csv").display().to_string();
    (dir, pattern)
}

fn frame(pattern: &str) -> DaskFrame {
    csv_frame(plan_csv(pattern, CsvOptions::default()).unwrap())
}

fn f64s(s: &Series) -> Vec<Option<f64>> {
    s.cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn concrete_series(s: &DaskSeries) -> tessera::frame::SeriesValue {
    s.finalize_parts(&run(&s.graph).unwrap()).unwrap()
}

#[test]
fn metadata_without_reading() {
    let (_d, p) = tree();
    let f = frame(&p);
    assert_eq!(f.npartitions(), 3);
    assert_eq!(f.columns(), ["id", "k", "x", "y"]);
    let s = f.structure();
    assert!(s.starts_with("Dask DataFrame Structure:\n"), "{s}");
    assert!(s.contains("npartitions=3"), "{s}");
    assert!(
        s.contains("int64") && s.contains("object") && s.contains("float64"),
        "{s}"
    );
    assert!(s.ends_with("Dask Name: read-csv, 1 graph layer"), "{s}");
    // Dask's layout (its index-name line also carries trailing blanks).
    assert_eq!(
        s,
        "Dask DataFrame Structure:\n\
         \x20                 id       k        x      y\n\
         npartitions=3\n\
         \x20              int64  object  float64  int64\n\
         \x20                ...     ...      ...    ...\n\
         \x20                ...     ...      ...    ...\n\
         \x20                ...     ...      ...    ...\n\
         Dask Name: read-csv, 1 graph layer"
    );
}

#[test]
fn len_sum_mean_count() {
    let (_d, p) = tree();
    let f = frame(&p);
    assert_eq!(scalar(&f.len_graph()), Scalar::Int(9));
    let x = f.column("x").unwrap();
    assert_eq!(
        scalar(&x.reduce(Agg::Sum).unwrap().graph),
        Scalar::Float(10.5)
    );
    assert_eq!(
        scalar(&x.reduce(Agg::Mean).unwrap().graph),
        Scalar::Float(1.5)
    );
    assert_eq!(scalar(&x.reduce(Agg::Count).unwrap().graph), Scalar::Int(7));
    assert_eq!(
        scalar(&x.reduce(Agg::Max).unwrap().graph),
        Scalar::Float(4.0)
    );
    assert_eq!(
        scalar(&f.column("y").unwrap().reduce(Agg::Sum).unwrap().graph),
        Scalar::Int(450)
    );
    let Scalar::Float(sd) = scalar(&x.reduce(Agg::Std).unwrap().graph) else {
        panic!()
    };
    assert!((sd - (23.0f64 / 6.0).sqrt()).abs() < 1e-12);
    let sc = x.reduce(Agg::Max).unwrap();
    assert_eq!(sc.structure(), "dd.Scalar<max-aggregate, dtype=float64>");
    assert!(matches!(compute(&sc), Obj::Float(v) if v == 4.0));
}

#[test]
fn frame_reductions_are_per_column_numeric_only() {
    let (_d, p) = tree();
    let f = frame(&p);
    let sums = concrete_series(&f.reduce(Agg::Sum).unwrap());
    // id, x, y (k is a string): ints and floats together give float64.
    assert_eq!(
        f64s(&sums.series),
        vec![Some(45.0), Some(10.5), Some(450.0)]
    );
    assert_eq!(sums.series.dtype(), &DataType::Float64);
    let counts = concrete_series(&f.reduce(Agg::Count).unwrap());
    assert_eq!(
        f64s(&counts.series),
        vec![Some(9.0), Some(9.0), Some(7.0), Some(9.0)]
    );
    assert_eq!(
        counts.to_text(),
        "id    9\nk     9\nx     7\ny     9\ndtype: int64"
    );
}

#[test]
fn filter_len_and_filtered_sum() {
    let (_d, p) = tree();
    let f = frame(&p);
    let x = f.column("x").unwrap();
    let mask = x
        .binary(BinOp::Gt, Operand::Scalar(Scalar::Int(0)), false)
        .unwrap();
    let kept = f.filter(&mask).unwrap();
    assert_eq!(scalar(&kept.len_graph()), Scalar::Int(6));
    assert_eq!(
        scalar(&kept.column("y").unwrap().reduce(Agg::Sum).unwrap().graph),
        Scalar::Int(340)
    );
    // pandas: missing compares False, so the inverted mask keeps the rows with missing x.
    let inv = f.filter(&mask.invert().unwrap()).unwrap();
    let ids = inv.column("id").unwrap();
    assert_eq!(
        f64s(&concrete_series(&ids).series),
        vec![Some(2.0), Some(3.0), Some(6.0)]
    );
    // & and | of aligned masks, arithmetic with a scalar and a series.
    let y = f.column("y").unwrap();
    let big = y
        .binary(BinOp::Ge, Operand::Scalar(Scalar::Int(50)), false)
        .unwrap();
    let both = mask
        .binary(BinOp::And, Operand::Series(&big), false)
        .unwrap();
    assert_eq!(
        scalar(&f.filter(&both).unwrap().len_graph()),
        Scalar::Int(4)
    );
    let either = mask
        .binary(BinOp::Or, Operand::Series(&big), false)
        .unwrap();
    assert_eq!(
        scalar(&f.filter(&either).unwrap().len_graph()),
        Scalar::Int(7)
    );
    let z = y
        .binary(BinOp::Div, Operand::Scalar(Scalar::Int(10)), false)
        .unwrap();
    assert_eq!(
        scalar(&z.reduce(Agg::Sum).unwrap().graph),
        Scalar::Float(45.0)
    );
    let w = x.binary(BinOp::Add, Operand::Series(&y), false).unwrap();
    assert_eq!(scalar(&w.reduce(Agg::Count).unwrap().graph), Scalar::Int(7));
    assert_eq!(
        scalar(&w.reduce(Agg::Sum).unwrap().graph),
        Scalar::Float(10.5 + 450.0 - 20.0 - 60.0)
    );
    let k = f.column("k").unwrap();
    let is_a = k
        .binary(BinOp::Eq, Operand::Scalar(Scalar::Str("a".into())), false)
        .unwrap();
    assert_eq!(
        scalar(&f.filter(&is_a).unwrap().len_graph()),
        Scalar::Int(4)
    );
}

#[test]
fn groupby_sorted_by_key() {
    let (_d, p) = tree();
    let f = frame(&p);
    let gb = GroupBy::new(&f, "k")
        .unwrap()
        .select(vec!["x".into()], true)
        .unwrap();
    let Obj::Native(n) = gb.agg(Agg::Max).unwrap() else {
        panic!()
    };
    let s = n.as_any().downcast_ref::<DaskSeries>().unwrap();
    let v = concrete_series(s);
    assert_eq!(f64s(&v.series), vec![Some(1.5), Some(2.5), Some(4.0)]);
    assert_eq!(
        v.to_text(),
        "k\na    1.5\nb    2.5\nc    4.0\nName: x, dtype: float64"
    );
    let gy = GroupBy::new(&f, "k")
        .unwrap()
        .select(vec!["y".into()], true)
        .unwrap();
    for (agg, want) in [
        (Agg::Sum, [190.0, 150.0, 110.0]),
        (Agg::Count, [4.0, 3.0, 2.0]),
        (Agg::Mean, [47.5, 50.0, 55.0]),
        (Agg::Min, [10.0, 20.0, 40.0]),
    ] {
        let Obj::Native(n) = gy.agg(agg).unwrap() else {
            panic!()
        };
        let v = concrete_series(n.as_any().downcast_ref::<DaskSeries>().unwrap());
        assert_eq!(f64s(&v.series), want.map(Some).to_vec(), "{agg:?}");
    }
    // Mean skips missing x: a = (1.5 - 2 + 1) / 3.
    let Obj::Native(n) = gb.agg(Agg::Mean).unwrap() else {
        panic!()
    };
    let v = concrete_series(n.as_any().downcast_ref::<DaskSeries>().unwrap());
    assert_eq!(f64s(&v.series), vec![Some(0.5 / 3.0), Some(1.5), Some(3.5)]);
}

#[test]
fn groupby_tree_over_many_partitions() {
    // 20 partitions: chunk, one combine level (3 tasks) and the aggregate.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        let body: String = (0..5)
            .map(|r| format!("{},{}\n", (i + r) % 3, i * 5 + r))
            .collect();
        std::fs::write(
            dir.path().join(format!("p{i:02}.csv")),
            format!("g,v\n{body}"),
        )
        .unwrap();
    }
    let f = frame(&dir.path().join("*.csv").display().to_string());
    let g = tessera::frame::groupby::groupby_graph(&f.graph, "g", &["v".into()], Agg::Sum);
    let layers: Vec<String> = g
        .layer
        .topo()
        .iter()
        .map(|l| format!("{}:{}", l.prefix, l.ntasks))
        .collect();
    assert_eq!(
        layers,
        [
            "read-csv:20",
            "groupby-sum-chunk:20",
            "groupby-sum-combine:3",
            "groupby-sum-aggregate:1"
        ]
    );
    let out = run(&g).unwrap();
    let df = out[0].as_frame().unwrap();
    let mut want = [0i64; 3];
    for i in 0..20 {
        for r in 0..5 {
            want[((i + r) % 3) as usize] += (i * 5 + r) as i64;
        }
    }
    let got: Vec<i64> = df
        .column("v")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(got, want.to_vec());
    assert_eq!(scalar(&f.len_graph()), Scalar::Int(100));
}

#[test]
fn describe_matches_pandas() {
    let (_d, p) = tree();
    let f = frame(&p);
    let d = tessera::frame::describe::describe(&f).unwrap();
    let v = d.finalize_parts(&run(&d.graph).unwrap()).unwrap();
    let x = f64s(v.df.column("x").unwrap().as_materialized_series());
    let want = [7.0, 1.5, (23.0f64 / 6.0).sqrt(), -2.0, 0.75, 1.5, 2.75, 4.0];
    for (g, w) in x.iter().zip(want) {
        assert!((g.unwrap() - w).abs() < 1e-12, "{x:?}");
    }
    let y = f64s(v.df.column("y").unwrap().as_materialized_series());
    assert_eq!(y[0], Some(9.0));
    assert_eq!(y[4..7], [Some(30.0), Some(50.0), Some(70.0)]);
    assert_eq!(
        v.to_text(),
        // Exactly what pandas 2 prints for the same data.
        "             id        x          y\n\
         count  9.000000  7.00000   9.000000\n\
         mean   5.000000  1.50000  50.000000\n\
         std    2.738613  1.95789  27.386128\n\
         min    1.000000 -2.00000  10.000000\n\
         25%    3.000000  0.75000  30.000000\n\
         50%    5.000000  1.50000  50.000000\n\
         75%    7.000000  2.75000  70.000000\n\
         max    9.000000  4.00000  90.000000"
    );
}

#[test]
fn head_reads_only_partition_zero() {
    let (d, p) = tree();
    // A later file that cannot parse must not matter for head().
    std::fs::write(d.path().join("part2.csv"), "id,k,x,y\n8,b,notanumber,80\n").unwrap();
    let f = frame(&p);
    let mut ex = Exec::new();
    let out = ex.run(&f.head_graph(2, 1)).unwrap();
    assert!(
        ex.runs.iter().all(|(l, i)| l == "head" || *i == 0),
        "{:?}",
        ex.runs
    );
    let h = f.head_value(&out[0]).unwrap();
    assert_eq!(
        h.to_text(),
        "   id  k    x   y\n0   1  a  1.5  10\n1   2  b  NaN  20"
    );
    // Computing everything fails naming the layer, the partition and the file.
    let err = run(&f.graph).unwrap_err().to_string();
    assert!(
        err.contains("read-csv") && err.contains(", 2)") && err.contains("part2.csv"),
        "{err}"
    );
    // A short first partition: head over several partitions concatenates with per-partition labels.
    let h = f.head_value(&run(&f.head_graph(5, 2)).unwrap()[0]).unwrap();
    assert_eq!(h.df.height(), 5);
    assert!(matches!(&h.index, Index::Parts(l) if l == &vec![3, 2]));
}

#[test]
fn repartition_keeps_rows() {
    let (_d, p) = tree();
    let f = frame(&p);
    let all = |f: &DaskFrame| {
        let v = f.finalize_parts(&run(&f.graph).unwrap()).unwrap();
        f64s(v.df.column("id").unwrap().as_materialized_series())
    };
    let want: Vec<Option<f64>> = (1..=9).map(|i| Some(i as f64)).collect();
    for k in [1, 2, 5, 7] {
        let r = f.repartition(k).unwrap();
        assert_eq!(r.npartitions(), k);
        assert_eq!(all(&r), want, "k={k}");
    }
    let lens: Vec<usize> = run(&f.repartition(7).unwrap().graph)
        .unwrap()
        .iter()
        .map(|v| v.as_frame().unwrap().height())
        .collect();
    assert_eq!(lens.iter().sum::<usize>(), 9);
}

fn write_parquet(f: &DaskFrame, path: &Path) {
    let g = tessera::frame::export::to_parquet_graph(f, path, false).unwrap();
    run(&g).unwrap();
}

#[test]
fn to_parquet_round_trip() {
    let (d, p) = tree();
    let f = frame(&p);
    let out = d.path().join("out.parquet");
    write_parquet(&f, &out);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["part.0.parquet", "part.1.parquet", "part.2.parquet"]
    );
    // A directory holding other files is refused without overwrite=True, replaced with it.
    let foreign = d.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep").unwrap();
    assert!(tessera::frame::export::to_parquet_graph(&f, &foreign, false).is_err());
    run(&tessera::frame::export::to_parquet_graph(&f, &foreign, true).unwrap()).unwrap();
    assert!(foreign.join("part.0.parquet").exists() && !foreign.join("notes.txt").exists());
    let src = plan_parquet(out.to_str().unwrap(), None).unwrap();
    assert_eq!(src.rows, vec![3, 4, 2]);
    let back = parquet_frame(src, None);
    assert_eq!(back.columns(), f.columns());
    // len() from the footers: no engine, no task.
    let mut cx = NoEngine(Vec::new());
    assert_eq!(tessera::lang::Native::len(&back, &mut cx).unwrap(), 9);
    // Selecting columns reads only them (a new read layer) and keeps the known lengths.
    let y = back.select(&["y".to_string()]).unwrap();
    assert_eq!(tessera::lang::Native::len(&y, &mut cx).unwrap(), 9);
    let yv = y.finalize_parts(&run(&y.graph).unwrap()).unwrap();
    assert_eq!(yv.df.get_column_names(), ["y"]);
    let a = f.finalize_parts(&run(&f.graph).unwrap()).unwrap();
    let b = back.finalize_parts(&run(&back.graph).unwrap()).unwrap();
    assert!(a.df.equals_missing(&b.df));
    assert_eq!(a.to_text(), b.to_text());
    // An unevaluated export leaves nothing behind when dropped.
    let other = d.path().join("never.parquet");
    drop(tessera::frame::export::to_parquet_graph(&f, &other, false).unwrap());
    assert!(!other.exists());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn to_csv_one_file_per_partition() {
    let (d, p) = tree();
    let f = frame(&p);
    let dir = d.path().join("csvout");
    let g = tessera::frame::export::to_csv_graph(&f, dir.to_str().unwrap(), false).unwrap();
    let names = run(&g).unwrap();
    assert_eq!(names.len(), 3);
    assert_eq!(
        std::fs::read_to_string(dir.join("0.part")).unwrap(),
        FILES[0]
    );
    let back = frame(&dir.join("*.part").display().to_string());
    assert_eq!(scalar(&back.len_graph()), Scalar::Int(9));
}

#[test]
fn value_counts_most_frequent_first() {
    let (_d, p) = tree();
    let f = frame(&p);
    let v = concrete_series(&f.column("k").unwrap().value_counts().unwrap());
    assert_eq!(
        v.to_text(),
        "k\na    4\nb    3\nc    2\nName: count, dtype: int64"
    );
}

#[test]
fn missing_values_and_dropna() {
    let (_d, p) = tree();
    let f = frame(&p);
    let x = f.column("x").unwrap();
    let nulls = x.isnull(false).unwrap();
    assert_eq!(
        scalar(&nulls.reduce(Agg::Sum).unwrap().graph),
        Scalar::Int(2)
    );
    assert_eq!(
        scalar(&f.filter(&x.isnull(true).unwrap()).unwrap().len_graph()),
        Scalar::Int(7)
    );
    assert_eq!(scalar(&f.dropna(None).unwrap().len_graph()), Scalar::Int(7));
    assert_eq!(
        scalar(&f.dropna(Some(vec!["y".into()])).unwrap().len_graph()),
        Scalar::Int(9)
    );
}

#[test]
fn nlargest_over_a_tree() {
    let (_d, p) = tree();
    let f = frame(&p);
    let top = concrete_series(&f.column("x").unwrap().top(3, true).unwrap());
    assert_eq!(f64s(&top.series), vec![Some(4.0), Some(3.0), Some(2.5)]);
    let low = f.top(2, "x", false).unwrap();
    let v = low.finalize_parts(&run(&low.graph).unwrap()).unwrap();
    assert_eq!(
        f64s(v.df.column("id").unwrap().as_materialized_series()),
        vec![Some(3.0), Some(5.0)]
    );
}

#[test]
fn unique_in_order_of_appearance() {
    let (_d, p) = tree();
    let f = frame(&p);
    let u = concrete_series(&f.column("k").unwrap().unique().unwrap());
    assert_eq!(
        u.to_text(),
        "0    a\n1    b\n2    c\nName: k, dtype: object"
    );
}

#[test]
fn blocksize_splits_files() {
    let (_d, p) = tree();
    let opts = CsvOptions {
        blocksize: Some(20),
        ..CsvOptions::default()
    };
    let f = csv_frame(plan_csv(&p, opts).unwrap());
    assert!(f.npartitions() > 3);
    assert_eq!(scalar(&f.len_graph()), Scalar::Int(9));
    assert_eq!(
        scalar(&f.column("y").unwrap().reduce(Agg::Sum).unwrap().graph),
        Scalar::Int(450)
    );
}

#[test]
fn cancelled_tasks_stop() {
    let (_d, p) = tree();
    let f = frame(&p);
    let mut ex = Exec::new();
    ex.cancel.cancel();
    let err = ex.run(&f.len_graph()).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
}

/// A session without an engine: enough for everything that builds graphs without running them.
struct NoEngine(Vec<tessera::lang::Output>);

impl tessera::lang::SessionCtx for NoEngine {
    fn engine(&self) -> &tessera::engine::Engine {
        unimplemented!("these tests run graphs on the local executor")
    }
    fn emit(&mut self, out: tessera::lang::Output) {
        self.0.push(out);
    }
    fn interactive(&self) -> bool {
        false
    }
}

fn call(o: &Obj, name: &str, positional: Vec<Obj>, keywords: Vec<(&str, Obj)>) -> Obj {
    let Obj::Native(n) = o else {
        panic!("not native")
    };
    let args = tessera::lang::Args {
        positional,
        keywords: keywords
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    n.call_method(name, args, &mut NoEngine(Vec::new()))
        .unwrap()
}

fn native(o: &Obj) -> &Arc<dyn tessera::lang::Native> {
    match o {
        Obj::Native(n) => n,
        _ => panic!("not native"),
    }
}

fn text(o: &Obj) -> String {
    match native(o).repr(&mut NoEngine(Vec::new())).unwrap() {
        tessera::lang::Output::Text(t) => t,
        tessera::lang::Output::Table(t) => tessera::frame::format::render(&t),
    }
}

fn compute_obj(o: &Obj) -> Obj {
    compute(native(o).collection().expect("a collection"))
}

#[test]
fn session_language_objects() {
    let (d, p) = tree();
    let cx = &mut NoEngine(Vec::new());
    let read_csv = tessera::frame::builtins()
        .into_iter()
        .find(|(n, _)| *n == "read_csv")
        .unwrap()
        .1;
    let args = tessera::lang::Args {
        positional: vec![Obj::str(p.as_str())],
        keywords: vec![],
    };
    let ddf = read_csv(args, cx).unwrap();
    assert!(text(&ddf).contains("npartitions=3"));
    let n = native(&ddf);
    assert!(matches!(
        n.get_attr("npartitions", cx).unwrap(),
        Some(Obj::Int(3))
    ));
    let dtypes = n.get_attr("dtypes", cx).unwrap().unwrap();
    assert_eq!(
        text(&dtypes),
        "id      int64\nk      object\nx     float64\ny       int64\ndtype: object"
    );
    // ddf[ddf.x > 0].y.sum()
    let x = n.get_attr("x", cx).unwrap().unwrap();
    let mask = native(&x)
        .binary_op(BinOp::Gt, &Obj::Int(0), false, cx)
        .unwrap();
    assert!(text(&mask).starts_with("Dask Series Structure:\nnpartitions=3\n    bool\n     ...\n"));
    let kept = n.get_item(&mask, cx).unwrap();
    let y = native(&kept).get_item(&Obj::str("y"), cx).unwrap();
    let total = call(&y, "sum", vec![], vec![]);
    assert_eq!(text(&total), "dd.Scalar<sum-aggregate, dtype=int64>");
    assert!(matches!(compute_obj(&total), Obj::Int(340)));
    // Lazy scalar arithmetic: ddf.y.sum() / ddf.y.count() and 1000 - total.
    let all_y = native(&ddf).get_item(&Obj::str("y"), cx).unwrap();
    let (sy, cy) = (
        call(&all_y, "sum", vec![], vec![]),
        call(&all_y, "count", vec![], vec![]),
    );
    let ratio = native(&sy).binary_op(BinOp::Div, &cy, false, cx).unwrap();
    assert!(matches!(compute_obj(&ratio), Obj::Float(v) if v == 50.0));
    assert_eq!(text(&ratio), "dd.Scalar<truediv, dtype=float64>");
    let rest = native(&total)
        .binary_op(BinOp::Sub, &Obj::Int(1000), true, cx)
        .unwrap();
    assert!(matches!(compute_obj(&rest), Obj::Int(660)));
    // Column selection re-plans the read with fewer columns, in the asked order.
    let yx = n
        .get_item(&Obj::List(Arc::new(vec![Obj::str("y"), Obj::str("x")])), cx)
        .unwrap();
    let yx = native(&yx).as_any().downcast_ref::<DaskFrame>().unwrap();
    assert_eq!(yx.graph.layer.topo().len(), 2);
    let v = yx.finalize_parts(&run(&yx.graph).unwrap()).unwrap();
    assert_eq!(v.df.get_column_names(), ["y", "x"]);
    assert_eq!(v.df.height(), 9);
    // 0 < x is x > 0.
    let flipped = native(&x)
        .binary_op(BinOp::Lt, &Obj::Int(0), true, cx)
        .unwrap();
    let kept2 = n.get_item(&flipped, cx).unwrap();
    let kept2 = native(&kept2).as_any().downcast_ref::<DaskFrame>().unwrap();
    assert_eq!(scalar(&kept2.len_graph()), Scalar::Int(6));
    // groupby("k").y.sum() and groupby("k")["x"].max()
    let gb = call(&ddf, "groupby", vec![Obj::str("k")], vec![]);
    let gx = native(&gb).get_item(&Obj::str("x"), cx).unwrap();
    let mx = call(&gx, "max", vec![], vec![]);
    assert_eq!(
        text(&compute_obj(&mx)),
        "k\na    1.5\nb    2.5\nc    4.0\nName: x, dtype: float64"
    );
    let gy = native(&gb).get_attr("y", cx).unwrap().unwrap();
    let sy = compute_obj(&call(&gy, "sum", vec![], vec![]));
    assert_eq!(
        text(&sy),
        "k\na    190\nb    150\nc    110\nName: y, dtype: int64"
    );
    let sizes = compute_obj(&call(&gb, "size", vec![], vec![]));
    assert_eq!(text(&sizes), "k\na    4\nb    3\nc    2\ndtype: int64");
    // Frame-level groupby aggregates every other numeric column, indexed by key.
    let fs = compute_obj(&call(&gb, "sum", vec![], vec![]));
    assert_eq!(
        text(&fs),
        "   id    x    y\nk\na  19  0.5  190\nb  15  3.0  150\nc  11  7.0  110"
    );
    // ddf[["x", "y"]].mean()
    let sel = n
        .get_item(&Obj::List(Arc::new(vec![Obj::str("x"), Obj::str("y")])), cx)
        .unwrap();
    let means = compute_obj(&call(&sel, "mean", vec![], vec![]));
    assert_eq!(text(&means), "x     1.5\ny    50.0\ndtype: float64");
    // describe() is lazy and computes to pandas' table.
    let desc = call(&ddf, "describe", vec![], vec![]);
    assert!(text(&desc).starts_with("Dask DataFrame Structure:"));
    assert!(text(&compute_obj(&desc)).contains("std    2.738613  1.95789  27.386128"));
    // to_parquet(compute=False) returns an unevaluated job that writes when run.
    let out = d.path().join("lazy.parquet");
    let job = call(
        &ddf,
        "to_parquet",
        vec![Obj::str(out.to_str().unwrap())],
        vec![("compute", Obj::Bool(false))],
    );
    assert!(text(&job).starts_with("Delayed('to-parquet-commit-"));
    assert!(!out.exists());
    assert!(matches!(compute_obj(&job), Obj::None));
    assert!(out.join("part.2.parquet").exists());
    // Errors name what is wrong.
    let Err(e) = native(&ddf).get_item(&Obj::str("xx"), cx) else {
        panic!()
    };
    assert!(
        e.to_string().contains("'xx'") && e.to_string().contains("did you mean 'x'"),
        "{e}"
    );
    let k = n.get_item(&Obj::str("k"), cx).unwrap();
    assert!(native(&k)
        .binary_op(BinOp::Add, &Obj::Int(1), false, cx)
        .is_ok_and(|s| run(native(&s).collection().unwrap().graph()).is_err()));
}

/// A session on the real engine (its own, so emitted outputs are its own).
struct Session {
    engine: tessera::engine::Engine,
    out: Vec<tessera::lang::Output>,
}

impl tessera::lang::SessionCtx for Session {
    fn engine(&self) -> &tessera::engine::Engine {
        &self.engine
    }
    fn emit(&mut self, out: tessera::lang::Output) {
        self.out.push(out);
    }
    fn interactive(&self) -> bool {
        false
    }
}

fn session() -> Session {
    Session {
        engine: new_engine(),
        out: Vec::new(),
    }
}

fn call_in(
    cx: &mut Session,
    o: &Obj,
    name: &str,
    positional: Vec<Obj>,
    keywords: Vec<(&str, Obj)>,
) -> tessera::error::Result<Obj> {
    let args = tessera::lang::Args {
        positional,
        keywords: keywords
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    native(o).call_method(name, args, cx)
}

#[test]
fn on_the_engine() {
    let (d, p) = tree();
    let cx = &mut session();
    let read_csv = tessera::frame::builtins()
        .into_iter()
        .find(|(n, _)| *n == "read_csv")
        .unwrap()
        .1;
    let ddf = read_csv(
        tessera::lang::Args {
            positional: vec![Obj::str(p.as_str())],
            keywords: vec![],
        },
        cx,
    )
    .unwrap();
    assert_eq!(native(&ddf).len(cx).unwrap(), 9);
    let h = call_in(cx, &ddf, "head", vec![Obj::Int(2)], vec![]).unwrap();
    assert_eq!(
        text(&h),
        "   id  k    x   y\n0   1  a  1.5  10\n1   2  b  NaN  20"
    );
    // The first partition has 3 rows: head(5) warns and reads on.
    let h = call_in(cx, &ddf, "head", vec![], vec![]).unwrap();
    assert_eq!(native(&h).len(cx).unwrap(), 5);
    assert!(
        matches!(&cx.out[..], [tessera::lang::Output::Text(w)] if w.contains("Insufficient elements"))
    );
    let all = call_in(cx, &ddf, "compute", vec![], vec![]).unwrap();
    assert_eq!(native(&all).len(cx).unwrap(), 9);
    let persisted = call_in(cx, &ddf, "persist", vec![], vec![]).unwrap();
    let y = native(&persisted).get_item(&Obj::str("y"), cx).unwrap();
    let s = call_in(cx, &y, "sum", vec![], vec![]).unwrap();
    assert!(matches!(
        call_in(cx, &s, "compute", vec![], vec![]).unwrap(),
        Obj::Int(450)
    ));
    let out = d.path().join("eng.parquet");
    call_in(
        cx,
        &ddf,
        "to_parquet",
        vec![Obj::str(out.to_str().unwrap())],
        vec![],
    )
    .unwrap();
    let read_parquet = tessera::frame::builtins()
        .into_iter()
        .find(|(n, _)| *n == "read_parquet")
        .unwrap()
        .1;
    let back = read_parquet(
        tessera::lang::Args {
            positional: vec![Obj::str(out.to_str().unwrap())],
            keywords: vec![],
        },
        cx,
    )
    .unwrap();
    assert_eq!(native(&back).len(cx).unwrap(), 9);
    let files = call_in(
        cx,
        &ddf,
        "to_csv",
        vec![Obj::str(d.path().join("csvs").to_str().unwrap())],
        vec![("index", Obj::Bool(false))],
    )
    .unwrap();
    assert!(matches!(&files, Obj::List(v) if v.len() == 3));
    // A bad later file: head still works, compute names the layer, partition and file.
    std::fs::write(d.path().join("part2.csv"), "id,k,x,y\n8,b,notanumber,80\n").unwrap();
    let ddf = read_csv(
        tessera::lang::Args {
            positional: vec![Obj::str(p.as_str())],
            keywords: vec![],
        },
        cx,
    )
    .unwrap();
    assert!(call_in(cx, &ddf, "head", vec![Obj::Int(2)], vec![]).is_ok());
    let err = call_in(cx, &ddf, "compute", vec![], vec![])
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("part2.csv") && err.contains("read-csv"),
        "{err}"
    );
}

/// Run a script headless on a fresh session: (stdout, stderr).
fn run_script(src: &str) -> (String, String) {
    let mut s = tessera::lang::Session::new(new_engine(), false);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    tessera::lang::run_session(&mut s, src, "t.tess", true, &mut out, &mut err);
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

const RAIN: [&str; 3] = [
    "station,year,rain,name\n10,2001,1.5,a\n10,2002,,b\n20,2001,30.0,c\n",
    "station,year,rain,name\n20,2002,25.5,d\n30,2001,NaN,e\n30,2002,40.0,f\n10,2003,2.0,g\n",
    "station,year,rain,name\n40,2001,25.5,h\n40,2002,0.0,i\n",
];

fn rain_tree() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    for (i, body) in RAIN.iter().enumerate() {
        std::fs::write(dir.path().join(format!("r{i}.csv")), body).unwrap();
    }
    let pattern = dir.path().join("r*.csv").display().to_string();
    (dir, pattern)
}

fn obj_f64(o: &Obj) -> f64 {
    match o {
        Obj::Float(f) => *f,
        other => panic!("not a float: {other:?}"),
    }
}

/// Computed results (`.compute()`) have pandas' methods; expected values and text are pandas 2.3's for
/// the same CSV files (`pd.concat(pd.read_csv(f) for f in files)`).
#[test]
fn computed_results_like_pandas() {
    let (_d, p) = rain_tree();
    let ddf = Obj::native(frame(&p));
    let cx = &mut NoEngine(Vec::new());
    let s = |x: &str| Obj::str(x);
    // r = ddf.groupby("station")["rain"].mean().compute()
    let gb = call(&ddf, "groupby", vec![s("station")], vec![]);
    let rain = native(&gb).get_item(&s("rain"), cx).unwrap();
    let r = compute_obj(&call(&rain, "mean", vec![], vec![]));
    assert!(matches!(call(&r, "sum", vec![], vec![]), Obj::Float(v) if v == 82.25));
    assert!(matches!(call(&r, "max", vec![], vec![]), Obj::Float(v) if v == 40.0));
    assert!(matches!(call(&r, "idxmax", vec![], vec![]), Obj::Int(30)));
    assert!(matches!(call(&r, "idxmin", vec![], vec![]), Obj::Int(10)));
    assert!(matches!(call(&r, "count", vec![], vec![]), Obj::Int(4)));
    let top = call(
        &r,
        "sort_values",
        vec![],
        vec![("ascending", Obj::Bool(false))],
    );
    assert_eq!(
        text(&call(&top, "head", vec![Obj::Int(3)], vec![])),
        "station\n30    40.00\n20    27.75\n40    12.75\nName: rain, dtype: float64"
    );
    assert_eq!(
        text(&call(&r, "nlargest", vec![Obj::Int(2)], vec![])),
        "station\n30    40.00\n20    27.75\nName: rain, dtype: float64"
    );
    assert_eq!(
        text(&call(&r, "describe", vec![], vec![])),
        "count     4.000000\nmean     20.562500\nstd      16.777186\nmin       1.750000\n25%      10.000000\n\
         50%      20.250000\n75%      30.812500\nmax      40.000000\nName: rain, dtype: float64"
    );

    // The whole frame: `rain` has a null (empty field) and a NaN.
    let all = compute_obj(&ddf);
    let col = |name: &str| {
        native(&all)
            .get_item(&s(name), &mut NoEngine(Vec::new()))
            .unwrap()
    };
    let rain = col("rain");
    let stat = |o: &Obj, m: &str| call(o, m, vec![], vec![]);
    assert_eq!(obj_f64(&stat(&rain, "sum")), 124.5);
    assert!((obj_f64(&stat(&rain, "mean")) - 124.5 / 7.0).abs() < 1e-12);
    assert!(matches!(stat(&rain, "count"), Obj::Int(7)));
    assert_eq!(obj_f64(&stat(&rain, "median")), 25.5);
    assert_eq!(obj_f64(&stat(&rain, "min")), 0.0);
    assert!((obj_f64(&stat(&rain, "std")) - 16.291248015568417).abs() < 1e-9);
    let var0 = call(&rain, "var", vec![], vec![("ddof", Obj::Int(0))]);
    assert!((obj_f64(&var0) - 227.48979591836738).abs() < 1e-9);
    // Integers stay integers for sum/min/max; mean is a float; strings have min/max.
    let station = col("station");
    assert!(matches!(stat(&station, "sum"), Obj::Int(210)));
    assert!(matches!(stat(&station, "max"), Obj::Int(40)));
    assert!(matches!(stat(&station, "mean"), Obj::Float(v) if (v - 70.0 / 3.0).abs() < 1e-12));
    assert!(matches!(stat(&col("name"), "max"), Obj::Str(v) if &*v == "i"));
    // Missing values last in both directions; labels travel with their values.
    assert_eq!(
        text(&call(&rain, "sort_values", vec![], vec![("ascending", Obj::Bool(false))])),
        "2    40.0\n2    30.0\n0    25.5\n0    25.5\n3     2.0\n0     1.5\n1     0.0\n1     NaN\n1     NaN\n\
         Name: rain, dtype: float64"
    );
    let low = call(
        &stat(&rain, "sort_values"),
        "head",
        vec![Obj::Int(4)],
        vec![],
    );
    assert_eq!(
        text(&low),
        "1     0.0\n0     1.5\n3     2.0\n0    25.5\nName: rain, dtype: float64"
    );
    // idxmax on a non-contiguous index gives the label, not the position.
    assert!(matches!(stat(&low, "idxmax"), Obj::Int(0)));
    assert!(matches!(stat(&low, "idxmin"), Obj::Int(1)));
    assert!(matches!(stat(&col("year"), "idxmax"), Obj::Int(3)));
    assert_eq!(
        text(&stat(&rain, "value_counts")),
        "rain\n25.5    2\n1.5     1\n30.0    1\n40.0    1\n2.0     1\n0.0     1\nName: count, dtype: int64"
    );
    assert_eq!(
        text(&stat(&col("name"), "describe")),
        "count     9\nunique    9\ntop       a\nfreq      1\nName: name, dtype: object"
    );

    // DataFrame: sort by two columns (descending on the second, missing last), reductions per column.
    let by = Obj::List(Arc::new(vec![s("station"), s("rain")]));
    let asc = Obj::List(Arc::new(vec![Obj::Bool(true), Obj::Bool(false)]));
    assert_eq!(
        text(&call(
            &all,
            "sort_values",
            vec![by],
            vec![("ascending", asc)]
        )),
        "   station  year  rain name\n3       10  2003   2.0    g\n0       10  2001   1.5    a\n\
         1       10  2002   NaN    b\n2       20  2001  30.0    c\n0       20  2002  25.5    d\n\
         2       30  2002  40.0    f\n1       30  2001   NaN    e\n0       40  2001  25.5    h\n\
         1       40  2002   0.0    i"
    );
    assert_eq!(
        text(&stat(&all, "sum")),
        "station      210.0\nyear       18015.0\nrain         124.5\ndtype: float64"
    );
    assert_eq!(
        text(&stat(&all, "count")),
        "station    9\nyear       9\nrain       7\nname       9\ndtype: int64"
    );
    assert_eq!(
        text(&stat(&all, "max")),
        "station      40\nyear       2003\nrain       40.0\nname          i\ndtype: object"
    );
    assert_eq!(
        text(&call(
            &all,
            "nlargest",
            vec![Obj::Int(3), s("rain")],
            vec![]
        )),
        "   station  year  rain name\n2       30  2002  40.0    f\n2       20  2001  30.0    c\n\
         0       20  2002  25.5    d"
    );
    assert_eq!(
        text(&call(&all, "tail", vec![Obj::Int(2)], vec![])),
        "   station  year  rain name\n0       40  2001  25.5    h\n1       40  2002   0.0    i"
    );
    assert!(text(&stat(&all, "describe")).contains(
        "std    12.247449     0.707107  16.291248\nmin    10.000000  2001.000000   0.000000"
    ));
    // A filtered frame: mean over numeric columns; the column's max keeps its dtype.
    let rain_col = native(&ddf).get_item(&s("rain"), cx).unwrap();
    let mask = native(&rain_col)
        .binary_op(BinOp::Gt, &Obj::Int(20), false, cx)
        .unwrap();
    let df = compute_obj(&native(&ddf).get_item(&mask, cx).unwrap());
    assert_eq!(
        text(&stat(&df, "mean")),
        "station      27.50\nyear       2001.50\nrain         30.25\ndtype: float64"
    );
    let year = native(&df).get_attr("year", cx).unwrap().unwrap();
    assert!(matches!(stat(&year, "max"), Obj::Int(2002)));
}

/// The same through the language: scalars print as Python numbers, errors name the closest method.
#[test]
fn computed_results_in_a_script() {
    let (_d, p) = rain_tree();
    let (out, err) = run_script(&format!(
        "import dask.dataframe as dd\nddf = dd.read_csv({p:?})\n\
         r = ddf.groupby(\"station\")[\"rain\"].mean().compute()\nr.sum()\nr.idxmax()\nr.max()\n\
         df = ddf[ddf[\"rain\"] > 20].compute()\ndf[\"year\"].max()\nlen(df.sort_values(\"rain\"))\na = ddf.compute()\na[(a.rain > 20) & (a.station != 30)].rain.idxmax()\n(-a.station).max()\nr.sort_value()\n"
    ));
    assert_eq!(out, "82.25\n30\n40.0\n2002\n4\n2\n-10\n");
    assert!(
        err.contains("AttributeError: 'Series' object has no attribute 'sort_value'; did you mean 'sort_values'?"),
        "{err}"
    );
    let (_, err) = run_script(&format!(
        "import dask.dataframe as dd\ndf = dd.read_csv({p:?}).compute()\ndf.sort_values(\"rainn\")\n"
    ));
    assert!(
        err.contains("KeyError: 'rainn'") && err.contains("did you mean 'rain'?"),
        "{err}"
    );
    let (_, err) = run_script(&format!(
        "import dask.dataframe as dd\ndf = dd.read_csv({p:?}).compute()\ndf.rain.nlargest(\"3\")\n"
    ));
    assert!(
        err.contains("TypeError: nlargest() argument 'n' must be an int, not str"),
        "{err}"
    );
}

fn rows(o: &Obj) -> Vec<i64> {
    let f = native(o)
        .as_any()
        .downcast_ref::<tessera::frame::FrameValue>()
        .expect("a frame");
    (0..f.index.len())
        .map(|i| f.index.label(i).as_i64().unwrap())
        .collect()
}

fn error(o: &Obj, name: &str, positional: Vec<Obj>) -> String {
    let args = tessera::lang::Args {
        positional,
        keywords: vec![],
    };
    match native(o).call_method(name, args, &mut NoEngine(Vec::new())) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{name} should fail"),
    }
}

/// Frame reductions take pandas' common dtype; expected text and rows are pandas 2.3's.
#[test]
fn computed_frame_dtypes_and_sorts() {
    let df = DataFrame::new(
        2,
        vec![
            Series::new("a".into(), [1i64, 2]).into(),
            Series::new("b".into(), [true, false]).into(),
            Series::new("c".into(), [Some(0.5), None]).into(),
            Series::new("t".into(), ["x", "y"]).into(),
        ],
    )
    .unwrap();
    let v = Obj::native(tessera::frame::FrameValue::new(df, Index::range(2)));
    let stat = |m: &str| text(&call(&v, m, vec![], vec![]));
    assert_eq!(stat("sum"), "a    3.0\nb    1.0\nc    0.5\ndtype: float64");
    assert_eq!(stat("mean"), "a    1.5\nb    0.5\nc    0.5\ndtype: float64");
    assert_eq!(
        stat("min"),
        "a        1\nb    False\nc      0.5\nt        x\ndtype: object"
    );
    let e = error(&v, "nlargest", vec![Obj::Int(1), Obj::str("t")]);
    assert!(e.contains("column 't' has dtype object"), "{e}");
    let e = error(&v, "sort_values", vec![Obj::str("cc")]);
    assert!(
        e.contains("KeyError: 'cc'") && e.contains("did you mean 'c'?"),
        "{e}"
    );
    assert_eq!(rows(&call(&v, "dropna", vec![], vec![])), [0]);

    // DataFrame({"a": [3, 3, 2, nan, 1], "b": [nan, 5, 1, 9, 2]}): missing keys last.
    let df = DataFrame::new(
        5,
        vec![
            Series::new(
                "a".into(),
                [Some(3.0), Some(3.0), Some(2.0), None, Some(1.0)],
            )
            .into(),
            Series::new("b".into(), [f64::NAN, 5.0, 1.0, 9.0, 2.0]).into(),
        ],
    )
    .unwrap();
    let v = Obj::native(tessera::frame::FrameValue::new(df, Index::range(5)));
    let ab = || Obj::List(Arc::new(vec![Obj::str("a"), Obj::str("b")]));
    let top = |m: &str, n: i64, by: Obj| rows(&call(&v, m, vec![Obj::Int(n), by], vec![]));
    assert_eq!(top("nlargest", 3, ab()), [1, 0, 2]);
    assert_eq!(top("nsmallest", 3, ab()), [4, 2, 1]);
    assert_eq!(top("nlargest", 5, Obj::str("b")), [3, 1, 4, 2, 0]);
    let asc = Obj::List(Arc::new(vec![Obj::Bool(false), Obj::Bool(true)]));
    let sorted = call(&v, "sort_values", vec![ab()], vec![("ascending", asc)]);
    assert_eq!(rows(&sorted), [1, 0, 2, 4, 3]);
    assert_eq!(
        rows(&call(&sorted, "tail", vec![Obj::Int(2)], vec![])),
        [4, 3]
    );
}

/// Operators and boolean indexing on computed results keep the selected rows' labels, as pandas
/// (expected values are pandas 2.3's for the same files).
#[test]
fn computed_masks_keep_labels() {
    let (_d, p) = rain_tree();
    let all = compute_obj(&Obj::native(frame(&p)));
    let cx = &mut NoEngine(Vec::new());
    let col = |name: &str| {
        native(&all)
            .get_attr(name, &mut NoEngine(Vec::new()))
            .unwrap()
            .unwrap()
    };
    let op = |a: &Obj, op: BinOp, b: Obj| {
        native(a)
            .binary_op(op, &b, false, &mut NoEngine(Vec::new()))
            .unwrap()
    };
    let wet = op(&col("rain"), BinOp::Gt, Obj::Int(20));
    let sub = native(&all).get_item(&wet, cx).unwrap();
    assert_eq!(
        text(&sub),
        "   station  year  rain name\n2       20  2001  30.0    c\n0       20  2002  25.5    d\n\
         2       30  2002  40.0    f\n0       40  2001  25.5    h"
    );
    let rain = native(&sub).get_item(&Obj::str("rain"), cx).unwrap();
    assert!(matches!(call(&rain, "idxmax", vec![], vec![]), Obj::Int(2)));
    // (all.rain > 1) & (all.station != 30), and ~(all.rain > 1): missing compares False.
    let both = op(
        &op(&col("rain"), BinOp::Gt, Obj::Int(1)),
        BinOp::And,
        op(&col("station"), BinOp::Ne, Obj::Int(30)),
    );
    assert_eq!(
        rows(&native(&all).get_item(&both, cx).unwrap()),
        [0, 2, 0, 3, 0]
    );
    let dry = native(&op(&col("rain"), BinOp::Gt, Obj::Int(1)))
        .unary_op(tessera::lang::UnaryOp::Invert, cx)
        .unwrap();
    let names = native(&native(&all).get_item(&dry, cx).unwrap())
        .get_item(&Obj::str("name"), cx)
        .unwrap();
    let names = call(&names, "tolist", vec![], vec![]);
    assert!(
        matches!(&names, Obj::List(v) if v.iter().map(|o| o.as_str().unwrap()).collect::<String>() == "bei")
    );
    // Arithmetic with scalars, then reductions.
    let tenth = op(&col("rain"), BinOp::Div, Obj::Int(10));
    assert!(matches!(call(&tenth, "sum", vec![], vec![]), Obj::Float(v) if v == 12.45));
    let back = native(&col("station"))
        .binary_op(BinOp::Sub, &Obj::Int(100), true, cx)
        .unwrap();
    assert!(matches!(call(&back, "max", vec![], vec![]), Obj::Int(90)));
    let r = native(&col("rain")).get_item(&wet, cx).unwrap();
    assert_eq!(
        text(&call(&r, "nlargest", vec![Obj::Int(2)], vec![])),
        "2    40.0\n2    30.0\nName: rain, dtype: float64"
    );
}

#[test]
fn filter_then_groupby_reads_only_the_columns_it_uses() {
    // Column y turns bad in the second file: a query that parses it fails, one that doesn't succeeds
    // (as with Dask's projection pushdown), which shows which columns the reads parse.
    let dir = tempfile::tempdir().unwrap();
    for (i, body) in [
        "id,k,x,y\n1,a,1.5,10\n2,b,0.5,20\n3,a,2.0,30\n",
        "id,k,x,y\n4,b,3.0,oops\n5,a,-1.0,50\n",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(dir.path().join(format!("part{i}.csv")), body).unwrap();
    }
    let f = frame(&dir.path().join("part*.csv").display().to_string());
    assert!(run(&f.graph).is_err(), "reading y must fail");
    let mask = f
        .column("x")
        .unwrap()
        .binary(BinOp::Gt, Operand::Scalar(Scalar::Float(0.0)), false)
        .unwrap();
    let kept = f.filter(&mask).unwrap();
    let gb = GroupBy::new(&kept, "k")
        .unwrap()
        .select(vec!["x".into()], true)
        .unwrap();
    let Obj::Native(n) = gb.agg(Agg::Sum).unwrap() else {
        panic!()
    };
    let v = concrete_series(n.as_any().downcast_ref::<DaskSeries>().unwrap());
    // a: 1.5 + 2.0 (the -1.0 row is filtered out), b: 0.5 + 3.0.
    assert_eq!(f64s(&v.series), vec![Some(3.5), Some(3.5)]);
    // A selection after the filter is projected too, and a second filter keeps both masks.
    let ids = kept.column("id").unwrap();
    assert_eq!(
        f64s(&concrete_series(&ids).series),
        vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)]
    );
    let x2 = kept.column("x").unwrap();
    let big = x2
        .binary(BinOp::Ge, Operand::Scalar(Scalar::Float(2.0)), false)
        .unwrap();
    let twice = kept.filter(&big).unwrap();
    let ids = twice.column("id").unwrap();
    assert_eq!(
        f64s(&concrete_series(&ids).series),
        vec![Some(3.0), Some(4.0)]
    );
    // Asking for y still reads it, and still fails.
    assert!(run(&kept.column("y").unwrap().graph).is_err());
}

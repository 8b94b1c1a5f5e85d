//! Writing frames out: `to_parquet` (one task per partition writes `part.N.parquet` into a staged
//! directory, a final task commits it atomically) and `to_csv` (one file per partition, `N.part`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::collection::DaskFrame;
use super::io::{write_csv_part, write_parquet_part, StagedDir};
use super::kernel::{frame, PartKernel};
use super::native::pl;
use crate::engine::{DepPattern, Graph, JobKind, Layer, LayerInput, Scalar, Value};
use crate::error::{Error, Result};
use crate::lang::SessionCtx;

/// The graph of `to_parquet(path)`: write layer (one task per partition) then a one-task commit layer.
/// The staging directory is made now (so a refused `overwrite` fails before any work) and removed if
/// the graph is dropped uncommitted.
pub fn to_parquet_graph(f: &DaskFrame, path: &Path, overwrite: bool) -> Result<Graph> {
    let staged = Arc::new(StagedDir::new(path, overwrite)?);
    let st = staged.clone();
    let origin = Some(f.graph.layer.clone());
    let write = Layer::new(
        "to-parquet",
        f.npartitions(),
        vec![LayerInput {
            layer: f.graph.layer.clone(),
            pattern: DepPattern::Blockwise,
        }],
        PartKernel::arc(origin, move |i, inp, ctx| {
            ctx.cancel.check()?;
            let mut df = frame(inp.one(0))?.clone();
            write_parquet_part(&mut df, &st.path().join(format!("part.{i}.parquet")))?;
            Ok(Value::Unit)
        }),
    );
    let write_g = Graph::derive(write, &[&f.graph]);
    let commit = Layer::new(
        "to-parquet-commit",
        1,
        vec![LayerInput {
            layer: write_g.layer.clone(),
            pattern: DepPattern::All,
        }],
        PartKernel::arc(None, move |_, _, _| {
            staged.commit()?;
            Ok(Value::Unit)
        }),
    );
    Ok(Graph::derive(commit, &[&write_g]))
}

/// File name of partition `i` for `to_csv(target)`: `target/i.part`, or `*` replaced by `i`.
pub fn csv_name(target: &str, i: u32) -> PathBuf {
    if target.contains('*') {
        PathBuf::from(target.replace('*', &i.to_string()))
    } else {
        Path::new(target).join(format!("{i}.part"))
    }
}

/// The graph of `to_csv(target)`: one task per partition, each yielding its file name. With `index`,
/// each file starts with pandas' unnamed index column (partition-local row numbers, as Dask writes).
pub fn to_csv_graph(f: &DaskFrame, target: &str, index: bool) -> Result<Graph> {
    if !target.contains('*') {
        std::fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
    }
    let t = target.to_string();
    let g = super::kernel::blockwise("to-csv", &[&f.graph], move |i, inp, ctx| {
        ctx.cancel.check()?;
        let mut df = frame(inp.one(0))?.clone();
        if index {
            let n = df.height();
            let idx = Series::new("".into(), (0..n as i64).collect::<Vec<_>>());
            df.insert_column(0, idx.into())
                .map_err(|e| pl("index column", e))?;
        }
        let path = csv_name(&t, i);
        write_csv_part(&mut df, &path)?;
        Ok(Value::Scalar(Scalar::Str(
            path.to_string_lossy().into_owned(),
        )))
    });
    Ok(g)
}

/// Run an export graph as an export job and wait; its output values.
pub fn run_export(graph: &Graph, cx: &mut dyn SessionCtx) -> Result<Vec<Arc<Value>>> {
    cx.engine()
        .submit(
            std::slice::from_ref(graph),
            JobKind::Export,
            &graph.layer.prefix,
        )
        .wait()
        .map_err(|e| Error::value(e.to_string()))
}

//! The real language session as the workbench's [`Console`], including the heatmap's 2-D slices
//! (a strided `isel` of the array, computed through the engine with a deadline).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{describe_obj, Console, ConsoleEntry, ConsoleError, DatasetInfo, Grid};
use crate::array::nd::{select, AxisSel};
use crate::array::{ArrayValue, DataArray, DataArrayObj, DatasetObj, Indexer};
use crate::engine::{NdArray, Value};
use crate::lang::object::Obj;
use crate::lang::{Session, StatementResult};

/// How long the heatmap may hold the UI while its slice computes; past it the job is cancelled.
const SLICE_DEADLINE: Duration = Duration::from_secs(5);

fn entry(r: StatementResult) -> ConsoleEntry {
    ConsoleEntry {
        line: r.line as usize,
        source: r.source,
        output: r.output,
        error: r.error.map(|e| ConsoleError {
            message: e.message,
            chain: e.chain,
            line: e.line as usize,
            col: e.col as usize,
            rendered: e.rendered,
        }),
    }
}

impl Console for Session {
    fn run(&mut self, src: &str, filename: &str) -> Vec<ConsoleEntry> {
        self.run_source(src, filename)
            .into_iter()
            .map(entry)
            .collect()
    }
    fn poll(&mut self) -> Vec<ConsoleEntry> {
        Session::poll(self).into_iter().map(entry).collect()
    }
    fn names(&mut self) -> Vec<DatasetInfo> {
        let names = Session::names(self);
        let cx = self.ctx();
        names.iter().map(|(k, o)| describe_obj(k, o, cx)).collect()
    }
    fn complete(&mut self, line: &str, cursor: usize) -> Vec<String> {
        Session::complete(self, line, cursor)
    }
    fn slice2d(
        &mut self,
        name: &str,
        var: Option<&str>,
        max_rows: usize,
        max_cols: usize,
    ) -> Result<Grid, String> {
        let obj = Session::names(self)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, o)| o)
            .ok_or_else(|| format!("no variable named {name}"))?;
        let (max_rows, max_cols) = (max_rows.max(1), max_cols.max(1));
        if let Some(v) = obj.downcast::<ArrayValue>() {
            let y = v.dims.len().checked_sub(2).map(|k| v.dims[k].as_str());
            let coord = v.coords.iter().find(|c| Some(c.name.as_str()) == y);
            let g = value_slice(&v.dims, &v.data, max_rows, max_cols)?;
            return Ok(north_up(g, coord.map(|c| c.values.as_slice())));
        }
        let array = lazy_array(&obj, name, var)?;
        let engine = self.ctx().engine().clone();
        let g = lazy_slice(&engine, &array, name, max_rows, max_cols)?;
        let y = &array.dims[array.dims.len() - 2];
        Ok(north_up(g, array.coord(y).map(|c| c.values.as_slice())))
    }
}

/// The lazy array to slice: a DataArray itself, or a dataset's variable (`var`, else its first
/// data variable with the most dimensions, at least two).
fn lazy_array(obj: &Obj, name: &str, var: Option<&str>) -> Result<DataArray, String> {
    if let Some(a) = obj.downcast::<DataArrayObj>() {
        return Ok(a.0.clone());
    }
    let Some(ds) = obj.downcast::<DatasetObj>() else {
        return Err(format!("{name} is a {}, not an array", obj.type_name()));
    };
    match var {
        Some(v) => ds.0.var(v).cloned().map_err(|e| e.to_string()),
        None => {
            ds.0.data_vars
                .iter()
                .filter(|v| v.dims.len() >= 2)
                .rev()
                .max_by_key(|v| v.dims.len())
                .cloned()
                .ok_or_else(|| format!("{name} has no variable with two dimensions"))
        }
    }
}

/// Step that brings `n` values down to at most `max`.
fn stride(n: usize, max: usize) -> usize {
    n.div_ceil(max).max(1)
}

/// `dims=0` for every leading dimension, for the title.
fn at_text(dims: &[String]) -> String {
    let lead = &dims[..dims.len().saturating_sub(2)];
    lead.iter()
        .map(|d| format!("{d}=0"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn too_few(dims: &[String]) -> Result<(), String> {
    if dims.len() < 2 {
        return Err(format!(
            "a heatmap needs two dimensions; this array has {} ({})",
            dims.len(),
            dims.join(", ")
        ));
    }
    Ok(())
}

/// Turn a 2-D result into a grid.
fn grid_of(a: &NdArray, dims: &[String]) -> Result<Grid, String> {
    let f = a.to_f64();
    let shape = f.shape().to_vec();
    if shape.len() != 2 {
        return Err(format!("expected a 2-D slice, got shape {shape:?}"));
    }
    let n = dims.len();
    Ok(Grid {
        rows: shape[0],
        cols: shape[1],
        values: f.iter().copied().collect(),
        y: dims[n - 2].clone(),
        x: dims[n - 1].clone(),
        at: at_text(dims),
    })
}

/// Put the largest `y` on top, as xarray's `.plot()` draws it (north up on a lat/lon map): rows
/// are reversed unless the y coordinate decreases.
fn north_up(mut g: Grid, y_coord: Option<&[f64]>) -> Grid {
    let decreasing = y_coord.is_some_and(|c| c.len() > 1 && c[0] > c[c.len() - 1]);
    if !decreasing && g.rows > 1 {
        let cols = g.cols;
        let rows: Vec<Vec<f64>> = g.values.chunks(cols).rev().map(<[f64]>::to_vec).collect();
        g.values = rows.concat();
    }
    g
}

/// A computed array: slice its values in place.
fn value_slice(dims: &[String], data: &NdArray, mr: usize, mc: usize) -> Result<Grid, String> {
    too_few(dims)?;
    let shape = data.shape().to_vec();
    let n = shape.len();
    let mut sel: Vec<AxisSel> = vec![AxisSel::Index(0); n - 2];
    if shape.iter().take(n - 2).any(|&s| s == 0) {
        return Err("the array is empty".into());
    }
    for (len, max) in [(shape[n - 2], mr), (shape[n - 1], mc)] {
        let step = stride(len, max);
        sel.push(AxisSel::Range {
            start: 0,
            len: len.div_ceil(step),
            step,
        });
    }
    grid_of(&select(data, &sel), dims)
}

/// A lazy array: `isel` index 0 of the leading dimensions and strided slices of the last two, run
/// as a small job; waits at most [`SLICE_DEADLINE`] (the job is cancelled past it).
fn lazy_slice(
    engine: &crate::engine::Engine,
    a: &DataArray,
    name: &str,
    mr: usize,
    mc: usize,
) -> Result<Grid, String> {
    too_few(&a.dims)?;
    let shape = a.shape();
    let n = shape.len();
    if shape.contains(&0) {
        return Err("the array is empty".into());
    }
    let mut ix: Vec<(String, Indexer)> = a.dims[..n - 2]
        .iter()
        .map(|d| (d.clone(), Indexer::Index(0)))
        .collect();
    for (k, max) in [(n - 2, mr), (n - 1, mc)] {
        let step = stride(shape[k], max) as i64;
        ix.push((a.dims[k].clone(), Indexer::Slice(None, None, step)));
    }
    let sliced = a.isel(&ix).map_err(|e| e.to_string())?;
    let job = engine.compute(&sliced.graph, &format!("heatmap {name}"));
    let t0 = Instant::now();
    let parts: Vec<Arc<Value>> = loop {
        if let Some(out) = job.try_outcome() {
            break out.map_err(|e| e.chain().join(": "))?;
        }
        if t0.elapsed() > SLICE_DEADLINE {
            job.cancel();
            return Err(format!(
                "the slice took longer than {} s; cancelled",
                SLICE_DEADLINE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let data = sliced.assemble(&parts).map_err(|e| e.to_string())?;
    grid_of(&data, &a.dims)
}

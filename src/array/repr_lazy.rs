//! Reprs of lazy collections (nothing computed; a source array previews its first values with one
//! tiny read) and coordinates as one-chunk arrays.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::coords::Coord;
use super::dataarray::{DataArray, Encoding};
use super::dataset::Dataset;
use super::grid::{ChunkGrid, DType};
use super::repr::{
    attrs_block, col_width, coords_block, dask_line, dataarray_header, fmt_values, pad,
    render_nbytes,
};
use crate::engine::{FnKernel, Graph, Inputs, Layer, NdArray, TaskContext, Value};
use crate::io::netcdf::{read_decoded, AttributeValue};

/// Up to 5 first values along the last axis (index 0 elsewhere), read straight from the file.
fn preview(a: &DataArray) -> Option<String> {
    let src = a.source.as_ref()?;
    let shape = a.shape();
    if shape.is_empty() {
        return None;
    }
    let start = vec![0; shape.len()];
    let mut count = vec![1; shape.len()];
    count[shape.len() - 1] = shape[shape.len() - 1].min(5);
    let v = read_decoded(&src.path, &src.var, &start, &count, &src.decode).ok()?;
    let vals: Vec<String> = super::nd::to_vec_f64(&v)
        .iter()
        .map(|x| super::repr::py_float(*x, a.dtype))
        .collect();
    let more = if shape[shape.len() - 1] > 5 {
        ", ..."
    } else {
        ""
    };
    let idx = "0, ".repeat(shape.len() - 1);
    Some(format!(
        "first values [{idx}:5]: [{}{more}]",
        vals.join(", ")
    ))
}

pub fn dataarray_text(a: &DataArray) -> String {
    let mut s = format!(
        "{}\n{}",
        dataarray_header(a.name.as_deref(), &a.dims, &a.shape(), a.nbytes()),
        dask_line(a)
    );
    if let Some(p) = preview(a) {
        s.push('\n');
        s.push_str(&p);
    }
    let col = col_width(a.coords.iter().map(|c| c.name.as_str()));
    s.push_str(&coords_block(&a.coords, &a.dims, "Coordinates:", col));
    let without: Vec<&String> = a.dims.iter().filter(|d| a.coord(d).is_none()).collect();
    if !without.is_empty() && !a.coords.is_empty() {
        s.push_str(&format!(
            "\nDimensions without coordinates: {}",
            without
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.push_str(&attrs_block(&a.attrs));
    s
}

pub fn dataset_text(d: &Dataset) -> String {
    let dims: Vec<String> = d.dims.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let names: Vec<String> = d.dims.iter().map(|x| x.0.clone()).collect();
    let col = col_width(
        d.coords
            .iter()
            .map(|c| c.name.as_str())
            .chain(d.data_vars.iter().filter_map(|v| v.name.as_deref())),
    );
    let mut s = format!(
        "<xarray.Dataset> Size: {}\n{}({})",
        render_nbytes(d.nbytes()),
        pad("Dimensions:", col),
        dims.join(", ")
    );
    s.push_str(&coords_block(&d.coords, &names, "Coordinates:", col));
    let without: Vec<&str> = names
        .iter()
        .filter(|n| d.coord(n).is_none())
        .map(String::as_str)
        .collect();
    if !without.is_empty() {
        s.push_str(&format!(
            "\nDimensions without coordinates: {}",
            without.join(", ")
        ));
    }
    s.push_str("\nData variables:");
    for v in &d.data_vars {
        let cs: Vec<String> = v.grid.chunksize().iter().map(|c| c.to_string()).collect();
        let cs = if cs.len() == 1 {
            format!("({},)", cs[0])
        } else {
            format!("({})", cs.join(", "))
        };
        s.push_str(&format!(
            "\n{}({}) {} {} dask.array<chunksize={cs}, meta=np.ndarray>",
            pad(&format!("    {} ", v.label()), col),
            v.dims.join(", "),
            v.dtype.name(),
            render_nbytes(v.nbytes())
        ));
    }
    s.push_str(&attrs_block(&d.attrs));
    s
}

/// A coordinate as a one-chunk DataArray (`ds.time`, `ds["lat"]`).
pub fn coord_array(c: &Coord) -> DataArray {
    let values = c.values.clone();
    let layer = Layer::new(
        &format!("coord-{}", c.name),
        1,
        vec![],
        Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
            Ok(Value::Array(NdArray::F64(
                ArrayD::from_shape_vec(IxDyn(&[values.len()]), values.to_vec()).expect("1-d"),
            )))
        })),
    );
    DataArray {
        name: Some(c.name.clone()),
        dims: vec![c.name.clone()],
        grid: ChunkGrid {
            chunks: vec![vec![c.len()]],
        },
        dtype: DType::F64,
        coords: vec![c.clone()],
        attrs: {
            // Time stays numeric here: say in which units and calendar.
            let mut a = c.attrs.clone();
            if let Some(t) = &c.time {
                a.push(("units".into(), AttributeValue::Str(t.units_string())));
                a.push((
                    "calendar".into(),
                    AttributeValue::Str(t.calendar.name().into()),
                ));
            }
            a
        },
        encoding: Encoding::default(),
        graph: Graph::new(layer),
        source: None,
    }
}

/// Used by `ArrayValue` for numbers only; kept here so reprs live together.
pub fn values_text(a: &NdArray) -> String {
    fmt_values(a, DType::of(a))
}

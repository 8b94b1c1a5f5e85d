//! Building blocks of opening: index coordinates from coordinate variables (with CF time) and
//! one read layer per data variable, chunked per file along the concatenation dimension.

use std::sync::Arc;

use super::coords::Coord;
use super::dataarray::{auto_chunks, ChunkSpec, DataArray, Encoding, SourcePreview};
use super::grid::{split, ChunkGrid, DType};
use super::kernels::{FilePart, ReadKernel};
use super::open::OpenOptions;
use crate::engine::{Graph, Layer};
use crate::error::{Error, Result};
use crate::io::netcdf::cf::Decoded;
use crate::io::netcdf::meta::attr_string;
use crate::io::netcdf::read::read_all_f64;
use crate::io::netcdf::{CfDecode, FileMeta, TimeUnits, VarInfo};

pub(crate) fn coord_of(meta: &FileMeta, v: &VarInfo) -> Result<Coord> {
    let mut values = match &v.coord_values {
        Some(vals) => vals.to_vec(),
        None => read_all_f64(&meta.path, &v.name, &v.shape)?,
    };
    let units = v.attr("units").and_then(attr_string).unwrap_or_default();
    let mut attrs = v.attrs.clone();
    let time = if units.contains(" since ") {
        let cal = v.attr("calendar").and_then(attr_string).unwrap_or_default();
        attrs.retain(|(k, _)| k != "units" && k != "calendar");
        Some(
            TimeUnits::parse(&units, &cal)
                .map_err(|e| Error::file(&meta.path, format!("'{}': {e}", v.name)))?,
        )
    } else {
        None
    };
    let dec = CfDecode::for_var(v);
    if !dec.is_identity() {
        values = values
            .into_iter()
            .map(|x| {
                if dec.mask.contains(&x) {
                    f64::NAN
                } else {
                    x * dec.scale.unwrap_or(1.0) + dec.offset.unwrap_or(0.0)
                }
            })
            .collect();
    }
    attrs.retain(|(k, _)| {
        !["_FillValue", "missing_value", "scale_factor", "add_offset"].contains(&k.as_str())
    });
    Ok(Coord {
        name: v.name.clone(),
        values: Arc::new(values),
        attrs,
        time,
        dtype: v.dtype,
    })
}

/// Values of `c` expressed in `to`'s time units (identity for non-time coordinates).
pub(crate) fn convert(c: &Coord, to: &Coord) -> Vec<f64> {
    match (&c.time, &to.time) {
        (Some(a), Some(b)) if a != b => c.values.iter().map(|&v| b.encode(&a.decode(v))).collect(),
        _ => c.values.to_vec(),
    }
}

pub(crate) fn var_array(
    v: &VarInfo,
    metas: &[FileMeta],
    lens: &[usize],
    dims: &[(String, usize)],
    coords: &[Coord],
    opts: &OpenOptions,
    raw_dt: DType,
) -> Result<DataArray> {
    let decode = CfDecode::for_var(v);
    let dtype = match decode.decoded(v.dtype) {
        Decoded::Same => raw_dt,
        Decoded::F32 => DType::F32,
        Decoded::F64 => DType::F64,
    };
    let shape: Vec<usize> = v
        .dims
        .iter()
        .map(|d| dims.iter().find(|x| &x.0 == d).map_or(0, |x| x.1))
        .collect();
    let concat_axis = v.dims.iter().position(|d| d == &opts.concat_dim);
    let mut chunks: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
    let mut auto = Vec::new();
    for (ax, d) in v.dims.iter().enumerate() {
        match opts.chunks.iter().find(|(n, _)| n == d).map(|x| x.1) {
            Some(ChunkSpec::Size(n)) => chunks[ax] = split(shape[ax], n),
            Some(ChunkSpec::Auto) => auto.push(ax),
            _ => {}
        }
    }
    auto_chunks(&mut chunks, &shape, &auto, dtype.itemsize());
    let mut files = Vec::new();
    if let Some(ax) = concat_axis {
        // Chunks restart at each file boundary.
        let size = chunks[ax].iter().copied().max().unwrap_or(1).max(1);
        let per_file = opts
            .chunks
            .iter()
            .any(|(n, s)| n == &opts.concat_dim && *s != ChunkSpec::Full)
            || !auto.is_empty() && auto.contains(&ax);
        let mut c = Vec::new();
        let mut off = 0;
        for (m, &l) in metas.iter().zip(lens) {
            files.push(FilePart {
                path: m.path.clone(),
                offset: off,
                len: l,
            });
            off += l;
            if per_file {
                c.extend(split(l, size))
            } else {
                c.push(l)
            }
        }
        let full = opts
            .chunks
            .iter()
            .any(|(n, s)| n == &opts.concat_dim && *s == ChunkSpec::Full);
        chunks[ax] = if full { vec![off] } else { c };
    } else {
        files.push(FilePart {
            path: metas[0].path.clone(),
            offset: 0,
            len: 0,
        });
    }
    let grid = ChunkGrid { chunks };
    let kernel = ReadKernel {
        var: v.name.clone(),
        files,
        concat_axis,
        grid: grid.clone(),
        decode: decode.clone(),
        dtype,
    };
    let fill_attr = v.attr("_FillValue").and_then(crate::io::netcdf::attr_f64);
    let layer = Layer::new(
        &format!("open_dataset-{}", v.name),
        grid.ntasks() as u32,
        vec![],
        Arc::new(kernel),
    );
    let mut attrs = v.attrs.clone();
    attrs.retain(|(k, _)| {
        !["_FillValue", "missing_value", "scale_factor", "add_offset"].contains(&k.as_str())
    });
    let fill = fill_attr.filter(|_| decode.scale.is_none() && decode.offset.is_none());
    Ok(DataArray {
        name: Some(v.name.clone()),
        dims: v.dims.clone(),
        grid,
        dtype,
        coords: coords
            .iter()
            .filter(|c| v.dims.contains(&c.name))
            .cloned()
            .collect(),
        attrs,
        encoding: Encoding {
            fill,
            zlib: v.zlib,
            shuffle: v.shuffle,
            chunksizes: v.chunking.clone(),
        },
        graph: Graph::new(layer),
        source: Some(Arc::new(SourcePreview {
            path: metas[0].path.clone(),
            var: v.name.clone(),
            decode,
        })),
    })
}

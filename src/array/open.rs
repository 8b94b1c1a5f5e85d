//! `open_dataset` / `open_mfdataset`: read metadata (and 1-d coordinates) only, order files along
//! the concatenation dimension, check that everything else agrees, and build one read layer per
//! variable whose chunks never straddle files (as xarray chunks each file separately).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::coords::Coord;
use super::dataarray::{auto_chunks, ChunkSpec, DataArray, Encoding, SourcePreview};
use super::dataset::Dataset;
use super::grid::{split, ChunkGrid, DType};
use super::kernels::{FilePart, ReadKernel};
use crate::engine::{Graph, Layer};
use crate::error::{Error, Result};
use crate::io::netcdf::cf::Decoded;
use crate::io::netcdf::meta::attr_string;
use crate::io::netcdf::read::read_all_f64;
use crate::io::netcdf::{read_meta, CfDecode, FileMeta, TimeUnits, VarInfo};
use crate::lang::object::closest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    ByCoords,
    Nested,
}

/// Options of `open_mfdataset` (and `open_dataset`, with one file).
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// `chunks=` per dimension; `None`: one chunk per file.
    pub chunks: Vec<(String, ChunkSpec)>,
    pub concat_dim: String,
    pub combine: Combine,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            chunks: Vec::new(),
            concat_dim: "time".into(),
            combine: Combine::ByCoords,
        }
    }
}

/// Expand a glob (or take a path as is); sorted; an error when nothing matches.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>> {
    if !pattern.contains(['*', '?', '[']) {
        let p = PathBuf::from(pattern);
        return if p.exists() {
            Ok(vec![p])
        } else {
            Err(Error::file(p, "no such file"))
        };
    }
    let mut v: Vec<PathBuf> = glob::glob(pattern)
        .map_err(|e| Error::value(format!("bad glob pattern '{pattern}': {e}")))?
        .filter_map(|r| r.ok())
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(Error::value(format!("no files match '{pattern}'")));
    }
    Ok(v)
}

fn coord_of(meta: &FileMeta, v: &VarInfo) -> Result<Coord> {
    let mut values = read_all_f64(&meta.path, &v.name, &v.shape)?;
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
fn convert(c: &Coord, to: &Coord) -> Vec<f64> {
    match (&c.time, &to.time) {
        (Some(a), Some(b)) if a != b => c.values.iter().map(|&v| b.encode(&a.decode(v))).collect(),
        _ => c.values.to_vec(),
    }
}

/// Open one or several files as one dataset.
pub fn open_mfdataset(paths: &[PathBuf], opts: &OpenOptions) -> Result<Dataset> {
    if paths.is_empty() {
        return Err(Error::value("open_mfdataset: no files given"));
    }
    let mut metas: Vec<FileMeta> = paths.iter().map(|p| read_meta(p)).collect::<Result<_>>()?;
    let cd = opts.concat_dim.clone();
    let coord_for = |m: &FileMeta, name: &str| -> Result<Option<Coord>> {
        m.var(name)
            .filter(|v| v.dims.len() == 1 && v.dims[0] == name && v.dtype.itemsize() > 0)
            .map(|v| coord_of(m, v))
            .transpose()
    };
    let mut cvals: Vec<Option<Coord>> = metas
        .iter()
        .map(|m| coord_for(m, &cd))
        .collect::<Result<_>>()?;
    if metas.len() > 1 {
        for m in &metas {
            if m.dim(&cd).is_none() {
                return Err(Error::file(
                    &m.path,
                    format!("has no dimension '{cd}' to concatenate along"),
                ));
            }
        }
        if opts.combine == Combine::ByCoords && cvals.iter().all(Option::is_some) {
            let reference = cvals[0].clone().unwrap();
            let mut order: Vec<usize> = (0..metas.len()).collect();
            let first = |i: usize| {
                convert(cvals[i].as_ref().unwrap(), &reference)
                    .first()
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            order.sort_by(|&a, &b| first(a).total_cmp(&first(b)));
            metas = order.iter().map(|&i| metas[i].clone()).collect();
            cvals = order.iter().map(|&i| cvals[i].clone()).collect();
        }
    }
    let reference = &metas[0];
    // Everything but the concat dimension must agree with the first file.
    for m in &metas[1..] {
        for d in &reference.dims {
            if d.name == cd {
                continue;
            }
            match m.dim(&d.name) {
                Some(o) if o.len == d.len => {}
                Some(o) => {
                    return Err(Error::file(
                        &m.path,
                        format!(
                            "dimension '{}' has size {} but {} has {}",
                            d.name,
                            o.len,
                            reference.path.display(),
                            d.len
                        ),
                    ))
                }
                None => {
                    return Err(Error::file(
                        &m.path,
                        format!(
                            "has no dimension '{}' (present in {})",
                            d.name,
                            reference.path.display()
                        ),
                    ))
                }
            }
            if let (Some(a), Some(b)) = (coord_for(reference, &d.name)?, coord_for(m, &d.name)?) {
                let same = a.values.iter().zip(b.values.iter()).all(|(x, y)| {
                    (x - y).abs() <= 1e-9 * x.abs().max(1.0) || (x.is_nan() && y.is_nan())
                });
                if !same {
                    return Err(Error::file(
                        &m.path,
                        format!(
                            "coordinate '{}' differs from {}",
                            d.name,
                            reference.path.display()
                        ),
                    ));
                }
            }
        }
        for v in &reference.vars {
            if m.var(&v.name).is_none() {
                return Err(Error::file(
                    &m.path,
                    format!(
                        "has no variable '{}' (present in {})",
                        v.name,
                        reference.path.display()
                    ),
                ));
            }
        }
    }
    // Concatenation offsets along the concat dim.
    let lens: Vec<usize> = metas
        .iter()
        .map(|m| m.dim(&cd).map_or(0, |d| d.len))
        .collect();
    let total: usize = lens.iter().sum();
    let mut coords = Vec::new();
    for d in &reference.dims {
        if d.name == cd && metas.len() > 1 {
            if let Some(c0) = cvals[0].clone() {
                let mut vals = Vec::new();
                for c in cvals.iter().flatten() {
                    vals.extend(convert(c, &c0));
                }
                if let Some(i) = vals.windows(2).position(|w| w[1] <= w[0]) {
                    let mut acc = 0;
                    let f = lens
                        .iter()
                        .position(|&l| {
                            acc += l;
                            acc > i + 1
                        })
                        .unwrap_or(0);
                    return Err(Error::file(&metas[f].path, format!("'{cd}' values overlap or go backwards relative to {} (use combine=\"nested\" to keep the given order)", metas[f.saturating_sub(1)].path.display())));
                }
                coords.push(Coord {
                    values: Arc::new(vals),
                    ..c0
                });
            }
        } else if let Some(c) = coord_for(reference, &d.name)? {
            coords.push(c);
        }
    }
    let dims: Vec<(String, usize)> = reference
        .dims
        .iter()
        .map(|d| (d.name.clone(), if d.name == cd { total } else { d.len }))
        .collect();
    let dim_names: Vec<String> = dims.iter().map(|d| d.0.clone()).collect();
    for (d, _) in &opts.chunks {
        if !dim_names.contains(d) {
            let hint = closest(d, dim_names.iter().map(String::as_str))
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            return Err(Error::value(format!(
                "chunks: dimension '{d}' not found; dimensions are ({}){hint}",
                dim_names.join(", ")
            )));
        }
    }
    let mut data_vars = Vec::new();
    for v in &reference.vars {
        let is_coord = v.dims.len() == 1 && v.dims[0] == v.name;
        let Some(raw_dt) = DType::of_raw(v.dtype) else {
            continue;
        };
        if is_coord {
            continue;
        }
        data_vars.push(var_array(v, &metas, &lens, &dims, &coords, opts, raw_dt)?);
    }
    Ok(Dataset {
        dims,
        coords,
        data_vars,
        attrs: reference.attrs.clone(),
    })
}

fn var_array(
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
        encoding: Encoding { fill },
        graph: Graph::new(layer),
        source: Some(Arc::new(SourcePreview {
            path: metas[0].path.clone(),
            var: v.name.clone(),
            decode,
        })),
    })
}

/// Open a single file (a glob must match exactly one file).
pub fn open_dataset(path: &Path, opts: &OpenOptions) -> Result<Dataset> {
    open_mfdataset(&[path.to_path_buf()], opts)
}

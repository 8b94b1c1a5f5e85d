//! `open_dataset` / `open_mfdataset`: read metadata (and 1-d coordinates) only, order files along
//! the concatenation dimension, check that everything else agrees, and build one read layer per
//! variable whose chunks never straddle files (as xarray chunks each file separately).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::coords::Coord;
use super::dataarray::ChunkSpec;
use super::dataset::Dataset;
use super::grid::DType;
use super::open_vars::{convert, coord_of, var_array};
use crate::error::{Error, Result};
use crate::io::netcdf::{read_meta, read_meta_opts, FileMeta};
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

/// Open one or several files as one dataset.
pub fn open_mfdataset(paths: &[PathBuf], opts: &OpenOptions) -> Result<Dataset> {
    if paths.is_empty() {
        return Err(Error::value("open_mfdataset: no files given"));
    }
    // The first file is read in full through the netCDF library. The others only need what
    // combining checks (dims, variables, 1-d coordinates): a quick look through libhdf5 gives that at
    // a third of the cost, falling back to the library for anything unusual. Compression filters
    // (a second open per file) are read for the first file only: the encoding comes from it.
    let first = read_meta_opts(&paths[0], true)?;
    let mut full = vec![true];
    let mut metas = vec![first.clone()];
    for p in &paths[1..] {
        match crate::io::netcdf::h5peek::peek_like(p, &first) {
            Some(m) => {
                metas.push(m);
                full.push(false);
            }
            None => {
                metas.push(read_meta_opts(p, false)?);
                full.push(true);
            }
        }
    }
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
            full = order.iter().map(|&i| full[i]).collect();
        }
    }
    if metas[0].path != paths[0] {
        // The dataset's metadata and encoding come from the first file in coordinate order.
        metas[0] = read_meta(&metas[0].path.clone())?;
        if !full[0] {
            cvals[0] = coord_for(&metas[0], &cd)?;
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

/// Open a single file (a glob must match exactly one file).
pub fn open_dataset(path: &Path, opts: &OpenOptions) -> Result<Dataset> {
    open_mfdataset(&[path.to_path_buf()], opts)
}

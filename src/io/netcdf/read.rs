//! Hyperslab reads. [`read_raw`] copies values in their stored type (the only part that holds the
//! library lock); [`read_decoded`] then applies CF decoding outside the lock.

use std::path::Path;

use ::netcdf::Extent;
use ndarray::{ArrayD, IxDyn};

use super::cf::CfDecode;
use super::meta::open;
use crate::engine::NdArray;
use crate::error::{Error, Result};

fn extents(start: &[usize], count: &[usize]) -> Vec<Extent> {
    start
        .iter()
        .zip(count)
        .map(|(&s, &c)| Extent::SliceCount {
            start: s,
            count: c,
            stride: 1,
        })
        .collect()
}

fn get<T: ::netcdf::NcTypeDescriptor + Copy + Default>(
    v: &::netcdf::Variable<'_>,
    start: &[usize],
    count: &[usize],
) -> std::result::Result<ArrayD<T>, ::netcdf::Error> {
    let n: usize = count.iter().product();
    let mut buf = vec![T::default(); n];
    if n > 0 {
        if start.is_empty() {
            buf = v.get_values::<T, _>(..)?;
        } else {
            v.get_values_into(&mut buf, extents(start, count))?;
        }
    }
    Ok(ArrayD::from_shape_vec(IxDyn(count), buf).expect("buffer has count elements"))
}

/// Read `var[start .. start+count]` from `path` in its stored type. Unsigned 16/32/64-bit types
/// widen to the next signed type (`uint64` above `i64::MAX` wraps; such data is not CF-typical).
pub fn read_raw(path: &Path, var: &str, start: &[usize], count: &[usize]) -> Result<NdArray> {
    if fast_path_enabled() {
        if let Some(a) = super::h5chunks::read_raw_chunks(path, var, start, count)? {
            return Ok(a);
        }
    }
    read_raw_library(path, var, start, count)
}

/// Whether [`read_raw`] tries [`super::h5chunks`] first: on in optimised builds (where inflating
/// with zlib-rs is 2–3× faster than libnetcdf and runs outside its lock), off in debug builds (where
/// unoptimised zlib-rs is ~15× slower). `TESSERA_NETCDF_FAST_PATH=0|1` overrides.
pub fn fast_path_enabled() -> bool {
    match std::env::var("TESSERA_NETCDF_FAST_PATH").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => !cfg!(debug_assertions),
    }
}

/// [`read_raw`] through the netCDF library only (decompression under its lock).
pub fn read_raw_library(
    path: &Path,
    var: &str,
    start: &[usize],
    count: &[usize],
) -> Result<NdArray> {
    let f = open(path)?;
    let v = f
        .variable(var)
        .ok_or_else(|| Error::file(path, format!("no variable '{var}'")))?;
    if v.dimensions().len() != start.len() || start.len() != count.len() {
        return Err(Error::file(
            path,
            format!(
                "variable '{var}' has {} dimensions, selection has {}",
                v.dimensions().len(),
                start.len()
            ),
        ));
    }
    let ctx = |e: ::netcdf::Error| {
        Error::file(
            path,
            format!("reading '{var}' at {start:?} (count {count:?}): {e}"),
        )
    };
    use ::netcdf::types::{FloatType as F, IntType as I, NcVariableType as T};
    Ok(match v.vartype() {
        T::Float(F::F32) => NdArray::F32(get(&v, start, count).map_err(ctx)?),
        T::Float(F::F64) => NdArray::F64(get(&v, start, count).map_err(ctx)?),
        T::Int(I::I8) => NdArray::I8(get(&v, start, count).map_err(ctx)?),
        T::Int(I::U8) => NdArray::U8(get(&v, start, count).map_err(ctx)?),
        T::Int(I::I16) => NdArray::I16(get(&v, start, count).map_err(ctx)?),
        T::Int(I::U16) => NdArray::I32(get::<u16>(&v, start, count).map_err(ctx)?.mapv(i32::from)),
        T::Int(I::I32) => NdArray::I32(get(&v, start, count).map_err(ctx)?),
        T::Int(I::U32) => NdArray::I64(get::<u32>(&v, start, count).map_err(ctx)?.mapv(i64::from)),
        T::Int(I::I64) => NdArray::I64(get(&v, start, count).map_err(ctx)?),
        T::Int(I::U64) => NdArray::I64(
            get::<u64>(&v, start, count)
                .map_err(ctx)?
                .mapv(|x| x as i64),
        ),
        _ => {
            return Err(Error::file(
                path,
                format!(
                    "variable '{var}' is not numeric; only numeric variables can be read as arrays"
                ),
            ))
        }
    })
}

/// Read a hyperslab and CF-decode it (mask fill values, unpack). Only the raw read holds the lock.
pub fn read_decoded(
    path: &Path,
    var: &str,
    start: &[usize],
    count: &[usize],
    decode: &CfDecode,
) -> Result<NdArray> {
    let raw = read_raw(path, var, start, count)?;
    Ok(decode.apply(raw))
}

/// A whole 1-d (or any) variable as f64 values, undecoded (coordinates, time values).
pub fn read_all_f64(path: &Path, var: &str, shape: &[usize]) -> Result<Vec<f64>> {
    let start = vec![0; shape.len()];
    let raw = read_raw(path, var, &start, shape)?;
    Ok(raw.to_f64().into_iter().collect())
}

//! Quick look at one more file of a multi-file dataset through libhdf5 directly: the lengths of
//! the reference file's dimensions, whether its variables exist with the expected shapes, and the
//! values and attributes of its 1-d coordinates. `nc_open` reads *every* variable's metadata and
//! attributes (and dimension-scale links) of a netCDF-4 file; for the 999 files after the first,
//! combining by coordinates needs only these few objects, at about a third of the cost.
//! Anything unexpected returns `None` and the caller reads the file through the netCDF library,
//! whose errors name what is wrong.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use ::netcdf::AttributeValue;

use super::h5ffi::*;
use super::meta::{Attrs, DimInfo, FileMeta, VarInfo};

/// Attributes netCDF-4 keeps for itself (dimension scales, ids); never user attributes.
const RESERVED: &[&str] = &[
    "CLASS",
    "NAME",
    "REFERENCE_LIST",
    "DIMENSION_LIST",
    "_Netcdf4Dimid",
    "_Netcdf4Coordinates",
    "_NCProperties",
    "_nc3_strict",
];

/// The metadata of `path` restricted to what `reference` has, or `None` when the file is not
/// HDF5-based or differs in any way the netCDF library should explain.
pub fn peek_like(path: &Path, reference: &FileMeta) -> Option<FileMeta> {
    let mut magic = [0u8; 8];
    let f = File::open(path).ok()?;
    if f.read_exact_at(&mut magic, 0).is_err() || &magic != HDF5_MAGIC {
        return None;
    }
    drop(f);
    let cpath = CString::new(path.to_str()?).ok()?;
    super::quiet_hdf5();
    let _g = netcdf_sys::libnetcdf_lock.lock();
    // SAFETY: libhdf5 calls under the library lock, with ids closed by `Id` on every return path.
    unsafe {
        H5open();
        let file = Id(H5Fopen(cpath.as_ptr(), 0, 0), H5Fclose);
        if file.0 < 0 {
            return None;
        }
        let mut dims = Vec::with_capacity(reference.dims.len());
        for d in &reference.dims {
            // Every netCDF-4 dimension is a dataset of its name (a coordinate or a bare dimension
            // scale) whose extent is the dimension's length.
            let shape = extent(file.0, &d.name)?;
            if shape.len() != 1 {
                return None;
            }
            dims.push(DimInfo {
                name: d.name.clone(),
                len: shape[0],
                unlimited: d.unlimited,
            });
        }
        let len_of = |n: &str| dims.iter().find(|d| d.name == n).map(|d| d.len);
        let mut vars = Vec::with_capacity(reference.vars.len());
        for rv in &reference.vars {
            let shape = extent(file.0, &rv.name)?;
            let expect: Option<Vec<usize>> = rv.dims.iter().map(|d| len_of(d)).collect();
            // An unlimited dimension's length is the longest variable along it: the library knows.
            if Some(&shape) != expect.as_ref() {
                return None;
            }
            let is_coord = rv.coord_values.is_some();
            let (attrs, coord_values) = if is_coord {
                let d = named(file.0, &rv.name)?;
                let vals = read_f64(d.0, shape[0])?;
                (read_attrs(d.0)?, Some(Arc::new(vals)))
            } else {
                (Vec::new(), None)
            };
            vars.push(VarInfo {
                name: rv.name.clone(),
                dims: rv.dims.clone(),
                shape,
                dtype: rv.dtype,
                attrs,
                chunking: None,
                zlib: None,
                shuffle: false,
                coord_values,
            });
        }
        Some(FileMeta {
            path: path.to_path_buf(),
            dims,
            vars,
            attrs: Vec::new(),
        })
    }
}

unsafe fn named(file: Hid, name: &str) -> Option<Id> {
    let c = CString::new(name).ok()?;
    if H5Lexists(file, c.as_ptr(), 0) <= 0 {
        return None;
    }
    let d = Id(H5Dopen2(file, c.as_ptr(), 0), H5Dclose);
    (d.0 >= 0).then_some(d)
}

/// Current extent of dataset `name` in the root group.
unsafe fn extent(file: Hid, name: &str) -> Option<Vec<usize>> {
    let d = named(file, name)?;
    let s = Id(H5Dget_space(d.0), H5Sclose);
    let n = H5Sget_simple_extent_ndims(s.0);
    if !(0..=32).contains(&n) {
        return None;
    }
    let mut dims = vec![0u64; n as usize];
    if H5Sget_simple_extent_dims(s.0, dims.as_mut_ptr(), std::ptr::null_mut()) != n {
        return None;
    }
    Some(dims.into_iter().map(|x| x as usize).collect())
}

/// A whole 1-d dataset of `n` numbers as f64 (libhdf5 converts from the stored type).
unsafe fn read_f64(d: Hid, n: usize) -> Option<Vec<f64>> {
    let t = Id(H5Dget_type(d), H5Tclose);
    let class = H5Tget_class(t.0);
    if class != H5T_INTEGER && class != H5T_FLOAT {
        return None;
    }
    let mut out = vec![0f64; n];
    (H5Dread(d, H5T_NATIVE_DOUBLE_g, 0, 0, 0, out.as_mut_ptr().cast()) >= 0).then_some(out)
}

unsafe extern "C" fn collect_name(
    _loc: Hid,
    name: *const c_char,
    _info: *const c_void,
    data: *mut c_void,
) -> c_int {
    let names = &mut *(data as *mut Vec<String>);
    names.push(CStr::from_ptr(name).to_string_lossy().into_owned());
    0
}

/// The user attributes of an object, in creation order when the file tracks it.
unsafe fn read_attrs(obj: Hid) -> Option<Attrs> {
    let mut names: Vec<String> = Vec::new();
    let mut idx = 0u64;
    let data = &mut names as *mut Vec<String> as *mut c_void;
    // Creation order (as netCDF lists attributes) when indexed, else name order.
    if H5Aiterate2(
        obj,
        H5_INDEX_CRT_ORDER,
        H5_ITER_INC,
        &mut idx,
        collect_name,
        data,
    ) < 0
    {
        names.clear();
        idx = 0;
        if H5Aiterate2(
            obj,
            H5_INDEX_NAME,
            H5_ITER_INC,
            &mut idx,
            collect_name,
            data,
        ) < 0
        {
            return None;
        }
    }
    let mut out = Vec::new();
    for n in names {
        if RESERVED.contains(&n.as_str()) {
            continue;
        }
        let c = CString::new(n.as_str()).ok()?;
        let a = Id(H5Aopen(obj, c.as_ptr(), 0), H5Aclose);
        if a.0 < 0 {
            return None;
        }
        out.push((n, attr_value(a.0)?));
    }
    Some(out)
}

unsafe fn attr_value(a: Hid) -> Option<AttributeValue> {
    let t = Id(H5Aget_type(a), H5Tclose);
    let s = Id(H5Aget_space(a), H5Sclose);
    let n = H5Sget_simple_extent_npoints(s.0).max(0) as usize;
    let size = H5Tget_size(t.0);
    match H5Tget_class(t.0) {
        H5T_STRING => {
            if H5Tis_variable_str(t.0) > 0 {
                let mut ptrs: Vec<*mut c_char> = vec![std::ptr::null_mut(); n];
                if H5Aread(a, t.0, ptrs.as_mut_ptr().cast()) < 0 {
                    return None;
                }
                let strs: Vec<String> = ptrs
                    .iter()
                    .map(|&p| {
                        let s = if p.is_null() {
                            String::new()
                        } else {
                            CStr::from_ptr(p).to_string_lossy().into_owned()
                        };
                        H5free_memory(p.cast());
                        s
                    })
                    .collect();
                // As the netCDF library returns NC_STRING attributes, even of one value.
                Some(AttributeValue::Strs(strs))
            } else {
                let mut buf = vec![0u8; size * n.max(1)];
                if H5Aread(a, t.0, buf.as_mut_ptr().cast()) < 0 {
                    return None;
                }
                let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
                Some(AttributeValue::Str(
                    String::from_utf8_lossy(&buf[..end]).into_owned(),
                ))
            }
        }
        H5T_INTEGER => {
            let signed = H5Tget_sign(t.0) != 0;
            macro_rules! ints {
                ($ty:ty, $native:expr, $one:ident, $many:ident) => {{
                    let mut v = vec![<$ty>::default(); n];
                    if H5Aread(a, $native, v.as_mut_ptr().cast()) < 0 {
                        return None;
                    }
                    Some(if n == 1 {
                        AttributeValue::$one(v[0])
                    } else {
                        AttributeValue::$many(v)
                    })
                }};
            }
            match (size, signed) {
                (1, true) => ints!(i8, H5T_NATIVE_SCHAR_g, Schar, Schars),
                (1, false) => ints!(u8, H5T_NATIVE_UCHAR_g, Uchar, Uchars),
                (2, true) => ints!(i16, H5T_NATIVE_SHORT_g, Short, Shorts),
                (2, false) => ints!(u16, H5T_NATIVE_USHORT_g, Ushort, Ushorts),
                (4, true) => ints!(i32, H5T_NATIVE_INT_g, Int, Ints),
                (4, false) => ints!(u32, H5T_NATIVE_UINT_g, Uint, Uints),
                (8, true) => ints!(i64, H5T_NATIVE_LLONG_g, Longlong, Longlongs),
                (8, false) => ints!(u64, H5T_NATIVE_ULLONG_g, Ulonglong, Ulonglongs),
                _ => None,
            }
        }
        H5T_FLOAT if size == 4 => {
            let mut v = vec![0f32; n];
            if H5Aread(a, H5T_NATIVE_FLOAT_g, v.as_mut_ptr().cast()) < 0 {
                return None;
            }
            Some(if n == 1 {
                AttributeValue::Float(v[0])
            } else {
                AttributeValue::Floats(v)
            })
        }
        H5T_FLOAT if size == 8 => {
            let mut v = vec![0f64; n];
            if H5Aread(a, H5T_NATIVE_DOUBLE_g, v.as_mut_ptr().cast()) < 0 {
                return None;
            }
            Some(if n == 1 {
                AttributeValue::Double(v[0])
            } else {
                AttributeValue::Doubles(v)
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions};
    use crate::io::netcdf::read_meta;

    fn demo(dir: &Path, nlat: usize) -> Vec<std::path::PathBuf> {
        let opts = Cmip6DemoOptions {
            files: 3,
            years_per_file: 1,
            nlat,
            nlon: 6,
            ..Default::default()
        };
        write_cmip6_demo(dir, &opts).unwrap().files
    }

    #[test]
    fn peek_agrees_with_the_netcdf_library() {
        let tmp = tempfile::tempdir().unwrap();
        let files = demo(tmp.path(), 4);
        let reference = read_meta(&files[0]).unwrap();
        for f in &files[1..] {
            let peek = peek_like(f, &reference).expect("demo files are plain netCDF-4");
            let lib = read_meta(f).unwrap();
            assert_eq!(peek.dims, lib.dims);
            assert_eq!(peek.vars.len(), reference.vars.len());
            for pv in &peek.vars {
                let lv = lib.var(&pv.name).unwrap();
                assert_eq!(pv.shape, lv.shape, "{}", pv.name);
                assert_eq!(pv.coord_values, lv.coord_values, "{}", pv.name);
                if pv.coord_values.is_some() {
                    // Same attributes, same order, same types as the library reads them.
                    assert_eq!(pv.attrs, lv.attrs, "{}", pv.name);
                }
            }
            let time = peek.var("time").unwrap().coord_values.clone().unwrap();
            assert_eq!(time.len(), 365);
        }
    }

    #[test]
    fn peek_declines_what_differs() {
        let tmp = tempfile::tempdir().unwrap();
        let a = demo(&tmp.path().join("a"), 4);
        let b = demo(&tmp.path().join("b"), 5);
        let reference = read_meta(&a[0]).unwrap();
        // Another lat size: the library path must explain it, so the peek gives up.
        let m = peek_like(&b[1], &reference).unwrap();
        assert_eq!(m.dim("lat").unwrap().len, 5);
        assert_eq!(m.var("pr").unwrap().shape[1], 5);
        // Not HDF5 at all.
        let junk = tmp.path().join("junk.nc");
        std::fs::write(&junk, b"CDF\x01 not really").unwrap();
        assert!(peek_like(&junk, &reference).is_none());
    }
}

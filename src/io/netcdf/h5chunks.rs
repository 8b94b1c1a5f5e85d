//! Fast path for chunked, zlib-compressed float variables of netCDF-4 (HDF5) files: only the chunk
//! index is looked up through libhdf5 (under the library lock, metadata only); the chunk bytes are
//! then read with `pread` and inflated (+ unshuffled) in parallel with flate2, without any lock.
//! Anything unusual (other filters or types, missing chunks, a userblock) returns `Ok(None)` and the
//! caller falls back to the netCDF library.

use std::ffi::{c_int, CString};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use ndarray::{ArrayD, IxDyn};

use crate::engine::NdArray;
use crate::error::{Error, Result};

use super::h5decode::read_compressed;
use super::h5ffi::*;

pub(super) struct Plan {
    pub chunk: Vec<usize>,
    pub elem: usize,
    /// Filter pipeline positions (for the per-chunk skip mask).
    pub shuffle: Option<u32>,
    pub deflate: Option<u32>,
    /// (chunk origin, file address, stored size, filter mask)
    pub chunks: Vec<(Vec<usize>, u64, u64, u32)>,
}

/// Chunk index lookup, under the HDF5 lock. `None`: not eligible for the fast path.
fn plan(path: &Path, var: &str, start: &[usize], count: &[usize]) -> Option<Plan> {
    let cpath = CString::new(path.to_str()?).ok()?;
    let cvar = CString::new(var).ok()?;
    super::quiet_hdf5();
    let _g = netcdf_sys::libnetcdf_lock.lock();
    unsafe {
        let f = Id(H5Fopen(cpath.as_ptr(), 0, 0), H5Fclose);
        if f.0 < 0 {
            return None;
        }
        let d = Id(H5Dopen2(f.0, cvar.as_ptr(), 0), H5Dclose);
        if d.0 < 0 {
            return None;
        }
        let t = Id(H5Dget_type(d.0), H5Tclose);
        let elem = H5Tget_size(t.0);
        if H5Tget_class(t.0) != H5T_FLOAT
            || H5Tget_order(t.0) != H5T_ORDER_LE
            || !(elem == 4 || elem == 8)
        {
            return None;
        }
        let p = Id(H5Dget_create_plist(d.0), H5Pclose);
        let mut dims = vec![0u64; start.len()];
        if H5Pget_chunk(p.0, dims.len() as c_int, dims.as_mut_ptr()) != start.len() as c_int {
            return None;
        }
        let chunk: Vec<usize> = dims.iter().map(|&x| x as usize).collect();
        let (mut shuffle, mut deflate) = (None, None);
        for (i, (id, _)) in (0u32..).zip(filter_pipeline(p.0)) {
            match id {
                FILTER_SHUFFLE if deflate.is_none() => shuffle = Some(i),
                FILTER_DEFLATE => deflate = Some(i),
                _ => return None,
            }
        }
        let ranges: Vec<Vec<usize>> = (0..start.len())
            .map(|k| {
                (start[k] / chunk[k]..(start[k] + count[k]).div_ceil(chunk[k]))
                    .map(|c| c * chunk[k])
                    .collect()
            })
            .collect();
        let mut chunks = Vec::new();
        let mut ok = true;
        product(&ranges, &mut Vec::new(), &mut |origin| {
            let off: Vec<u64> = origin.iter().map(|&x| x as u64).collect();
            let (mut mask, mut addr, mut size) = (0, 0u64, 0u64);
            if H5Dget_chunk_info_by_coord(d.0, off.as_ptr(), &mut mask, &mut addr, &mut size) < 0
                || addr == u64::MAX
            {
                ok = false;
            }
            chunks.push((origin.to_vec(), addr, size, mask));
        });
        ok.then_some(Plan {
            chunk,
            elem,
            shuffle,
            deflate,
            chunks,
        })
    }
}

/// Compression of each variable (`None` when not chunked/filtered or not HDF5): (shuffle, zlib level).
pub fn filters_of(path: &Path, vars: &[String]) -> Vec<Option<(bool, Option<i32>)>> {
    let none = vec![None; vars.len()];
    let mut magic = [0u8; 8];
    let is_h5 = File::open(path)
        .is_ok_and(|f| f.read_exact_at(&mut magic, 0).is_ok() && &magic == HDF5_MAGIC);
    let Some(cpath) = path.to_str().and_then(|p| CString::new(p).ok()) else {
        return none;
    };
    if !is_h5 {
        return none;
    }
    super::quiet_hdf5();
    let _g = netcdf_sys::libnetcdf_lock.lock();
    unsafe {
        let f = Id(H5Fopen(cpath.as_ptr(), 0, 0), H5Fclose);
        if f.0 < 0 {
            return none;
        }
        vars.iter()
            .map(|v| {
                let cvar = CString::new(v.as_str()).ok()?;
                let d = Id(H5Dopen2(f.0, cvar.as_ptr(), 0), H5Dclose);
                if d.0 < 0 {
                    return None;
                }
                let p = Id(H5Dget_create_plist(d.0), H5Pclose);
                let (mut shuffle, mut level) = (false, None);
                for (id, cd0) in filter_pipeline(p.0) {
                    match id {
                        FILTER_SHUFFLE => shuffle = true,
                        FILTER_DEFLATE => level = Some(cd0 as i32),
                        _ => {}
                    }
                }
                Some((shuffle, level))
            })
            .collect()
    }
}

/// Read `var[start..start+count]` through the fast path; `Ok(None)` when not eligible.
pub fn read_raw_chunks(
    path: &Path,
    var: &str,
    start: &[usize],
    count: &[usize],
) -> Result<Option<NdArray>> {
    if start.is_empty() || count.contains(&0) {
        return Ok(None);
    }
    let mut magic = [0u8; 8];
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    if file.read_exact_at(&mut magic, 0).is_err() || &magic != HDF5_MAGIC {
        return Ok(None);
    }
    let Some(p) = plan(path, var, start, count) else {
        return Ok(None);
    };
    if p.deflate.is_none() && p.shuffle.is_none() {
        return read_uncompressed(&file, path, &p, start, count);
    }
    if !worth_it(&p, count) {
        return Ok(None);
    }
    let shape = IxDyn(count);
    Ok(Some(if p.elem == 4 {
        let v = read_compressed::<f32>(&file, path, &p, start, count)?;
        NdArray::F32(ArrayD::from_shape_vec(shape, v).expect("selection size"))
    } else {
        let v = read_compressed::<f64>(&file, path, &p, start, count)?;
        NdArray::F64(ArrayD::from_shape_vec(shape, v).expect("selection size"))
    }))
}

/// Uncompressed chunks: read just the selection's runs of each chunk with `pread`, straight into the
/// output, outside the library's lock (so reads on several workers run in parallel). Runs cover every
/// trailing dimension that both the chunk and the selection span whole, so a time slab of full lat/lon
/// rows is one read per chunk.
fn read_uncompressed(
    file: &File,
    path: &Path,
    p: &Plan,
    start: &[usize],
    count: &[usize],
) -> Result<Option<NdArray>> {
    if cfg!(target_endian = "big") {
        return Ok(None);
    }
    let nd = count.len();
    let chunk_bytes = p.chunk.iter().product::<usize>() * p.elem;
    if p.chunks.iter().any(|c| c.2 as usize != chunk_bytes) {
        return Ok(None);
    }
    let n: usize = count.iter().product();
    // Read straight into the typed buffer, with no zeroing first (a chunk-sized memset cost a third of
    // the read): little-endian host (checked above) and every bit pattern is a valid float. The runs
    // below tile the selection, so every byte is written before `set_len`.
    let mut f32s: Vec<f32> = Vec::new();
    let mut f64s: Vec<f64> = Vec::new();
    let out: *mut u8 = if p.elem == 4 {
        f32s.reserve_exact(n);
        f32s.as_mut_ptr().cast()
    } else {
        f64s.reserve_exact(n);
        f64s.as_mut_ptr().cast()
    };
    let mut written = 0usize;
    let (ostr, cstr) = (c_strides(count), c_strides(&p.chunk));
    for (origin, addr, _, _) in &p.chunks {
        let lo: Vec<usize> = (0..nd).map(|k| start[k].max(origin[k])).collect();
        let hi: Vec<usize> = (0..nd)
            .map(|k| (start[k] + count[k]).min(origin[k] + p.chunk[k]))
            .collect();
        if (0..nd).any(|k| lo[k] >= hi[k]) {
            continue;
        }
        let whole = |k: usize| {
            lo[k] == origin[k]
                && hi[k] == origin[k] + p.chunk[k]
                && lo[k] == start[k]
                && hi[k] == start[k] + count[k]
        };
        // Dims [m, nd) form one contiguous run in both the chunk and the output.
        let mut m = nd - 1;
        while m > 0 && whole(m) {
            m -= 1;
        }
        let run = (hi[m] - lo[m]) * cstr[m] * p.elem;
        let mut idx = lo[..m].to_vec();
        loop {
            let (mut coff, mut ooff) = (0, 0);
            for k in 0..m {
                coff += (idx[k] - origin[k]) * cstr[k];
                ooff += (idx[k] - start[k]) * ostr[k];
            }
            coff += (lo[m] - origin[m]) * cstr[m];
            ooff += (lo[m] - start[m]) * ostr[m];
            // SAFETY: `ooff * elem + run` is within the selection's `n * elem` reserved bytes.
            unsafe {
                pread_exact(
                    file,
                    out.add(ooff * p.elem),
                    run,
                    addr + (coff * p.elem) as u64,
                )
            }
            .map_err(|e| {
                Error::file(path, format!("chunk at byte {addr}: {e} (truncated file?)"))
            })?;
            written += run;
            // Next index over dims [0, m), last fastest.
            let mut k = m;
            loop {
                if k == 0 {
                    break;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < hi[k] {
                    break;
                }
                idx[k] = lo[k];
                if k == 0 {
                    k = usize::MAX;
                    break;
                }
            }
            if m == 0 || k == usize::MAX {
                break;
            }
        }
    }
    if written != n * p.elem {
        return Ok(None);
    }
    // SAFETY: all n elements were written (the runs tile the selection; checked by the byte count).
    unsafe {
        if p.elem == 4 {
            f32s.set_len(n)
        } else {
            f64s.set_len(n)
        }
    }
    let shape = IxDyn(count);
    Ok(Some(if p.elem == 4 {
        NdArray::F32(ArrayD::from_shape_vec(shape, f32s).expect("selection size"))
    } else {
        NdArray::F64(ArrayD::from_shape_vec(shape, f64s).expect("selection size"))
    }))
}

/// Element strides of a C-order array of `shape`.
pub(super) fn c_strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1usize; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        st[k] = st[k + 1] * shape[k + 1];
    }
    st
}

/// `pread` exactly `len` bytes at `offset` into `buf`, which may be uninitialized memory.
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes.
pub(super) unsafe fn pread_exact(
    file: &File,
    mut buf: *mut u8,
    mut len: usize,
    mut offset: u64,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    while len > 0 {
        let r = libc::pread(file.as_raw_fd(), buf.cast(), len, offset as libc::off_t);
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let r = r as usize;
        buf = buf.add(r);
        len -= r;
        offset += r as u64;
    }
    Ok(())
}

/// The parallel-inflate path pays off for compressed chunks that mostly lie inside the selection: a
/// slab that touches a small part of large chunks (a month of a file chunked by year) would decode
/// whole chunks; the library reads just the slab, in bounded memory, instead.
fn worth_it(p: &Plan, count: &[usize]) -> bool {
    if p.deflate.is_none() {
        return false;
    }
    let wanted: usize = count.iter().product::<usize>() * p.elem;
    let decoded: usize = p.chunks.len() * p.chunk.iter().product::<usize>() * p.elem;
    decoded <= 2 * wanted + (8 << 20)
}

/// Call `f` on every combination of one element per list (C order).
fn product(lists: &[Vec<usize>], cur: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
    if cur.len() == lists.len() {
        f(cur);
        return;
    }
    for &x in &lists[cur.len()] {
        cur.push(x);
        product(lists, cur, f);
        cur.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(chunk: Vec<usize>, nchunks: usize, deflate: bool) -> Plan {
        Plan {
            chunk,
            elem: 4,
            shuffle: None,
            deflate: deflate.then_some(0),
            chunks: vec![(vec![0, 0, 0], 0, 0, 0); nchunks],
        }
    }

    #[test]
    fn the_fast_path_is_taken_only_for_compressed_chunks_mostly_inside_the_slab() {
        // A year chunk (365×180×360) read 30 days at a time: decoding it whole would cost 12× the slab.
        assert!(!worth_it(
            &plan(vec![365, 180, 360], 1, true),
            &[30, 180, 360]
        ));
        // Uncompressed: the library reads the slab itself.
        assert!(!worth_it(
            &plan(vec![30, 180, 360], 1, false),
            &[30, 180, 360]
        ));
        // Compressed chunks covering the slab: parallel inflate.
        assert!(worth_it(
            &plan(vec![30, 180, 360], 1, true),
            &[30, 180, 360]
        ));
        assert!(worth_it(&plan(vec![1, 36, 72], 730, true), &[730, 36, 72]));
    }
}

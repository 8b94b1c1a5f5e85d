//! Parallel compression for netCDF-4 writes: once the file is fully defined by the netCDF library
//! (and closed), chunked zlib variables are written chunk by chunk with HDF5's direct chunk write
//! (`H5Dwrite_chunk`). Each store task shuffles and deflates its own chunks with flate2 *outside* the
//! library lock, so every worker compresses; only the write of the finished bytes takes the lock.
//!
//! The bytes are exactly what HDF5's own filter pipeline would store: the shuffle filter's byte
//! planes followed by a standard zlib (RFC 1950) stream, and edge chunks padded to the full chunk
//! shape with the fill value (HDF5 always stores whole chunks).

use std::ffi::{c_char, c_int, c_uint, c_void, CString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

use crate::engine::NdArray;
use crate::error::{Error, Result};

type Hid = i64;
#[allow(non_snake_case)]
extern "C" {
    fn H5Fopen(name: *const c_char, flags: c_uint, fapl: Hid) -> Hid;
    fn H5Fclose(id: Hid) -> c_int;
    fn H5Dopen2(file: Hid, name: *const c_char, dapl: Hid) -> Hid;
    fn H5Dclose(id: Hid) -> c_int;
    fn H5Dget_create_plist(id: Hid) -> Hid;
    fn H5Pclose(id: Hid) -> c_int;
    fn H5Pget_chunk(plist: Hid, max_ndims: c_int, dims: *mut u64) -> c_int;
    fn H5Pget_nfilters(plist: Hid) -> c_int;
    fn H5Pget_filter2(
        plist: Hid,
        idx: c_uint,
        flags: *mut c_uint,
        cd_nelmts: *mut usize,
        cd_values: *mut c_uint,
        namelen: usize,
        name: *mut c_char,
        config: *mut c_uint,
    ) -> c_int;
    fn H5Dwrite_chunk(
        dset: Hid,
        dxpl: Hid,
        filters: u32,
        offset: *const u64,
        size: usize,
        buf: *const c_void,
    ) -> c_int;
}

const H5F_ACC_RDWR: c_uint = 1;
const FILTER_DEFLATE: c_int = 1;
const FILTER_SHUFFLE: c_int = 2;

/// Chunks written through `H5Dwrite_chunk` since the process started (tests check the fast path
/// was really taken).
pub static DIRECT_CHUNKS: AtomicU64 = AtomicU64::new(0);

/// How one variable's chunks are stored: shape and filters, as read back from the defined file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkCodec {
    pub chunk: Vec<usize>,
    pub shuffle: bool,
    pub level: u32,
}

/// The temporary file reopened with libhdf5 for direct chunk writes. All HDF5 calls take
/// `netcdf_sys::libnetcdf_lock`; `write_chunk` is callable from many threads at once.
pub struct DirectFile {
    file: Hid,
    /// (variable name, dataset id, codec)
    dsets: Vec<(String, Hid, ChunkCodec)>,
    path: PathBuf,
}

// SAFETY: the ids are plain integers; every use of them goes through the global library lock.
unsafe impl Send for DirectFile {}
unsafe impl Sync for DirectFile {}

impl DirectFile {
    /// Open `tmp` (a closed netCDF-4 file) read-write and the datasets of `vars`, reading their
    /// chunk shapes and filters. `dest` names the file in errors.
    pub fn open(tmp: &Path, dest: &Path, vars: &[String]) -> Result<DirectFile> {
        let bad = |what: String| Error::file(dest, what);
        let cpath = CString::new(tmp.as_os_str().as_encoded_bytes())
            .map_err(|_| bad("path contains a NUL byte".into()))?;
        super::quiet_hdf5();
        let mut out = DirectFile {
            file: -1,
            dsets: Vec::new(),
            path: dest.to_path_buf(),
        };
        {
            let _g = netcdf_sys::libnetcdf_lock.lock();
            // SAFETY: valid C strings and out-pointers; every id opened is recorded in `out`, whose
            // Drop (after the guard is released: the lock is not reentrant) closes them.
            unsafe {
                out.file = H5Fopen(cpath.as_ptr(), H5F_ACC_RDWR, 0);
                if out.file < 0 {
                    return Err(bad(
                        "cannot reopen the file with libhdf5 to write chunks".into()
                    ));
                }
                for v in vars {
                    let cvar =
                        CString::new(v.as_str()).map_err(|_| bad(format!("variable '{v}'")))?;
                    let d = H5Dopen2(out.file, cvar.as_ptr(), 0);
                    if d < 0 {
                        return Err(bad(format!("cannot open variable '{v}' with libhdf5")));
                    }
                    out.dsets.push((v.clone(), d, ChunkCodec::default()));
                    let codec = codec_of(d).ok_or_else(|| {
                        bad(format!(
                            "variable '{v}': unexpected chunking or filters for a direct chunk write"
                        ))
                    })?;
                    out.dsets.last_mut().expect("pushed").2 = codec;
                }
            }
        }
        Ok(out)
    }

    /// The codec of variable number `i` (in the order given to [`DirectFile::open`]).
    pub fn codec(&self, i: usize) -> &ChunkCodec {
        &self.dsets[i].2
    }

    /// Store one already-filtered chunk whose first element is at `origin`.
    pub fn write_chunk(&self, i: usize, origin: &[usize], bytes: &[u8]) -> Result<()> {
        let (name, d, _) = &self.dsets[i];
        let off: Vec<u64> = origin.iter().map(|&x| x as u64).collect();
        super::quiet_hdf5();
        let _g = netcdf_sys::libnetcdf_lock.lock();
        // SAFETY: `off` has the dataset's rank (checked by the caller's chunk plan), `bytes` is valid.
        let rc =
            unsafe { H5Dwrite_chunk(*d, 0, 0, off.as_ptr(), bytes.len(), bytes.as_ptr().cast()) };
        if rc < 0 {
            return Err(Error::file(
                &self.path,
                format!("writing chunk of '{name}' at {origin:?} failed (disk full?)"),
            ));
        }
        DIRECT_CHUNKS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Close every id; the file is complete once this returns `Ok`.
    pub fn close(mut self) -> Result<()> {
        let ok = self.close_ids();
        if ok {
            Ok(())
        } else {
            Err(Error::file(&self.path, "closing the file failed"))
        }
    }

    fn close_ids(&mut self) -> bool {
        let _g = netcdf_sys::libnetcdf_lock.lock();
        let mut ok = true;
        // SAFETY: ids opened by `open`, closed once (the lists are emptied).
        unsafe {
            for (_, d, _) in self.dsets.drain(..) {
                ok &= H5Dclose(d) >= 0;
            }
            if self.file >= 0 {
                ok &= H5Fclose(self.file) >= 0;
                self.file = -1;
            }
        }
        ok
    }
}

impl Drop for DirectFile {
    fn drop(&mut self) {
        self.close_ids();
    }
}

/// Chunk shape and (shuffle?, deflate level) of dataset `d`: `None` unless the pipeline is exactly
/// deflate or shuffle → deflate. Caller holds the lock.
unsafe fn codec_of(d: Hid) -> Option<ChunkCodec> {
    struct P(Hid);
    impl Drop for P {
        fn drop(&mut self) {
            unsafe { H5Pclose(self.0) };
        }
    }
    let p = P(H5Dget_create_plist(d));
    if p.0 < 0 {
        return None;
    }
    let mut dims = [0u64; 32];
    let nd = H5Pget_chunk(p.0, 32, dims.as_mut_ptr());
    if nd <= 0 {
        return None;
    }
    let mut filters = Vec::new();
    for i in 0..H5Pget_nfilters(p.0).max(0) as u32 {
        let (mut flags, mut n, mut cd) = (0, 4usize, [0 as c_uint; 4]);
        let id = H5Pget_filter2(
            p.0,
            i,
            &mut flags,
            &mut n,
            cd.as_mut_ptr(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        filters.push((id, if n > 0 { cd[0] } else { 4 }));
    }
    let (shuffle, level) = match filters.as_slice() {
        [(FILTER_DEFLATE, l)] => (false, *l),
        [(FILTER_SHUFFLE, _), (FILTER_DEFLATE, l)] => (true, *l),
        _ => return None,
    };
    Some(ChunkCodec {
        chunk: dims[..nd as usize].iter().map(|&x| x as usize).collect(),
        shuffle,
        level: level.min(9),
    })
}

/// Receives each filtered chunk: (origin of its first element, stored bytes).
pub type ChunkSink<'a> = dyn FnMut(&[usize], &[u8]) -> Result<()> + 'a;

/// Element types `NdArray` holds, as the little-endian bit patterns HDF5 stores.
trait Elem: Copy + 'static {
    const SIZE: usize;
    fn bits(self) -> u64;
    fn missing(self) -> bool;
}
macro_rules! elem_float {
    ($t:ty, $n:expr) => {
        impl Elem for $t {
            const SIZE: usize = $n;
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn missing(self) -> bool {
                self.is_nan()
            }
        }
    };
}
macro_rules! elem_int {
    ($t:ty, $u:ty, $n:expr) => {
        impl Elem for $t {
            const SIZE: usize = $n;
            fn bits(self) -> u64 {
                self as $u as u64
            }
            fn missing(self) -> bool {
                false
            }
        }
    };
}
elem_float!(f32, 4);
elem_float!(f64, 8);
elem_int!(i8, u8, 1);
elem_int!(u8, u8, 1);
elem_int!(i16, u16, 2);
elem_int!(i32, u32, 4);
elem_int!(i64, u64, 8);

/// Elements per piece handed to the compressor: bounds the scratch buffer at `PIECE × 8` bytes.
const PIECE: usize = 1 << 16;

/// Shuffle (byte planes) and deflate the chunk `xs`, replacing missing values (NaN) by `fill`, into
/// `out` (emptied first; its pages are reused from one chunk to the next).
fn filter_chunk<T: Elem>(
    xs: &[T],
    fill: Option<u64>,
    codec: &ChunkCodec,
    out: &mut Vec<u8>,
) -> Result<()> {
    let size = T::SIZE;
    let enc = |x: T| match fill {
        Some(f) if x.missing() => f,
        _ => x.bits(),
    };
    // Room for zlib's worst case (stored blocks) up front: no reallocation copies while deflating;
    // pages that stay unwritten are never made resident.
    let n = xs.len() * size;
    let mut buf = std::mem::take(out);
    buf.clear();
    buf.reserve(n + n / 1000 + 1024);
    let mut z = ZlibEncoder::new(buf, Compression::new(codec.level));
    let mut buf = Vec::with_capacity(PIECE * size);
    let io = |e: std::io::Error| Error::value(format!("deflate: {e}"));
    if codec.shuffle && size > 1 {
        // HDF5's shuffle: byte b of every element, for b = 0 (least significant) .. size.
        for b in 0..size {
            for piece in xs.chunks(PIECE) {
                buf.clear();
                buf.extend(piece.iter().map(|&x| (enc(x) >> (8 * b)) as u8));
                z.write_all(&buf).map_err(io)?;
            }
        }
    } else {
        for piece in xs.chunks(PIECE) {
            buf.clear();
            for &x in piece {
                buf.extend_from_slice(&enc(x).to_le_bytes()[..size]);
            }
            z.write_all(&buf).map_err(io)?;
        }
    }
    *out = z.finish().map_err(io)?;
    Ok(())
}

/// Filter the HDF5 chunks number `range` (C order over the block's chunks) of `block` (the block
/// whose first element is at `block_start`) and give each to `sink(chunk origin, bytes)` one at a
/// time, so only one filtered chunk is alive. Block starts must
/// be multiples of `codec.chunk`; chunks crossing the block's end (the variable's edge) are padded with
/// the fill value. `fill`: `_FillValue`, which also replaces NaN in float data (CF encoding).
pub fn filter_block(
    block: &NdArray,
    block_start: &[usize],
    codec: &ChunkCodec,
    fill: Option<f64>,
    range: std::ops::Range<usize>,
    sink: &mut ChunkSink<'_>,
) -> Result<()> {
    fn go<T: Elem + Default>(
        a: &ArrayD<T>,
        block_start: &[usize],
        codec: &ChunkCodec,
        fill: Option<T>,
        range: std::ops::Range<usize>,
        sink: &mut ChunkSink<'_>,
    ) -> Result<()> {
        let c = &codec.chunk;
        let shape = a.shape();
        let nchunks: Vec<usize> = (0..shape.len()).map(|k| shape[k].div_ceil(c[k])).collect();
        // A NaN `_FillValue` leaves NaNs as they are (as `encode_fill` does); padding uses it anyway.
        let fill_bits = fill.filter(|f| !f.missing()).map(Elem::bits);
        let pad = fill.unwrap_or_default();
        let mut idx = vec![0usize; shape.len()];
        let mut bytes = Vec::new();
        let mut number = 0;
        if nchunks.contains(&0) {
            return Ok(());
        }
        loop {
            if number >= range.end {
                return Ok(());
            }
            number += 1;
            if number <= range.start {
                if !next(&mut idx, &nchunks) {
                    return Ok(());
                }
                continue;
            }
            let mut view: ArrayViewD<'_, T> = a.view();
            let mut full = true;
            for k in 0..shape.len() {
                let lo = idx[k] * c[k];
                let hi = (lo + c[k]).min(shape[k]);
                full &= hi - lo == c[k];
                view.slice_axis_inplace(Axis(k), Slice::from(lo..hi));
            }
            match view.as_slice() {
                Some(xs) if full => filter_chunk(xs, fill_bits, codec, &mut bytes)?,
                _ => {
                    let mut padded = ArrayD::from_elem(IxDyn(c), pad);
                    let mut dst = padded.view_mut();
                    for (k, &n) in view.shape().iter().enumerate() {
                        dst.slice_axis_inplace(Axis(k), Slice::from(0..n));
                    }
                    dst.assign(&view);
                    let xs = padded.as_slice().expect("owned");
                    filter_chunk(xs, fill_bits, codec, &mut bytes)?
                }
            }
            let origin: Vec<usize> = (0..shape.len())
                .map(|k| block_start[k] + idx[k] * c[k])
                .collect();
            sink(&origin, &bytes)?;
            if !next(&mut idx, &nchunks) {
                return Ok(());
            }
        }
    }
    /// Advance the multi-index `idx` over `n` in C order; false past the end.
    fn next(idx: &mut [usize], n: &[usize]) -> bool {
        for k in (0..idx.len()).rev() {
            idx[k] += 1;
            if idx[k] < n[k] {
                return true;
            }
            idx[k] = 0;
        }
        false
    }
    if codec.chunk.len() != block.shape().len() || codec.chunk.contains(&0) {
        return Err(Error::value(format!(
            "chunk shape {:?} does not fit a {}-d block",
            codec.chunk,
            block.shape().len()
        )));
    }
    match block {
        NdArray::F32(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as f32),
            range.clone(),
            sink,
        ),
        NdArray::F64(a) => go(a, block_start, codec, fill, range.clone(), sink),
        NdArray::I8(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as i8),
            range.clone(),
            sink,
        ),
        NdArray::U8(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as u8),
            range.clone(),
            sink,
        ),
        NdArray::I16(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as i16),
            range.clone(),
            sink,
        ),
        NdArray::I32(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as i32),
            range.clone(),
            sink,
        ),
        NdArray::I64(a) => go(
            a,
            block_start,
            codec,
            fill.map(|f| f as i64),
            range.clone(),
            sink,
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn inflate_unshuffle(bytes: &[u8], elem: usize) -> Vec<u8> {
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(bytes)
            .read_to_end(&mut raw)
            .unwrap();
        let n = raw.len() / elem;
        let mut out = vec![0u8; raw.len()];
        for b in 0..elem {
            for i in 0..n {
                out[i * elem + b] = raw[b * n + i];
            }
        }
        out
    }

    #[test]
    fn blocks_become_shuffled_zlib_chunks_padded_with_the_fill_value() {
        // Rows 12..17 of a variable chunked by 4 rows: chunks at rows 12 (full) and 16 (1 of 4 rows).
        let mut a = ArrayD::from_shape_fn(IxDyn(&[5, 3]), |i| (i[0] * 3 + i[1]) as f32);
        a[[1, 2]] = f32::NAN;
        let codec = ChunkCodec {
            chunk: vec![4, 3],
            shuffle: true,
            level: 4,
        };
        let mut got = Vec::new();
        filter_block(
            &NdArray::F32(a),
            &[12, 0],
            &codec,
            Some(-9.0),
            0..2,
            &mut |o, b| {
                got.push((o.to_vec(), inflate_unshuffle(b, 4)));
                Ok(())
            },
        )
        .unwrap();
        let floats = |b: &[u8]| -> Vec<f32> {
            b.chunks(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect()
        };
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, vec![12, 0]);
        let mut want: Vec<f32> = (0..12).map(|x| x as f32).collect();
        want[5] = -9.0; // NaN → _FillValue
        assert_eq!(floats(&got[0].1), want);
        assert_eq!(got[1].0, vec![16, 0]);
        let mut want = vec![-9.0f32; 12];
        want[..3].copy_from_slice(&[12.0, 13.0, 14.0]);
        assert_eq!(floats(&got[1].1), want);
        // Integers: no fill, deflate only.
        let codec = ChunkCodec {
            chunk: vec![2],
            shuffle: false,
            level: 1,
        };
        let ints = ArrayD::from_shape_vec(IxDyn(&[3]), vec![-1i16, 2, 300]).unwrap();
        let mut all = Vec::new();
        filter_block(
            &NdArray::I16(ints),
            &[0],
            &codec,
            None,
            1..2,
            &mut |_, b| {
                let mut raw = Vec::new();
                flate2::read::ZlibDecoder::new(b)
                    .read_to_end(&mut raw)
                    .unwrap();
                all.extend(raw);
                Ok(())
            },
        )
        .unwrap();
        let back: Vec<i16> = all
            .chunks(2)
            .map(|c| i16::from_le_bytes(c.try_into().unwrap()))
            .collect();
        // Only the second chunk (of 2): element 300 and its padding.
        assert_eq!(back, vec![300, 0]);
    }
}

//! Decoding compressed HDF5 chunks straight into the selection's output buffer: read the stored
//! bytes and inflate them (neither buffer zeroed first), then unshuffle (or copy) each row of the
//! chunk's overlap with the selection into its place in the output. Chunks are decoded in parallel;
//! each writes a disjoint part of the output.
//!
//! Why: decoding through a chain of buffers (stored bytes, inflated bytes, unshuffled bytes, typed
//! values, then the output) cost more in copies and page faults than the inflate itself. The two
//! chunk-sized temporaries are freed at once (not kept per thread): the allocator reuses their
//! pages for the next chunk (see `malloc_conf` in main.rs), and the memory manager can count and
//! trim them, which it could not do for buffers parked in threads.

use std::fs::File;
use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};
use rayon::prelude::*;

use super::h5chunks::{c_strides, pread_exact, Plan};
use crate::error::{Error, Result};

/// A float type as HDF5 stores it little-endian, possibly byte-shuffled.
pub(super) trait Elem: Copy + Send + Sync + 'static {
    const SIZE: usize;
    /// `dst[j]` = element `at + j` of a chunk of `items` elements whose bytes are `planes`, either
    /// byte-shuffled (byte `b` of element `i` at `b * items + i`) or stored as is.
    fn decode(planes: &[u8], items: usize, at: usize, shuffled: bool, dst: &mut [Self]);
}

impl Elem for f32 {
    const SIZE: usize = 4;
    fn decode(planes: &[u8], items: usize, at: usize, shuffled: bool, dst: &mut [f32]) {
        let n = dst.len();
        if !shuffled {
            let src = &planes[at * 4..(at + n) * 4];
            for (d, b) in dst.iter_mut().zip(src.chunks_exact(4)) {
                *d = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            return;
        }
        let p = |b: usize| &planes[b * items + at..b * items + at + n];
        let (p0, p1, p2, p3) = (p(0), p(1), p(2), p(3));
        for ((((d, &a), &b), &c), &e) in dst.iter_mut().zip(p0).zip(p1).zip(p2).zip(p3) {
            *d = f32::from_le_bytes([a, b, c, e]);
        }
    }
}

impl Elem for f64 {
    const SIZE: usize = 8;
    fn decode(planes: &[u8], items: usize, at: usize, shuffled: bool, dst: &mut [f64]) {
        let n = dst.len();
        if !shuffled {
            let src = &planes[at * 8..(at + n) * 8];
            for (d, b) in dst.iter_mut().zip(src.chunks_exact(8)) {
                *d = f64::from_le_bytes(b.try_into().expect("8 bytes"));
            }
            return;
        }
        let p: [&[u8]; 8] = std::array::from_fn(|b| &planes[b * items + at..b * items + at + n]);
        for (j, d) in dst.iter_mut().enumerate() {
            *d = f64::from_le_bytes(std::array::from_fn(|b| p[b][j]));
        }
    }
}

/// The output buffer, shared by the chunk decoders: each writes only its own region.
struct Out<T>(*mut T, usize);
// SAFETY: chunks tile the dataset, so the regions written by different chunks never overlap.
unsafe impl<T: Send> Sync for Out<T> {}

/// Decode every chunk of `p` into a new C-order buffer of the selection `start..start+count`.
pub(super) fn read_compressed<T: Elem>(
    file: &File,
    path: &Path,
    p: &Plan,
    start: &[usize],
    count: &[usize],
) -> Result<Vec<T>> {
    let total: usize = count.iter().product();
    let mut out: Vec<T> = Vec::with_capacity(total);
    let dst = Out(out.as_mut_ptr(), total);
    p.chunks
        .par_iter()
        .try_for_each(|(origin, addr, size, mask)| {
            let bytes = chunk_bytes(file, path, p, *addr, *size, *mask)?;
            let shuffled = p.shuffle.is_some_and(|i| mask & (1 << i) == 0);
            scatter::<T>(&bytes, shuffled, p, origin, start, count, &dst);
            Ok::<(), Error>(())
        })?;
    // SAFETY: the chunks cover the whole selection (the plan has every chunk it touches) and each
    // wrote its part of it, so all `total` elements are initialized.
    unsafe { out.set_len(total) };
    Ok(out)
}

/// The chunk's bytes after the deflate filter.
fn chunk_bytes(
    file: &File,
    path: &Path,
    p: &Plan,
    addr: u64,
    size: u64,
    mask: u32,
) -> Result<Vec<u8>> {
    let bad = |why: String| Error::file(path, format!("chunk at byte {addr}: {why}"));
    let size = size as usize;
    let n = p.chunk.iter().product::<usize>() * p.elem;
    let read = |buf: &mut Vec<u8>, at: usize, len: usize| -> Result<()> {
        buf.clear();
        buf.reserve(len);
        // SAFETY: `buf` has capacity for `len` bytes, all read before `set_len`.
        unsafe {
            pread_exact(file, buf.as_mut_ptr(), len, addr + at as u64)
                .map_err(|e| bad(format!("{e} (truncated file?)")))?;
            buf.set_len(len);
        }
        Ok(())
    };
    let bytes = if p.deflate.is_none_or(|i| mask & (1 << i) != 0) {
        let mut raw = Vec::new();
        read(&mut raw, 0, size)?;
        raw
    } else {
        // The stored bytes are read and inflated a piece at a time, so a chunk in flight costs its
        // inflated size only; inflating goes into the spare capacity, nothing is zeroed first.
        let mut out = Vec::with_capacity(n);
        let mut z = Decompress::new(true);
        let mut piece = Vec::new();
        let (mut pos, mut used) = (0usize, 0usize);
        loop {
            if used == piece.len() && pos < size {
                let len = INFLATE_PIECE.min(size - pos);
                read(&mut piece, pos, len)?;
                pos += len;
                used = 0;
            }
            let flush = if pos == size {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let (in0, out0) = (z.total_in(), z.total_out());
            let status = z
                .decompress_vec(&piece[used..], &mut out, flush)
                .map_err(|e| bad(format!("cannot inflate: {e}")))?;
            used += (z.total_in() - in0) as usize;
            if status == Status::StreamEnd {
                break;
            }
            if out.len() == n && used < piece.len() {
                return Err(bad(format!(
                    "inflates to more than the {n} bytes of a chunk"
                )));
            }
            if z.total_in() == in0 && z.total_out() == out0 && used == piece.len() && pos == size {
                return Err(bad("the compressed stream ends early".into()));
            }
        }
        out
    };
    if bytes.len() != n {
        return Err(bad(format!("holds {} bytes, expected {n}", bytes.len())));
    }
    Ok(bytes)
}

/// Stored bytes read (and inflated) at a time.
const INFLATE_PIECE: usize = 1 << 20;

/// Copy the chunk at `origin` (decoded bytes) into its overlap with the selection, row by row.
fn scatter<T: Elem>(
    bytes: &[u8],
    shuffled: bool,
    p: &Plan,
    origin: &[usize],
    start: &[usize],
    count: &[usize],
    out: &Out<T>,
) {
    let nd = count.len();
    let items = bytes.len() / T::SIZE;
    let (ostr, cstr) = (c_strides(count), c_strides(&p.chunk));
    let lo: Vec<usize> = (0..nd).map(|k| start[k].max(origin[k])).collect();
    let hi: Vec<usize> = (0..nd)
        .map(|k| (start[k] + count[k]).min(origin[k] + p.chunk[k]))
        .collect();
    if (0..nd).any(|k| lo[k] >= hi[k]) {
        return;
    }
    let last = nd - 1;
    let run = hi[last] - lo[last];
    let mut idx = lo.clone();
    loop {
        let (mut coff, mut ooff) = (0, 0);
        for k in 0..nd {
            coff += (idx[k] - origin[k]) * cstr[k];
            ooff += (idx[k] - start[k]) * ostr[k];
        }
        debug_assert!(ooff + run <= out.1);
        // SAFETY: `ooff..ooff+run` lies inside the selection and inside this chunk's region, which no
        // other chunk writes (see `Out`); the buffer has capacity for the whole selection.
        let dst = unsafe { std::slice::from_raw_parts_mut(out.0.add(ooff), run) };
        T::decode(bytes, items, coff, shuffled, dst);
        // Next row: odometer over dims [0, last), last fastest.
        let mut k = last;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < hi[k] {
                break;
            }
            idx[k] = lo[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::NdArray;
    use crate::io::netcdf::h5chunks::read_raw_chunks;
    use crate::io::netcdf::read::read_raw_library;
    use crate::io::netcdf::{NcWriter, RawType, VarSpec};
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn chunks_larger_than_a_read_piece_inflate_in_pieces_and_corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.nc");
        let n = 400_000; // 3.2 MB of f64 that barely compress: several 1 MiB pieces
        let mut w = NcWriter::create(&p).unwrap();
        w.add_dim("x", n).unwrap();
        w.add_var(&VarSpec {
            name: "v".into(),
            dims: vec!["x".into()],
            dtype: RawType::F64,
            attrs: vec![],
            fill: None,
            zlib: Some(1),
            chunking: Some(vec![n]),
        })
        .unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let data = ArrayD::from_shape_fn(IxDyn(&[n]), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        });
        w.write("v", &[0], &NdArray::F64(data)).unwrap();
        w.commit().unwrap();
        let fast = read_raw_chunks(&p, "v", &[0], &[n])
            .unwrap()
            .expect("fast path");
        assert_eq!(fast, read_raw_library(&p, "v", &[0], &[n]).unwrap());
        // Garbage inside the chunk's stored bytes: an error naming the file, never a hang or data.
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() - 1_000_000;
        bytes[at..at + 4096].fill(0xA5);
        let bad = dir.path().join("bad.nc");
        std::fs::write(&bad, bytes).unwrap();
        let e = read_raw_chunks(&bad, "v", &[0], &[n]).unwrap_err();
        assert!(e.to_string().contains("bad.nc"), "{e}");
    }
}

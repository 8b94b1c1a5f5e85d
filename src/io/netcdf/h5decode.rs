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

use super::h5chunks::{pread_exact, Plan};
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
    let mut raw: Vec<u8> = Vec::with_capacity(size);
    // SAFETY: `raw` has capacity for `size` bytes, and all of them are read before `set_len`.
    unsafe {
        pread_exact(file, raw.as_mut_ptr(), size, addr)
            .map_err(|e| bad(format!("{e} (truncated file?)")))?;
        raw.set_len(size);
    }
    let n = p.chunk.iter().product::<usize>() * p.elem;
    let bytes = if p.deflate.is_none_or(|i| mask & (1 << i) != 0) {
        raw
    } else {
        // Inflates into the spare capacity: nothing is zeroed first.
        let mut out = Vec::with_capacity(n);
        let mut z = Decompress::new(true);
        match z.decompress_vec(&raw, &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => {}
            Ok(_) => {
                return Err(bad(format!(
                    "inflates to more than the {n} bytes of a chunk"
                )))
            }
            Err(e) => return Err(bad(format!("cannot inflate: {e}"))),
        }
        out
    };
    if bytes.len() != n {
        return Err(bad(format!("holds {} bytes, expected {n}", bytes.len())));
    }
    Ok(bytes)
}

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
    let strides = |shape: &[usize]| {
        let mut st = vec![1usize; shape.len()];
        for k in (0..shape.len().saturating_sub(1)).rev() {
            st[k] = st[k + 1] * shape[k + 1];
        }
        st
    };
    let (ostr, cstr) = (strides(count), strides(&p.chunk));
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

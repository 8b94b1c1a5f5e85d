//! Parallel compression for netCDF-4 writes: once the file is fully defined by the netCDF library
//! (and closed), chunked zlib variables are written chunk by chunk with HDF5's direct chunk write
//! (`H5Dwrite_chunk`). Each store task shuffles and deflates its own chunks (libdeflate) *outside* the
//! library lock, so every worker compresses; only the write of the finished bytes takes the lock.
//!
//! The bytes themselves are made by [`super::h5filter`].

use std::ffi::{c_int, c_uint, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::h5ffi::{
    filter_pipeline, H5Dclose, H5Dget_create_plist, H5Dopen2, H5Fclose, H5Fopen, H5Pclose,
    H5Pget_chunk, Hid, Id, FILTER_DEFLATE, FILTER_SHUFFLE,
};
use crate::error::{Error, Result};

// `H5Dwrite_chunk` (libhdf5 ≥ 1.10.2); every other function comes from [`super::h5ffi`].
extern "C" {
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
    let p = Id(H5Dget_create_plist(d), H5Pclose);
    if p.0 < 0 {
        return None;
    }
    let mut dims = [0u64; 32];
    let nd = H5Pget_chunk(p.0, 32, dims.as_mut_ptr());
    if nd <= 0 {
        return None;
    }
    let filters = filter_pipeline(p.0);
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

//! netCDF-3/4 reading and writing on top of the `netcdf` crate (system libnetcdf).
//!
//! Locking: the `netcdf` crate serialises every library call behind one process-wide mutex
//! (`netcdf_sys::libnetcdf_lock`), because libnetcdf/HDF5 are not thread safe. So that chunk tasks
//! still use every core, reads are split in two steps:
//! 1. [`read::read_raw`] opens the file and copies one hyperslab in its *stored* type (each library
//!    call takes the lock for its own duration; decompression of zlib chunks happens here, under it);
//! 2. [`cf::CfDecode::apply`] masks `_FillValue`/`missing_value` and applies `scale_factor`/`add_offset`
//!    without any lock, in the calling worker thread.
//!
//! For chunked zlib-compressed float variables, [`h5chunks`] avoids step 1's single-threaded
//! decompression: it looks up chunk addresses through libhdf5 (under the lock) and inflates the
//! chunks in parallel outside it; everything else falls back to the library.
//!
//! Writes go through [`write::NcWriter`], which writes to a temporary file in the destination's
//! directory and renames it into place only on [`write::NcWriter::commit`]. For zlib-compressed
//! chunked variables, [`h5write`] moves compression out of the lock the same way: once the file is
//! defined, [`write::NcWriter::into_direct`] closes it and reopens it with libhdf5; workers shuffle
//! and deflate whole chunks in parallel and only `H5Dwrite_chunk` the finished bytes under the lock.

pub mod cf;
pub mod h5chunks;
mod h5decode;
pub mod h5ffi;
pub mod h5filter;
pub mod h5peek;
pub mod h5write;
pub mod meta;
pub mod read;
pub mod time;
pub mod write;

pub use ::netcdf::AttributeValue;
pub use cf::CfDecode;
pub use meta::{
    attr_f64, attr_string, fmt_attr, read_meta, read_meta_opts, Attrs, DimInfo, FileMeta, RawType,
    VarInfo,
};
pub use read::{read_decoded, read_raw};
pub use time::{Calendar, CfDate, TimeUnits};
pub use write::{DirectWriter, NcWriter, VarSpec};

extern "C" {
    /// HDF5's `H5Eset_auto2(estack, func, data)`; libhdf5 is linked through `netcdf-sys`.
    fn H5Eset_auto2(
        estack_id: i64,
        func: Option<unsafe extern "C" fn(i64, *mut std::ffi::c_void) -> i32>,
        data: *mut std::ffi::c_void,
    ) -> i32;
}

thread_local! {
    static HDF5_QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Stop HDF5 from printing its error stack to stderr (once per thread: the thread-safe HDF5 keeps
/// one per thread). Errors still reach us as netCDF status codes, with our own messages.
pub(crate) fn quiet_hdf5() {
    HDF5_QUIET.with(|q| {
        if !q.get() {
            let _guard = netcdf_sys::libnetcdf_lock.lock();
            // SAFETY: H5E_DEFAULT (0) with a null handler only changes this thread's print setting.
            unsafe { H5Eset_auto2(0, None, std::ptr::null_mut()) };
            q.set(true);
        }
    });
}

//! The few libhdf5 functions Tessera calls directly (libhdf5 is linked through `netcdf-sys`), and
//! an owned id that closes itself. Every call must hold `netcdf_sys::libnetcdf_lock`: the Debian
//! libhdf5 is not thread safe.

#![allow(non_snake_case, non_upper_case_globals)]

use std::ffi::{c_char, c_int, c_uint, c_void};

pub type Hid = i64;

pub const H5T_INTEGER: c_int = 0;
pub const H5T_FLOAT: c_int = 1;
pub const H5T_STRING: c_int = 3;
pub const H5T_ORDER_LE: c_int = 0;
pub const H5_INDEX_NAME: c_int = 0;
pub const H5_INDEX_CRT_ORDER: c_int = 1;
pub const H5_ITER_INC: c_int = 0;
pub const FILTER_DEFLATE: c_int = 1;
pub const FILTER_SHUFFLE: c_int = 2;
pub const HDF5_MAGIC: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

pub type AttrOp = unsafe extern "C" fn(Hid, *const c_char, *const c_void, *mut c_void) -> c_int;

extern "C" {
    pub fn H5open() -> c_int;
    pub fn H5free_memory(mem: *mut c_void) -> c_int;
    pub fn H5Fopen(name: *const c_char, flags: c_uint, fapl: Hid) -> Hid;
    pub fn H5Fclose(id: Hid) -> c_int;
    pub fn H5Lexists(loc: Hid, name: *const c_char, lapl: Hid) -> c_int;
    pub fn H5Dopen2(file: Hid, name: *const c_char, dapl: Hid) -> Hid;
    pub fn H5Dclose(id: Hid) -> c_int;
    pub fn H5Dget_type(id: Hid) -> Hid;
    pub fn H5Dget_space(id: Hid) -> Hid;
    pub fn H5Dread(
        id: Hid,
        mem_type: Hid,
        mem_space: Hid,
        file_space: Hid,
        xfer: Hid,
        buf: *mut c_void,
    ) -> c_int;
    pub fn H5Dget_create_plist(id: Hid) -> Hid;
    pub fn H5Dget_chunk_info_by_coord(
        id: Hid,
        offset: *const u64,
        mask: *mut c_uint,
        addr: *mut u64,
        size: *mut u64,
    ) -> c_int;
    pub fn H5Sclose(id: Hid) -> c_int;
    pub fn H5Sget_simple_extent_ndims(id: Hid) -> c_int;
    pub fn H5Sget_simple_extent_dims(id: Hid, dims: *mut u64, maxdims: *mut u64) -> c_int;
    pub fn H5Sget_simple_extent_npoints(id: Hid) -> i64;
    pub fn H5Tget_class(id: Hid) -> c_int;
    pub fn H5Tget_size(id: Hid) -> usize;
    pub fn H5Tget_order(id: Hid) -> c_int;
    pub fn H5Tget_sign(id: Hid) -> c_int;
    pub fn H5Tis_variable_str(id: Hid) -> c_int;
    pub fn H5Tclose(id: Hid) -> c_int;
    pub fn H5Pclose(id: Hid) -> c_int;
    pub fn H5Pget_chunk(plist: Hid, max_ndims: c_int, dims: *mut u64) -> c_int;
    pub fn H5Pget_nfilters(plist: Hid) -> c_int;
    pub fn H5Pget_filter2(
        plist: Hid,
        idx: c_uint,
        flags: *mut c_uint,
        cd_nelmts: *mut usize,
        cd_values: *mut c_uint,
        namelen: usize,
        name: *mut c_char,
        config: *mut c_uint,
    ) -> c_int;
    pub fn H5Aiterate2(
        obj: Hid,
        idx_type: c_int,
        order: c_int,
        idx: *mut u64,
        op: AttrOp,
        data: *mut c_void,
    ) -> c_int;
    pub fn H5Aopen(obj: Hid, name: *const c_char, aapl: Hid) -> Hid;
    pub fn H5Aclose(id: Hid) -> c_int;
    pub fn H5Aget_type(id: Hid) -> Hid;
    pub fn H5Aget_space(id: Hid) -> Hid;
    pub fn H5Aread(id: Hid, mem_type: Hid, buf: *mut c_void) -> c_int;
    pub static H5T_NATIVE_SCHAR_g: Hid;
    pub static H5T_NATIVE_UCHAR_g: Hid;
    pub static H5T_NATIVE_SHORT_g: Hid;
    pub static H5T_NATIVE_USHORT_g: Hid;
    pub static H5T_NATIVE_INT_g: Hid;
    pub static H5T_NATIVE_UINT_g: Hid;
    pub static H5T_NATIVE_LLONG_g: Hid;
    pub static H5T_NATIVE_ULLONG_g: Hid;
    pub static H5T_NATIVE_FLOAT_g: Hid;
    pub static H5T_NATIVE_DOUBLE_g: Hid;
}

/// The filter pipeline of a dataset creation property list, in order: (filter id, its first client
/// value — deflate's level — or 4 when it has none).
///
/// # Safety
/// `plist` must be a valid property list id, used under the library lock.
pub unsafe fn filter_pipeline(plist: Hid) -> Vec<(c_int, u32)> {
    (0..H5Pget_nfilters(plist).max(0) as c_uint)
        .map(|i| {
            let (mut flags, mut n, mut cd) = (0, 4usize, [0 as c_uint; 4]);
            let id = H5Pget_filter2(
                plist,
                i,
                &mut flags,
                &mut n,
                cd.as_mut_ptr(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            (id, if n > 0 { cd[0] } else { 4 })
        })
        .collect()
}

/// An HDF5 id closed with its own close function on drop (negative ids, i.e. failures, are not).
pub struct Id(pub Hid, pub unsafe extern "C" fn(Hid) -> c_int);

impl Drop for Id {
    fn drop(&mut self) {
        if self.0 >= 0 {
            // SAFETY: the id was returned by libhdf5 and is closed once, under the caller's lock.
            unsafe { (self.1)(self.0) };
        }
    }
}

//! Spilling results to local disk: a per-process spill directory (removed when the engine lets go of it,
//! stale ones of dead processes removed at the next start), one file per spilled value, deleted when the
//! last reference to it drops. Frames and series go as Parquet (snappy); n-d arrays as a small header
//! (dtype, shape) plus lz4-compressed little-endian values.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use polars::prelude::{
    DataFrame, IntoColumn, ParquetCompression, ParquetReader, ParquetWriter, SerReader,
};

use super::value::{NdArray, Value};
use crate::error::{Error, Result};
use crate::units::format_bytes;

/// Values smaller than this stay in memory: a file per tiny value costs more than it saves.
pub const MIN_SPILL_BYTES: u64 = 4096;

const PREFIX: &str = "tessera-spill-";
const ARRAY_MAGIC: &[u8; 4] = b"TSA1";

/// The directory spilled values go to; removed (with anything left in it) when dropped.
#[derive(Debug)]
pub struct SpillDir {
    pub path: PathBuf,
    /// Bytes of spill files on disk now.
    used: AtomicU64,
    max: Option<u64>,
    next: AtomicU64,
}

impl SpillDir {
    /// Create `<parent>/tessera-spill-<pid>-<n>` (parent: `spill_dir` or the system temp dir), after removing
    /// the spill directories of processes that no longer run.
    pub fn create(parent: Option<&Path>, max: Option<u64>) -> Result<Arc<SpillDir>> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        std::fs::create_dir_all(&parent).map_err(|e| spill_dir_error(&parent, e))?;
        remove_stale(&parent);
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("{PREFIX}{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| spill_dir_error(&path, e))?;
        // Creating a directory can succeed where writing files does not (quota, read-only bind mounts).
        let probe = path.join(".probe");
        std::fs::write(&probe, b"x").map_err(|e| spill_dir_error(&path, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(Arc::new(SpillDir {
            path,
            used: AtomicU64::new(0),
            max,
            next: AtomicU64::new(0),
        }))
    }

    /// Bytes on disk now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Write `value` (which holds `bytes` in memory) to a new file. Errors name the file and the cause
    /// (disk full, `max_spill` reached); a partial file is removed.
    pub fn write(self: &Arc<Self>, value: &Value, bytes: u64) -> Result<Arc<SpillFile>> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.path.join(format!("{n}.spill"));
        let res = encode(value, &path);
        let disk = match res.and_then(|()| {
            std::fs::metadata(&path)
                .map(|m| m.len())
                .map_err(|e| Error::io(&path, e))
        }) {
            Ok(d) => d,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        };
        let used = self.used.fetch_add(disk, Ordering::Relaxed) + disk;
        let file = Arc::new(SpillFile {
            path,
            bytes,
            disk,
            dir: self.clone(),
        });
        if let Some(max) = self.max {
            if used > max {
                // Dropping `file` removes it and gives its bytes back.
                return Err(Error::Memory(format!(
                    "cannot spill more: max_spill is {} and {} are already on disk in {}",
                    format_bytes(max),
                    format_bytes(used - disk),
                    self.path.display()
                )));
            }
        }
        Ok(file)
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn spill_dir_error(path: &Path, e: std::io::Error) -> Error {
    Error::file(
        path,
        format!(
            "cannot use this directory to spill data to disk: {e}; pass a writable local_directory"
        ),
    )
}

/// Remove `tessera-spill-<pid>-*` directories whose process is gone (a crash or kill left them).
fn remove_stale(parent: &Path) {
    let Ok(rd) = std::fs::read_dir(parent) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if pid as u32 != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn process_alive(pid: i32) -> bool {
    // kill(pid, 0) checks existence without signalling; EPERM means it exists but is not ours.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// One spilled value on disk. The file goes when the last reference (store entry, task, loader) drops.
#[derive(Debug)]
pub struct SpillFile {
    pub path: PathBuf,
    /// Bytes the value holds in memory.
    pub bytes: u64,
    /// Bytes of the file.
    pub disk: u64,
    dir: Arc<SpillDir>,
}

impl SpillFile {
    /// Read the value back. A missing or damaged file is an error naming it.
    pub fn load(&self) -> Result<Value> {
        decode(&self.path).map_err(|e| {
            Error::Memory(format!(
                "spilled data could not be read back from {}: {}",
                self.path.display(),
                e.root_cause()
            ))
        })
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.dir.used.fetch_sub(self.disk, Ordering::Relaxed);
    }
}

/// Whether `value` can go to disk (frames, series and arrays; partial aggregates and scalars stay).
pub fn spillable(value: &Value) -> bool {
    match value {
        Value::Frame(df) => df.width() > 0,
        Value::Series(_) | Value::Array(_) => true,
        _ => false,
    }
}

fn encode(value: &Value, path: &Path) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::new(file);
    match value {
        Value::Frame(df) => {
            w.write_all(b"F").map_err(|e| Error::io(path, e))?;
            write_parquet(&mut df.clone(), &mut w, path)?;
        }
        Value::Series(s) => {
            w.write_all(b"S").map_err(|e| Error::io(path, e))?;
            let mut df = DataFrame::new_infer_height(vec![s.clone().into_column()])
                .map_err(|e| Error::polars("spilling a series", e))?;
            write_parquet(&mut df, &mut w, path)?;
        }
        Value::Array(a) => {
            w.write_all(b"A").map_err(|e| Error::io(path, e))?;
            w.write_all(&encode_array(a))
                .map_err(|e| Error::io(path, e))?;
        }
        other => {
            return Err(Error::value(format!(
                "a {} value cannot be spilled",
                other.kind()
            )))
        }
    }
    w.flush().map_err(|e| Error::io(path, e))?;
    w.into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?
        .sync_data()
        .map_err(|e| Error::io(path, e))
}

fn write_parquet(df: &mut DataFrame, w: &mut impl Write, path: &Path) -> Result<()> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)
        .map(|_| ())
        .map_err(|e| Error::file(path, format!("cannot write spilled data: {e}")))
}

fn decode(path: &Path) -> Result<Value> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| Error::io(path, e))?;
    let bad = |m: &str| Error::file(path, format!("damaged spill file: {m}"));
    match buf.first() {
        Some(b'F') | Some(b'S') => {
            let df = ParquetReader::new(std::io::Cursor::new(&buf[1..]))
                .finish()
                .map_err(|e| bad(&e.to_string()))?;
            if buf[0] == b'F' {
                Ok(Value::Frame(df))
            } else {
                let col = df.columns().first().ok_or_else(|| bad("no column"))?;
                Ok(Value::Series(col.as_materialized_series().clone()))
            }
        }
        Some(b'A') => decode_array(&buf[1..])
            .map(Value::Array)
            .ok_or_else(|| bad("bad array data")),
        _ => Err(bad("unknown kind")),
    }
}

/// Plain numbers: no padding, every bit pattern valid, so a slice of them is a slice of bytes.
trait Plain: Copy + Default {}
impl Plain for f32 {}
impl Plain for f64 {}
impl Plain for i8 {}
impl Plain for u8 {}
impl Plain for i16 {}
impl Plain for i32 {}
impl Plain for i64 {}

/// The bytes of `s` in memory order (little-endian on the hosts we build for, see `le_bytes!`).
fn bytes_of<T: Plain>(s: &[T]) -> &[u8] {
    // SAFETY: `T: Plain` has no padding; the byte slice covers exactly the memory of `s`.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
}

/// Values of `T` from their bytes in memory order (the length a multiple of the width).
fn values_of<T: Plain>(b: &[u8]) -> Vec<T> {
    let n = b.len() / std::mem::size_of::<T>();
    let mut v = vec![T::default(); n];
    // SAFETY: `v` has room for `n` values, `T: Plain` accepts any bit pattern, the regions are distinct.
    unsafe {
        std::ptr::copy_nonoverlapping(
            b.as_ptr(),
            v.as_mut_ptr().cast::<u8>(),
            n * std::mem::size_of::<T>(),
        )
    };
    v
}

macro_rules! le_bytes {
    ($a:expr, $out:expr) => {{
        let a = $a.as_standard_layout();
        match a.as_slice() {
            Some(s) if cfg!(target_endian = "little") => $out.extend_from_slice(bytes_of(s)),
            _ => {
                for v in a.iter() {
                    $out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }};
}

/// `TSA1`, dtype code, ndim (u32), dims (u64 each), then lz4 (size-prefixed) of the values in C order.
fn encode_array(a: &NdArray) -> Vec<u8> {
    let mut raw = Vec::with_capacity(a.nbytes());
    let code: u8 = match a {
        NdArray::F32(x) => {
            le_bytes!(x, raw);
            0
        }
        NdArray::F64(x) => {
            le_bytes!(x, raw);
            1
        }
        NdArray::I8(x) => {
            le_bytes!(x, raw);
            2
        }
        NdArray::U8(x) => {
            le_bytes!(x, raw);
            3
        }
        NdArray::I16(x) => {
            le_bytes!(x, raw);
            4
        }
        NdArray::I32(x) => {
            le_bytes!(x, raw);
            5
        }
        NdArray::I64(x) => {
            le_bytes!(x, raw);
            6
        }
    };
    let mut out = Vec::with_capacity(raw.len() / 2 + 64);
    out.extend_from_slice(ARRAY_MAGIC);
    out.push(code);
    out.extend_from_slice(&(a.shape().len() as u32).to_le_bytes());
    for &d in a.shape() {
        out.extend_from_slice(&(d as u64).to_le_bytes());
    }
    out.extend_from_slice(&lz4_flex::compress_prepend_size(&raw));
    out
}

macro_rules! from_le {
    ($t:ty, $shape:expr, $raw:expr, $variant:path) => {{
        const W: usize = std::mem::size_of::<$t>();
        let v: Vec<$t> = if cfg!(target_endian = "little") {
            values_of::<$t>(&$raw)
        } else {
            $raw.chunks_exact(W)
                .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk width")))
                .collect()
        };
        ArrayD::from_shape_vec(IxDyn(&$shape), v).ok().map($variant)
    }};
}

fn decode_array(b: &[u8]) -> Option<NdArray> {
    if b.len() < 9 || &b[..4] != ARRAY_MAGIC {
        return None;
    }
    let code = b[4];
    let ndim = u32::from_le_bytes(b[5..9].try_into().ok()?) as usize;
    let mut pos = 9;
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let d = u64::from_le_bytes(b.get(pos..pos + 8)?.try_into().ok()?);
        shape.push(d as usize);
        pos += 8;
    }
    let raw = lz4_flex::decompress_size_prepended(&b[pos..]).ok()?;
    match code {
        0 => from_le!(f32, shape, raw, NdArray::F32),
        1 => from_le!(f64, shape, raw, NdArray::F64),
        2 => from_le!(i8, shape, raw, NdArray::I8),
        3 => from_le!(u8, shape, raw, NdArray::U8),
        4 => from_le!(i16, shape, raw, NdArray::I16),
        5 => from_le!(i32, shape, raw, NdArray::I32),
        6 => from_le!(i64, shape, raw, NdArray::I64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{df, NamedFrom, Series};

    #[test]
    fn frames_series_and_arrays_round_trip_and_files_go_with_their_last_reference() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::create(Some(parent.path()), None).unwrap();
        let frame = df!("a" => [1i64, 2, 3], "b" => [Some("x"), None, Some("z")]).unwrap();
        let f = dir.write(&Value::Frame(frame.clone()), 100).unwrap();
        assert!(f.path.exists());
        assert_eq!(f.load().unwrap().as_frame().unwrap(), &frame);
        let s = Series::new("v".into(), &[1.5f64, f64::NAN, 3.0]);
        let sf = dir.write(&Value::Series(s.clone()), 24).unwrap();
        let back = sf.load().unwrap();
        assert_eq!(back.as_series().unwrap().name().as_str(), "v");
        assert_eq!(back.as_series().unwrap().len(), 3);
        let arr = NdArray::I16(
            ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1i16, -2, 3, 4, 5, -6]).unwrap(),
        );
        let af = dir.write(&Value::Array(arr.clone()), 12).unwrap();
        assert_eq!(af.load().unwrap().as_array().unwrap(), &arr);
        assert!(dir.used() > 0);
        let p = f.path.clone();
        drop((f, sf, af));
        assert!(!p.exists(), "the file goes with its last reference");
        assert_eq!(dir.used(), 0);
        let dpath = dir.path.clone();
        drop(dir);
        assert!(!dpath.exists(), "the directory goes with the engine");
    }

    #[test]
    fn max_spill_refuses_with_the_numbers_and_a_missing_file_is_a_clear_error() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::create(Some(parent.path()), Some(100)).unwrap();
        let big = NdArray::F64(ArrayD::from_shape_fn(IxDyn(&[1000]), |i| {
            i[0] as f64 * 0.37
        }));
        let err = dir.write(&Value::Array(big.clone()), 8000).unwrap_err();
        assert!(err.to_string().contains("max_spill"), "{err}");
        assert_eq!(dir.used(), 0, "the refused file is gone");
        let dir = SpillDir::create(Some(parent.path()), None).unwrap();
        let f = dir.write(&Value::Array(big), 8000).unwrap();
        std::fs::remove_file(&f.path).unwrap();
        let err = f.load().unwrap_err().to_string();
        assert!(
            err.contains("could not be read back") && err.contains(".spill"),
            "{err}"
        );
    }

    #[test]
    fn stale_directories_of_dead_processes_are_removed_and_unwritable_dirs_say_so() {
        let parent = tempfile::tempdir().unwrap();
        // pid 0x7fff_fff0 does not exist.
        let stale = parent.path().join(format!("{PREFIX}{}-0", 0x7fff_fff0));
        std::fs::create_dir_all(&stale).unwrap();
        let _dir = SpillDir::create(Some(parent.path()), None).unwrap();
        assert!(!stale.exists());
        let file = parent.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = SpillDir::create(Some(&file), None).unwrap_err().to_string();
        assert!(err.contains("cannot use this directory"), "{err}");
    }
}

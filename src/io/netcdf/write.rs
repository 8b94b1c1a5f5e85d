//! A streaming netCDF-4 writer: define dims, variables and attributes, write hyperslabs as they
//! arrive (any order: dimensions are fixed-size), then [`NcWriter::commit`] closes the file and
//! renames it into place. Until then everything goes to a temporary file in the same directory,
//! which is removed if the writer is dropped uncommitted: no partial output ever appears at `dest`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ::netcdf::{AttributeValue, Extent, FileMut};

use super::h5write::DirectFile;
use super::meta::{Attrs, RawType};
use crate::engine::NdArray;
use crate::error::{Error, Result};

/// How to create one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct VarSpec {
    pub name: String,
    pub dims: Vec<String>,
    /// One of the types `NdArray` holds (I8, U8, I16, I32, I64, F32, F64).
    pub dtype: RawType,
    /// Attributes other than `_FillValue`.
    pub attrs: Attrs,
    /// `_FillValue` (NaN allowed for floats, as xarray writes by default).
    pub fill: Option<f64>,
    /// zlib level 1..=9 (with the shuffle filter), `None` for no compression.
    pub zlib: Option<i32>,
    pub chunking: Option<Vec<usize>>,
}

/// A netCDF-4 file being written to a temporary path.
pub struct NcWriter {
    file: Option<FileMut>,
    tmp: PathBuf,
    dest: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn nc_err(path: &Path, what: &str) -> impl Fn(::netcdf::Error) -> Error {
    let path = path.to_path_buf();
    let what = what.to_string();
    move |e| Error::file(&path, format!("{what}: {e}"))
}

impl NcWriter {
    /// Start writing `dest` (its directory is created if missing).
    pub fn create(dest: &Path) -> Result<NcWriter> {
        super::quiet_hdf5();
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let fname = dest
            .file_name()
            .ok_or_else(|| Error::file(dest, "not a file name"))?
            .to_string_lossy();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{fname}.{}.{n}.tmp", std::process::id()));
        let file = ::netcdf::create(&tmp).map_err(nc_err(dest, "cannot create netCDF file"))?;
        Ok(NcWriter {
            file: Some(file),
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    fn file(&mut self) -> &mut FileMut {
        self.file.as_mut().expect("file is open until commit")
    }

    pub fn add_dim(&mut self, name: &str, len: usize) -> Result<()> {
        let dest = self.dest.clone();
        self.file()
            .add_dimension(name, len)
            .map_err(nc_err(&dest, &format!("dimension '{name}'")))?;
        Ok(())
    }

    /// An unlimited (record) dimension; writes past its end extend it.
    pub fn add_unlimited_dim(&mut self, name: &str) -> Result<()> {
        let dest = self.dest.clone();
        self.file()
            .add_unlimited_dimension(name)
            .map_err(nc_err(&dest, &format!("dimension '{name}'")))?;
        Ok(())
    }

    pub fn add_global_attr(&mut self, name: &str, value: AttributeValue) -> Result<()> {
        let dest = self.dest.clone();
        self.file()
            .add_attribute(name, value)
            .map_err(nc_err(&dest, &format!("global attribute '{name}'")))?;
        Ok(())
    }

    /// Define a variable (dims must exist).
    pub fn add_var(&mut self, spec: &VarSpec) -> Result<()> {
        let dest = self.dest.clone();
        let err = nc_err(&dest, &format!("variable '{}'", spec.name));
        let dims: Vec<&str> = spec.dims.iter().map(String::as_str).collect();
        let f = self.file();
        let mut v = match spec.dtype {
            RawType::F32 => f.add_variable::<f32>(&spec.name, &dims),
            RawType::F64 => f.add_variable::<f64>(&spec.name, &dims),
            RawType::I8 => f.add_variable::<i8>(&spec.name, &dims),
            RawType::U8 => f.add_variable::<u8>(&spec.name, &dims),
            RawType::I16 => f.add_variable::<i16>(&spec.name, &dims),
            RawType::I32 => f.add_variable::<i32>(&spec.name, &dims),
            RawType::I64 => f.add_variable::<i64>(&spec.name, &dims),
            other => {
                return Err(Error::file(
                    &dest,
                    format!("cannot write '{}' of type {}", spec.name, other.name()),
                ))
            }
        }
        .map_err(&err)?;
        if !dims.is_empty() {
            if let Some(c) = &spec.chunking {
                v.set_chunking(c).map_err(&err)?;
            }
            if let Some(level) = spec.zlib {
                v.set_compression(level.clamp(1, 9), true).map_err(&err)?;
            }
        }
        if let Some(fill) = spec.fill {
            match spec.dtype {
                RawType::F32 => v.set_fill_value(fill as f32),
                RawType::F64 => v.set_fill_value(fill),
                RawType::I8 => v.set_fill_value(fill as i8),
                RawType::U8 => v.set_fill_value(fill as u8),
                RawType::I16 => v.set_fill_value(fill as i16),
                RawType::I32 => v.set_fill_value(fill as i32),
                _ => v.set_fill_value(fill as i64),
            }
            .map_err(&err)?;
        }
        for (k, val) in &spec.attrs {
            if k != "_FillValue" {
                v.put_attribute(k, val.clone()).map_err(&err)?;
            }
        }
        Ok(())
    }

    /// Write `data` into `var` at `start` (the hyperslab's shape is `data`'s).
    pub fn write(&mut self, var: &str, start: &[usize], data: &NdArray) -> Result<()> {
        super::quiet_hdf5();
        let dest = self.dest.clone();
        let err = nc_err(&dest, &format!("writing '{var}' at {start:?}"));
        let mut v = self
            .file()
            .variable_mut(var)
            .ok_or_else(|| Error::file(&dest, format!("no variable '{var}' defined")))?;
        let ext: Vec<Extent> = start
            .iter()
            .zip(data.shape())
            .map(|(&s, &c)| Extent::SliceCount {
                start: s,
                count: c,
                stride: 1,
            })
            .collect();
        if data.is_empty() {
            return Ok(());
        }
        macro_rules! put {
            ($a:expr) => {{
                let a = $a.as_standard_layout();
                let slice = a.as_slice().expect("standard layout");
                if ext.is_empty() {
                    v.put_values(slice, ..)
                } else {
                    v.put_values(slice, ext.as_slice())
                }
            }};
        }
        match data {
            NdArray::F32(a) => put!(a),
            NdArray::F64(a) => put!(a),
            NdArray::I8(a) => put!(a),
            NdArray::U8(a) => put!(a),
            NdArray::I16(a) => put!(a),
            NdArray::I32(a) => put!(a),
            NdArray::I64(a) => put!(a),
        }
        .map_err(err)
    }

    /// Close the netCDF file (everything defined, coordinates written) and reopen it with libhdf5
    /// to write the chunks of `vars` directly ([`DirectWriter`]). Still a temporary file until
    /// [`DirectWriter::commit`]; removed if that is never reached.
    pub fn into_direct(mut self, vars: &[String]) -> Result<DirectWriter> {
        let dest = self.dest.clone();
        let f = self.file.take().expect("file is open until commit");
        let mut w = DirectWriter {
            h5: None,
            tmp: self.tmp.clone(),
            dest: dest.clone(),
        };
        f.close().map_err(nc_err(&dest, "closing"))?;
        w.h5 = Some(DirectFile::open(&w.tmp, &dest, vars)?);
        Ok(w)
    }

    /// Close the file and rename it to its destination (atomic on one filesystem).
    pub fn commit(mut self) -> Result<PathBuf> {
        let dest = self.dest.clone();
        if let Some(f) = self.file.take() {
            f.close().map_err(nc_err(&dest, "closing"))?;
        }
        std::fs::rename(&self.tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        Ok(dest)
    }
}

impl Drop for NcWriter {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            drop(f);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The temporary file of an [`NcWriter`], reopened for direct chunk writes; removed on drop unless
/// committed.
pub struct DirectWriter {
    h5: Option<DirectFile>,
    tmp: PathBuf,
    dest: PathBuf,
}

impl DirectWriter {
    /// The open file (always, until commit or drop).
    pub fn file(&self) -> &DirectFile {
        self.h5.as_ref().expect("open until commit")
    }

    /// Close the file and rename it to its destination.
    pub fn commit(mut self) -> Result<PathBuf> {
        if let Some(h5) = self.h5.take() {
            h5.close()?;
        }
        let dest = self.dest.clone();
        std::fs::rename(&self.tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        // Renamed: nothing left for Drop to remove.
        self.tmp = PathBuf::new();
        Ok(dest)
    }
}

impl Drop for DirectWriter {
    fn drop(&mut self) {
        drop(self.h5.take());
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Replace NaN by `fill` (CF encoding of missing values) for float arrays; others unchanged.
pub fn encode_fill(data: &NdArray, fill: Option<f64>) -> NdArray {
    match (data, fill) {
        (NdArray::F32(a), Some(f)) if !f.is_nan() => {
            NdArray::F32(a.mapv(|x| if x.is_nan() { f as f32 } else { x }))
        }
        (NdArray::F64(a), Some(f)) if !f.is_nan() => {
            NdArray::F64(a.mapv(|x| if x.is_nan() { f } else { x }))
        }
        _ => data.clone(),
    }
}

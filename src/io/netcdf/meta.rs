//! Metadata of a netCDF file: dimensions (with the unlimited one), variables (stored type, shape,
//! attributes, HDF5 chunking) and global attributes. Reading metadata never reads variable data.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::netcdf::types::{FloatType, IntType, NcVariableType};
use ::netcdf::AttributeValue;

use crate::error::{Error, Result};

/// Attributes in file order.
pub type Attrs = Vec<(String, AttributeValue)>;

/// The type a variable is stored with in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// Characters, strings, compound and other types we do not read as arrays.
    Other,
}

impl RawType {
    fn from_nc(t: &NcVariableType) -> RawType {
        match t {
            NcVariableType::Int(i) => match i {
                IntType::I8 => RawType::I8,
                IntType::U8 => RawType::U8,
                IntType::I16 => RawType::I16,
                IntType::U16 => RawType::U16,
                IntType::I32 => RawType::I32,
                IntType::U32 => RawType::U32,
                IntType::I64 => RawType::I64,
                IntType::U64 => RawType::U64,
            },
            NcVariableType::Float(FloatType::F32) => RawType::F32,
            NcVariableType::Float(FloatType::F64) => RawType::F64,
            _ => RawType::Other,
        }
    }
    /// numpy's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            RawType::I8 => "int8",
            RawType::U8 => "uint8",
            RawType::I16 => "int16",
            RawType::U16 => "uint16",
            RawType::I32 => "int32",
            RawType::U32 => "uint32",
            RawType::I64 => "int64",
            RawType::U64 => "uint64",
            RawType::F32 => "float32",
            RawType::F64 => "float64",
            RawType::Other => "object",
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, RawType::F32 | RawType::F64)
    }
    /// Bytes per element (0 for `Other`).
    pub fn itemsize(self) -> usize {
        match self {
            RawType::I8 | RawType::U8 => 1,
            RawType::I16 | RawType::U16 => 2,
            RawType::I32 | RawType::U32 | RawType::F32 => 4,
            RawType::I64 | RawType::U64 | RawType::F64 => 8,
            RawType::Other => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DimInfo {
    pub name: String,
    pub len: usize,
    pub unlimited: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarInfo {
    pub name: String,
    pub dims: Vec<String>,
    pub shape: Vec<usize>,
    pub dtype: RawType,
    pub attrs: Attrs,
    /// HDF5 chunk shape, `None` when contiguous (or netCDF-3).
    pub chunking: Option<Vec<usize>>,
    /// zlib level of the HDF5 deflate filter, if any.
    pub zlib: Option<i32>,
    /// Whether the HDF5 shuffle filter is on.
    pub shuffle: bool,
    /// Stored (undecoded) values of a 1-d numeric dimension coordinate (`time(time)`), read with the
    /// metadata so that combining many files opens each file once.
    pub coord_values: Option<Arc<Vec<f64>>>,
}

impl VarInfo {
    pub fn attr(&self, name: &str) -> Option<&AttributeValue> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileMeta {
    pub path: PathBuf,
    pub dims: Vec<DimInfo>,
    pub vars: Vec<VarInfo>,
    pub attrs: Attrs,
}

impl FileMeta {
    pub fn var(&self, name: &str) -> Option<&VarInfo> {
        self.vars.iter().find(|v| v.name == name)
    }
    pub fn dim(&self, name: &str) -> Option<&DimInfo> {
        self.dims.iter().find(|d| d.name == name)
    }
}

/// Open `path` and map a library error to one naming the file.
pub(crate) fn open(path: &Path) -> Result<::netcdf::File> {
    super::quiet_hdf5();
    if !path.exists() {
        return Err(Error::file(path, "no such file"));
    }
    ::netcdf::open(path).map_err(|e| {
        Error::file(
            path,
            format!("not a readable netCDF file (truncated or another format?): {e}"),
        )
    })
}

fn attrs_of<'a>(it: impl Iterator<Item = ::netcdf::Attribute<'a>>, path: &Path) -> Result<Attrs> {
    let mut out = Vec::new();
    for a in it {
        let v = a
            .value()
            .map_err(|e| Error::file(path, format!("attribute '{}': {e}", a.name())))?;
        out.push((a.name().to_string(), v));
    }
    Ok(out)
}

/// Read the metadata of one file (dims, variables, attributes, compression); no variable data is read.
pub fn read_meta(path: &Path) -> Result<FileMeta> {
    read_meta_opts(path, true)
}

/// [`read_meta`], optionally without the compression filters: those take a second open of the file
/// through HDF5, and a multi-file dataset takes its encoding from its first file only (as xarray does).
pub fn read_meta_opts(path: &Path, with_filters: bool) -> Result<FileMeta> {
    let f = open(path)?;
    let dims = f
        .dimensions()
        .map(|d| DimInfo {
            name: d.name(),
            len: d.len(),
            unlimited: d.is_unlimited(),
        })
        .collect();
    let mut vars = Vec::new();
    for v in f.variables() {
        let name = v.name();
        let attrs = attrs_of(v.attributes(), path)?;
        let dims: Vec<String> = v.dimensions().iter().map(|d| d.name()).collect();
        let dtype = RawType::from_nc(&v.vartype());
        let coord_values = if dims.len() == 1 && dims[0] == name && dtype.itemsize() > 0 {
            let vals = v
                .get_values::<f64, _>(..)
                .map_err(|e| Error::file(path, format!("reading coordinate '{name}': {e}")))?;
            Some(Arc::new(vals))
        } else {
            None
        };
        vars.push(VarInfo {
            shape: v.dimensions().iter().map(|d| d.len()).collect(),
            dims,
            dtype,
            coord_values,
            chunking: v.chunking().unwrap_or(None),
            zlib: None,
            shuffle: false,
            attrs,
            name,
        });
    }
    let attrs = attrs_of(f.attributes(), path)?;
    drop(f);
    let names: Vec<String> = vars.iter().map(|v| v.name.clone()).collect();
    let filters = if with_filters {
        super::h5chunks::filters_of(path, &names)
    } else {
        Vec::new()
    };
    for (v, fl) in vars.iter_mut().zip(filters) {
        if let Some((shuffle, zlib)) = fl {
            v.shuffle = shuffle;
            v.zlib = zlib;
        }
    }
    Ok(FileMeta {
        path: path.to_path_buf(),
        dims,
        vars,
        attrs,
    })
}

/// A numeric attribute's first value as f64.
pub fn attr_f64(v: &AttributeValue) -> Option<f64> {
    use AttributeValue as A;
    Some(match v {
        A::Uchar(x) => *x as f64,
        A::Schar(x) => *x as f64,
        A::Ushort(x) => *x as f64,
        A::Short(x) => *x as f64,
        A::Uint(x) => *x as f64,
        A::Int(x) => *x as f64,
        A::Ulonglong(x) => *x as f64,
        A::Longlong(x) => *x as f64,
        A::Float(x) => *x as f64,
        A::Double(x) => *x,
        A::Uchars(x) => *x.first()? as f64,
        A::Schars(x) => *x.first()? as f64,
        A::Ushorts(x) => *x.first()? as f64,
        A::Shorts(x) => *x.first()? as f64,
        A::Uints(x) => *x.first()? as f64,
        A::Ints(x) => *x.first()? as f64,
        A::Ulonglongs(x) => *x.first()? as f64,
        A::Longlongs(x) => *x.first()? as f64,
        A::Floats(x) => *x.first()? as f64,
        A::Doubles(x) => *x.first()?,
        A::Str(_) | A::Strs(_) => return None,
    })
}

/// Every numeric value of an attribute as f64 (`missing_value` may be a list).
pub fn attr_f64s(v: &AttributeValue) -> Vec<f64> {
    use AttributeValue as A;
    match v {
        A::Uchars(x) => x.iter().map(|v| *v as f64).collect(),
        A::Schars(x) => x.iter().map(|v| *v as f64).collect(),
        A::Ushorts(x) => x.iter().map(|v| *v as f64).collect(),
        A::Shorts(x) => x.iter().map(|v| *v as f64).collect(),
        A::Uints(x) => x.iter().map(|v| *v as f64).collect(),
        A::Ints(x) => x.iter().map(|v| *v as f64).collect(),
        A::Ulonglongs(x) => x.iter().map(|v| *v as f64).collect(),
        A::Longlongs(x) => x.iter().map(|v| *v as f64).collect(),
        A::Floats(x) => x.iter().map(|v| *v as f64).collect(),
        A::Doubles(x) => x.clone(),
        other => attr_f64(other).into_iter().collect(),
    }
}

/// A string attribute's value.
pub fn attr_string(v: &AttributeValue) -> Option<String> {
    match v {
        AttributeValue::Str(s) => Some(s.clone()),
        AttributeValue::Strs(s) => Some(s.join(", ")),
        _ => None,
    }
}

/// An attribute as xarray's repr shows it (`kg m-2 s-1`, `1e+20`, `[1 2 3]`).
pub fn fmt_attr(v: &AttributeValue) -> String {
    use crate::engine::value::fmt_float;
    use AttributeValue as A;
    let list = |xs: Vec<String>| format!("[{}]", xs.join(" "));
    match v {
        A::Str(s) => s.clone(),
        A::Strs(s) => format!("{s:?}"),
        A::Float(x) => fmt_float(*x as f64),
        A::Double(x) => fmt_float(*x),
        A::Floats(x) => list(x.iter().map(|v| fmt_float(*v as f64)).collect()),
        A::Doubles(x) => list(x.iter().map(|v| fmt_float(*v)).collect()),
        A::Uchars(_) | A::Schars(_) | A::Ushorts(_) | A::Shorts(_) | A::Uints(_) | A::Ints(_) => {
            list(
                attr_f64s(v)
                    .iter()
                    .map(|x| format!("{}", *x as i64))
                    .collect(),
            )
        }
        A::Ulonglongs(x) => list(x.iter().map(|v| v.to_string()).collect()),
        A::Longlongs(x) => list(x.iter().map(|v| v.to_string()).collect()),
        other => format!("{}", attr_f64(other).unwrap_or(f64::NAN) as i64),
    }
}

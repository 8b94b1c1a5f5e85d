//! Values that tasks produce and consume: frames, series, scalars, n-d array chunks and opaque partials.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use ndarray::ArrayD;
use polars::prelude::{DataFrame, Series};

/// A single value, as pandas/numpy scalars are (missing is `Null`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// The value as f64 when numeric (bools count as 0/1, like numpy).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Bool(b) => Some(*b as i64 as f64),
            _ => None,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => write!(f, "nan"),
            Scalar::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{}", crate::engine::value::fmt_float(*x)),
            Scalar::Str(s) => write!(f, "{s}"),
        }
    }
}

/// Format a float as Python's `repr(float)` does (shortest round-trip, `nan`, `inf`, trailing `.0`).
pub fn fmt_float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        let s = format!("{x:?}");
        // Rust prints 1e20 and 1.5e-5; Python prints 1e+20 and 1.5e-05 (sign always, two digits at least).
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            return format!("{m}e{sign}{digits:0>2}");
        }
        s
    }
}

/// An n-dimensional array chunk (no labels: dims, coords and attrs live on the collection).
#[derive(Debug, Clone, PartialEq)]
pub enum NdArray {
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    I8(ArrayD<i8>),
    U8(ArrayD<u8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
}

macro_rules! each_nd {
    ($self:expr, $a:ident => $e:expr) => {
        match $self {
            NdArray::F32($a) => $e,
            NdArray::F64($a) => $e,
            NdArray::I8($a) => $e,
            NdArray::U8($a) => $e,
            NdArray::I16($a) => $e,
            NdArray::I32($a) => $e,
            NdArray::I64($a) => $e,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use each_nd;

impl NdArray {
    pub fn shape(&self) -> &[usize] {
        each_nd!(self, a => a.shape())
    }
    pub fn len(&self) -> usize {
        each_nd!(self, a => a.len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// numpy's dtype name (`float32`, `int16`...).
    pub fn dtype_name(&self) -> &'static str {
        match self {
            NdArray::F32(_) => "float32",
            NdArray::F64(_) => "float64",
            NdArray::I8(_) => "int8",
            NdArray::U8(_) => "uint8",
            NdArray::I16(_) => "int16",
            NdArray::I32(_) => "int32",
            NdArray::I64(_) => "int64",
        }
    }
    pub fn nbytes(&self) -> usize {
        let item = match self {
            NdArray::F32(_) | NdArray::I32(_) => 4,
            NdArray::F64(_) | NdArray::I64(_) => 8,
            NdArray::I16(_) => 2,
            NdArray::I8(_) | NdArray::U8(_) => 1,
        };
        self.len() * item
    }
    /// The array converted to f64 (NaN stays NaN).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            NdArray::F64(a) => a.clone(),
            NdArray::F32(a) => a.mapv(|v| v as f64),
            NdArray::I8(a) => a.mapv(|v| v as f64),
            NdArray::U8(a) => a.mapv(|v| v as f64),
            NdArray::I16(a) => a.mapv(|v| v as f64),
            NdArray::I32(a) => a.mapv(|v| v as f64),
            NdArray::I64(a) => a.mapv(|v| v as f64),
        }
    }
}

/// Something a kernel produces that is neither a frame nor an array: partial aggregates, file lists...
pub trait Payload: Any + Send + Sync + fmt::Debug {
    /// Bytes held in memory, for accounting.
    fn nbytes(&self) -> usize;
    fn as_any(&self) -> &dyn Any;
}

/// The output of one task.
#[derive(Debug, Clone)]
pub enum Value {
    /// A task run for its effect (a written part file) with nothing to pass on.
    Unit,
    Scalar(Scalar),
    Frame(DataFrame),
    Series(Series),
    Array(NdArray),
    List(Vec<Value>),
    Opaque(Arc<dyn Payload>),
}

impl Value {
    /// Bytes this value holds in memory (estimates for frames, as polars reports them).
    pub fn nbytes(&self) -> usize {
        match self {
            Value::Unit => 0,
            Value::Scalar(Scalar::Str(s)) => s.len() + 24,
            Value::Scalar(_) => 16,
            Value::Frame(df) => df.estimated_size(),
            Value::Series(s) => s.estimated_size(),
            Value::Array(a) => a.nbytes(),
            Value::List(v) => v.iter().map(Value::nbytes).sum(),
            Value::Opaque(p) => p.nbytes(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unit => "unit",
            Value::Scalar(_) => "scalar",
            Value::Frame(_) => "frame",
            Value::Series(_) => "series",
            Value::Array(_) => "array",
            Value::List(_) => "list",
            Value::Opaque(_) => "partial",
        }
    }

    pub fn as_frame(&self) -> Option<&DataFrame> {
        match self {
            Value::Frame(df) => Some(df),
            _ => None,
        }
    }
    pub fn as_series(&self) -> Option<&Series> {
        match self {
            Value::Series(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&NdArray> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
    /// Downcast an opaque payload.
    pub fn as_opaque<T: Payload>(&self) -> Option<&T> {
        match self {
            Value::Opaque(p) => p.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_float;

    #[test]
    fn floats_print_as_python_repr() {
        assert_eq!(fmt_float(1.5e-5), "1.5e-05");
        assert_eq!(fmt_float(1e-7), "1e-07");
        assert_eq!(fmt_float(1e16), "1e+16");
        assert_eq!(fmt_float(1.5e300), "1.5e+300");
        assert_eq!(fmt_float(2.5e-123), "2.5e-123");
        assert_eq!(fmt_float(0.0001), "0.0001");
        assert_eq!(fmt_float(123.0), "123.0");
        assert_eq!(fmt_float(f64::NAN), "nan");
    }
}

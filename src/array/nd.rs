//! Helpers on `NdArray` chunks: same-type maps, sub-slicing, and assembling blocks into a region.

use ndarray::{ArrayD, Axis, IxDyn, Slice};

use super::grid::DType;
use crate::engine::NdArray;

/// Apply a type-generic expression to whichever array is inside, keeping the variant.
macro_rules! map_nd {
    ($v:expr, $a:ident => $e:expr) => {
        match $v {
            NdArray::F32($a) => NdArray::F32($e),
            NdArray::F64($a) => NdArray::F64($e),
            NdArray::I8($a) => NdArray::I8($e),
            NdArray::U8($a) => NdArray::U8($e),
            NdArray::I16($a) => NdArray::I16($e),
            NdArray::I32($a) => NdArray::I32($e),
            NdArray::I64($a) => NdArray::I64($e),
        }
    };
}
#[allow(unused_imports)]
pub(crate) use map_nd;

/// One axis of a sub-selection of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisSel {
    /// `start..start+len*step` by `step`, keeping the axis.
    Range {
        start: usize,
        len: usize,
        step: usize,
    },
    /// One position; the axis is dropped.
    Index(usize),
}

/// Select a sub-array of a chunk (axes are processed last to first so indices stay valid).
pub fn select(a: &NdArray, sel: &[AxisSel]) -> NdArray {
    map_nd!(a, x => {
        let mut v = x.view();
        for (ax, s) in sel.iter().enumerate().rev() {
            match *s {
                AxisSel::Range { start, len, step } => {
                    let end = if len == 0 { start } else { start + (len - 1) * step + 1 };
                    v.slice_axis_inplace(Axis(ax), Slice::new(start as isize, Some(end as isize), step as isize));
                }
                AxisSel::Index(i) => v = v.index_axis_move(Axis(ax), i),
            }
        }
        v.to_owned()
    })
}

/// An empty (zero-filled) array of a dtype.
pub fn zeros(dtype: DType, shape: &[usize]) -> NdArray {
    let s = IxDyn(shape);
    match dtype {
        DType::F32 => NdArray::F32(ArrayD::zeros(s)),
        DType::F64 => NdArray::F64(ArrayD::zeros(s)),
        DType::I8 => NdArray::I8(ArrayD::zeros(s)),
        DType::U8 => NdArray::U8(ArrayD::zeros(s)),
        DType::I16 => NdArray::I16(ArrayD::zeros(s)),
        DType::I32 => NdArray::I32(ArrayD::zeros(s)),
        DType::I64 => NdArray::I64(ArrayD::zeros(s)),
    }
}

/// Copy `src` into `dst` at `offset` (same dtype required; a mismatch is converted through f64).
pub fn paste(dst: &mut NdArray, src: &NdArray, offset: &[usize]) {
    macro_rules! go {
        ($d:expr, $s:expr) => {{
            let mut view = $d.view_mut();
            for (ax, (&o, &n)) in offset.iter().zip($s.shape()).enumerate() {
                view.slice_axis_inplace(Axis(ax), Slice::from(o..o + n));
            }
            view.assign($s);
        }};
    }
    match (dst, src) {
        (NdArray::F32(d), NdArray::F32(s)) => go!(d, s),
        (NdArray::F64(d), NdArray::F64(s)) => go!(d, s),
        (NdArray::I8(d), NdArray::I8(s)) => go!(d, s),
        (NdArray::U8(d), NdArray::U8(s)) => go!(d, s),
        (NdArray::I16(d), NdArray::I16(s)) => go!(d, s),
        (NdArray::I32(d), NdArray::I32(s)) => go!(d, s),
        (NdArray::I64(d), NdArray::I64(s)) => go!(d, s),
        (d, s) => {
            let conv = cast(s, DType::of(d));
            paste(d, &conv, offset)
        }
    }
}

/// Convert an array to another dtype (floats to ints truncate; NaN becomes 0 as numpy's cast does not define).
pub fn cast(a: &NdArray, to: DType) -> NdArray {
    if DType::of(a) == to {
        return a.clone();
    }
    let f = a.to_f64();
    match to {
        DType::F32 => NdArray::F32(f.mapv(|x| x as f32)),
        DType::F64 => NdArray::F64(f),
        DType::I8 => NdArray::I8(f.mapv(|x| x as i8)),
        DType::U8 => NdArray::U8(f.mapv(|x| x as u8)),
        DType::I16 => NdArray::I16(f.mapv(|x| x as i16)),
        DType::I32 => NdArray::I32(f.mapv(|x| x as i32)),
        DType::I64 => NdArray::I64(f.mapv(|x| x as i64)),
    }
}

/// Values as f64 in C order (for previews and tests).
pub fn to_vec_f64(a: &NdArray) -> Vec<f64> {
    a.to_f64().iter().copied().collect()
}

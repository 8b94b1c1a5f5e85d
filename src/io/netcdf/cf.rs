//! CF decoding as xarray's `mask_and_scale` does: `_FillValue` and `missing_value` become NaN,
//! `scale_factor`/`add_offset` are applied, packed integers become floats. Runs outside the lock.

use super::meta::{attr_f64, attr_f64s, RawType, VarInfo};
use crate::engine::NdArray;
use ndarray::ArrayD;

/// What decoding a variable needs, taken from its attributes once at open.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CfDecode {
    /// Raw values to mask (`_FillValue` and every `missing_value`), compared in f64.
    pub mask: Vec<f64>,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    /// The decoded array is float32 (else float64) when it must become float.
    pub to_f32: bool,
}

/// The in-memory dtype a stored type decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    Same,
    F32,
    F64,
}

impl CfDecode {
    /// The decoding plan for a variable (xarray's rules: floats stay their width; integers that are
    /// masked or packed become float32 when 1–2 bytes wide with a float32 (or no) scale, else float64).
    pub fn for_var(v: &VarInfo) -> CfDecode {
        let mut mask = Vec::new();
        for name in ["_FillValue", "missing_value"] {
            if let Some(a) = v.attr(name) {
                for x in attr_f64s(a) {
                    if !x.is_nan() && !mask.contains(&x) {
                        mask.push(x);
                    }
                }
            }
        }
        let scale = v.attr("scale_factor").and_then(attr_f64);
        let offset = v.attr("add_offset").and_then(attr_f64);
        let f64_scale = ["scale_factor", "add_offset"].iter().any(|n| {
            matches!(
                v.attr(n),
                Some(::netcdf::AttributeValue::Double(_) | ::netcdf::AttributeValue::Doubles(_))
            )
        });
        let to_f32 = match v.dtype {
            RawType::F32 => !f64_scale,
            RawType::I8 | RawType::U8 | RawType::I16 | RawType::U16 => !f64_scale,
            _ => false,
        };
        CfDecode {
            mask,
            scale,
            offset,
            to_f32,
        }
    }

    /// True when applying changes nothing (no mask, no packing).
    pub fn is_identity(&self) -> bool {
        self.mask.is_empty() && self.scale.is_none() && self.offset.is_none()
    }

    /// What a raw array of `raw` type decodes to.
    pub fn decoded(&self, raw: RawType) -> Decoded {
        if self.is_identity() {
            return Decoded::Same;
        }
        match raw {
            RawType::F64 => Decoded::F64,
            _ if self.to_f32 => Decoded::F32,
            _ => Decoded::F64,
        }
    }

    /// Decode a raw array (as returned by `read_raw`).
    pub fn apply(&self, raw: NdArray) -> NdArray {
        if self.is_identity() {
            return raw;
        }
        let scale = self.scale.unwrap_or(1.0);
        let offset = self.offset.unwrap_or(0.0);
        let mask = &self.mask;
        let f = |x: f64| {
            if x.is_nan() || mask.contains(&x) {
                f64::NAN
            } else {
                x * scale + offset
            }
        };
        // Floats are decoded in place: the raw buffer is ours, and a chunk-sized copy per read costs
        // more (fresh pages) than the decoding itself.
        match raw {
            NdArray::F64(mut a) => {
                a.mapv_inplace(f);
                NdArray::F64(a)
            }
            NdArray::F32(mut a) if self.to_f32 && self.scale.is_none() && self.offset.is_none() => {
                // Pure masking keeps float32 values bit for bit. Only mask values that are exactly
                // float32 can match one (`_FillValue` and `missing_value` are often the same value).
                let mut m32: Vec<f32> = mask
                    .iter()
                    .map(|&m| m as f32)
                    .filter(|&m| mask.contains(&(m as f64)))
                    .collect();
                m32.dedup();
                match m32[..] {
                    [] => {}
                    [m] => a.mapv_inplace(|x| if x == m { f32::NAN } else { x }),
                    _ => a.mapv_inplace(|x| if m32.contains(&x) { f32::NAN } else { x }),
                }
                NdArray::F32(a)
            }
            other => {
                let a: ArrayD<f64> = other.to_f64().mapv(f);
                if self.to_f32 {
                    NdArray::F32(a.mapv(|x| x as f32))
                } else {
                    NdArray::F64(a)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::netcdf::AttributeValue as A;
    use ndarray::{ArrayD, IxDyn};

    fn var(dtype: RawType, attrs: Vec<(&str, A)>) -> VarInfo {
        VarInfo {
            coord_values: None,
            name: "v".into(),
            dims: vec!["x".into()],
            shape: vec![3],
            dtype,
            attrs: attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            chunking: None,
            zlib: None,
            shuffle: false,
        }
    }

    #[test]
    fn float_fill_and_missing_become_nan_keeping_float32() {
        let d = CfDecode::for_var(&var(
            RawType::F32,
            vec![
                ("_FillValue", A::Float(1e20)),
                ("missing_value", A::Floats(vec![-9.0])),
            ],
        ));
        assert_eq!(d.decoded(RawType::F32), Decoded::F32);
        let a = NdArray::F32(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.5, 1e20, -9.0]).unwrap());
        let NdArray::F32(out) = d.apply(a) else {
            panic!("float32 stays float32")
        };
        assert_eq!(out[0], 1.5);
        assert!(out[1].is_nan() && out[2].is_nan());
    }

    #[test]
    fn packed_ints_unpack_to_float64_with_double_scale() {
        let d = CfDecode::for_var(&var(
            RawType::I16,
            vec![
                ("scale_factor", A::Double(0.01)),
                ("add_offset", A::Double(273.15)),
                ("_FillValue", A::Short(-32767)),
            ],
        ));
        assert_eq!(d.decoded(RawType::I16), Decoded::F64);
        let a = NdArray::I16(ArrayD::from_shape_vec(IxDyn(&[3]), vec![0, 100, -32767]).unwrap());
        let NdArray::F64(out) = d.apply(a) else {
            panic!("float64")
        };
        assert!((out[1] - 274.15).abs() < 1e-9 && out[0] == 273.15 && out[2].is_nan());
        // No attributes: identity.
        assert!(CfDecode::for_var(&var(RawType::I32, vec![])).is_identity());
    }
}

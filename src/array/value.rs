//! Concrete (computed) arrays: what `.compute()`/`.values` give back, shown like xarray.

use std::any::Any;
use std::sync::Arc;

use super::coords::Coord;
use super::dataarray::DataArray;
use super::grid::DType;
use super::nd::{paste, zeros};
use super::repr::{dataarray_header, fmt_values};
use crate::engine::{NdArray, Value};
use crate::error::{Error, Result};
use crate::io::netcdf::Attrs;
use crate::lang::{Native, Obj, Output, SessionCtx};

/// A computed DataArray: values in memory plus labels.
#[derive(Debug, Clone)]
pub struct ArrayValue {
    pub name: Option<String>,
    pub dims: Vec<String>,
    pub coords: Vec<Coord>,
    pub attrs: Attrs,
    pub data: NdArray,
}

impl DataArray {
    /// Assemble computed blocks (in block order) into one array.
    pub fn assemble(&self, parts: &[Arc<Value>]) -> Result<NdArray> {
        let mut out = zeros(self.dtype, &self.shape());
        if parts.len() != self.grid.ntasks() {
            return Err(Error::value(format!(
                "expected {} chunks, got {}",
                self.grid.ntasks(),
                parts.len()
            )));
        }
        for (i, p) in parts.iter().enumerate() {
            let a = p
                .as_array()
                .ok_or_else(|| Error::value("chunk is not an array"))?;
            let start = self.grid.block_start(&self.grid.block_index(i));
            paste(&mut out, a, &start);
        }
        Ok(out)
    }

    /// The concrete result: 0-d arrays become Python floats (ints for integer dtypes).
    pub fn finalize_obj(&self, parts: &[Arc<Value>]) -> Result<Obj> {
        let data = self.assemble(parts)?;
        if self.dims.is_empty() {
            let x = data.to_f64().iter().next().copied().unwrap_or(f64::NAN);
            return Ok(if self.dtype.is_float() {
                Obj::Float(x)
            } else {
                Obj::Int(x as i64)
            });
        }
        Ok(Obj::native(ArrayValue {
            name: self.name.clone(),
            dims: self.dims.clone(),
            coords: self.coords.clone(),
            attrs: self.attrs.clone(),
            data,
        }))
    }
}

impl ArrayValue {
    pub fn text(&self) -> String {
        let header = dataarray_header(
            self.name.as_deref(),
            &self.dims,
            self.data.shape(),
            self.data.nbytes() as u64,
        );
        let mut s = format!(
            "{header}\n{}",
            fmt_values(&self.data, DType::of(&self.data))
        );
        let col = super::repr::col_width(self.coords.iter().map(|c| c.name.as_str()));
        s.push_str(&super::repr::coords_block(
            &self.coords,
            &self.dims,
            "Coordinates:",
            col,
        ));
        s.push_str(&super::repr::attrs_block(&self.attrs));
        s
    }
}

impl Native for ArrayValue {
    fn type_name(&self) -> &str {
        "DataArray"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output> {
        Ok(Output::Text(self.text()))
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>> {
        let tuple = |v: Vec<Obj>| Obj::Tuple(Arc::new(v));
        Ok(Some(match name {
            "values" | "data" => Obj::native(self.clone()),
            "shape" => tuple(
                self.data
                    .shape()
                    .iter()
                    .map(|&n| Obj::Int(n as i64))
                    .collect(),
            ),
            "dims" => tuple(self.dims.iter().map(|d| Obj::str(d.as_str())).collect()),
            "dtype" => Obj::str(self.data.dtype_name()),
            "nbytes" => Obj::Int(self.data.nbytes() as i64),
            "name" => self
                .name
                .as_ref()
                .map_or(Obj::None, |n| Obj::str(n.as_str())),
            "attrs" => super::native::attrs_obj(&self.attrs),
            _ => return Ok(None),
        }))
    }
    fn attr_names(&self) -> Vec<String> {
        [
            "values", "shape", "dims", "dtype", "nbytes", "name", "attrs",
        ]
        .map(String::from)
        .to_vec()
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize> {
        self.data
            .shape()
            .first()
            .copied()
            .ok_or_else(|| Error::value("len() of unsized object"))
    }
}

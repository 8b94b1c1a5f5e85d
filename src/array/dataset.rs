//! `Dataset`: dimensions, index coordinates, data variables (lazy `DataArray`s) and attributes,
//! with the operations that apply to every variable (`isel`, `sel`, `chunk`, reductions).

use super::coords::{Coord, Label};
use super::dataarray::{dim_index, label_to_indexer, ChunkSpec, DataArray, Indexer};
use super::reduce::Reduction;
use crate::error::{Error, Result};
use crate::io::netcdf::Attrs;
use crate::lang::object::closest;

#[derive(Clone)]
pub struct Dataset {
    /// Dimensions and sizes, in file order.
    pub dims: Vec<(String, usize)>,
    pub coords: Vec<Coord>,
    pub data_vars: Vec<DataArray>,
    pub attrs: Attrs,
}

impl Dataset {
    pub fn dim_names(&self) -> Vec<String> {
        self.dims.iter().map(|(d, _)| d.clone()).collect()
    }
    /// Bytes of every data variable and coordinate (as xarray's `nbytes`).
    pub fn nbytes(&self) -> u64 {
        self.data_vars.iter().map(DataArray::nbytes).sum::<u64>()
            + self.coords.iter().map(|c| c.len() as u64 * 8).sum::<u64>()
    }
    pub fn coord(&self, name: &str) -> Option<&Coord> {
        self.coords.iter().find(|c| c.name == name)
    }
    /// A data variable by name, or an error suggesting the closest variable.
    pub fn var(&self, name: &str) -> Result<&DataArray> {
        self.data_vars
            .iter()
            .find(|v| v.name.as_deref() == Some(name))
            .ok_or_else(|| {
                let names: Vec<&str> = self
                    .data_vars
                    .iter()
                    .filter_map(|v| v.name.as_deref())
                    .collect();
                let hint = closest(name, names.iter().copied())
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                Error::value(format!(
                    "no variable named '{name}'; data variables are: {}{hint}",
                    names.join(", ")
                ))
            })
    }

    fn check_dims<'a>(&self, names: impl Iterator<Item = &'a String>, what: &str) -> Result<()> {
        let dims = self.dim_names();
        for n in names {
            dim_index(&dims, n, what)?;
        }
        Ok(())
    }

    fn rebuild(&self, data_vars: Vec<DataArray>, coords: Vec<Coord>) -> Dataset {
        let mut dims = Vec::new();
        for (d, _) in &self.dims {
            let size = data_vars
                .iter()
                .find_map(|v| v.dims.iter().position(|x| x == d).map(|i| v.shape()[i]))
                .or_else(|| coords.iter().find(|c| &c.name == d).map(|c| c.len()));
            if let Some(n) = size {
                dims.push((d.clone(), n));
            }
        }
        Dataset {
            dims,
            coords,
            data_vars,
            attrs: self.attrs.clone(),
        }
    }

    pub fn isel(&self, ix: &[(String, Indexer)]) -> Result<Dataset> {
        self.check_dims(ix.iter().map(|(d, _)| d), "isel")?;
        let vars = self
            .data_vars
            .iter()
            .map(|v| {
                let mine: Vec<_> = ix
                    .iter()
                    .filter(|(d, _)| v.dims.contains(d))
                    .cloned()
                    .collect();
                v.isel(&mine)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut coords = Vec::new();
        for c in &self.coords {
            match ix.iter().find(|(d, _)| d == &c.name) {
                None => coords.push(c.clone()),
                Some((_, Indexer::Index(_))) => {}
                Some((_, Indexer::Slice(a, e, step))) => {
                    let n = c.len() as i64;
                    let norm = |x: i64| if x < 0 { (x + n).max(0) } else { x.min(n) } as usize;
                    let (lo, hi) = (a.map_or(0, norm), e.map_or(n as usize, norm));
                    let s = (*step).max(1) as usize;
                    coords.push(c.take(lo, if hi > lo { (hi - lo).div_ceil(s) } else { 0 }, s));
                }
            }
        }
        Ok(self.rebuild(vars, coords))
    }

    pub fn sel(&self, labels: &[(String, Label)], nearest: bool) -> Result<Dataset> {
        self.check_dims(labels.iter().map(|(d, _)| d), "sel")?;
        let ix = labels
            .iter()
            .map(|(d, l)| Ok((d.clone(), label_to_indexer(self.coord(d), d, l, nearest)?)))
            .collect::<Result<Vec<_>>>()?;
        self.isel(&ix)
    }

    pub fn chunk(&self, spec: &[(String, ChunkSpec)]) -> Result<Dataset> {
        self.check_dims(spec.iter().map(|(d, _)| d), "chunk")?;
        let vars = self
            .data_vars
            .iter()
            .map(|v| {
                let mine: Vec<_> = spec
                    .iter()
                    .filter(|(d, _)| v.dims.contains(d))
                    .cloned()
                    .collect();
                Ok(v.rechunk(v.chunk_grid(&mine)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.rebuild(vars, self.coords.clone()))
    }

    /// Reduce each variable over the named dims it has (variables without them are kept).
    pub fn reduce(&self, op: Reduction, dims: Option<&[String]>) -> Result<Dataset> {
        if let Some(ds) = dims {
            self.check_dims(ds.iter(), op.name())?;
        }
        let vars = self
            .data_vars
            .iter()
            .map(|v| {
                let mine: Vec<String> = match dims {
                    None => v.dims.clone(),
                    Some(ds) => ds.iter().filter(|d| v.dims.contains(d)).cloned().collect(),
                };
                if mine.is_empty() {
                    Ok(v.clone())
                } else {
                    v.reduce(op, Some(&mine))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let gone: Vec<String> = dims.map_or_else(|| self.dim_names(), |d| d.to_vec());
        let coords = self
            .coords
            .iter()
            .filter(|c| !gone.contains(&c.name))
            .cloned()
            .collect();
        let mut r = self.rebuild(vars, coords);
        r.attrs.clear();
        Ok(r)
    }
}

//! A `Dataset` as one collection: one output layer holding every variable's chunks, variable after
//! variable, so `compute`/`persist` run as one job; `finalize` and `with_graph` split them back.

use std::sync::Arc;

use super::dataarray::DataArray;
use super::dataset::Dataset;
use crate::engine::{
    DepPattern, FnKernel, Graph, Inputs, Kernel, Layer, LayerInput, TaskContext, Value,
};
use crate::error::{Error, Result};

/// Hands its only input on (a copy of the chunk).
struct Passthrough;

impl Kernel for Passthrough {
    fn run(&self, _i: u32, inputs: &Inputs<'_>, _c: &TaskContext<'_>) -> Result<Value> {
        inputs
            .all()
            .first()
            .map(|v| (**v).clone())
            .ok_or_else(|| Error::value("dataset chunk has no input"))
    }
}

fn passthrough() -> Arc<Passthrough> {
    Arc::new(Passthrough)
}

impl Dataset {
    /// (first output task, number of chunks) of each variable in the combined layer.
    fn ranges(&self) -> Vec<(u32, u32)> {
        let mut off = 0;
        self.data_vars
            .iter()
            .map(|v| {
                let n = v.grid.ntasks() as u32;
                off += n;
                (off - n, n)
            })
            .collect()
    }

    /// The combined graph (every variable's chunks in order).
    pub fn combined_graph(&self) -> Graph {
        let ranges = self.ranges();
        let total: u32 = ranges.iter().map(|r| r.1).sum();
        let inputs = self
            .data_vars
            .iter()
            .zip(&ranges)
            .map(|(v, &(off, n))| {
                let lists = (0..total)
                    .map(|i| {
                        if i >= off && i < off + n {
                            vec![i - off]
                        } else {
                            vec![]
                        }
                    })
                    .collect();
                LayerInput {
                    layer: v.graph.layer.clone(),
                    pattern: DepPattern::Explicit(Arc::new(lists)),
                }
            })
            .collect();
        let layer = Layer::new("dataset", total, inputs, passthrough());
        let graphs: Vec<&Graph> = self.data_vars.iter().map(|v| &v.graph).collect();
        Graph::derive(layer, &graphs)
    }

    /// The same dataset with each variable read from `g` (a persisted combined graph).
    pub fn with_combined(&self, g: &Graph) -> Dataset {
        let vars = self
            .data_vars
            .iter()
            .zip(self.ranges())
            .map(|(v, (off, n))| {
                let lists = (0..n).map(|i| vec![off + i]).collect();
                let input = LayerInput {
                    layer: g.layer.clone(),
                    pattern: DepPattern::Explicit(Arc::new(lists)),
                };
                let layer = Layer::new("getitem", n, vec![input], passthrough());
                v.with(
                    Graph::derive(layer, &[g]),
                    v.dims.clone(),
                    v.grid.clone(),
                    v.coords.clone(),
                )
            })
            .collect();
        Dataset {
            data_vars: vars,
            ..self.clone()
        }
    }

    /// The dataset with every variable's computed chunks held in memory.
    pub fn from_parts(&self, parts: Vec<Arc<Value>>) -> Result<Dataset> {
        let ranges = self.ranges();
        if parts.len() != ranges.iter().map(|r| r.1 as usize).sum::<usize>() {
            return Err(Error::value(
                "computed dataset has the wrong number of chunks",
            ));
        }
        let vars: Vec<DataArray> = self
            .data_vars
            .iter()
            .zip(ranges)
            .map(|(v, (off, n))| {
                let held: Arc<Vec<Arc<Value>>> =
                    Arc::new(parts[off as usize..(off + n) as usize].to_vec());
                let kernel = FnKernel(move |i: u32, _: &Inputs<'_>, _: &TaskContext<'_>| {
                    Ok((*held[i as usize]).clone())
                });
                let layer = Layer::new("from-memory", n, vec![], Arc::new(kernel));
                v.with(
                    Graph::new(layer),
                    v.dims.clone(),
                    v.grid.clone(),
                    v.coords.clone(),
                )
            })
            .collect();
        Ok(Dataset {
            data_vars: vars,
            ..self.clone()
        })
    }
}

//! A small sequential executor for array graphs: topological order over layers, each task run in
//! turn, intermediate results dropped once their last consumer layer ran. Used by tests, by small
//! previews, and as the reference the engine's results are checked against. Not a scheduler.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::{CancelToken, Graph, Inputs, Key, LayerId, TaskContext, Value, WorkerId};
use crate::error::{Error, Result};

/// Compute every task of `graph`'s output layer; their values in order.
pub fn run_sequential(graph: &Graph) -> Result<Vec<Arc<Value>>> {
    let order = graph.layer.topo();
    let mut last_use: HashMap<LayerId, usize> = HashMap::new();
    for (pos, l) in order.iter().enumerate() {
        for inp in &l.inputs {
            last_use.insert(inp.layer.id, pos);
        }
    }
    let cancel = CancelToken::new();
    let mut results: HashMap<LayerId, Vec<Arc<Value>>> = HashMap::new();
    for (pos, layer) in order.iter().enumerate() {
        let mut out = Vec::with_capacity(layer.ntasks as usize);
        for i in 0..layer.ntasks {
            let mut values = Vec::new();
            let mut bounds = vec![0u32];
            for inp in &layer.inputs {
                let src = &results[&inp.layer.id];
                inp.pattern.for_each(i, inp.layer.ntasks, |j| {
                    values.push(src[j as usize].clone())
                });
                bounds.push(values.len() as u32);
            }
            let ctx = TaskContext {
                key: Key::new(layer.id, i),
                layer_name: &layer.name,
                worker: WorkerId(0),
                cancel: &cancel,
            };
            let v = layer
                .kernel
                .run(i, &Inputs::new(&values, &bounds), &ctx)
                .map_err(|e| Error::Task {
                    layer: layer.name.to_string(),
                    index: i,
                    source: Box::new(e),
                })?;
            out.push(Arc::new(v));
        }
        results.insert(layer.id, out);
        results.retain(|id, _| *id == graph.layer.id || last_use.get(id).is_some_and(|&p| p > pos));
    }
    Ok(results.remove(&graph.layer.id).unwrap_or_default())
}

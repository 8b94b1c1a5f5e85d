//! Layer builders shared by every frame operation: per-partition kernels that name their source file in
//! errors, blockwise layers, and tree reductions (chunk → combine levels of `SPLIT_EVERY` → aggregate).

use std::sync::Arc;

use crate::engine::{
    DepPattern, Graph, Inputs, Kernel, Layer, LayerInput, Payload, TaskContext, Value,
};
use crate::error::{Error, Result};

/// Fan-in of each combine task of a tree reduction (Dask's `split_every` default).
pub const SPLIT_EVERY: u32 = 8;

type TaskFn = dyn Fn(u32, &Inputs<'_>, &TaskContext<'_>) -> Result<Value> + Send + Sync;

/// A kernel from a closure whose task `i` works on partition `i` of `origin` (for `describe`).
pub struct PartKernel {
    f: Box<TaskFn>,
    origin: Option<Arc<Layer>>,
}

impl PartKernel {
    /// The kernel, ready to put in a layer.
    pub fn arc(
        origin: Option<Arc<Layer>>,
        f: impl Fn(u32, &Inputs<'_>, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
    ) -> Arc<dyn Kernel> {
        Arc::new(PartKernel {
            f: Box::new(f),
            origin,
        })
    }
}

/// Attach the partition's file to an error that does not name one already.
pub fn with_source(e: Error, source: Option<String>) -> Error {
    match (e, source) {
        (
            e @ (Error::File { .. } | Error::Io { .. } | Error::Cancelled(_) | Error::Task { .. }),
            _,
        ) => e,
        (e, Some(src)) => Error::File {
            path: src.into(),
            line: None,
            column: None,
            message: e.to_string(),
        },
        (e, None) => e,
    }
}

impl Kernel for PartKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        (self.f)(index, inputs, ctx).map_err(|e| with_source(e, self.describe(index)))
    }
    fn describe(&self, index: u32) -> Option<String> {
        let o = self.origin.as_ref()?;
        if index < o.ntasks {
            o.kernel.describe(index)
        } else {
            None
        }
    }
}

/// A layer of one task per partition of `inputs[0]`, reading partition `i` of every input.
pub fn blockwise(
    prefix: &str,
    inputs: &[&Graph],
    f: impl Fn(u32, &Inputs<'_>, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
) -> Graph {
    let first = inputs[0].layer.clone();
    let lin = inputs
        .iter()
        .map(|g| LayerInput {
            layer: g.layer.clone(),
            pattern: DepPattern::Blockwise,
        })
        .collect();
    let layer = Layer::new(prefix, first.ntasks, lin, PartKernel::arc(Some(first), f));
    Graph::derive(layer, inputs)
}

/// A blockwise layer over one input applying `f` to each partition value.
pub fn map_parts(
    prefix: &str,
    input: &Graph,
    f: impl Fn(&Value, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
) -> Graph {
    blockwise(prefix, &[input], move |_, inp, ctx| f(inp.one(0), ctx))
}

/// One layer with an explicit input list per task (head, repartition).
pub fn explicit(
    prefix: &str,
    input: &Graph,
    lists: Vec<Vec<u32>>,
    f: impl Fn(u32, &Inputs<'_>, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
) -> Graph {
    let n = lists.len() as u32;
    let pattern = if n == 1 && lists[0] == [0] {
        DepPattern::One(0)
    } else {
        DepPattern::Explicit(Arc::new(lists))
    };
    let lin = vec![LayerInput {
        layer: input.layer.clone(),
        pattern,
    }];
    let layer = Layer::new(prefix, n, lin, PartKernel::arc(None, f));
    Graph::derive(layer, &[input])
}

/// A tree reduction to one task: `chunk` per partition, `combine` on groups of [`SPLIT_EVERY`] partials,
/// then `finish` on the last combined partial. Layers are named `<name>-chunk`, `<name>-combine`,
/// `<name>-aggregate` as in Dask.
pub fn tree_reduce(
    name: &str,
    input: &Graph,
    chunk: impl Fn(&Value, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
    combine: impl Fn(&[Arc<Value>]) -> Result<Value> + Send + Sync + 'static,
    finish: impl Fn(Value) -> Result<Value> + Send + Sync + 'static,
) -> Graph {
    let combine = Arc::new(combine);
    let mut g = map_parts(&format!("{name}-chunk"), input, chunk);
    while g.ntasks() > SPLIT_EVERY {
        let n = g.ntasks().div_ceil(SPLIT_EVERY);
        let c = combine.clone();
        let lin = vec![LayerInput {
            layer: g.layer.clone(),
            pattern: DepPattern::Tree(SPLIT_EVERY),
        }];
        let layer = Layer::new(
            &format!("{name}-combine"),
            n,
            lin,
            PartKernel::arc(None, move |_, inp, ctx| {
                ctx.cancel.check()?;
                c(inp.group(0))
            }),
        );
        g = Graph::derive(layer, &[&g]);
    }
    let lin = vec![LayerInput {
        layer: g.layer.clone(),
        pattern: DepPattern::All,
    }];
    let layer = Layer::new(
        &format!("{name}-aggregate"),
        1,
        lin,
        PartKernel::arc(None, move |_, inp, _| finish(combine(inp.group(0))?)),
    );
    Graph::derive(layer, &[&g])
}

/// Wrap a partial aggregate as an opaque task value.
pub fn opaque<T: Payload>(p: T) -> Value {
    Value::Opaque(Arc::new(p))
}

/// The partial aggregate inside a value, or an error naming what was expected.
pub fn partial<T: Payload>(v: &Value) -> Result<&T> {
    v.as_opaque::<T>().ok_or_else(|| {
        Error::value(format!(
            "internal: expected a partial aggregate, got a {}",
            v.kind()
        ))
    })
}

/// The frame inside a partition value.
pub fn frame(v: &Value) -> Result<&polars::prelude::DataFrame> {
    v.as_frame().ok_or_else(|| {
        Error::value(format!(
            "internal: expected a frame partition, got a {}",
            v.kind()
        ))
    })
}

/// The series inside a partition value.
pub fn series(v: &Value) -> Result<&polars::prelude::Series> {
    v.as_series().ok_or_else(|| {
        Error::value(format!(
            "internal: expected a series partition, got a {}",
            v.kind()
        ))
    })
}

//! The high-level graph: named layers of keyed tasks, with dependency patterns instead of per-task edges,
//! so building a graph costs per layer, not per task. Nothing here runs anything.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use super::cancel::CancelToken;
use super::ids::{Key, LayerId, WorkerId};
use super::store::Futures;
use super::value::Value;
use crate::error::Result;

/// How the tasks of a layer depend on the tasks of one input layer.
#[derive(Debug, Clone)]
pub enum DepPattern {
    /// Task `i` reads input task `i` (an input of one task is broadcast to every task).
    Blockwise,
    /// Every task reads every input task.
    All,
    /// Task `i` reads input tasks `[i*k, (i+1)*k)`: one level of a tree reduction.
    Tree(u32),
    /// Every task reads input task `j`.
    One(u32),
    /// Task `i` reads the input tasks listed at position `i` (repartition, rechunk, selections).
    Explicit(Arc<Vec<Vec<u32>>>),
}

impl DepPattern {
    /// The input task indices that task `i` of a layer reads from an input layer of `n_in` tasks.
    /// Calls `f` for each, in order.
    #[inline]
    pub fn for_each(&self, i: u32, n_in: u32, mut f: impl FnMut(u32)) {
        match self {
            DepPattern::Blockwise => f(if n_in == 1 { 0 } else { i }),
            DepPattern::All => (0..n_in).for_each(f),
            DepPattern::Tree(k) => {
                let lo = i.saturating_mul(*k).min(n_in);
                let hi = (i + 1).saturating_mul(*k).min(n_in);
                (lo..hi).for_each(f)
            }
            DepPattern::One(j) => f(*j),
            DepPattern::Explicit(lists) => lists[i as usize].iter().copied().for_each(f),
        }
    }

    /// Upper bound of inputs per task, for preallocation.
    pub fn fan_in(&self, n_in: u32) -> usize {
        match self {
            DepPattern::Blockwise | DepPattern::One(_) => 1,
            DepPattern::All => n_in as usize,
            DepPattern::Tree(k) => *k as usize,
            DepPattern::Explicit(l) => l.iter().map(Vec::len).max().unwrap_or(0),
        }
    }
}

/// One input of a layer.
#[derive(Clone)]
pub struct LayerInput {
    pub layer: Arc<Layer>,
    pub pattern: DepPattern,
}

/// What a running task can see besides its inputs.
pub struct TaskContext<'a> {
    pub key: Key,
    pub layer_name: &'a str,
    pub worker: WorkerId,
    /// The job's token: long kernels call `cancel.check()?` between chunks.
    pub cancel: &'a CancelToken,
}

/// The input values of one task, grouped per input layer (in the order of [`Layer::inputs`]).
pub struct Inputs<'a> {
    pub(crate) values: &'a [Arc<Value>],
    pub(crate) bounds: &'a [u32],
}

impl<'a> Inputs<'a> {
    /// Build inputs from values and group boundaries (`bounds.len() == groups + 1`).
    pub fn new(values: &'a [Arc<Value>], bounds: &'a [u32]) -> Self {
        Inputs { values, bounds }
    }
    /// Number of input groups (input layers).
    pub fn groups(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }
    /// The values from input layer `g`.
    pub fn group(&self, g: usize) -> &'a [Arc<Value>] {
        &self.values[self.bounds[g] as usize..self.bounds[g + 1] as usize]
    }
    /// The single value from input layer `g` (blockwise inputs).
    pub fn one(&self, g: usize) -> &'a Value {
        &self.group(g)[0]
    }
    /// Every input value, flattened.
    pub fn all(&self) -> &'a [Arc<Value>] {
        self.values
    }
}

/// The work of every task of one layer. Task `index` runs `run(index, inputs, ctx)`.
pub trait Kernel: Send + Sync + 'static {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value>;

    /// What task `index` works on, for errors and the UI (a file name, a slab of time...).
    fn describe(&self, _index: u32) -> Option<String> {
        None
    }
}

/// A kernel from a closure, for simple layers.
pub struct FnKernel<F>(pub F);

impl<F> Kernel for FnKernel<F>
where
    F: Fn(u32, &Inputs<'_>, &TaskContext<'_>) -> Result<Value> + Send + Sync + 'static,
{
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        (self.0)(index, inputs, ctx)
    }
}

/// A layer of the high-level graph: `ntasks` tasks `(name, 0..ntasks)` sharing one kernel.
pub struct Layer {
    pub id: LayerId,
    /// Dask-style key name: `<prefix>-<token>`.
    pub name: Arc<str>,
    /// The operation name (`read-csv`, `getitem`, `sum-chunk`...), used for colours and grouping.
    pub prefix: Arc<str>,
    pub ntasks: u32,
    pub inputs: Vec<LayerInput>,
    pub kernel: Arc<dyn Kernel>,
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Layer({}, {} tasks)", self.name, self.ntasks)
    }
}

impl Layer {
    /// A new layer with a fresh id and name.
    pub fn new(
        prefix: &str,
        ntasks: u32,
        inputs: Vec<LayerInput>,
        kernel: Arc<dyn Kernel>,
    ) -> Arc<Layer> {
        let id = LayerId::fresh();
        // A token like Dask's: unique per layer, short, stable for the process.
        let token = splitmix(id.0 as u64 ^ 0x7e55_e7a0) & 0xffff_ffff;
        Arc::new(Layer {
            id,
            name: format!("{prefix}-{token:08x}").into(),
            prefix: prefix.into(),
            ntasks,
            inputs,
            kernel,
        })
    }

    pub fn key(&self, index: u32) -> Key {
        Key::new(self.id, index)
    }

    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        (0..self.ntasks).map(|i| self.key(i))
    }

    /// Every layer this one depends on (itself included), inputs before consumers.
    pub fn topo(self: &Arc<Self>) -> Vec<Arc<Layer>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        // Iterative post-order DFS: deep graphs must not overflow the stack.
        let mut stack: Vec<(Arc<Layer>, usize)> = vec![(self.clone(), 0)];
        seen.insert(self.id);
        while let Some((layer, next)) = stack.pop() {
            if next < layer.inputs.len() {
                let child = layer.inputs[next].layer.clone();
                stack.push((layer, next + 1));
                if seen.insert(child.id) {
                    stack.push((child, 0));
                }
            } else {
                out.push(layer);
            }
        }
        out
    }

    /// Total tasks in this layer and everything below it.
    pub fn total_tasks(self: &Arc<Self>) -> u64 {
        self.topo().iter().map(|l| l.ntasks as u64).sum()
    }
}

/// A lazy result: the output layer plus the persisted data it keeps alive.
///
/// Invariant: `holds` contains the futures of every persisted layer reachable from `layer`
/// that this graph was built on, so dropping an upstream handle never frees data a dependent still needs.
#[derive(Clone)]
pub struct Graph {
    pub layer: Arc<Layer>,
    pub holds: Vec<Arc<Futures>>,
}

impl Graph {
    pub fn new(layer: Arc<Layer>) -> Self {
        Graph {
            layer,
            holds: Vec::new(),
        }
    }

    /// A graph whose output is `layer`, built on `inputs`: inherits what they hold.
    pub fn derive(layer: Arc<Layer>, inputs: &[&Graph]) -> Self {
        let mut holds: Vec<Arc<Futures>> = Vec::new();
        for g in inputs {
            for h in &g.holds {
                if !holds.iter().any(|x| Arc::ptr_eq(x, h)) {
                    holds.push(h.clone());
                }
            }
        }
        Graph { layer, holds }
    }

    pub fn ntasks(&self) -> u32 {
        self.layer.ntasks
    }

    pub fn keys(&self) -> Range<u32> {
        0..self.layer.ntasks
    }
}

/// A fast deterministic 64-bit mixer (SplitMix64), used for tokens and demo data.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

//! Materialization: from a layer graph to one job's dense task table, culled to the tasks the outputs need,
//! with forward and reverse edges (CSR) and a memory-friendly static priority (as `dask.order`).

use std::collections::HashMap;
use std::sync::Arc;

use super::graph::Layer;
use super::ids::{Key, LayerId, TaskId};

const NONE: u32 = u32::MAX;

/// One layer as it appears in a job.
pub struct JobLayer {
    pub layer: Arc<Layer>,
    /// Task id of each needed index (`NONE` where culled).
    pub map: Vec<u32>,
    /// Slots (in `JobGraph::layers`) of this layer's inputs, parallel to `layer.inputs`.
    pub input_slots: Vec<u32>,
    /// Number of tasks of this layer in the job.
    pub count: u32,
}

/// A job's materialized graph. Tasks are numbered layer by layer in topological order.
pub struct JobGraph {
    pub layers: Vec<JobLayer>,
    pub slot_of: HashMap<LayerId, u32>,
    /// Per task: its layer slot and index within the layer.
    pub task_slot: Vec<u32>,
    pub task_index: Vec<u32>,
    /// Forward edges: inputs of task t are `deps[dep_start[t]..dep_start[t+1]]`, grouped per input layer.
    pub dep_start: Vec<u32>,
    pub deps: Vec<TaskId>,
    /// Reverse edges: consumers of task t.
    pub cons_start: Vec<u32>,
    pub consumers: Vec<TaskId>,
    /// Lower runs first: depth-first post-order from the outputs.
    pub priority: Vec<u32>,
    /// Tasks whose value comes from the store (persisted data), not from running a kernel.
    pub external: Vec<bool>,
    pub outputs: Vec<TaskId>,
}

impl JobGraph {
    pub fn ntasks(&self) -> usize {
        self.task_slot.len()
    }

    pub fn key(&self, t: TaskId) -> Key {
        let l = &self.layers[self.task_slot[t.idx()] as usize].layer;
        Key::new(l.id, self.task_index[t.idx()])
    }

    pub fn layer_of(&self, t: TaskId) -> &Arc<Layer> {
        &self.layers[self.task_slot[t.idx()] as usize].layer
    }

    pub fn inputs_of(&self, t: TaskId) -> &[TaskId] {
        &self.deps[self.dep_start[t.idx()] as usize..self.dep_start[t.idx() + 1] as usize]
    }

    pub fn consumers_of(&self, t: TaskId) -> &[TaskId] {
        &self.consumers[self.cons_start[t.idx()] as usize..self.cons_start[t.idx() + 1] as usize]
    }

    /// Group boundaries of task t's inputs (one group per input layer), for [`super::Inputs`].
    pub fn input_bounds(&self, t: TaskId) -> Vec<u32> {
        let jl = &self.layers[self.task_slot[t.idx()] as usize];
        let i = self.task_index[t.idx()];
        let mut bounds = Vec::with_capacity(jl.layer.inputs.len() + 1);
        let mut n = 0u32;
        bounds.push(0);
        for inp in &jl.layer.inputs {
            inp.pattern.for_each(i, inp.layer.ntasks, |_| n += 1);
            bounds.push(n);
        }
        bounds
    }

    /// Materialize the tasks needed for `outputs` (each a layer and the indices wanted, in order).
    /// `is_external(key)` says whether a key's value already lives in the store (its inputs are then
    /// not traversed).
    pub fn build(
        outputs: &[(Arc<Layer>, Vec<u32>)],
        is_external: impl Fn(Key) -> bool,
    ) -> JobGraph {
        // Topological order of every reachable layer, inputs first.
        let mut order: Vec<Arc<Layer>> = Vec::new();
        let mut slot_of: HashMap<LayerId, u32> = HashMap::new();
        for (l, _) in outputs {
            for layer in l.topo() {
                if let std::collections::hash_map::Entry::Vacant(e) = slot_of.entry(layer.id) {
                    e.insert(order.len() as u32);
                    order.push(layer);
                }
            }
        }
        // Cull: walk consumers before inputs, marking needed indices.
        let mut needed: Vec<Vec<bool>> = order
            .iter()
            .map(|l| vec![false; l.ntasks as usize])
            .collect();
        let mut external_mark: Vec<Vec<bool>> = order.iter().map(|_| Vec::new()).collect();
        for (l, idx) in outputs {
            let s = slot_of[&l.id] as usize;
            for &i in idx {
                needed[s][i as usize] = true;
            }
        }
        for s in (0..order.len()).rev() {
            let layer = order[s].clone();
            let mut ext = vec![false; layer.ntasks as usize];
            for i in 0..layer.ntasks {
                if !needed[s][i as usize] {
                    continue;
                }
                if is_external(Key::new(layer.id, i)) {
                    ext[i as usize] = true;
                    continue;
                }
                for inp in &layer.inputs {
                    let si = slot_of[&inp.layer.id] as usize;
                    let need = &mut needed[si];
                    inp.pattern
                        .for_each(i, inp.layer.ntasks, |j| need[j as usize] = true);
                }
            }
            external_mark[s] = ext;
        }
        // Number tasks.
        let mut layers = Vec::with_capacity(order.len());
        let mut task_slot = Vec::new();
        let mut task_index = Vec::new();
        let mut external = Vec::new();
        for (s, layer) in order.iter().enumerate() {
            let mut map = vec![NONE; layer.ntasks as usize];
            let mut count = 0;
            for i in 0..layer.ntasks as usize {
                if needed[s][i] {
                    map[i] = task_slot.len() as u32;
                    task_slot.push(s as u32);
                    task_index.push(i as u32);
                    external.push(external_mark[s][i]);
                    count += 1;
                }
            }
            let input_slots = layer
                .inputs
                .iter()
                .map(|inp| slot_of[&inp.layer.id])
                .collect();
            layers.push(JobLayer {
                layer: layer.clone(),
                map,
                input_slots,
                count,
            });
        }
        let n = task_slot.len();
        // Forward CSR.
        let mut dep_start = Vec::with_capacity(n + 1);
        let mut deps: Vec<TaskId> = Vec::with_capacity(n);
        for t in 0..n {
            dep_start.push(deps.len() as u32);
            if external[t] {
                continue;
            }
            let jl = &layers[task_slot[t] as usize];
            let i = task_index[t];
            for (k, inp) in jl.layer.inputs.iter().enumerate() {
                let map = &layers[jl.input_slots[k] as usize].map;
                inp.pattern
                    .for_each(i, inp.layer.ntasks, |j| deps.push(TaskId(map[j as usize])));
            }
        }
        dep_start.push(deps.len() as u32);
        // Reverse CSR (a task listed twice as input of one consumer appears twice: counts stay exact).
        let mut cons_count = vec![0u32; n + 1];
        for d in &deps {
            cons_count[d.idx() + 1] += 1;
        }
        for t in 0..n {
            cons_count[t + 1] += cons_count[t];
        }
        let cons_start = cons_count.clone();
        let mut fill = cons_count;
        let mut consumers = vec![TaskId(0); deps.len()];
        for t in 0..n {
            for d in &deps[dep_start[t] as usize..dep_start[t + 1] as usize] {
                consumers[fill[d.idx()] as usize] = TaskId(t as u32);
                fill[d.idx()] += 1;
            }
        }
        let mut out_tasks = Vec::new();
        for (l, idx) in outputs {
            let s = slot_of[&l.id] as usize;
            for &i in idx {
                out_tasks.push(TaskId(layers[s].map[i as usize]));
            }
        }
        let priority = order_tasks(n, &dep_start, &deps, &out_tasks);
        JobGraph {
            layers,
            slot_of,
            task_slot,
            task_index,
            dep_start,
            deps,
            cons_start,
            consumers,
            priority,
            external,
            outputs: out_tasks,
        }
    }
}

/// Depth-first post-order from the outputs: a task is ordered right after the last of its inputs, so the
/// scheduler finishes one branch (and frees its intermediates) before opening the next.
fn order_tasks(n: usize, dep_start: &[u32], deps: &[TaskId], outputs: &[TaskId]) -> Vec<u32> {
    let mut prio = vec![NONE; n];
    let mut next = 0u32;
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for &o in outputs {
        if prio[o.idx()] != NONE {
            continue;
        }
        stack.push((o.0, dep_start[o.idx()]));
        // Mark on push (with a placeholder) so shared inputs are entered once.
        prio[o.idx()] = NONE - 1;
        while let Some(&mut (t, ref mut cursor)) = stack.last_mut() {
            let end = dep_start[t as usize + 1];
            if *cursor < end {
                let d = deps[*cursor as usize];
                *cursor += 1;
                if prio[d.idx()] == NONE {
                    prio[d.idx()] = NONE - 1;
                    stack.push((d.0, dep_start[d.idx()]));
                }
            } else {
                prio[t as usize] = next;
                next += 1;
                stack.pop();
            }
        }
    }
    prio
}

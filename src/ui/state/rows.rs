//! The rows each list pane shows after filtering, computed from the view (shared by drawing and by
//! selection logic, so both agree on what row `n` is).

use std::collections::HashMap;

use super::View;
use crate::engine::snapshot::{JobSnapshot, LayerProgress};

/// Indices into `snapshot.jobs`, newest first, filtered.
pub fn job_rows(v: &View) -> Vec<usize> {
    let jobs = &v.snapshot.jobs;
    (0..jobs.len())
        .rev()
        .filter(|&i| {
            let j = &jobs[i];
            v.jobs_sel.matches(&format!(
                "{} {} {} {} {}",
                j.id,
                j.kind.name(),
                j.label,
                j.status.name(),
                j.stage.as_deref().unwrap_or("")
            ))
        })
        .collect()
}

/// Indices into `datasets`, filtered by name and kind.
pub fn dataset_rows(v: &View) -> Vec<usize> {
    (0..v.datasets.len())
        .filter(|&i| {
            let d = &v.datasets[i];
            v.datasets_sel.matches(&format!("{} {}", d.name, d.kind))
        })
        .collect()
}

/// A row of the graph pane: a layer (index into the job's layers, depth), or its task strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphRow {
    Layer { index: usize, depth: usize },
    Tasks { index: usize },
}

/// Layers in dependency order (inputs first) with their depth (longest path from a source).
/// Costs per layer, never per task.
pub fn layer_order(job: &JobSnapshot) -> Vec<(usize, usize)> {
    let n = job.layers.len();
    let pos: HashMap<_, _> = job
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.layer, i))
        .collect();
    let ins = |l: &LayerProgress| -> Vec<usize> {
        l.inputs
            .iter()
            .filter_map(|id| pos.get(id).copied())
            .collect()
    };
    let mut indeg: Vec<usize> = job.layers.iter().map(|l| ins(l).len()).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, l) in job.layers.iter().enumerate() {
        for j in ins(l) {
            users[j].push(i);
        }
    }
    let mut depth = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut out = Vec::with_capacity(n);
    let mut head = 0;
    while head < queue.len() {
        let i = queue[head];
        head += 1;
        out.push((i, depth[i]));
        for &u in &users[i] {
            depth[u] = depth[u].max(depth[i] + 1);
            indeg[u] -= 1;
            if indeg[u] == 0 {
                queue.push(u);
            }
        }
    }
    // A cycle cannot happen in a task graph; show any leftovers rather than hide them.
    if out.len() < n {
        let seen: std::collections::HashSet<usize> = out.iter().map(|x| x.0).collect();
        out.extend((0..n).filter(|i| !seen.contains(i)).map(|i| (i, 0)));
    }
    out
}

pub fn graph_rows(v: &View) -> Vec<GraphRow> {
    let Some(job) = v.graph_job() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (index, depth) in layer_order(job) {
        let l = &job.layers[index];
        if !v.graph_sel.matches(&l.name) {
            continue;
        }
        rows.push(GraphRow::Layer { index, depth });
        if v.graph_open.contains(&l.layer) {
            rows.push(GraphRow::Tasks { index });
        }
    }
    rows
}

/// A memory holder: layer name, the handle that owns it (if a named dataset), bytes in memory, spilled.
#[derive(Debug, Clone, PartialEq)]
pub struct MemRow {
    pub layer: String,
    pub handle: Option<String>,
    pub memory: u64,
    pub spilled: u64,
}

pub fn memory_rows(v: &View) -> Vec<MemRow> {
    v.snapshot
        .memory
        .by_layer
        .iter()
        .map(|(name, mem, sp)| MemRow {
            layer: name.to_string(),
            handle: v
                .datasets
                .iter()
                .find(|d| d.layer.as_deref() == Some(&**name))
                .map(|d| d.name.clone()),
            memory: *mem,
            spilled: *sp,
        })
        .filter(|r| {
            v.memory_sel.matches(&format!(
                "{} {}",
                r.layer,
                r.handle.as_deref().unwrap_or("")
            ))
        })
        .collect()
}

/// Indices into the log, newest first, filtered.
pub fn log_rows(v: &View) -> Vec<usize> {
    (0..v.log.entries.len())
        .rev()
        .filter(|&i| v.log_sel.matches(&v.log.entries[i].chain.join(" ")))
        .collect()
}

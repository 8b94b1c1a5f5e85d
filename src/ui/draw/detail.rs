//! Text of the detail dialogs: a job (error chain, failed partition, file, output) and a dataset as an
//! `ncdump -h`-like header.

use crate::engine::snapshot::JobSnapshot;
use crate::ui::console::DatasetInfo;
use crate::ui::format::{bytes, duration};

pub fn job_lines(j: &JobSnapshot) -> Vec<String> {
    let mut l = vec![
        format!("kind     {}", j.kind.name()),
        format!("status   {}", j.status.name()),
        format!("tasks    {} / {}", j.done, j.total),
        format!("bytes    {}", bytes(j.bytes)),
        format!("elapsed  {}", duration(j.elapsed)),
    ];
    if let Some(eta) = j.eta() {
        l.push(format!("eta      {}", duration(eta)));
    }
    if let Some(s) = &j.stage {
        l.push(format!("stage    {s}"));
    }
    if let Some(f) = &j.failure {
        l.push(String::new());
        l.push(format!("failed task ('{}', {})", f.layer, f.index));
        if let Some(w) = &f.what {
            l.push(format!("while working on {w}"));
        }
        for (i, c) in f.chain.iter().enumerate() {
            l.push(if i == 0 {
                c.clone()
            } else {
                format!("  caused by: {c}")
            });
        }
    }
    if !j.layers.is_empty() {
        l.push(String::new());
        l.push("layers (done/total):".into());
        for ly in &j.layers {
            let done = ly.memory + ly.released;
            let err = if ly.erred > 0 {
                format!(", {} erred", ly.erred)
            } else {
                String::new()
            };
            l.push(format!("  {}  {done}/{}{err}", ly.name, ly.ntasks));
        }
    }
    if !j.output.is_empty() {
        l.push(String::new());
        l.push("output:".into());
        l.extend(j.output.iter().map(|s| format!("  {s}")));
    }
    l
}

/// The dataset's header the way `ncdump -h` prints a file: dimensions, variables, attributes.
/// Frames show their columns as variables along the index.
pub fn ncdump_lines(d: &DatasetInfo) -> Vec<String> {
    let mut l = vec![format!("{} {} {{", d.kind.to_lowercase(), d.name)];
    if !d.dims.is_empty() {
        l.push("dimensions:".into());
        for (n, s) in &d.dims {
            l.push(format!("\t{n} = {s} ;"));
        }
    }
    if !d.variables.is_empty() {
        l.push("variables:".into());
        for v in &d.variables {
            let t = if v.dtype.is_empty() { "?" } else { &v.dtype };
            l.push(format!("\t{t} {}({}) ;", v.name, v.dims.join(", ")));
        }
    } else if !d.columns.is_empty() {
        l.push("variables:".into());
        let along = d
            .dims
            .iter()
            .map(|x| x.0.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        for (n, t) in &d.columns {
            let t = if t.is_empty() { "?" } else { t };
            l.push(format!("\t{t} {n}({along}) ;"));
        }
    }
    if !d.attrs.is_empty() {
        l.push(String::new());
        l.push("// global attributes:".into());
        for (k, val) in &d.attrs {
            l.push(format!("\t\t:{k} = {val:?} ;"));
        }
    }
    l.push("}".into());
    l.push(String::new());
    if let Some(n) = d.npartitions {
        l.push(format!("// npartitions: {n}"));
    }
    if let Some(c) = &d.chunks {
        l.push(format!("// chunks: {c}"));
    }
    if let Some(n) = d.nbytes {
        l.push(format!("// estimated size: {}", bytes(n)));
    }
    l.push(format!(
        "// persisted: {}{}",
        if d.persisted { "yes" } else { "no" },
        d.held
            .map(|h| format!(", {} in memory", bytes(h)))
            .unwrap_or_default()
    ));
    if !d.summary.is_empty() {
        l.push(format!("// value: {}", d.summary));
    }
    l
}

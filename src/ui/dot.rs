//! DOT export of a job's layer graph (one node per layer, coloured by state), for `v` in the graph pane.
//! Graphviz renders it: `dot -Tsvg job.dot -o job.svg`.

use std::fmt::Write;

use crate::engine::snapshot::{JobSnapshot, LayerProgress};

fn fill(l: &LayerProgress) -> &'static str {
    if l.erred > 0 {
        "#ff7f7f"
    } else if l.memory + l.released >= l.ntasks {
        "#9fd39f"
    } else if l.running > 0 {
        "#9fd7ff"
    } else {
        "#d9d9d9"
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The job's layers as a DOT digraph, inputs pointing to their consumers.
pub fn job_to_dot(job: &JobSnapshot) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "digraph {} {{",
        quote(&format!("job {} {}", job.id, job.label))
    );
    s.push_str(
        "  rankdir=BT;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n",
    );
    for l in &job.layers {
        let done = l.memory + l.released;
        let label = format!(
            "{}\\n{} / {} tasks{}",
            l.name,
            done,
            l.ntasks,
            if l.erred > 0 {
                format!(", {} erred", l.erred)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "  L{} [label=\"{}\", fillcolor=\"{}\"];",
            l.layer,
            label.replace('"', "\\\""),
            fill(l)
        );
    }
    for l in &job.layers {
        for i in &l.inputs {
            if job.layers.iter().any(|x| x.layer == *i) {
                let _ = writeln!(s, "  L{i} -> L{};", l.layer);
            }
        }
    }
    s.push_str("}\n");
    s
}

/// A file name for the export: the label made safe, plus the job id.
pub fn dot_file_name(job: &JobSnapshot) -> String {
    let safe: String = job
        .label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("job{}-{}.dot", job.id, safe.trim_matches('_'))
}

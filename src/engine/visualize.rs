//! Graphviz pictures of a graph, as Dask's `visualize`: by default one node per layer (the high-level
//! graph, with task counts), or one node per task (capped per layer), written as `.dot` or rendered to
//! `.svg`/`.png`/`.pdf` by the `dot` program when it is installed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::graph::Graph;
use crate::error::{Error, Result};

/// At most this many tasks of one layer are drawn; the rest become one `+N more` node.
pub const MAX_TASKS_PER_LAYER: u32 = 40;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The graph as dot text: layers (default) or tasks, bottom-to-top as Dask draws it.
pub fn to_dot(graph: &Graph, tasks: bool) -> String {
    to_dot_with(graph, tasks, "BT")
}

/// [`to_dot`] with Graphviz's `rankdir` (`BT`, `TB`, `LR`, `RL`).
pub fn to_dot_with(graph: &Graph, tasks: bool, rankdir: &str) -> String {
    let layers = graph.layer.topo();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "digraph {{\n  rankdir={rankdir};\n  node [fontname=\"Helvetica\"];"
    );
    if !tasks {
        for l in &layers {
            let label = format!(
                "{}\\n{} task{}",
                l.name,
                l.ntasks,
                if l.ntasks == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                out,
                "  {} [shape=box, style=filled, fillcolor=\"#e8f0fe\", label=\"{label}\"];",
                quote(&l.name)
            );
        }
        for l in &layers {
            for input in &l.inputs {
                let _ = writeln!(out, "  {} -> {};", quote(&input.layer.name), quote(&l.name));
            }
        }
    } else {
        // Node ids are (layer position, task index); tasks past the cap fold into one node.
        let pos: HashMap<_, _> = layers.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
        let shown = |n: u32| n.min(MAX_TASKS_PER_LAYER);
        let node = |li: usize, t: u32, n: u32| {
            if t < shown(n) {
                format!("t{li}_{t}")
            } else {
                format!("t{li}_more")
            }
        };
        for (li, l) in layers.iter().enumerate() {
            for t in 0..shown(l.ntasks) {
                let _ = writeln!(
                    out,
                    "  t{li}_{t} [shape=circle, label=\"\", tooltip={}];",
                    quote(&format!("('{}', {t})", l.name))
                );
            }
            if l.ntasks > MAX_TASKS_PER_LAYER {
                let _ = writeln!(
                    out,
                    "  t{li}_more [shape=box, style=dashed, label=\"{}: +{} more\"];",
                    l.prefix,
                    l.ntasks - MAX_TASKS_PER_LAYER
                );
            }
        }
        for (li, l) in layers.iter().enumerate() {
            let mut seen = std::collections::HashSet::new();
            for input in &l.inputs {
                let ii = pos[&input.layer.id];
                let n_in = input.layer.ntasks;
                for t in 0..l.ntasks {
                    input.pattern.for_each(t, n_in, |j| {
                        let edge = (node(ii, j, n_in), node(li, t, l.ntasks));
                        if seen.insert(edge.clone()) {
                            let _ = writeln!(out, "  {} -> {};", edge.0, edge.1);
                        }
                    });
                }
            }
        }
    }
    out.push_str("}\n");
    out
}

/// True when Graphviz's `dot` runs.
pub fn dot_available() -> bool {
    Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Write `dot` text to `filename` (its extension, or `format`, picks dot/svg/png/pdf). Without a
/// filename: `mydask.svg` when `dot` is installed, else `mydask.dot`. Returns the written path.
pub fn write_graph(dot: &str, filename: Option<&str>, format: Option<&str>) -> Result<PathBuf> {
    let path = PathBuf::from(match filename {
        Some(f) => f.to_string(),
        None if dot_available() => format!("mydask.{}", format.unwrap_or("svg")),
        None => "mydask.dot".to_string(),
    });
    let ext = format
        .map(str::to_string)
        .or_else(|| path.extension().map(|e| e.to_string_lossy().to_lowercase()))
        .unwrap_or_else(|| "dot".into());
    match ext.as_str() {
        "dot" | "gv" => std::fs::write(&path, dot).map_err(|e| Error::io(&path, e))?,
        "svg" | "png" | "pdf" => {
            let mut child = Command::new("dot")
                .arg(format!("-T{ext}"))
                .arg("-o")
                .arg(&path)
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|_| {
                    Error::value(format!(
                        "cannot write {}: Graphviz's `dot` program is not installed; install graphviz, \
                         or use a .dot filename",
                        path.display()
                    ))
                })?;
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(dot.as_bytes())
                .map_err(|e| Error::io(&path, e))?;
            let done = child.wait_with_output().map_err(|e| Error::io(&path, e))?;
            if !done.status.success() {
                return Err(Error::file(
                    &path,
                    format!(
                        "dot failed: {}",
                        String::from_utf8_lossy(&done.stderr).trim()
                    ),
                ));
            }
        }
        other => {
            return Err(Error::value(format!(
                "cannot draw a graph as '.{other}': use .dot, .svg, .png or .pdf"
            )))
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::graph::{DepPattern, FnKernel, Inputs, Layer, LayerInput, TaskContext};
    use crate::engine::value::{Scalar, Value};

    fn kernel(i: u32, _: &Inputs<'_>, _: &TaskContext<'_>) -> Result<Value> {
        Ok(Value::Scalar(Scalar::Int(i as i64)))
    }

    fn chain() -> Graph {
        let k: Arc<dyn crate::engine::graph::Kernel> = Arc::new(FnKernel(kernel));
        let a = Layer::new("range", 100, vec![], k.clone());
        let b = Layer::new(
            "sum-chunk",
            100,
            vec![LayerInput {
                layer: a.clone(),
                pattern: DepPattern::Blockwise,
            }],
            k.clone(),
        );
        let c = Layer::new(
            "sum-agg",
            1,
            vec![LayerInput {
                layer: b,
                pattern: DepPattern::All,
            }],
            k,
        );
        Graph::new(c)
    }

    #[test]
    fn layers_one_node_each_with_counts() {
        let g = chain();
        let dot = to_dot(&g, false);
        assert_eq!(dot.matches("shape=box").count(), 3);
        assert!(dot.contains("\\n100 tasks"));
        assert!(dot.contains("\\n1 task\""));
        assert_eq!(dot.matches(" -> ").count(), 2);
        assert!(dot.starts_with("digraph {\n  rankdir=BT;"));
    }

    #[test]
    fn tasks_are_capped_per_layer() {
        let g = chain();
        let dot = to_dot(&g, true);
        // 40 + 40 + 1 task nodes, two "+60 more" nodes.
        assert_eq!(dot.matches("shape=circle").count(), 81);
        assert_eq!(dot.matches("+60 more").count(), 2);
        // Blockwise: 40 edges plus one folded edge; All: 41 distinct sources into the aggregate.
        assert_eq!(dot.matches(" -> ").count(), 41 + 41);
    }

    #[test]
    fn writes_dot_and_rejects_unknown_formats() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.dot");
        let got = write_graph("digraph {}\n", p.to_str(), None).unwrap();
        assert_eq!(std::fs::read_to_string(got).unwrap(), "digraph {}\n");
        let bad = write_graph("digraph {}\n", Some("g.jpg2"), None).unwrap_err();
        assert!(bad.to_string().contains("use .dot, .svg, .png or .pdf"));
        if dot_available() {
            let svg = dir.path().join("g.svg");
            write_graph(&to_dot(&chain(), false), svg.to_str(), None).unwrap();
            assert!(std::fs::read_to_string(svg).unwrap().contains("<svg"));
        }
    }
}

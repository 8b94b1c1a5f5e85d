//! Describing named objects for the datasets pane through the attributes natives expose
//! (`npartitions`, `dtypes`, `columns`, `sizes`/`dims`, `chunks`, `attrs`, `nbytes`, `coords`,
//! `data_vars`, `dtype`). Only metadata attributes are asked for: nothing here computes.

use super::console::{DatasetInfo, Variable};
use crate::lang::object::{Native, Obj, Output, SessionCtx};

/// Short text of a plain value (numbers, strings, tuples, dicts); natives by type name.
pub fn obj_text(obj: &Obj) -> String {
    fn seq(items: &[Obj]) -> String {
        items.iter().map(obj_text).collect::<Vec<_>>().join(", ")
    }
    match obj {
        Obj::None => "None".into(),
        Obj::Bool(b) => if *b { "True" } else { "False" }.into(),
        Obj::Int(i) => i.to_string(),
        Obj::Float(f) => format!("{f}"),
        Obj::Str(s) => s.to_string(),
        Obj::List(v) => format!("[{}]", seq(v)),
        Obj::Tuple(v) if v.len() == 1 => format!("({},)", obj_text(&v[0])),
        Obj::Tuple(v) => format!("({})", seq(v)),
        Obj::Dict(kv) => {
            let parts: Vec<String> = kv
                .iter()
                .map(|(k, v)| format!("{}: {}", obj_text(k), obj_text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => format!("<{}>", other.type_name()),
    }
}

/// Pairs from a dict, a list of pairs or names, or a table-like native's repr (index → first column).
fn pairs(obj: &Obj, cx: &mut dyn SessionCtx) -> Vec<(String, String)> {
    match obj {
        Obj::Dict(kv) => kv.iter().map(|(k, v)| (obj_text(k), obj_text(v))).collect(),
        Obj::List(v) | Obj::Tuple(v) => v
            .iter()
            .map(|o| match o {
                Obj::Tuple(p) if p.len() == 2 => (obj_text(&p[0]), obj_text(&p[1])),
                o => (obj_text(o), String::new()),
            })
            .collect(),
        Obj::Native(n) => match n.repr(cx) {
            Ok(Output::Table(t)) => t
                .index
                .iter()
                .zip(&t.rows)
                .map(|(i, r)| (i.clone(), r.first().cloned().unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn attr(n: &dyn Native, name: &str, cx: &mut dyn SessionCtx) -> Option<Obj> {
    n.get_attr(name, cx).ok().flatten()
}

fn names(o: Option<Obj>, cx: &mut dyn SessionCtx) -> Vec<String> {
    o.map(|o| pairs(&o, cx).into_iter().map(|p| p.0).collect())
        .unwrap_or_default()
}

/// A variable (an array native) by its `dtype` and `dims`.
fn variable(name: &str, n: &dyn Native, is_coord: bool, cx: &mut dyn SessionCtx) -> Variable {
    Variable {
        name: name.to_string(),
        dtype: attr(n, "dtype", cx)
            .map(|o| obj_text(&o))
            .unwrap_or_default(),
        dims: names(attr(n, "dims", cx), cx),
        is_coord,
    }
}

/// Describe a named object for the datasets pane. Never fails: attributes that are missing or
/// raise are left empty.
pub fn describe_obj(name: &str, obj: &Obj, cx: &mut dyn SessionCtx) -> DatasetInfo {
    let mut info = DatasetInfo {
        name: name.to_string(),
        kind: obj.type_name(),
        ..Default::default()
    };
    let Obj::Native(n) = obj else {
        info.summary = obj_text(obj);
        return info;
    };
    let n: &dyn Native = &**n;
    info.npartitions = attr(n, "npartitions", cx)
        .and_then(|o| o.as_i64())
        .map(|v| v as u64);
    info.chunks = attr(n, "chunks", cx).map(|o| obj_text(&o));
    if let Some(d) = attr(n, "dtypes", cx) {
        info.columns = pairs(&d, cx);
    }
    if info.columns.is_empty() {
        if let Some(c) = attr(n, "columns", cx) {
            info.columns = pairs(&c, cx);
        }
    }
    // `sizes` maps dims to lengths on arrays and datasets; `dims` may be names only (DataArray).
    let sizes = attr(n, "sizes", cx).or_else(|| attr(n, "dims", cx));
    if let Some(d) = sizes {
        info.dims = pairs(&d, cx)
            .into_iter()
            .map(|(k, v)| (k, v.parse().unwrap_or(0)))
            .collect();
    }
    let data_vars = names(attr(n, "data_vars", cx), cx);
    if !data_vars.is_empty() || info.kind.contains("Array") {
        for c in names(attr(n, "coords", cx), cx) {
            if let Some(Obj::Native(v)) = attr(n, &c, cx) {
                info.variables.push(variable(&c, &*v, true, cx));
            }
        }
        for d in &data_vars {
            if let Some(Obj::Native(v)) = attr(n, d, cx) {
                info.variables.push(variable(d, &*v, false, cx));
            }
        }
        if data_vars.is_empty() {
            let own = attr(n, "name", cx).and_then(|o| o.as_str().map(str::to_string));
            info.variables
                .push(variable(own.as_deref().unwrap_or(name), n, false, cx));
        }
    }
    if let Some(a) = attr(n, "attrs", cx) {
        info.attrs = pairs(&a, cx);
    }
    info.nbytes = attr(n, "nbytes", cx)
        .and_then(|o| o.as_i64())
        .map(|v| v as u64);
    if let Some(c) = n.collection() {
        let g = c.graph();
        info.layer = Some(g.layer.name.to_string());
        info.persisted = !g.holds.is_empty();
        info.nbytes = info.nbytes.or_else(|| c.estimated_nbytes());
        if info.persisted {
            let held: u64 = g
                .holds
                .iter()
                .flat_map(|h| cx.engine().futures_info(h))
                .filter(|f| f.location == "memory")
                .map(|f| f.nbytes)
                .sum();
            info.held = Some(held);
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use std::any::Any;
    use std::sync::Arc;

    use super::*;
    use crate::engine::Engine;
    use crate::error::Error;
    use crate::lang::object::Table;

    struct Cx;
    impl SessionCtx for Cx {
        fn engine(&self) -> &Engine {
            unreachable!("nothing here is persisted")
        }
        fn emit(&mut self, _out: Output) {}
        fn interactive(&self) -> bool {
            true
        }
    }

    fn s(x: &str) -> Obj {
        Obj::str(x)
    }
    fn list(v: &[&str]) -> Obj {
        Obj::List(Arc::new(v.iter().map(|x| s(x)).collect()))
    }

    /// A native answering fixed attributes, like the frame and array natives do.
    struct Fake(&'static str, Vec<(&'static str, Obj)>, Option<Table>);
    impl Native for Fake {
        fn type_name(&self) -> &str {
            self.0
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
        fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
            Ok(self
                .2
                .clone()
                .map_or(Output::Text("?".into()), Output::Table))
        }
        fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>, Error> {
            if name == "values" {
                panic!("describing must not compute");
            }
            Ok(self
                .1
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone()))
        }
    }

    fn array(dtype: &str, dims: &[&str]) -> Obj {
        let dims = Obj::Tuple(Arc::new(dims.iter().map(|d| s(d)).collect()));
        Obj::native(Fake(
            "DataArray",
            vec![("dtype", s(dtype)), ("dims", dims)],
            None,
        ))
    }

    #[test]
    fn describes_datasets_frames_and_values() {
        let sizes = Obj::Dict(Arc::new(vec![
            (s("time"), Obj::Int(4)),
            (s("lat"), Obj::Int(3)),
        ]));
        let ds = Obj::native(Fake(
            "Dataset",
            vec![
                ("sizes", sizes),
                ("data_vars", list(&["t2m"])),
                ("coords", list(&["time"])),
                ("t2m", array("float32", &["time", "lat"])),
                ("time", array("datetime64[ns]", &["time"])),
                ("attrs", Obj::Dict(Arc::new(vec![(s("title"), s("ERA5"))]))),
                ("nbytes", Obj::Int(48)),
            ],
            None,
        ));
        let d = describe_obj("ds", &ds, &mut Cx);
        assert_eq!(d.kind, "Dataset");
        assert_eq!(
            d.dims,
            vec![("time".to_string(), 4), ("lat".to_string(), 3)]
        );
        assert_eq!(d.variables.len(), 2);
        assert!(d.variables[0].is_coord);
        assert_eq!(d.variables[1].dims, vec!["time", "lat"]);
        assert_eq!(d.variables[1].dtype, "float32");
        assert_eq!(d.attrs, vec![("title".to_string(), "ERA5".to_string())]);
        assert_eq!(d.nbytes, Some(48));

        let dtypes = Table {
            columns: vec!["0".into()],
            index: vec!["a".into(), "b".into()],
            rows: vec![vec!["int64".into()], vec!["string".into()]],
            ..Default::default()
        };
        let series = Obj::native(Fake("Series", vec![], Some(dtypes)));
        let df = Obj::native(Fake(
            "DataFrame",
            vec![("dtypes", series), ("npartitions", Obj::Int(7))],
            None,
        ));
        let f = describe_obj("df", &df, &mut Cx);
        assert_eq!(f.npartitions, Some(7));
        assert_eq!(
            f.columns,
            vec![("a".into(), "int64".into()), ("b".into(), "string".into())]
        );
        assert!(f.variables.is_empty());

        let v = describe_obj("n", &Obj::Tuple(Arc::new(vec![Obj::Int(1)])), &mut Cx);
        assert_eq!((v.kind.as_str(), v.summary.as_str()), ("tuple", "(1,)"));
    }
}

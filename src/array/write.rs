//! `to_netcdf`: a task graph with one `create` task (defines the file, writes coordinates), one
//! `store` task per chunk of every variable (encodes NaN → `_FillValue` outside the writer lock,
//! then writes its hyperslab), and one final `commit` task that closes and renames the file.
//! Each chunk is dropped after its store task, so memory stays bounded by the chunks in flight.

use std::path::PathBuf;
use std::sync::Arc;

use ::netcdf::AttributeValue;
use ndarray::{ArrayD, IxDyn};
use parking_lot::Mutex;

use super::dataset::Dataset;
use super::kernels::input_array;
use crate::engine::{
    DepPattern, FnKernel, Graph, Inputs, Kernel, Layer, LayerInput, NdArray, TaskContext, Value,
};
use crate::error::{Error, Result};
use crate::io::netcdf::write::encode_fill;
use crate::io::netcdf::{NcWriter, RawType, VarSpec};

/// Per-variable encoding options (`encoding={"pr": {"zlib": True, "complevel": 4}}`).
#[derive(Debug, Clone, Default)]
pub struct VarEncoding {
    pub zlib: Option<i32>,
}

struct WriteState {
    dest: PathBuf,
    ds: Dataset,
    encoding: Vec<(String, VarEncoding)>,
    writer: Mutex<Option<NcWriter>>,
}

fn not_created(dest: &std::path::Path) -> Error {
    Error::file(
        dest,
        "the file was not created (the create task did not run)",
    )
}

impl WriteState {
    fn create(&self) -> Result<()> {
        let mut w = NcWriter::create(&self.dest)?;
        for (d, n) in &self.ds.dims {
            w.add_dim(d, *n)?;
        }
        for c in &self.ds.coords {
            let mut attrs = c.attrs.clone();
            // A `bounds` attribute must name a variable that is written too.
            attrs.retain(|(k, v)| {
                k != "bounds"
                    || matches!(v, AttributeValue::Str(b) if self.ds.data_vars.iter().any(|d| d.name.as_deref() == Some(b.as_str())))
            });
            if let Some(t) = &c.time {
                attrs.push(("units".into(), AttributeValue::Str(t.units_string())));
                attrs.push((
                    "calendar".into(),
                    AttributeValue::Str(t.calendar.name().into()),
                ));
            }
            let spec = VarSpec {
                name: c.name.clone(),
                dims: vec![c.name.clone()],
                dtype: RawType::F64,
                attrs,
                fill: None,
                zlib: None,
                chunking: None,
            };
            w.add_var(&spec)?;
        }
        for v in &self.ds.data_vars {
            let name = v
                .name
                .clone()
                .unwrap_or_else(|| "__xarray_dataarray_variable__".into());
            let zlib = self
                .encoding
                .iter()
                .find(|(n, _)| n == &name)
                .map_or(v.encoding.zlib, |(_, e)| e.zlib);
            let fill = if v.dtype.is_float() {
                Some(v.encoding.fill.unwrap_or(f64::NAN))
            } else {
                None
            };
            let chunking = (!v.dims.is_empty())
                .then(|| v.grid.chunksize().iter().map(|&c| c.max(1)).collect());
            let spec = VarSpec {
                name,
                dims: v.dims.clone(),
                dtype: v.dtype.raw(),
                attrs: v.attrs.clone(),
                fill,
                zlib,
                chunking,
            };
            w.add_var(&spec)?;
        }
        for (k, a) in &self.ds.attrs {
            w.add_global_attr(k, a.clone())?;
        }
        for c in &self.ds.coords {
            let a = ArrayD::from_shape_vec(IxDyn(&[c.len()]), c.values.to_vec()).expect("1-d");
            w.write(&c.name, &[0], &NdArray::F64(a))?;
        }
        *self.writer.lock() = Some(w);
        Ok(())
    }
}

struct StoreKernel {
    state: Arc<WriteState>,
    var: usize,
}

impl Kernel for StoreKernel {
    fn run(&self, index: u32, inputs: &Inputs<'_>, ctx: &TaskContext<'_>) -> Result<Value> {
        ctx.cancel.check()?;
        let v = &self.state.ds.data_vars[self.var];
        let name = v
            .name
            .clone()
            .unwrap_or_else(|| "__xarray_dataarray_variable__".into());
        let start = v.grid.block_start(&v.grid.block_index(index as usize));
        // Encoding happens before taking the writer lock.
        let data = encode_fill(input_array(inputs, 0, 0)?, v.encoding.fill);
        let mut g = self.state.writer.lock();
        let w = g.as_mut().ok_or_else(|| not_created(&self.state.dest))?;
        if let Err(e) = w.write(&name, &start, &data) {
            // Drop the writer now: its temporary file is removed, nothing partial stays behind.
            *g = None;
            return Err(e);
        }
        Ok(Value::Unit)
    }
    fn describe(&self, index: u32) -> Option<String> {
        Some(format!("{} chunk {index}", self.state.dest.display()))
    }
}

/// The graph writing `ds` to `dest`; its single output task returns the path once committed.
pub fn to_netcdf_graph(
    ds: &Dataset,
    dest: PathBuf,
    encoding: Vec<(String, VarEncoding)>,
) -> Result<Graph> {
    for (n, _) in &encoding {
        ds.var(n)?;
    }
    let state = Arc::new(WriteState {
        dest,
        ds: ds.clone(),
        encoding,
        writer: Mutex::new(None),
    });
    let s1 = state.clone();
    let create = Layer::new(
        "create-netcdf",
        1,
        vec![],
        Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
            s1.create()?;
            Ok(Value::Unit)
        })),
    );
    let mut stores = Vec::new();
    let mut graphs = Vec::new();
    for (i, v) in ds.data_vars.iter().enumerate() {
        let store = Layer::new(
            "store-map",
            v.grid.ntasks() as u32,
            vec![
                LayerInput {
                    layer: v.graph.layer.clone(),
                    pattern: DepPattern::Blockwise,
                },
                LayerInput {
                    layer: create.clone(),
                    pattern: DepPattern::One(0),
                },
            ],
            Arc::new(StoreKernel {
                state: state.clone(),
                var: i,
            }),
        );
        stores.push(LayerInput {
            layer: store,
            pattern: DepPattern::All,
        });
        graphs.push(&v.graph);
    }
    if stores.is_empty() {
        stores.push(LayerInput {
            layer: create,
            pattern: DepPattern::All,
        });
    }
    let s2 = state;
    let commit = Layer::new(
        "finalize-netcdf",
        1,
        stores,
        Arc::new(FnKernel(move |_, _: &Inputs<'_>, _: &TaskContext<'_>| {
            let w = s2
                .writer
                .lock()
                .take()
                .ok_or_else(|| not_created(&s2.dest))?;
            let p = w.commit()?;
            Ok(Value::Scalar(crate::engine::Scalar::Str(
                p.display().to_string(),
            )))
        })),
    );
    Ok(Graph::derive(commit, &graphs))
}

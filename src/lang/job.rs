//! Jobs as language objects: what `compute` returns in the workbench, `run("cmd")` and
//! `download(url)` start, and `result(job)` waits for. A job turns the engine's output values into a
//! language value once, and keeps it.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::errors::Raise;
use super::interp::Interp;
use super::object::{Args, Native, Obj, Output, SessionCtx};
use super::pyops;
use crate::engine::store::Futures;
use crate::engine::{JobHandle, JobId, JobKind, JobOutcome, Scalar, Value};
use crate::error::Error;

/// Turns a job's output values into the language value.
pub(crate) type Finalizer = Box<dyn Fn(Vec<Arc<Value>>) -> Result<Obj, Error> + Send + Sync>;

pub struct JobObj {
    pub handle: JobHandle,
    pub kind: JobKind,
    pub label: String,
    /// Dropped once used: it may hold collections (and so their futures) alive.
    finalize: Mutex<Option<Finalizer>>,
    /// The finalized outcome, once known (finalizing twice would redo work).
    result: Mutex<Option<Result<Obj, Arc<Error>>>>,
    /// For persist jobs: the futures the persisted collection holds (weak: a job must not keep data).
    pub(crate) persisted: Vec<Weak<Futures>>,
}

impl JobObj {
    pub(crate) fn new(handle: JobHandle, kind: JobKind, label: &str, finalize: Finalizer) -> Self {
        JobObj {
            handle,
            kind,
            label: label.to_string(),
            finalize: Mutex::new(Some(finalize)),
            result: Mutex::new(None),
            persisted: Vec::new(),
        }
    }

    pub fn id(&self) -> JobId {
        self.handle.id
    }

    fn settle(&self, outcome: JobOutcome) -> Result<Obj, Arc<Error>> {
        let mut slot = self.result.lock();
        if let Some(r) = slot.as_ref() {
            return r.clone();
        }
        let finalize = self.finalize.lock().take();
        let r = outcome.and_then(|parts| match finalize {
            Some(f) => f(parts).map_err(Arc::new),
            None => Ok(Obj::None),
        });
        *slot = Some(r.clone());
        r
    }

    /// Wait for the job and return its value (or its error).
    pub fn result(&self) -> Result<Obj, Arc<Error>> {
        if let Some(r) = self.result.lock().as_ref() {
            return r.clone();
        }
        let outcome = self.handle.wait();
        self.settle(outcome)
    }

    /// The value if the job has finished; `None` while it runs.
    pub fn try_result(&self) -> Option<Result<Obj, Arc<Error>>> {
        {
            // Locked means another thread is finalizing (maybe slowly): not ready yet; never block.
            let slot = self.result.try_lock()?;
            if let Some(r) = slot.as_ref() {
                return Some(r.clone());
            }
        }
        self.handle.try_outcome().map(|o| self.settle(o))
    }

    fn text(&self) -> String {
        let (done, total) = self.handle.progress();
        format!(
            "<Job {}: {}, status: {}, progress: {done}/{total}, label: {}>",
            self.id(),
            self.kind.name(),
            self.handle.status().name(),
            pyops::repr_str(&self.label)
        )
    }
}

impl Native for JobObj {
    fn type_name(&self) -> &str {
        "Job"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        Ok(Output::Text(self.text()))
    }
    fn get_attr(&self, name: &str, cx: &mut dyn SessionCtx) -> Result<Option<Obj>, Error> {
        Ok(Some(match name {
            "status" => Obj::str(self.handle.status().name()),
            "id" => Obj::Int(self.id().0 as i64),
            "kind" => Obj::str(self.kind.name()),
            "label" => Obj::str(self.label.as_str()),
            "progress" => {
                let (d, t) = self.handle.progress();
                Obj::Tuple(Arc::new(vec![Obj::Int(d as i64), Obj::Int(t as i64)]))
            }
            "output" => {
                let snap = cx.engine().snapshot();
                let lines = snap
                    .jobs
                    .iter()
                    .find(|j| j.id == self.id())
                    .map(|j| j.output.clone())
                    .unwrap_or_default();
                Obj::List(Arc::new(lines.into_iter().map(Obj::str).collect()))
            }
            _ => return Ok(None),
        }))
    }
    fn attr_names(&self) -> Vec<String> {
        [
            "status", "id", "kind", "label", "progress", "output", "result", "compute", "cancel",
            "done",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// `job.result()`, `job.compute()`, `job.cancel()`, `job.done()`.
pub(crate) fn call_method(
    interp: &mut Interp,
    job: &JobObj,
    name: &str,
    args: Args,
) -> Result<Obj, Raise> {
    args.check(name, 0, &["timeout"])?;
    match name {
        "result" | "compute" | "wait" | "gather" => {
            interp.untrack(job.id());
            job.result().map_err(|e| Raise::from(&*e))
        }
        "cancel" => Ok(Obj::Bool(interp.engine_ref().cancel_job(job.id()))),
        "done" => Ok(Obj::Bool(job.handle.status().is_finished())),
        _ => Err(super::access::no_attribute(
            &Obj::native(NoJob),
            name,
            &["result", "compute", "cancel", "done"].map(String::from),
        )),
    }
}

/// Stands in for a job's type name in attribute errors.
struct NoJob;
impl Native for NoJob {
    fn type_name(&self) -> &str {
        "Job"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        Ok(Output::Text("<Job>".into()))
    }
}

/// A background job's single value as a language value.
pub(crate) fn value_to_obj(v: &Value) -> Obj {
    match v {
        Value::Unit => Obj::None,
        Value::Scalar(s) => match s {
            Scalar::Null => Obj::None,
            Scalar::Bool(b) => Obj::Bool(*b),
            Scalar::Int(i) => Obj::Int(*i),
            Scalar::Float(f) => Obj::Float(*f),
            Scalar::Str(s) => Obj::str(s.as_str()),
        },
        Value::List(items) => Obj::List(Arc::new(items.iter().map(value_to_obj).collect())),
        other => Obj::str(format!("<{}>", other.kind())),
    }
}

fn first_value(parts: Vec<Arc<Value>>) -> Result<Obj, Error> {
    Ok(parts.first().map_or(Obj::None, |v| value_to_obj(v)))
}

/// Register a started background job with the session and return it as a value.
pub(crate) fn start(interp: &mut Interp, handle: JobHandle, kind: JobKind, label: &str) -> Obj {
    let job = Arc::new(JobObj::new(handle, kind, label, Box::new(first_value)));
    interp.track(job.clone(), false);
    Obj::Native(job)
}

pub(crate) fn verbs() -> Vec<(&'static str, super::builtins::VerbFn)> {
    vec![("run", run), ("download", download), ("result", result)]
}

/// `run("shell command", cwd=None)`: a background shell job; its value is the captured stdout.
fn run(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("run", 1, &["cmd", "cwd"])?;
    let cmd = args
        .get(0, "cmd")
        .and_then(Obj::as_str)
        .ok_or_else(|| Raise::type_error("run() needs a shell command string, e.g. run('ls -l')"))?
        .to_string();
    let cwd = args.opt(1, "cwd").and_then(Obj::as_str).map(String::from);
    let label = cmd.clone();
    let handle = interp
        .engine_ref()
        .spawn_background(JobKind::Shell, &label, move |ctx| {
            super::shell::run_shell(&cmd, cwd.as_deref(), ctx)
        });
    Ok(start(interp, handle, JobKind::Shell, &label))
}

/// `download(url, path=None)`: a background download written atomically; its value is the path.
fn download(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("download", 2, &["url", "path"])?;
    let url = args
        .get(0, "url")
        .and_then(Obj::as_str)
        .ok_or_else(|| Raise::type_error("download() needs a URL string"))?
        .to_string();
    let path = args.opt(1, "path").and_then(Obj::as_str).map(String::from);
    let label = format!("download {url}");
    let handle = interp
        .engine_ref()
        .spawn_background(JobKind::Download, &label, move |ctx| {
            super::shell::download(&url, path.as_deref(), ctx)
        });
    Ok(start(interp, handle, JobKind::Download, &label))
}

/// `result(job)`: wait for a job's value; other values are returned as they are.
fn result(interp: &mut Interp, args: Args) -> Result<Obj, Raise> {
    args.check("result", 1, &[])?;
    let x = args
        .positional
        .first()
        .ok_or_else(|| Raise::type_error("result() takes a job"))?;
    match x.downcast::<JobObj>() {
        Some(job) => {
            interp.untrack(job.id());
            job.result().map_err(|e| Raise::from(&*e))
        }
        None => Ok(x.clone()),
    }
}

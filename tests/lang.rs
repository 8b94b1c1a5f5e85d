//! The session language end to end on a real engine: scripts through `run_session` (what
//! `tessera run` does) and the workbench's interactive session, on a small test-only collection
//! `irange(n, npartitions=4, delay_ms=0, fail_at=-1)` whose partitions are lists of integers.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera::engine::{
    DepPattern, Engine, EngineConfig, FnKernel, Graph, Inputs, Layer, LayerInput, Scalar,
    TaskContext, Value,
};
use tessera::error::Error;
use tessera::lang::{
    format_bytes_u64, run_session, Args, Collection, Native, Obj, Output, Session, SessionCtx,
};

/// `irange(...)` (partitions: lists of ints) or its `.sum()` (one scalar).
struct IRange {
    graph: Graph,
    n: i64,
    summed: bool,
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Scalar(Scalar::Int(i)) => *i,
        other => panic!("not an int: {other:?}"),
    }
}

fn irange(args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
    args.check("irange", 2, &["n", "npartitions", "delay_ms", "fail_at"])?;
    let n = args
        .get(0, "n")
        .and_then(Obj::as_i64)
        .ok_or_else(|| Error::value("irange() needs n"))?;
    let parts = args
        .opt(1, "npartitions")
        .and_then(Obj::as_i64)
        .unwrap_or(4)
        .max(1);
    let delay = args
        .opt(usize::MAX, "delay_ms")
        .and_then(Obj::as_i64)
        .unwrap_or(0) as u64;
    let fail_at = args
        .opt(usize::MAX, "fail_at")
        .and_then(Obj::as_i64)
        .unwrap_or(-1);
    let kernel = FnKernel(move |i: u32, _: &Inputs, ctx: &TaskContext| {
        // Sleep in small steps so cancellation is seen within one step.
        for _ in 0..delay / 5 {
            ctx.cancel.check()?;
            std::thread::sleep(Duration::from_millis(5));
        }
        if i as i64 == fail_at {
            return Err(Error::file("part.csv", format!("bad partition {i}")));
        }
        let lo = i as i64 * n / parts;
        let hi = (i as i64 + 1) * n / parts;
        Ok(Value::List(
            (lo..hi).map(|x| Value::Scalar(Scalar::Int(x))).collect(),
        ))
    });
    let layer = Layer::new("range", parts as u32, vec![], Arc::new(kernel));
    Ok(Obj::native(IRange {
        graph: Graph::new(layer),
        n,
        summed: false,
    }))
}

impl Native for IRange {
    fn type_name(&self) -> &str {
        "IRange"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        Ok(Output::Text(format!(
            "<IRange n={} npartitions={}>",
            self.n,
            self.graph.ntasks()
        )))
    }
    fn attr_names(&self) -> Vec<String> {
        vec!["sum".into(), "columns".into(), "npartitions".into()]
    }
    fn get_attr(&self, name: &str, _cx: &mut dyn SessionCtx) -> Result<Option<Obj>, Error> {
        Ok(match name {
            "columns" => Some(Obj::List(Arc::new(vec![
                Obj::str("value"),
                Obj::str("vsquared"),
            ]))),
            "npartitions" => Some(Obj::Int(self.graph.ntasks() as i64)),
            _ => None,
        })
    }
    fn call_method(&self, name: &str, _args: Args, _cx: &mut dyn SessionCtx) -> Result<Obj, Error> {
        if name != "sum" {
            return Err(Error::value(format!(
                "'IRange' object has no attribute '{name}'"
            )));
        }
        let kernel = FnKernel(|_: u32, inp: &Inputs, _: &TaskContext| {
            let mut total = 0;
            for part in inp.group(0) {
                if let Value::List(xs) = part.as_ref() {
                    total += xs.iter().map(int).sum::<i64>();
                }
            }
            Ok(Value::Scalar(Scalar::Int(total)))
        });
        let input = LayerInput {
            layer: self.graph.layer.clone(),
            pattern: DepPattern::All,
        };
        let layer = Layer::new("sum", 1, vec![input], Arc::new(kernel));
        Ok(Obj::native(IRange {
            graph: Graph::derive(layer, &[&self.graph]),
            n: self.n,
            summed: true,
        }))
    }
    fn len(&self, _cx: &mut dyn SessionCtx) -> Result<usize, Error> {
        Ok(self.n as usize)
    }
    fn collection(&self) -> Option<&dyn Collection> {
        Some(self)
    }
}

impl Collection for IRange {
    fn graph(&self) -> &Graph {
        &self.graph
    }
    fn finalize(&self, parts: Vec<Arc<Value>>) -> Result<Obj, Error> {
        if self.summed {
            return Ok(Obj::Int(int(&parts[0])));
        }
        let mut out = Vec::new();
        for p in parts {
            if let Value::List(xs) = p.as_ref() {
                out.extend(xs.iter().map(|x| Obj::Int(int(x))));
            }
        }
        Ok(Obj::List(Arc::new(out)))
    }
    fn with_graph(&self, graph: Graph) -> Obj {
        Obj::native(IRange {
            graph,
            n: self.n,
            summed: self.summed,
        })
    }
}

fn engine() -> Engine {
    Engine::new(EngineConfig {
        threads: 2,
        ..EngineConfig::default()
    })
}

fn session(e: &Engine, interactive: bool) -> Session {
    let mut s = Session::new(e.clone(), interactive);
    s.register(vec![("irange", irange)]);
    s
}

/// Run a script headless; (exit code, stdout, stderr).
fn script(e: &Engine, src: &str) -> (i32, String, String) {
    let mut s = session(e, false);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_session(&mut s, src, "script.tess", true, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn compute_prints_values_as_a_notebook() {
    let e = engine();
    let (code, out, err) = script(
        &e,
        "import dask\nr = irange(10, npartitions=3)\nr\nr.compute()\ndask.compute(r.sum(), 2)\n\
         total, = compute(r.sum())\nprint('total:', total, total / 4)\nlen(r)\n",
    );
    assert_eq!(err, "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "<IRange n=10 npartitions=3>\n[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n(45, 2)\ntotal: 45 11.25\n10\n"
    );
}

#[test]
fn errors_point_at_line_and_column_with_causes() {
    let e = engine();
    let (code, out, err) = script(&e, "ddf = irange(4)\nx = ddff.sum()\nprint('never')\n");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "script.tess:2:5: NameError: name 'ddff' is not defined; did you mean 'ddf'?\n    x = ddff.sum()\n        ^\n"
    );
    let (code, _, err) = script(&e, "r = irange(8, fail_at=1)\n\nr.sum().compute()\n");
    assert_eq!(code, 1);
    let first = err.lines().next().unwrap();
    assert!(first.starts_with("script.tess:3:1: "), "{err}");
    assert!(err.contains("bad partition 1"), "{err}");
    assert!(err.contains("    r.sum().compute()\n    ^"), "{err}");
    let (code, _, err) = script(&e, "x = 1\nfor i in x:\n    pass\n");
    assert_eq!(code, 1);
    assert!(err.starts_with(
        "script.tess:2:1: SyntaxError: 'for' loops are not supported in Tessera sessions"
    ));
}

#[test]
fn persist_futures_and_del_release_data() {
    let e = engine();
    let mut s = session(&e, false);
    let r = s.run_source(
        "p = irange(100, npartitions=4).persist()\nwait(p)\nf = futures_of(p)\nlen(f)\np.sum().compute()\n",
        "s",
    );
    assert!(
        r.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.last().unwrap().error
    );
    assert_eq!(r[3].output, Some(Output::Text("4".into())));
    assert_eq!(r[4].output, Some(Output::Text("4950".into())));
    let shown = s.run_source("f", "s");
    match &shown[0].output {
        Some(Output::Table(t)) => {
            assert_eq!(t.columns, vec!["key", "status", "bytes", "location"]);
            assert_eq!(t.rows.len(), 4);
            assert!(
                t.rows
                    .iter()
                    .all(|row| row[1] == "finished" && row[3] == "memory"),
                "{t:?}"
            );
            assert!(t.rows[0][0].starts_with("('range-"), "{t:?}");
            let bytes: u64 = t.rows.iter().map(|r| r[2].parse::<u64>().unwrap()).sum();
            assert!(bytes > 0);
            assert_eq!(
                t.footer.as_deref(),
                Some(format!("[4 futures: 4 finished; {}]", format_bytes_u64(bytes)).as_str())
            );
        }
        other => panic!("not a table: {other:?}"),
    }
    // Many futures show as pandas shows long frames: head, `...`, tail.
    let many = s.run_source(
        "m = irange(70, npartitions=70).persist()\nwait(m)\nfutures_of(m)",
        "s",
    );
    match &many[2].output {
        Some(Output::Table(t)) => {
            let index: Vec<&str> = t.index.iter().map(String::as_str).collect();
            assert_eq!(
                index,
                vec!["0", "1", "2", "3", "4", "...", "65", "66", "67", "68", "69"]
            );
            assert!(t
                .footer
                .as_deref()
                .unwrap()
                .starts_with("[70 futures: 70 finished; "));
        }
        other => panic!("not a table: {other:?}"),
    }
    assert!(e.snapshot().memory.managed > 0);
    let r = s.run_source("del p\ndel m", "s");
    assert!(r[0].error.is_none());
    assert_eq!(
        e.snapshot().memory.managed,
        0,
        "del dropped the last holder"
    );
    let r = s.run_source("p", "s");
    assert!(r[0]
        .error
        .as_ref()
        .unwrap()
        .message
        .starts_with("NameError: name 'p' is not defined"));
}

#[test]
fn interactive_compute_returns_a_job_and_poll_delivers_the_value() {
    let e = engine();
    let mut s = session(&e, true);
    let r = s.run_source("t = irange(10, delay_ms=20).sum().compute()\nt", "cell");
    match &r[1].output {
        Some(Output::Text(t)) => assert!(t.starts_with("<Job "), "{t}"),
        other => panic!("{other:?}"),
    }
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.is_empty() && t0.elapsed() < Duration::from_secs(20) {
        got = s.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].output, Some(Output::Text("45".into())));
    assert_eq!(got[0].line, 1);
    let names = s.names();
    assert!(
        matches!(names[0].1, Obj::Int(45)),
        "the name now holds the value"
    );
    assert!(s.poll().is_empty());
    assert_eq!(s.history().len(), 2);
    // Unpacking a running compute binds the names when it finishes.
    let r = s.run_source(
        "lo, hi = compute(irange(4).sum(), irange(5).sum())\nlo",
        "cell",
    );
    assert!(r.iter().all(|x| x.error.is_none()));
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.is_empty() && t0.elapsed() < Duration::from_secs(20) {
        got = s.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(got[0].output, Some(Output::Text("(6, 10)".into())));
    let r = s.run_source("lo, hi", "cell");
    assert_eq!(r[0].output, Some(Output::Text("(6, 10)".into())));
}

#[test]
fn cancel_and_restart_keep_names() {
    let e = engine();
    let mut s = session(&e, true);
    let r = s.run_source(
        "slow = irange(100, npartitions=8, delay_ms=2000)\nj = slow.sum().compute()\ncancel(j)",
        "c",
    );
    assert!(r.iter().all(|x| x.error.is_none()));
    assert_eq!(r[2].output, Some(Output::Text("cancelled 1 job(s)".into())));
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.is_empty() && t0.elapsed() < Duration::from_secs(5) {
        got = s.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = got[0]
        .error
        .as_ref()
        .expect("a cancelled job reports an error");
    assert!(err.message.starts_with("CancelledError"), "{}", err.message);

    let mut h = session(&e, false);
    let r = h.run_source(
        "q = irange(10).persist()\nwait(q)\nrestart()\nf = futures_of(q)\nf[0]['status']\nq",
        "r",
    );
    assert!(
        r.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.iter().find_map(|x| x.error.clone())
    );
    assert_eq!(r[4].output, Some(Output::Text("'lost'".into())));
    assert_eq!(
        r[5].output,
        Some(Output::Text("<IRange n=10 npartitions=4>".into()))
    );
    assert_eq!(e.snapshot().memory.managed, 0);
}

#[test]
fn shell_jobs_capture_output_and_failures_fail_the_script() {
    let e = engine();
    let (code, out, err) = script(
        &e,
        "j = run('echo hello; echo oops 1>&2')\nresult(j)\nj.status\n",
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "'hello\\n'\n'done'\n");
    let (code, _, err) = script(&e, "run('exit 3')\n");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("script.tess:1:1: ValueError: command `exit 3` failed with exit status 3"),
        "{err}"
    );
    // In the workbench the finished job shows its stdout.
    let mut s = session(&e, true);
    s.run_source("run('echo one; echo two')", "c");
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.is_empty() && t0.elapsed() < Duration::from_secs(10) {
        got = s.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    match &got[0].output {
        Some(Output::Text(t)) => {
            assert!(t.starts_with("shell job "), "{t}");
            assert!(t.ends_with(" done: echo one; echo two\none\ntwo"), "{t}");
        }
        other => panic!("{other:?}"),
    }
    // Cancelling a shell job kills its process group.
    let t0 = Instant::now();
    s.run_source("j = run('sleep 30 | cat')\nj.cancel()", "c");
    let mut got = Vec::new();
    while got.is_empty() && t0.elapsed() < Duration::from_secs(10) {
        got = s.poll();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(got[0]
        .error
        .as_ref()
        .unwrap()
        .message
        .starts_with("CancelledError"));
}

#[test]
fn download_copies_atomically() {
    let e = engine();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.csv");
    std::fs::write(&src, "a,b\n1,2\n").unwrap();
    let dest = dir.path().join("out.csv");
    let (code, out, err) = script(
        &e,
        &format!(
            "j = download('file://{}', '{}')\nresult(j)\n",
            src.display(),
            dest.display()
        ),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("'{}'\n", dest.display()));
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "a,b\n1,2\n");
    let (code, _, err) = script(&e, "download('/no/such/file.csv', '/tmp/x.csv')\n");
    assert_eq!(code, 1);
    assert!(err.contains("/no/such/file.csv"), "{err}");
}

#[test]
fn client_configures_the_engine_and_visualize_writes_dot() {
    let e = engine();
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("g.dot");
    let (code, out, err) = script(
        &e,
        &format!(
            "from dask.distributed import Client\nclient = Client(n_workers=2, threads_per_worker=3, memory_limit='1GB')\n\
             client\nr = irange(10)\nclient.compute(r.sum()).result()\nr.sum().visualize('{}')\n",
            dot.display()
        ),
    );
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "<Client: 'inproc://tessera' workers=2 threads=6, memory=1.86 GiB>"
    );
    assert_eq!(lines[1], "45");
    assert!(
        lines[2].starts_with("wrote graph of 2 layer(s), 5 task(s) to "),
        "{}",
        lines[2]
    );
    assert_eq!(e.config().threads, 6);
    assert_eq!(e.config().memory_limit, Some(2_000_000_000));
    let text = std::fs::read_to_string(&dot).unwrap();
    assert!(
        text.contains("\\n4 tasks") && text.contains("\\n1 task\""),
        "{text}"
    );
}

#[test]
fn completion_uses_attributes_and_columns() {
    let e = engine();
    let mut s = session(&e, true);
    s.run_source(
        "import dask.dataframe as dd\nrng = irange(10)\nrows = 3",
        "c",
    );
    assert_eq!(s.complete("ro", 2), vec!["round", "rows"]);
    assert_eq!(
        s.complete("x = rng.", 8),
        vec![
            "rng.columns",
            "rng.compute",
            "rng.npartitions",
            "rng.persist",
            "rng.sum",
            "rng.visualize"
        ]
    );
    assert_eq!(
        s.complete("rng.npartitions + rng.c", 23),
        vec!["rng.columns", "rng.compute"]
    );
    assert_eq!(s.complete("rng['v", 6), vec!["value", "vsquared"]);
    assert_eq!(s.complete("rng[\"vs\"]", 7), vec!["vsquared"]);
    // Module attributes are the builtins, including the data modules' (dd.read_csv).
    assert!(s
        .complete("dd.read_", 8)
        .contains(&"dd.read_csv".to_string()));
    let names: Vec<String> = s.names().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["rng", "rows"], "imports are not datasets");
}

#[test]
fn download_over_plain_http_follows_redirects() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut paths = Vec::new();
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap().to_string();
            let mut stream = stream;
            if path == "/old" {
                write!(stream, "HTTP/1.0 302 Found\r\nLocation: /data.csv\r\n\r\n").unwrap();
            } else {
                let body = "x,y\n1,2\n3,4\n";
                write!(
                    stream,
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
            paths.push(path);
        }
        paths
    });
    let e = engine();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = script(
        &e,
        &format!(
            "j = download('http://127.0.0.1:{port}/old', '{}')\nresult(j)\n",
            dir.path().display()
        ),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    let dest = dir.path().join("old");
    assert_eq!(out, format!("'{}'\n", dest.display()));
    assert_eq!(std::fs::read_to_string(dest).unwrap(), "x,y\n1,2\n3,4\n");
    assert_eq!(server.join().unwrap(), vec!["/old", "/data.csv"]);
}

#[test]
fn a_job_waited_for_with_result_is_not_reported_again_by_poll() {
    let e = engine();
    let mut s = session(&e, true);
    let r = s.run_source("j = run(\"echo hi\")\nresult(j)\n", "w");
    assert!(
        r.iter().all(|x| x.error.is_none()),
        "{:?}",
        r.iter().map(|x| &x.error).collect::<Vec<_>>()
    );
    match r.last().and_then(|x| x.output.as_ref()) {
        Some(Output::Text(t)) => assert!(t.contains("hi"), "{t}"),
        other => panic!("no output: {other:?}"),
    }
    e.wait_all();
    assert!(
        s.poll().is_empty(),
        "the job's outcome was already the statement's"
    );
    // A job nobody waited for is still reported when it ends.
    s.run_source("k = run(\"echo later\")\n", "w");
    e.wait_all();
    let polled = s.poll();
    assert_eq!(polled.len(), 1);
}

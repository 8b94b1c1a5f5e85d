//! Larger-than-memory behaviour through the language, on a generated netCDF set: Client's memory
//! arguments, the memory guard before compute (and `force=True`), persisted data spilled to disk and read
//! back with the same values, bad limits refused with clear messages.

use std::path::Path;

use tessera::engine::{Engine, EngineConfig};
use tessera::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions};

/// 2 files × 1 year of 36 × 72 float32: about 7.6 MB in memory.
fn data(dir: &Path) -> String {
    write_cmip6_demo(
        dir,
        &Cmip6DemoOptions {
            files: 2,
            years_per_file: 1,
            nlat: 36,
            nlon: 72,
            seed: 3,
            zlib: false,
        },
    )
    .unwrap();
    dir.join("pr_day_*.nc").display().to_string()
}

fn run(e: &Engine, src: &str) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = tessera::lang::run_script(e.clone(), src, "memory.tess", true, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn engine() -> Engine {
    let e = Engine::new(EngineConfig {
        threads: 2,
        ..Default::default()
    });
    // The test process's real memory must not trigger pause or the limit: the test says what it is.
    e.set_process_memory_for_tests(Some(1));
    e
}

#[test]
fn client_sets_thresholds_and_refuses_a_limit_that_does_not_parse() {
    let e = engine();
    let (code, _, err) = run(&e, "Client(memory_limit=\"2 gigs\")\n");
    assert_ne!(code, 0);
    assert!(
        err.contains("Could not interpret 'gigs' as a byte unit"),
        "{err}"
    );
    let (code, _, err) = run(
        &e,
        "Client(memory_limit=\"4GB\", memory_pause_fraction=1.5)\n",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("memory_pause_fraction must be a fraction"),
        "{err}"
    );
    let (code, out, err) = run(
        &e,
        "Client(memory_limit=\"4GB\", memory_spill_fraction=False, memory_target_fraction=0.5, max_spill=\"10GB\")\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let cfg = e.config();
    assert_eq!(cfg.memory_limit, Some(4_000_000_000));
    assert_eq!(
        (cfg.target, cfg.spill, cfg.pause),
        (Some(0.5), None, Some(0.8))
    );
    assert_eq!(cfg.max_spill, Some(10_000_000_000));
    let snap = e.snapshot().memory;
    assert_eq!(
        (snap.limit, snap.spill, snap.paused),
        (Some(4_000_000_000), None, false)
    );
}

#[test]
fn the_guard_refuses_a_result_larger_than_the_limit_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let glob = data(dir.path());
    let e = engine();
    let src =
        format!("Client(memory_limit=\"4MB\")\nds = open_mfdataset({glob:?})\ncompute(ds.pr)\n");
    let (code, _, err) = run(&e, &src);
    assert_ne!(code, 0);
    assert!(err.contains("MemoryError"), "{err}");
    assert!(
        err.contains("this result needs about 7.") && err.contains("the limit is 3.81 MiB"),
        "{err}"
    );
    assert!(err.contains("to_netcdf/to_parquet"), "{err}");
    // The method form is guarded the same way.
    let src = format!(
        "Client(memory_limit=\"4MB\")\nds = open_mfdataset({glob:?})\n(ds.pr * 2).compute()\n"
    );
    let (code, _, err) = run(&e, &src);
    assert_ne!(code, 0);
    assert!(err.contains("this result needs about 7."), "{err}");
    // Reduced first, it fits; forced, the guard lets it through.
    let src = format!(
        "Client(memory_limit=\"4MB\")\nds = open_mfdataset({glob:?})\nds.pr.mean(\"time\").compute()\nx = compute(ds.pr, force=True)[0]\nx.shape\ny = ds.pr.compute(force=True)\ny.shape\n"
    );
    let (code, out, err) = run(&e, &src);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("730"), "{out}");
}

#[test]
fn persisted_data_past_target_spills_to_disk_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let spill = tempfile::tempdir().unwrap();
    let glob = data(dir.path());
    let e = engine();
    let reference = {
        let src = format!(
            "ds = open_mfdataset({glob:?}, chunks={{\"time\": 30}})\nds.pr.mean(\"time\").max().compute()\n"
        );
        let (code, out, err) = run(&e, &src);
        assert_eq!(code, 0, "{out}{err}");
        out
    };
    // 7.6 MB persisted under a 5 MB limit: target (3 MB) is exceeded, the rest goes to disk.
    let src = format!(
        "Client(memory_limit=\"5MB\", local_directory={:?})\nds = open_mfdataset({glob:?}, chunks={{\"time\": 30}})\np = ds.pr.persist()\nwait(p)\n",
        spill.path().display().to_string()
    );
    let mut s = tessera::lang::session::Session::new(e.clone(), false);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code =
        tessera::lang::session::run_session(&mut s, &src, "m.tess", true, &mut out, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    e.check_memory();
    assert!(e.spilled_bytes() > 0);
    assert!(e.managed_bytes() <= 3_000_000, "{}", e.managed_bytes());
    assert!(e.snapshot().memory.spilled > 0);
    let files = std::fs::read_dir(spill.path()).unwrap().count();
    assert_eq!(files, 1, "one spill directory for this process");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let src = "futures_of(p)\np.mean(\"time\").max().compute()\n";
    let code = tessera::lang::session::run_session(&mut s, src, "m.tess", true, &mut out, &mut err);
    let out = String::from_utf8_lossy(&out).into_owned();
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    assert!(out.contains("disk"), "{out}");
    assert!(out.ends_with(&reference), "{out}\nvs\n{reference}");
    drop(s);
    e.restart();
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(e.spilled_bytes(), 0);
    assert_eq!(
        std::fs::read_dir(spill.path()).unwrap().count(),
        0,
        "restart removes the spill directory"
    );
}

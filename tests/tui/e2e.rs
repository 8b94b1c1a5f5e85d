//! End to end: the real `tessera` binary in a detached tmux session (its own server socket, an
//! isolated HOME and XDG dirs, a small generated demo), driven with `send-keys` and read with
//! `capture-pane`. Every wait polls the screen against a deadline, so the test is as fast as the
//! machine allows and generous on a loaded CI box. Skipped (with a message) when tmux is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tessera::demo::{write_demo, DemoOptions};
use tessera::io::demo_bom::BomDemoOptions;
use tessera::io::demo_cmip6::Cmip6DemoOptions;

/// How long any one screen change may take (a 2-core CI machine running tests in parallel).
const DEADLINE: Duration = Duration::from_secs(20);

/// The session the test opens: load the CSVs, persist a filter, then a long shell job to cancel.
const SESSION: &str = "\
# Load the demo CSVs, one partition per file.
ddf = read_csv(\"Weather_Stations_ACT/IDCJAC0009_*_*/IDCJAC0009*.csv\")
# Keep the wet days in memory.
wet = persist(ddf[ddf[\"Rainfall amount (millimetres)\"] > 1])
# A long job to cancel.
slow = run(\"sleep 120\")
";

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own (its own socket), killed on drop even when an assertion fails.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        let o = self.cmd(&args);
        assert!(o.status.success(), "send-keys {keys:?}: {o:?}");
    }

    /// Type literal text (no key-name lookup).
    fn text(&self, text: &str) {
        let o = self.cmd(&["send-keys", "-t", "e2e", "-l", text]);
        assert!(o.status.success(), "send-keys -l {text:?}: {o:?}");
    }

    /// Poll the screen until `ok` holds; the last screen is in the failure message.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                t0.elapsed() < DEADLINE,
                "timed out after {DEADLINE:?} waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn option(&self, name: &str) -> String {
        let o = self.cmd(&["display-message", "-p", "-t", "e2e", name]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// A scratch directory removed on drop (also when an assertion fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    let d = std::env::temp_dir().join(format!("tessera-tui-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

fn small_demo(dir: &Path) {
    let opts = DemoOptions {
        bom: Some(BomDemoOptions {
            stations: 4,
            first_year: 2015,
            last_year: 2018,
            seed: 3,
            ..Default::default()
        }),
        cmip6: Some(Cmip6DemoOptions {
            files: 1,
            years_per_file: 1,
            nlat: 6,
            nlon: 12,
            seed: 3,
            zlib: false,
        }),
    };
    write_demo(dir, &opts).unwrap();
}

/// The line of the Jobs pane for a job whose label contains `label` (the left column of the
/// 160-column layout), if it shows.
fn job_line<'a>(screen: &'a str, label: &str) -> Option<&'a str> {
    screen
        .lines()
        .filter_map(|l| l.split("││").next())
        .find(|l| l.contains(label) && l.contains('/'))
}

/// The command line has the focus when its hints show in the status bar.
fn focus_is_command_line(s: &str) -> bool {
    s.lines().last().is_some_and(|l| l.contains("enter run"))
}

#[test]
fn workbench_runs_persists_cancels_and_quits_in_a_real_terminal() {
    if !tmux_available() {
        eprintln!("SKIPPED workbench end-to-end test: `tmux` is not on PATH (CI installs it)");
        return;
    }
    let scratch = scratch();
    let home = scratch.0.join("home");
    let demo = scratch.0.join("demo");
    std::fs::create_dir_all(&home).unwrap();
    small_demo(&demo);
    std::fs::write(demo.join("e2e.tess"), SESSION).unwrap();

    let tm = Tmux {
        socket: format!("tessera-e2e-{}", std::process::id()),
    };
    let bin = env!("CARGO_BIN_EXE_tessera");
    let h = home.display();
    // The shell prints the exit code after the workbench leaves, then stays so the pane can be read.
    let shell = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/.config XDG_CACHE_HOME={h}/.cache \
         XDG_DATA_HOME={h}/.local/share TERM=xterm-256color \
         {bin} --threads 2 open e2e.tess; echo TESSERA-EXIT=$?; sleep 600"
    );
    let demo_s = demo.display().to_string();
    let o = tm.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "160",
        "-y",
        "48",
        "-c",
        &demo_s,
        "sh",
        "-c",
        &shell,
    ]);
    assert!(o.status.success(), "tmux new-session: {o:?}");

    // The tour opens with the first statement on the command line.
    tm.wait_for("the tour's first statement", |s| {
        s.contains("e2e.tess · step 1/3") && s.contains(">>> ddf = read_csv(")
    });
    assert_eq!(
        tm.option("#{alternate_on}"),
        "1",
        "the workbench uses the alternate screen"
    );

    // 1. Load the CSVs: the Datasets pane lists the frame with its partitions (one per file).
    tm.keys(&["Enter"]);
    let s = tm.wait_for("ddf in the Datasets pane", |s| {
        s.lines()
            .any(|l| l.contains("ddf") && l.contains("DataFrame") && l.contains(" 4 "))
    });
    assert!(s.contains("In [1]: ddf = read_csv("), "{s}");

    // 2. Persist: the job runs in the background, finishes, and its data is held.
    tm.wait_for("step 2 on the command line", |s| {
        s.contains(">>> wet = persist(")
    });
    tm.keys(&["Enter"]);
    let s = tm.wait_for("the persist job done in the Jobs pane", |s| {
        job_line(s, "persist").is_some_and(|l| l.contains("done"))
    });
    let line = job_line(&s, "persist").unwrap();
    assert!(line.contains('█'), "a full progress bar: {line}");
    tm.wait_for("wet held in memory", |s| {
        s.lines().any(|l| l.contains("wet") && l.contains('●'))
    });
    // The background result names the statement it answers.
    tm.wait_for("the persist result in Output", |s| {
        s.contains("Done: wet = persist(")
    });

    // 3. A long job: running, then cancelled from the Jobs pane with x and a confirmation.
    tm.wait_for("step 3 on the command line", |s| {
        s.contains(">>> slow = run(")
    });
    tm.keys(&["Enter"]);
    tm.wait_for("the long job running", |s| {
        job_line(s, "sleep 120").is_some_and(|l| l.contains("running"))
    });
    // Each key waits for the previous one to show, so Escape is never read as Alt+<key>.
    tm.keys(&["Escape"]);
    tm.wait_for("the command line to lose the focus", |s| {
        !focus_is_command_line(s)
    });
    tm.keys(&["3"]);
    tm.wait_for("the Jobs pane focused", |s| {
        s.lines().last().is_some_and(|l| l.contains("x cancel"))
    });
    tm.keys(&["x"]);
    tm.wait_for("the cancel confirmation", |s| s.contains("Cancel job"));
    tm.keys(&["y"]);
    tm.wait_for("the long job cancelled", |s| {
        job_line(s, "sleep 120").is_some_and(|l| l.contains("cancelled"))
    });
    // The job's result (polled once a second) reports the cancellation as a warning, not an error.
    tm.wait_for("the cancellation in Output", |s| {
        s.contains("Failed: slow = run(") && s.contains("CancelledError") && s.contains("0 errors")
    });

    // 4. An error: a statement that fails shows in the output and the Log pane.
    tm.keys(&[":"]);
    tm.wait_for("the command line focused", focus_is_command_line);
    tm.text("bad = read_csv(\"nope/*.csv\")");
    tm.keys(&["Enter"]);
    tm.wait_for("the error in the Log pane", |s| {
        s.contains("1 errors") && s.lines().any(|l| l.contains("E OSError"))
    });

    // 5. Quit: the process exits with 0 and the shell's screen is back.
    tm.keys(&["Escape"]);
    tm.wait_for("the command line to lose the focus", |s| {
        !focus_is_command_line(s)
    });
    tm.keys(&["q"]);
    let s = tm.wait_for("the workbench to exit", |s| s.contains("TESSERA-EXIT="));
    assert!(s.contains("TESSERA-EXIT=0"), "exit status:\n{s}");
    assert!(!s.contains("Jobs"), "the workbench's screen is gone:\n{s}");
    assert_eq!(tm.option("#{alternate_on}"), "0", "alternate screen left");
}

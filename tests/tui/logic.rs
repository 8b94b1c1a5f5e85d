//! View-model logic: filters, selection, confirmations, ctrl+c, quitting, the command line, the tour,
//! saving, exports, driven through the controller with a fake engine and console.

use std::sync::Arc;

use tessera::engine::{JobId, JobStatus};
use tessera::ui::dot::job_to_dot;
use tessera::ui::keys::parse_chord;
use tessera::ui::state::rows::{graph_rows, job_rows, GraphRow};
use tessera::ui::state::tour::Tour;
use tessera::ui::{Command, Dialog, FakeConsole, Grid, Pane, View, Workbench};

use crate::fixtures::{snapshot, view, FakeEngine};

fn press(v: &mut View, keys: &str) -> Vec<Command> {
    keys.split_whitespace()
        .flat_map(|k| v.handle_key(parse_chord(k).unwrap()))
        .collect()
}

#[test]
fn filter_and_selection() {
    let mut v = view();
    v.focus_pane(Pane::Jobs);
    assert_eq!(job_rows(&v), vec![2, 1, 0], "newest first");
    press(&mut v, "/ f a i l");
    assert!(v.jobs_sel.filtering);
    assert_eq!(job_rows(&v), vec![1]);
    // While filtering, 'q' types into the filter instead of quitting.
    assert!(press(&mut v, "q").is_empty());
    assert_eq!(v.jobs_sel.filter, "failq");
    assert!(job_rows(&v).is_empty());
    press(&mut v, "backspace enter");
    assert!(!v.jobs_sel.filtering);
    assert_eq!(job_rows(&v), vec![1]);
    press(&mut v, "esc");
    assert_eq!(job_rows(&v).len(), 3);
    press(&mut v, "j j j j");
    assert_eq!(v.jobs_sel.selected, 2, "selection stops at the last row");
    press(&mut v, "g");
    assert_eq!(v.jobs_sel.selected, 0);
    // The graph follows the selected job.
    assert_eq!(v.graph_job().unwrap().id, JobId(3));
    press(&mut v, "j");
    assert_eq!(v.graph_job().unwrap().id, JobId(2));
}

#[test]
fn graph_orders_layers_and_expands() {
    let mut v = view();
    let rows = graph_rows(&v);
    let depths: Vec<usize> = rows
        .iter()
        .map(|r| match r {
            GraphRow::Layer { depth, .. } => *depth,
            GraphRow::Tasks { .. } => 99,
        })
        .collect();
    assert_eq!(depths, vec![0, 1, 2, 3]);
    v.focus_pane(Pane::Graph);
    press(&mut v, "j space");
    assert_eq!(graph_rows(&v)[2], GraphRow::Tasks { index: 1 });
    press(&mut v, "space");
    assert_eq!(graph_rows(&v).len(), 4);
    let dot = job_to_dot(v.graph_job().unwrap());
    assert!(
        dot.contains("L5 -> L6;") && dot.contains("L7 -> L8;"),
        "{dot}"
    );
    assert!(
        dot.contains("groupby-chunk-1e2f\\n250 / 400 tasks"),
        "{dot}"
    );
    assert_eq!(press(&mut v, "v"), vec![Command::ExportDot(JobId(3))]);
}

#[test]
fn cancel_asks_and_ctrl_c_never_quits() {
    let mut v = view();
    v.focus_pane(Pane::Jobs);
    assert!(press(&mut v, "x").is_empty());
    assert!(
        matches!(&v.dialog, Some(Dialog::Confirm { question, .. }) if question.starts_with("Cancel job 3"))
    );
    assert!(press(&mut v, "n").is_empty());
    assert!(v.dialog.is_none());
    press(&mut v, "x");
    assert_eq!(press(&mut v, "y"), vec![Command::CancelJob(JobId(3))]);
    // A finished job is not cancelled.
    press(&mut v, "j x");
    assert!(v.dialog.is_none());
    assert_eq!(v.status.as_deref(), Some("job 2 is already failed"));
    assert_eq!(press(&mut v, "X enter"), vec![Command::CancelAll]);
    // ctrl+c cancels the newest running job at once, from any pane.
    v.focus_pane(Pane::CommandLine);
    assert_eq!(press(&mut v, "ctrl-c"), vec![Command::CancelJob(JobId(3))]);
    // q with running jobs asks; on the command line it is just a letter.
    assert!(press(&mut v, "q").is_empty());
    assert_eq!(v.input.text, "q");
    press(&mut v, "esc q");
    assert!(matches!(
        &v.dialog,
        Some(Dialog::Confirm {
            then: Command::Quit,
            ..
        })
    ));
    assert_eq!(press(&mut v, "y"), vec![Command::Quit]);
    // With nothing running, q quits at once and ctrl+c only says so.
    let mut idle = View::with_defaults();
    idle.focus_pane(Pane::Output);
    assert!(press(&mut idle, "ctrl-c").is_empty());
    assert_eq!(idle.status.as_deref(), Some("nothing is running (q quits)"));
    assert_eq!(press(&mut idle, "q"), vec![Command::Quit]);
}

#[test]
fn enter_continues_unfinished_statements() {
    let mut v = View::with_defaults();
    v.input.set("for i in x:");
    assert!(press(&mut v, "enter").is_empty());
    assert_eq!(v.input.text, "for i in x:\n    ");
    v.input.insert("print(i,");
    assert!(press(&mut v, "enter").is_empty(), "open bracket continues");
    v.input.insert("1)");
    assert!(press(&mut v, "enter").is_empty(), "still inside the block");
    let cmds = press(&mut v, "enter");
    let source = "for i in x:\n    print(i,\n    1)".to_string();
    assert_eq!(
        cmds,
        vec![Command::Run {
            source,
            filename: "<input>".into()
        }]
    );
}

#[test]
fn heatmap_of_the_selected_dataset() {
    let engine = FakeEngine::new(snapshot());
    let mut console = FakeConsole::default();
    let mut v = view();
    v.focus_pane(Pane::Datasets);
    assert!(
        press(&mut v, "m").is_empty(),
        "df is a frame: nothing to draw"
    );
    assert_eq!(v.status.as_deref(), Some("df has no 2-D data to draw"));
    let cmds = press(&mut v, "j m");
    assert_eq!(
        cmds,
        vec![Command::Heatmap {
            name: "ds".into(),
            var: Some("t2m".into())
        }]
    );
    let mut wb = Workbench::new(v, &engine, &mut console);
    wb.execute(cmds.clone());
    assert_eq!(
        wb.view.status.as_deref(),
        Some("heatmap: ds is not an array")
    );
    drop(wb);
    let grid = Grid {
        rows: 2,
        cols: 2,
        values: vec![1.0, 2.0, f64::NAN, 4.0],
        y: "lat".into(),
        x: "lon".into(),
        at: "time=0".into(),
    };
    let mut console = FakeConsole {
        grid: Some(grid),
        ..Default::default()
    };
    let mut wb = Workbench::new(view(), &engine, &mut console);
    wb.execute(cmds);
    match &wb.view.dialog {
        Some(Dialog::Heatmap { title, grid }) => {
            assert_eq!(title, "ds.t2m[lat × lon] time=0");
            assert_eq!(grid.range(), Some((1.0, 4.0)), "NaN is skipped");
        }
        d => panic!("heatmap expected, got {d:?}"),
    }
    press(&mut wb.view, "esc");
    assert!(wb.view.dialog.is_none());
}

#[test]
fn read_only_refuses_changes() {
    let mut v = view();
    v.read_only = true;
    v.focus_pane(Pane::Jobs);
    assert!(press(&mut v, "x X R").is_empty());
    assert!(v.dialog.is_none());
    v.focus_pane(Pane::CommandLine);
    v.input.set("1 + 1");
    assert!(press(&mut v, "enter").is_empty());
    assert_eq!(
        v.status.as_deref(),
        Some("read-only workbench: this action is disabled")
    );
}

#[test]
fn command_line_runs_completes_and_tours() {
    let engine = FakeEngine::new(snapshot());
    let mut console = FakeConsole {
        words: vec!["read_csv".into(), "read_parquet".into()],
        ..Default::default()
    };
    let mut wb = Workbench::new(View::with_defaults(), &engine, &mut console);
    for c in "x = rea".chars() {
        let cmds = wb.view.handle_key(parse_chord(&c.to_string()).unwrap());
        wb.execute(cmds);
    }
    let cmds = press(&mut wb.view, "tab");
    wb.execute(cmds);
    assert_eq!(wb.view.input.text, "x = read_");
    assert_eq!(wb.view.input.candidates, vec!["read_csv", "read_parquet"]);
    let cmds = press(&mut wb.view, "enter");
    wb.execute(cmds);
    assert_eq!(wb.view.cells.len(), 1);
    assert_eq!(wb.view.cells[0].entry.source, "x = read_");
    assert_eq!(wb.view.cells[0].number, 1);
    assert_eq!(wb.view.snapshot.version, 42, "a run pulls a fresh snapshot");
    // History brings it back.
    press(&mut wb.view, "up");
    assert_eq!(wb.view.input.text, "x = read_");
    press(&mut wb.view, "ctrl-u");

    // A session file: each Enter runs the next statement; notes go to the output.
    wb.view.start_tour(Tour::new(
        "tutorial.py",
        "# Step one\na = 1\nraise boom\nb = (a +\n  1)\n",
    ));
    assert_eq!(wb.view.input.text, "a = 1");
    for _ in 0..3 {
        let cmds = press(&mut wb.view, "enter");
        wb.execute(cmds);
    }
    let ran: Vec<&str> = wb
        .view
        .cells
        .iter()
        .filter(|c| c.number > 0)
        .map(|c| c.entry.source.as_str())
        .collect();
    assert_eq!(ran, ["x = read_", "a = 1", "raise boom", "b = (a +\n  1)"]);
    assert!(wb.view.tour.as_ref().unwrap().done());
    // The failed statement and the snapshot's failed job are both logged.
    assert_eq!(wb.view.log.errors(), 2);
    assert!(wb
        .view
        .log
        .entries
        .iter()
        .any(|e| e.chain == ["boom", "caused by: fake"]));
    let notes = wb.view.cells.iter().filter(|c| c.note).count();
    assert_eq!(notes, 3, "intro, step note, end of file");

    // ctrl+s saves what was typed to the chosen path.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions/mine.py");
    press(&mut wb.view, "ctrl-s");
    let Some(Dialog::Prompt { text, .. }) = &wb.view.dialog else {
        panic!("prompt expected")
    };
    assert!(text.starts_with("sessions/session-") && text.ends_with(".py"));
    wb.view.dialog = Some(Dialog::Prompt {
        label: "Save".into(),
        text: String::new(),
    });
    wb.view.handle_paste(path.to_str().unwrap());
    let cmds = press(&mut wb.view, "enter");
    wb.execute(cmds);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.ends_with("x = read_\na = 1\nraise boom\nb = (a +\n  1)\n"),
        "{saved}"
    );
}

#[test]
fn controller_cancels_restarts_and_logs_failures() {
    let engine = FakeEngine::new(snapshot());
    let mut console = FakeConsole::default();
    let mut wb = Workbench::new(View::with_defaults(), &engine, &mut console);
    assert!(wb.refresh());
    // The failed job is logged once, keyed by its layer, with the file it worked on.
    assert_eq!(wb.view.log.entries.len(), 1);
    assert_eq!(wb.view.log.entries[0].key, "layer:open-dataset-5e6f");
    assert_eq!(
        wb.view.log.entries[0].chain.last().unwrap(),
        "while working on data/era5_1987.nc"
    );
    wb.view.set_snapshot(Arc::new(snapshot()));
    assert_eq!(wb.view.log.entries[0].count, 1);
    wb.execute(vec![Command::CancelAll, Command::Restart]);
    assert_eq!(*engine.cancelled.lock(), vec![JobId(3)]);
    assert_eq!(*engine.restarts.lock(), 1);
    // Nothing changed and nothing runs: no redraw needed.
    engine
        .snap
        .lock()
        .jobs
        .iter_mut()
        .for_each(|j| j.status = JobStatus::Done);
    engine.snap.lock().version = 43;
    assert!(wb.refresh());
    assert!(!wb.refresh(), "idle: same version, no running job");
    wb.execute(vec![Command::Quit]);
    assert!(wb.quit);
}

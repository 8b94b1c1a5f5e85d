//! Snapshot tests: each pane drawn alone at 80x24 (the smallest supported terminal), the full
//! dashboard at 160x48 and at 80x24, and the dialogs.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tessera::lang::object::{Output, Table};
use tessera::ui::draw::{draw_frame, draw_pane};
use tessera::ui::keys::parse_chord;
use tessera::ui::{ConsoleEntry, ConsoleError, Pane, View};

use crate::fixtures::{snapshot, view, FakeEngine};
use tessera::ui::app::fetch_tasks;
use tessera::ui::state::tasklist::FETCH;

fn render(v: &View, w: u16, h: u16, pane: Option<Pane>) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| match pane {
        Some(p) => draw_pane(v, p, f, f.area()),
        None => draw_frame(v, f),
    })
    .unwrap();
    t.backend().to_string()
}

fn key(v: &mut View, k: &str) {
    let cmds = v.handle_key(parse_chord(k).unwrap());
    assert!(cmds.is_empty(), "unexpected commands {cmds:?}");
}

fn with_output(v: &mut View) {
    let table = Table {
        index_name: Some("station".into()),
        columns: vec![
            "count".into(),
            "mean".into(),
            "std".into(),
            "min".into(),
            "max".into(),
        ],
        index: vec!["BER".into(), "HEL".into(), "OSL".into()],
        rows: vec![
            vec![
                "8760".into(),
                "9.81".into(),
                "7.45".into(),
                "-14.2".into(),
                "35.1".into(),
            ],
            vec![
                "8760".into(),
                "6.02".into(),
                "8.11".into(),
                "-25.0".into(),
                "31.0".into(),
            ],
            vec![
                "8759".into(),
                "NaN".into(),
                "NaN".into(),
                "NaN".into(),
                "NaN".into(),
            ],
        ],
        footer: Some("[3 rows x 5 columns]".into()),
    };
    let entries = vec![
        ConsoleEntry {
            line: 1,
            source: "df = read_csv('data/*.csv')".into(),
            output: None,
            error: None,
        },
        ConsoleEntry {
            line: 2,
            source: "df.npartitions".into(),
            output: Some(Output::Text("400".into())),
            error: None,
        },
        ConsoleEntry {
            line: 3,
            source: "df.groupby('station').temp.describe()".into(),
            output: Some(Output::Table(table)),
            error: None,
        },
        ConsoleEntry {
            line: 4,
            source: "df['tmp']".into(),
            output: None,
            error: Some(ConsoleError {
                message: "KeyError: 'tmp'".into(),
                chain: vec![
                    "KeyError: 'tmp'".into(),
                    "no column 'tmp'; did you mean 'temp'?".into(),
                ],
                ..Default::default()
            }),
        },
    ];
    v.add_entries(entries, true);
}

#[test]
fn pane_output() {
    let mut v = view();
    with_output(&mut v);
    insta::assert_snapshot!("output_80x24", render(&v, 80, 24, Some(Pane::Output)));
    v.focus_pane(Pane::Output);
    key(&mut v, "l");
    key(&mut v, "l");
    key(&mut v, "g");
    insta::assert_snapshot!("output_scrolled", render(&v, 80, 12, Some(Pane::Output)));
}

#[test]
fn pane_jobs() {
    let v = view();
    insta::assert_snapshot!("jobs_80x24", render(&v, 80, 24, Some(Pane::Jobs)));
    insta::assert_snapshot!("jobs_160", render(&v, 160, 8, Some(Pane::Jobs)));
}

#[test]
fn pane_graph() {
    let mut v = view();
    v.focus_pane(Pane::Graph);
    key(&mut v, "j");
    key(&mut v, "space");
    insta::assert_snapshot!("graph_80x24", render(&v, 80, 24, Some(Pane::Graph)));
    insta::assert_snapshot!("graph_120", render(&v, 120, 10, Some(Pane::Graph)));
}

#[test]
fn pane_graph_tasks() {
    let eng = FakeEngine::new(snapshot());
    let mut v = view();
    v.focus_pane(Pane::Graph);
    key(&mut v, "j");
    key(&mut v, "enter");
    fetch_tasks(&mut v, &eng);
    key(&mut v, "j");
    fetch_tasks(&mut v, &eng);
    insta::assert_snapshot!("graph_tasks_80x24", render(&v, 80, 24, Some(Pane::Graph)));
    // The last of a million tasks: only the window around it is fetched and drawn.
    key(&mut v, "G");
    fetch_tasks(&mut v, &eng);
    assert_eq!(v.graph_tasks.as_ref().unwrap().selected, 999_999);
    insta::assert_snapshot!(
        "graph_tasks_end_120",
        render(&v, 120, 10, Some(Pane::Graph))
    );
    assert!(eng.asked.lock().iter().all(|&(_, limit)| limit <= FETCH));
    assert_eq!(eng.asked.lock().last(), Some(&(999_999 - FETCH / 2, FETCH)));
    // Back to the layers, selection where it was.
    key(&mut v, "esc");
    assert!(v.graph_tasks.is_none());
    assert_eq!(v.graph_sel.selected, 1);
    // A finished job's tasks are gone: the pane says so and keeps the counts.
    key(&mut v, "3");
    key(&mut v, "j");
    key(&mut v, "4");
    key(&mut v, "l");
    fetch_tasks(&mut v, &eng);
    let out = render(&v, 100, 6, Some(Pane::Graph));
    assert!(out.contains("tasks are gone"), "{out}");
    key(&mut v, "h");
    assert!(v.graph_tasks.is_none());
}

#[test]
fn pane_memory() {
    let v = view();
    insta::assert_snapshot!("memory_80x24", render(&v, 80, 24, Some(Pane::Memory)));
}

#[test]
fn pane_stream() {
    let v = view();
    insta::assert_snapshot!("stream_80x24", render(&v, 80, 24, Some(Pane::Stream)));
}

#[test]
fn pane_datasets() {
    let mut v = view();
    insta::assert_snapshot!("datasets_80x24", render(&v, 80, 24, Some(Pane::Datasets)));
    v.focus_pane(Pane::Datasets);
    key(&mut v, "j");
    insta::assert_snapshot!(
        "datasets_120_ncdump",
        render(&v, 120, 20, Some(Pane::Datasets))
    );
}

#[test]
fn pane_log() {
    let mut v = view();
    with_output(&mut v);
    insta::assert_snapshot!("log_80x24", render(&v, 80, 24, Some(Pane::Log)));
}

#[test]
fn dashboard_and_small_terminal() {
    let mut v = view();
    with_output(&mut v);
    v.input.set("df.temp.mea");
    v.input.candidates = vec!["mean".into(), "median".into()];
    insta::assert_snapshot!("dashboard_160x48", render(&v, 160, 48, None));
    v.focus_pane(Pane::Jobs);
    insta::assert_snapshot!("dashboard_80x24_jobs", render(&v, 80, 24, None));
}

#[test]
fn dialogs() {
    let mut v = view();
    v.focus_pane(Pane::Jobs);
    // The newest job (running) is selected first: x asks before cancelling.
    key(&mut v, "x");
    insta::assert_snapshot!("confirm_cancel", render(&v, 80, 24, None));
    key(&mut v, "esc");
    key(&mut v, "?");
    insta::assert_snapshot!("help_jobs", render(&v, 80, 24, None));
    key(&mut v, "esc");
    key(&mut v, "j");
    key(&mut v, "enter");
    insta::assert_snapshot!("detail_failed_job", render(&v, 100, 30, None));
}

fn grid() -> tessera::ui::Grid {
    // A diagonal ramp with a missing corner: values rise left to right and top to bottom.
    let (rows, cols) = (8, 16);
    let mut values: Vec<f64> = (0..rows * cols)
        .map(|i| ((i / cols) + (i % cols)) as f64)
        .collect();
    values[0] = f64::NAN;
    tessera::ui::Grid {
        rows,
        cols,
        values,
        y: "lat".into(),
        x: "lon".into(),
        at: "time=0".into(),
    }
}

#[test]
fn heatmap_monochrome_and_colour() {
    let mut v = view();
    v.dialog = Some(tessera::ui::Dialog::Heatmap {
        title: "ds.t2m[lat × lon] time=0".into(),
        grid: grid(),
    });
    let colour = render(&v, 60, 16, None);
    assert!(colour.contains('▀'), "{colour}");
    assert!(
        colour.contains("1 █") && colour.contains("█ 22  lat"),
        "scale shows min and max"
    );
    v.theme = tessera::ui::Theme::mono();
    insta::assert_snapshot!("heatmap_mono", render(&v, 60, 16, None));
}

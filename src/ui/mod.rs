//! The Tessera workbench: a ratatui TUI over the engine and the language session.
//!
//! Structure (gitui's loop, television's drawing):
//! - [`state`]: the view model ([`View`]) and its pure logic: keys → changes + [`Command`]s.
//! - [`draw`]: pure `draw(&View, frame, area)` functions, one module per pane.
//! - [`app`]: executes commands against the engine ([`EngineLink`]) and the session ([`Console`]).
//! - [`runner`]: the event loop; [`terminal`]: terminal setup and restoration.
//! - [`keymap`], [`theme`], [`layout`]: embedded TOML defaults with the user's files merged on top.

pub mod app;
pub mod console;
pub mod describe;
pub mod dot;
pub mod draw;
pub mod format;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod pane;
pub mod runner;
mod session;
pub mod state;
pub mod terminal;
pub mod theme;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;

pub use app::{EngineLink, Workbench};
pub use console::{Console, ConsoleEntry, ConsoleError, DatasetInfo, FakeConsole, Grid, Variable};
pub use describe::describe_obj;
pub use keymap::{Action, Keymap};
pub use layout::LayoutConfig;
pub use pane::Pane;
pub use state::{Command, Dialog, View};
pub use theme::Theme;

use crate::engine::Engine;

/// How the workbench opens.
#[derive(Debug, Clone, Default)]
pub struct WorkbenchOptions {
    /// A session file to step through (each Enter runs its next statement).
    pub session_file: Option<PathBuf>,
    /// A theme name (`dark`, `light`, `16color`, a file in the config dir's `themes/`) or a path.
    pub theme: Option<String>,
    /// Look, don't touch: no statements, no cancelling, no restart.
    pub read_only: bool,
}

/// `~/.config/tessera` (or the platform's config dir).
pub fn config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("tessera"))
}

/// Build the view: theme, keymap, layout (user files over embedded defaults), history, tour.
pub fn build_view(opts: &WorkbenchOptions, config: Option<&Path>) -> anyhow::Result<View> {
    let theme = Theme::resolve(opts.theme.as_deref(), config)?;
    let keymap = Keymap::load(config.map(|d| d.join("keymap.toml")).as_deref())?;
    let layout = LayoutConfig::load(config.map(|d| d.join("layout.toml")).as_deref())?;
    let mut view = View::new(theme, keymap, layout);
    view.read_only = opts.read_only;
    if let Some(d) = dirs::data_dir() {
        view.input.history = state::history::History::open(d.join("tessera").join("history"));
    }
    if let Some(p) = &opts.session_file {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading session file {}", p.display()))?;
        let name = p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        view.start_tour(state::tour::Tour::new(&name, &text));
    }
    Ok(view)
}

/// Run the workbench with a given session (the real `lang::Session`, or a fake).
pub fn run_with_console(
    engine: &dyn EngineLink,
    console: &mut (dyn Console + Send),
    opts: WorkbenchOptions,
) -> anyhow::Result<()> {
    // Configuration errors are reported before the terminal changes mode, so they are readable.
    let view = build_view(&opts, config_dir().as_deref())?;
    let mut wb = Workbench::new(view, engine, console);
    wb.view.datasets = wb.console.names();
    let mut guard = terminal::TerminalGuard::enter().context("setting up the terminal")?;
    let stop = Arc::new(AtomicBool::new(false));
    let input = runner::spawn_input(stop.clone());
    let result = runner::run_loop(&mut guard, &mut wb, input);
    stop.store(true, Ordering::Relaxed);
    drop(guard);
    result
}

/// The binary's entry point for `tessera` without a script: the workbench over a real language session.
pub fn run_workbench(engine: Engine, opts: WorkbenchOptions) -> anyhow::Result<()> {
    let mut console = crate::lang::Session::new(engine.clone(), true);
    run_with_console(&engine, &mut console, opts)
}

//! Workbench tests: pane snapshots (TestBackend + insta), keymap/theme/layout TOML parsing with
//! valid and invalid fixtures, and view-model logic (filters, selection, dialogs, tour) driven through
//! the controller with a fake engine and a fake console; and the real binary driven in tmux.

#[path = "tui/config.rs"]
mod config;
#[path = "tui/e2e.rs"]
mod e2e;
#[path = "tui/fixtures.rs"]
mod fixtures;
#[path = "tui/logic.rs"]
mod logic;
#[path = "tui/panes.rs"]
mod panes;
#[path = "tui/slice.rs"]
mod slice;

//! Keymap: actions bound to key chords per section (`[global]` and one per pane), from the embedded
//! `keymap.toml` with the user's file merged on top (television's scheme).

use std::collections::HashMap;
use std::path::Path;

use super::keys::{parse_chord, KeyChord};
use super::pane::Pane;
use crate::error::{Error, Result};

macro_rules! actions {
    ($($v:ident => $n:literal : $d:literal),* $(,)?) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($v),* }
        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$v),*];
            /// The name used in keymap files.
            pub fn name(self) -> &'static str { match self { $(Action::$v => $n),* } }
            /// What the help pane says about it.
            pub fn describe(self) -> &'static str { match self { $(Action::$v => $d),* } }
            pub fn from_name(s: &str) -> Option<Action> {
                match s { $($n => Some(Action::$v),)* _ => None }
            }
        }
    };
}

actions! {
    Quit => "quit": "quit (asks when jobs run)",
    Help => "help": "show the keys of the focused pane",
    NextPane => "next_pane": "focus the next pane",
    PrevPane => "prev_pane": "focus the previous pane",
    CommandLine => "command_line": "focus the command line",
    Expand => "expand": "expand the focused pane / restore the layout",
    Restart => "restart": "restart the engine: cancel every job, drop every result (asks)",
    Interrupt => "interrupt": "cancel the running job (never quits)",
    SaveSession => "save_session": "save what was typed as a session file",
    FocusOutput => "focus_output": "focus Output",
    FocusDatasets => "focus_datasets": "focus Datasets",
    FocusJobs => "focus_jobs": "focus Jobs",
    FocusGraph => "focus_graph": "focus Task graph",
    FocusMemory => "focus_memory": "focus Memory",
    FocusStream => "focus_stream": "focus Task stream",
    FocusLog => "focus_log": "focus Log",
    Up => "up": "move up",
    Down => "down": "move down",
    Left => "left": "move / scroll left",
    Right => "right": "move / scroll right",
    PageUp => "page_up": "page up",
    PageDown => "page_down": "page down",
    Top => "top": "go to the first row",
    Bottom => "bottom": "go to the last row (follow)",
    Filter => "filter": "filter the rows of this pane",
    Back => "back": "close the dialog, clear the filter",
    CancelJob => "cancel_job": "cancel the selected job (asks)",
    CancelAll => "cancel_all": "cancel every job (asks)",
    Detail => "detail": "open the detail of the selected row",
    Toggle => "toggle": "show / hide the selected layer's task counts by state",
    Tasks => "tasks": "list the selected layer's tasks (esc / h / left goes back to the layers)",
    ExportDot => "export_dot": "export the job's layer graph as a DOT file",
    Release => "release": "release the selected handle's data (del name; asks)",
    Trim => "trim": "return free allocator memory to the system",
    Heatmap => "heatmap": "draw a 2-D slice of the selected array as a heatmap",
    Submit => "submit": "run the statement (or the next tour statement)",
    Newline => "newline": "insert a line break",
    HistoryPrev => "history_prev": "previous statement from history",
    HistoryNext => "history_next": "next statement from history",
    Complete => "complete": "complete the word before the cursor",
    ClearLine => "clear_line": "clear the input",
}

pub(crate) const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// A section's bindings in order: (action, its chords).
type Bindings = Vec<(Action, Vec<KeyChord>)>;

/// Bindings per section. A section is `None` for `[global]`, or a pane.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    /// Ordered per section for the help pane: (action, its chords).
    sections: Vec<(Option<Pane>, Bindings)>,
    lookup: HashMap<(Option<Pane>, KeyChord), Action>,
}

fn section_of(name: &str) -> Option<Option<Pane>> {
    if name == "global" {
        Some(None)
    } else {
        Pane::from_name(name).map(Some)
    }
}

/// Turn a toml error into our file error with line and column.
pub(crate) fn toml_error(path: &Path, text: &str, e: toml::de::Error) -> Error {
    let (line, column) = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() as u64 + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (Some(line), Some(col as u64))
        }
        None => (None, None),
    };
    Error::File {
        path: path.to_path_buf(),
        line,
        column,
        message: e.message().to_string(),
    }
}

impl Keymap {
    /// The embedded defaults.
    pub fn defaults() -> Keymap {
        let mut k = Keymap::default();
        k.merge_str(DEFAULT_KEYMAP, Path::new("<default keymap.toml>"))
            .expect("the embedded keymap is valid");
        k
    }

    /// Defaults with the user's file (if it exists) merged on top.
    pub fn load(user: Option<&Path>) -> Result<Keymap> {
        let mut k = Keymap::defaults();
        if let Some(p) = user.filter(|p| p.exists()) {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            k.merge_str(&text, p)?;
        }
        Ok(k)
    }

    /// Merge a keymap file: each action listed gets exactly the keys given; keys it takes are
    /// removed from other actions of the same section.
    pub fn merge_str(&mut self, text: &str, path: &Path) -> Result<()> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(path, text, e))?;
        let err = |msg: String| Error::file(path, msg);
        for (sec_name, body) in &table {
            let sec = section_of(sec_name).ok_or_else(|| {
                let names = std::iter::once("global").chain(Pane::CYCLE.iter().map(|p| p.name()));
                err(format!(
                    "unknown section [{sec_name}]; expected one of: {}",
                    names.collect::<Vec<_>>().join(", ")
                ))
            })?;
            let body = body
                .as_table()
                .ok_or_else(|| err(format!("[{sec_name}] must be a table of action = key(s)")))?;
            for (act_name, keys) in body {
                let action = Action::from_name(act_name).ok_or_else(|| {
                    let hint = crate::lang::object::closest(
                        act_name,
                        Action::ALL.iter().map(|a| a.name()),
                    )
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                    err(format!("[{sec_name}] unknown action '{act_name}'{hint}"))
                })?;
                let strings: Vec<&str> = match keys {
                    toml::Value::String(s) => vec![s.as_str()],
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            err(format!("[{sec_name}] {act_name}: keys must be strings"))
                        })?,
                    _ => {
                        return Err(err(format!(
                            "[{sec_name}] {act_name}: expected a key string or a list of them"
                        )))
                    }
                };
                let chords = strings
                    .iter()
                    .map(|s| {
                        parse_chord(s).map_err(|m| err(format!("[{sec_name}] {act_name}: {m}")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.bind(sec, action, chords);
            }
        }
        Ok(())
    }

    fn bind(&mut self, sec: Option<Pane>, action: Action, chords: Vec<KeyChord>) {
        let idx = match self.sections.iter().position(|(s, _)| *s == sec) {
            Some(i) => i,
            None => {
                self.sections.push((sec, Vec::new()));
                self.sections.len() - 1
            }
        };
        let entries = &mut self.sections[idx].1;
        for (_, ks) in entries.iter_mut() {
            ks.retain(|k| !chords.contains(k));
        }
        self.lookup.retain(|(s, _), a| !(*s == sec && *a == action));
        for c in &chords {
            self.lookup.insert((sec, *c), action);
        }
        match entries.iter_mut().find(|(a, _)| *a == action) {
            Some(e) => e.1 = chords,
            None => entries.push((action, chords)),
        }
    }

    /// The action of a chord in the focused pane's section, else in `[global]`.
    pub fn action(&self, pane: Pane, chord: KeyChord) -> Option<Action> {
        self.pane_action(pane, chord)
            .or_else(|| self.lookup.get(&(None, chord)).copied())
    }

    /// Only the pane's own section.
    pub fn pane_action(&self, pane: Pane, chord: KeyChord) -> Option<Action> {
        self.lookup.get(&(Some(pane), chord)).copied()
    }

    /// Help rows for a pane: its own bindings first, then global ones. Each row: (keys, description).
    pub fn help(&self, pane: Pane) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for sec in [Some(pane), None] {
            if let Some((_, entries)) = self.sections.iter().find(|(s, _)| *s == sec) {
                // TOML tables come back sorted by name: list in declaration order of the actions.
                let mut entries: Vec<_> = entries.iter().filter(|(_, ks)| !ks.is_empty()).collect();
                entries.sort_by_key(|(a, _)| Action::ALL.iter().position(|x| x == a));
                for (a, ks) in entries {
                    let keys: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                    out.push((keys.join(" "), a.describe()));
                }
            }
        }
        out
    }

    /// The first key bound to an action (for hints in titles), in a pane's section or global.
    pub fn key_for(&self, pane: Option<Pane>, action: Action) -> Option<KeyChord> {
        [pane, None].iter().find_map(|sec| {
            let (_, entries) = self.sections.iter().find(|(s, _)| s == sec)?;
            entries
                .iter()
                .find(|(a, _)| *a == action)?
                .1
                .first()
                .copied()
        })
    }
}

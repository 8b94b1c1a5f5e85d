//! The panes of the workbench, their names (used in TOML files) and titles.

/// A pane of the workbench. The command line is a pane too (it can hold the focus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pane {
    Output,
    Datasets,
    Jobs,
    Graph,
    Memory,
    Stream,
    Log,
    CommandLine,
}

impl Pane {
    /// Panes reachable with Tab, in order (digits 1..=7 focus them).
    pub const CYCLE: [Pane; 8] = [
        Pane::Output,
        Pane::Datasets,
        Pane::Jobs,
        Pane::Graph,
        Pane::Memory,
        Pane::Stream,
        Pane::Log,
        Pane::CommandLine,
    ];

    /// The name used in keymap and layout files.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Output => "output",
            Pane::Datasets => "datasets",
            Pane::Jobs => "jobs",
            Pane::Graph => "graph",
            Pane::Memory => "memory",
            Pane::Stream => "stream",
            Pane::Log => "log",
            Pane::CommandLine => "command_line",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Output => "Output",
            Pane::Datasets => "Datasets",
            Pane::Jobs => "Jobs",
            Pane::Graph => "Task graph",
            Pane::Memory => "Memory",
            Pane::Stream => "Task stream",
            Pane::Log => "Log",
            Pane::CommandLine => "Command",
        }
    }

    /// A short title for tabs on narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            Pane::Output => "Out",
            Pane::Datasets => "Data",
            Pane::Jobs => "Jobs",
            Pane::Graph => "Graph",
            Pane::Memory => "Mem",
            Pane::Stream => "Stream",
            Pane::Log => "Log",
            Pane::CommandLine => "Cmd",
        }
    }

    pub fn from_name(s: &str) -> Option<Pane> {
        Pane::CYCLE.iter().copied().find(|p| p.name() == s)
    }

    /// The next (or previous) pane in Tab order.
    pub fn step(self, forward: bool) -> Pane {
        let n = Pane::CYCLE.len();
        let i = Pane::CYCLE.iter().position(|&p| p == self).unwrap_or(0);
        Pane::CYCLE[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

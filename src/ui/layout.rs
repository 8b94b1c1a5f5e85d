//! The dashboard layout: columns of stacked panes with relative sizes, from embedded TOML that a user
//! file replaces; below a minimum size, one pane at a time.

use std::path::Path;

use ratatui::layout::{Constraint, Layout, Rect};
use serde::Deserialize;

use super::keymap::toml_error;
use super::pane::Pane;
use crate::error::{Error, Result};

const DEFAULT_LAYOUT: &str = include_str!("layout.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnFile {
    width: u16,
    panes: Vec<(String, u16)>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    min_width: u16,
    min_height: u16,
    columns: Vec<ColumnFile>,
}

/// A column of panes: (pane, relative height).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub width: u16,
    pub panes: Vec<(Pane, u16)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayoutConfig {
    pub min_width: u16,
    pub min_height: u16,
    pub columns: Vec<Column>,
}

impl LayoutConfig {
    pub fn defaults() -> LayoutConfig {
        LayoutConfig::parse(DEFAULT_LAYOUT, Path::new("<default layout.toml>"))
            .expect("the embedded layout is valid")
    }

    /// The user's file if it exists, else the defaults.
    pub fn load(user: Option<&Path>) -> Result<LayoutConfig> {
        match user.filter(|p| p.exists()) {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                LayoutConfig::parse(&text, p)
            }
            None => Ok(LayoutConfig::defaults()),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<LayoutConfig> {
        let f: LayoutFile = toml::from_str(text).map_err(|e| toml_error(path, text, e))?;
        let mut columns = Vec::new();
        for (i, c) in f.columns.into_iter().enumerate() {
            let mut panes = Vec::new();
            for (name, h) in c.panes {
                let pane = Pane::from_name(&name)
                    .filter(|p| *p != Pane::CommandLine)
                    .ok_or_else(|| {
                        Error::file(
                            path,
                            format!(
                                "columns[{i}]: unknown pane '{name}'; expected output, datasets, jobs, \
                                 graph, memory, stream or log"
                            ),
                        )
                    })?;
                panes.push((pane, h.max(1)));
            }
            columns.push(Column {
                width: c.width.max(1),
                panes,
            });
        }
        Ok(LayoutConfig {
            min_width: f.min_width,
            min_height: f.min_height,
            columns,
        })
    }

    pub fn contains(&self, pane: Pane) -> bool {
        self.columns
            .iter()
            .any(|c| c.panes.iter().any(|(p, _)| *p == pane))
    }

    /// Where each pane goes in `area`. One pane (the focused one, full size) when the area is small,
    /// when `expanded`, or when the focused pane is not part of the layout.
    pub fn arrange(&self, area: Rect, focus: Pane, expanded: bool) -> Vec<(Pane, Rect)> {
        let small = area.width < self.min_width || area.height < self.min_height;
        if small || expanded || !self.contains(focus) || self.columns.is_empty() {
            return vec![(focus, area)];
        }
        let cols =
            Layout::horizontal(self.columns.iter().map(|c| Constraint::Fill(c.width))).split(area);
        let mut out = Vec::new();
        for (c, rect) in self.columns.iter().zip(cols.iter()) {
            let rows =
                Layout::vertical(c.panes.iter().map(|(_, h)| Constraint::Fill(*h))).split(*rect);
            out.extend(c.panes.iter().map(|(p, _)| *p).zip(rows.iter().copied()));
        }
        out
    }
}

//! Themes: semantic colour slots (focused border, task states, memory thresholds...) read from TOML.
//! `dark`, `light` and `16color` are embedded; a user theme is merged over `dark`; `NO_COLOR` gives a
//! monochrome theme that marks focus and selection with bold and reverse video instead.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use super::keymap::toml_error;
use crate::error::{Error, Result};

const DARK: &str = include_str!("../../themes/dark.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const COLOR16: &str = include_str!("../../themes/16color.toml");

macro_rules! slots {
    ($($sec:literal { $($f:ident),* })*) => {
        /// Every colour slot of a theme.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            $($(pub $f: Color,)*)*
            /// Colours for layer prefixes in the task stream (cycled, stable per name).
            pub prefixes: Vec<Color>,
            /// Heatmap scale, low to high.
            pub heat: Vec<Color>,
            /// Monochrome (NO_COLOR): styles use modifiers only.
            pub mono: bool,
        }
        impl Theme {
            fn blank() -> Theme {
                Theme { $($($f: Color::Reset,)*)* prefixes: vec![Color::Reset], heat: vec![Color::Reset], mono: false }
            }
            fn slot(&mut self, sec: &str, key: &str) -> Option<&mut Color> {
                match (sec, key) {
                    $($(($sec, stringify!($f)) => Some(&mut self.$f),)*)*
                    _ => None,
                }
            }
            fn slot_names(sec: &str) -> Vec<&'static str> {
                match sec { $($sec => vec![$(stringify!($f)),*],)* _ => vec![] }
            }
        }
    };
}

slots! {
    "ui" { fg, dim, border, border_focused, title, title_focused, selection_fg, selection_bg,
           accent, prompt, ok, warning, error }
    "tasks" { waiting, ready, running, memory, released, erred }
    "memory" { managed, unmanaged, spilled, system, below_target, target, spill, pause }
}

fn parse_color(s: &str) -> std::result::Result<Color, String> {
    Color::from_str(s).map_err(|_| {
        format!("invalid colour '{s}'; expected a name like 'red', '#rrggbb' or an index 0-255")
    })
}

impl Theme {
    /// An embedded theme by name (`dark`, `light`, `16color`).
    pub fn builtin(name: &str) -> Option<Theme> {
        let text = match name {
            "dark" => DARK,
            "light" => LIGHT,
            "16color" => COLOR16,
            _ => return None,
        };
        let mut t = Theme::blank();
        t.merge_str(text, Path::new(name))
            .expect("embedded themes are valid");
        Some(t)
    }

    /// Monochrome: every colour is the terminal's own; focus and selection use modifiers.
    pub fn mono() -> Theme {
        Theme {
            mono: true,
            ..Theme::blank()
        }
    }

    /// The theme to use: `NO_COLOR` wins; then `name` as a builtin, a user theme file in
    /// `config_dir/themes/NAME.toml`, or a path; default `dark` (or `16color` on 16-colour terminals).
    pub fn resolve(name: Option<&str>, config_dir: Option<&Path>) -> Result<Theme> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::mono());
        }
        let name = match name {
            Some(n) => n.to_string(),
            None => default_name().to_string(),
        };
        if let Some(t) = Theme::builtin(&name) {
            return Ok(t);
        }
        let path = match config_dir {
            Some(d) if !name.contains('/') => d.join("themes").join(format!("{name}.toml")),
            _ => Path::new(&name).to_path_buf(),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let mut t = Theme::builtin("dark").expect("dark exists");
        t.merge_str(&text, &path)?;
        Ok(t)
    }

    /// Apply a theme file's slots over this theme; unknown sections, slots or colours are errors.
    pub fn merge_str(&mut self, text: &str, path: &Path) -> Result<()> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(path, text, e))?;
        let err = |m: String| Error::file(path, m);
        for (sec, body) in &table {
            let body = body
                .as_table()
                .ok_or_else(|| err(format!("[{sec}] must be a table of slot = colour")))?;
            if sec == "palette" || sec == "heat" {
                let want = if sec == "palette" {
                    "prefixes"
                } else {
                    "scale"
                };
                for (k, v) in body {
                    let list = match v {
                        toml::Value::Array(a) if k == want => a,
                        _ => {
                            return Err(err(format!(
                                "[{sec}] unknown entry '{k}'; expected {want} = [colours]"
                            )))
                        }
                    };
                    let colors = list
                        .iter()
                        .map(|c| {
                            c.as_str()
                                .ok_or("colours must be strings".to_string())
                                .and_then(parse_color)
                        })
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(|m| err(format!("[{sec}] {want}: {m}")))?;
                    if colors.is_empty() {
                        return Err(err(format!("[{sec}] {want}: needs at least one colour")));
                    }
                    if sec == "palette" {
                        self.prefixes = colors;
                    } else {
                        self.heat = colors;
                    }
                }
                continue;
            }
            if Theme::slot_names(sec).is_empty() {
                return Err(err(format!(
                    "unknown section [{sec}]; expected ui, tasks, memory, palette or heat"
                )));
            }
            for (k, v) in body {
                let s = v
                    .as_str()
                    .ok_or_else(|| err(format!("[{sec}] {k}: expected a colour string")))?;
                let c = parse_color(s).map_err(|m| err(format!("[{sec}] {k}: {m}")))?;
                let names = Theme::slot_names(sec);
                let slot = self.slot(sec, k).ok_or_else(|| {
                    err(format!(
                        "[{sec}] unknown slot '{k}'; expected one of: {}",
                        names.join(", ")
                    ))
                })?;
                *slot = c;
            }
        }
        Ok(())
    }

    pub fn text(&self) -> Style {
        Style::new().fg(self.fg)
    }
    pub fn dimmed(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new().fg(self.dim)
        }
    }
    pub fn fg(&self, c: Color) -> Style {
        Style::new().fg(c)
    }
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.mono) {
            (true, true) => Style::new().add_modifier(Modifier::BOLD),
            (true, false) => Style::new()
                .fg(self.border_focused)
                .add_modifier(Modifier::BOLD),
            (false, _) => Style::new().fg(self.border),
        }
    }
    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().fg(if focused {
            self.title_focused
        } else {
            self.title
        });
        if focused {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }
    pub fn selected(&self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.selection_fg).bg(self.selection_bg)
        }
    }
    /// A bar cell of colour `c`: a block in colour, or in mono a shade glyph chosen by the caller.
    pub fn bar(&self, c: Color) -> Style {
        Style::new().fg(c)
    }
    /// The heatmap colour of `t` in 0..=1: RGB stops are interpolated, named ones are steps.
    pub fn heat_color(&self, t: f64) -> Color {
        let n = self.heat.len();
        let x = t.clamp(0.0, 1.0) * (n - 1) as f64;
        let i = (x.floor() as usize).min(n - 1);
        match (self.heat[i], self.heat.get(i + 1)) {
            (Color::Rgb(r0, g0, b0), Some(Color::Rgb(r1, g1, b1))) => {
                let f = x - i as f64;
                let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
                Color::Rgb(mix(r0, *r1), mix(g0, *g1), mix(b0, *b1))
            }
            _ => self.heat[x.round() as usize],
        }
    }

    /// Stable colour for a layer prefix.
    pub fn prefix_color(&self, prefix: &str) -> Color {
        let h = prefix.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        self.prefixes[(h % self.prefixes.len() as u64) as usize]
    }
}

/// `dark` on terminals that announce 256 or true colours, `16color` otherwise.
fn default_name() -> &'static str {
    let colorterm = std::env::var("COLORTERM").unwrap_or_default();
    let term = std::env::var("TERM").unwrap_or_default();
    if colorterm.contains("truecolor") || colorterm.contains("24bit") || term.contains("256") {
        "dark"
    } else {
        "16color"
    }
}

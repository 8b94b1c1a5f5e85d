//! Key chords: parsing `ctrl-c`, `shift-tab`, `f1`, `X` from TOML, and normalizing crossterm events
//! so that a typed `X` (which terminals report with SHIFT) matches the chord `X`.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, normalized (no SHIFT on characters or back-tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        // Terminals send ctrl-letters lowercase; keep one spelling.
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        KeyChord { code, mods }
    }
    pub fn plain(code: KeyCode) -> Self {
        Self::new(code, KeyModifiers::NONE)
    }
    /// A printable character typed without ctrl/alt: text for an input field.
    pub fn as_text(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c)
                if !self
                    .mods
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(c)
            }
            _ => None,
        }
    }
}

impl From<KeyEvent> for KeyChord {
    fn from(e: KeyEvent) -> Self {
        KeyChord::new(e.code, e.modifiers)
    }
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
];

/// Parse `q`, `X`, `ctrl-c`, `alt-enter`, `shift-tab`, `f1`, `pgdown`. The error says what was expected.
pub fn parse_chord(s: &str) -> Result<KeyChord, String> {
    let bad = || {
        format!(
            "unknown key '{s}'; expected a character or a name like 'ctrl-c', 'shift-tab', 'f1', \
             'enter', 'esc', 'up', 'pgdown'"
        )
    };
    let mut mods = KeyModifiers::NONE;
    let mut rest = s;
    // A lone "-" is the minus key, not a separator.
    while rest.len() > 1 {
        let lower = rest.to_ascii_lowercase();
        let (m, n) = if lower.starts_with("ctrl-") {
            (KeyModifiers::CONTROL, 5)
        } else if lower.starts_with("alt-") {
            (KeyModifiers::ALT, 4)
        } else if lower.starts_with("shift-") {
            (KeyModifiers::SHIFT, 6)
        } else {
            break;
        };
        mods |= m;
        rest = &rest[n..];
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCode::Char(c),
        _ => {
            let lower = rest.to_ascii_lowercase();
            if let Some(&(_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
                if code == KeyCode::Tab && mods.contains(KeyModifiers::SHIFT) {
                    KeyCode::BackTab
                } else {
                    code
                }
            } else if let Some(n) = lower.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
                if !(1..=12).contains(&n) {
                    return Err(bad());
                }
                KeyCode::F(n)
            } else {
                return Err(bad());
            }
        }
    };
    Ok(KeyChord::new(code, mods))
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((n, _)) => f.write_str(n),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let x = parse_chord("X").unwrap();
        assert_eq!(x, KeyChord::new(KeyCode::Char('X'), KeyModifiers::SHIFT));
        assert_eq!(
            parse_chord("ctrl-C").unwrap(),
            KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse_chord("shift-tab").unwrap(),
            KeyChord::new(KeyCode::BackTab, KeyModifiers::SHIFT)
        );
        assert_eq!(parse_chord("f1").unwrap().code, KeyCode::F(1));
        assert_eq!(parse_chord("-").unwrap().code, KeyCode::Char('-'));
        assert_eq!(parse_chord("ctrl-s").unwrap().to_string(), "ctrl-s");
        assert!(parse_chord("ctrl-")
            .unwrap_err()
            .contains("unknown key 'ctrl-'"));
        assert!(parse_chord("f13").is_err());
        assert!(parse_chord("hyper-x").is_err());
    }
}

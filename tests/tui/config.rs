//! Keymap, theme and layout files: valid user files merge over the defaults; invalid ones give an
//! error naming the file, the place and what was expected.

use std::path::{Path, PathBuf};

use ratatui::layout::Rect;
use ratatui::style::Color;
use tessera::ui::keys::parse_chord;
use tessera::ui::{Action, Keymap, LayoutConfig, Pane, Theme};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tui/fixtures")
        .join(name)
}

fn keymap_err(name: &str) -> String {
    Keymap::load(Some(&fixture(name))).unwrap_err().to_string()
}

#[test]
fn keymap_defaults_and_user_merge() {
    let k = Keymap::defaults();
    let x = parse_chord("x").unwrap();
    assert_eq!(k.action(Pane::Jobs, x), Some(Action::CancelJob));
    assert_eq!(k.action(Pane::Output, x), None);
    assert_eq!(
        k.action(Pane::Jobs, parse_chord("q").unwrap()),
        Some(Action::Quit)
    );
    assert_eq!(
        k.action(Pane::CommandLine, parse_chord("tab").unwrap()),
        Some(Action::Complete)
    );
    assert_eq!(
        k.action(Pane::Jobs, parse_chord("tab").unwrap()),
        Some(Action::NextPane)
    );

    let u = Keymap::load(Some(&fixture("keymap_valid.toml"))).unwrap();
    assert_eq!(
        u.action(Pane::Jobs, parse_chord("c").unwrap()),
        Some(Action::CancelJob)
    );
    assert_eq!(
        u.action(Pane::Jobs, x),
        None,
        "rebinding replaces the old key"
    );
    assert_eq!(u.action(Pane::Output, parse_chord("k").unwrap()), None);
    assert_eq!(
        u.action(Pane::Output, parse_chord("f2").unwrap()),
        Some(Action::Help)
    );
    assert_eq!(
        u.action(Pane::Output, parse_chord("G").unwrap()),
        Some(Action::Bottom),
        "others kept"
    );
    // Help is generated from the merged keymap: pane keys first.
    let help = u.help(Pane::Jobs);
    assert_eq!(help[0], ("c".to_string(), Action::CancelJob.describe()));
    assert!(help.iter().any(|(k, _)| k == "? F2"));
    // A missing user file means defaults.
    assert!(Keymap::load(Some(&fixture("nope.toml"))).is_ok());
}

#[test]
fn keymap_errors_say_where_and_what() {
    let e = keymap_err("keymap_unknown_action.toml");
    assert!(e.ends_with("keymap_unknown_action.toml: [jobs] unknown action 'cancel_jbo'; did you mean 'cancel_job'?"), "{e}");
    let e = keymap_err("keymap_bad_key.toml");
    assert!(e.contains("keymap_bad_key.toml: [global] quit: unknown key 'ctrl-'; expected a character or a name like 'ctrl-c'"), "{e}");
    let e = keymap_err("keymap_unknown_section.toml");
    assert!(
        e.contains("unknown section [jobz]; expected one of: global, output, datasets, jobs"),
        "{e}"
    );
    let e = keymap_err("keymap_syntax.toml");
    assert!(
        e.contains("keymap_syntax.toml:3:"),
        "position of the syntax error: {e}"
    );
}

#[test]
fn themes_builtin_user_and_errors() {
    for name in ["dark", "light", "16color"] {
        let t = Theme::builtin(name).unwrap();
        assert!(!t.mono);
        assert!(t.prefixes.len() >= 8, "{name}");
    }
    let dark = Theme::builtin("dark").unwrap();
    assert_eq!(dark.erred, Color::Rgb(0xff, 0x5f, 0x5f));
    assert_eq!(
        Theme::builtin("16color").unwrap().border_focused,
        Color::LightCyan
    );
    assert_eq!(dark.prefix_color("read-csv"), dark.prefix_color("read-csv"));
    // Heat scales: RGB stops interpolate, named colours are steps.
    assert_eq!(dark.heat_color(0.0), Color::Rgb(0x44, 0x01, 0x54));
    assert_eq!(dark.heat_color(1.0), Color::Rgb(0xfd, 0xe7, 0x25));
    assert_eq!(dark.heat_color(0.5 / 9.0), Color::Rgb(0x46, 0x15, 0x66));
    let c16 = Theme::builtin("16color").unwrap();
    assert_eq!(c16.heat_color(0.0), Color::Blue);
    assert_eq!(c16.heat_color(0.6), Color::Green);
    assert_eq!(c16.heat_color(2.0), Color::Red);

    let t = Theme::resolve(Some(fixture("theme_valid.toml").to_str().unwrap()), None).unwrap();
    assert_eq!(t.border_focused, Color::Magenta);
    assert_eq!(t.erred, Color::Rgb(255, 0, 0));
    assert_eq!(t.running, dark.running, "unset slots come from dark");

    let e = Theme::resolve(
        Some(fixture("theme_bad_color.toml").to_str().unwrap()),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().ends_with("theme_bad_color.toml: [memory] spill: invalid colour 'orangeish'; expected a name like 'red', '#rrggbb' or an index 0-255"), "{e}");
    let e = Theme::resolve(
        Some(fixture("theme_unknown_slot.toml").to_str().unwrap()),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("[tasks] unknown slot 'finished'; expected one of: waiting, ready, running, memory, released, erred"), "{e}");
    let e = Theme::resolve(Some("no-such-theme"), Some(Path::new("/nonexistent"))).unwrap_err();
    assert!(
        e.to_string()
            .contains("/nonexistent/themes/no-such-theme.toml"),
        "{e}"
    );
}

#[test]
fn no_color_gives_monochrome() {
    // The only test that touches NO_COLOR (others use builtins directly).
    std::env::set_var("NO_COLOR", "1");
    let t = Theme::resolve(Some("dark"), None).unwrap();
    std::env::remove_var("NO_COLOR");
    assert!(t.mono);
    assert_eq!(t.erred, Color::Reset);
    assert!(t
        .selected()
        .add_modifier
        .contains(ratatui::style::Modifier::REVERSED));
}

#[test]
fn layout_files() {
    let d = LayoutConfig::defaults();
    let area = Rect::new(0, 0, 200, 50);
    let placed = d.arrange(area, Pane::Output, false);
    assert_eq!(
        placed.len(),
        7,
        "every pane has a place in the default layout"
    );
    assert_eq!(
        d.arrange(Rect::new(0, 0, 80, 24), Pane::Jobs, false),
        vec![(Pane::Jobs, Rect::new(0, 0, 80, 24))]
    );
    assert_eq!(d.arrange(area, Pane::Jobs, true), vec![(Pane::Jobs, area)]);

    let u = LayoutConfig::load(Some(&fixture("layout_valid.toml"))).unwrap();
    let placed = u.arrange(Rect::new(0, 0, 100, 30), Pane::Jobs, false);
    assert_eq!(
        placed,
        vec![
            (Pane::Jobs, Rect::new(0, 0, 100, 20)),
            (Pane::Graph, Rect::new(0, 20, 100, 10))
        ]
    );
    assert_eq!(
        u.arrange(Rect::new(0, 0, 100, 30), Pane::Memory, false)
            .len(),
        1,
        "panes left out show alone"
    );

    let e = LayoutConfig::load(Some(&fixture("layout_bad_pane.toml")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("columns[0]: unknown pane 'grpah'"), "{e}");
}

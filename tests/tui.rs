//! The TUI without a terminal: key sequences to state, and frames drawn into a test backend
//! from the demo dataset with a fixed anchor.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale};
use plumb::store::Store;
use plumb::tui::app::{App, Effect, Msg};
use plumb::tui::data::{DataRequest, DataResponse, Loader};
use plumb::tui::keymap::Keymap;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::OnceLock;

fn anchor() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// One small demo database shared by the tests of this file.
fn demo_db() -> PathBuf {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let mut store = Store::open(&path).unwrap();
        plumb::demo::generate(
            &mut store,
            &DemoOptions {
                seed: 1,
                scale: Scale::Small,
                anchor: anchor(),
            },
        )
        .unwrap();
        (dir, path)
    })
    .1
    .clone()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Starts an app, answers its first request from the store, and returns it.
fn loaded_app() -> (App, Loader) {
    let loader = Loader::new(demo_db(), &Config::default()).unwrap();
    let mut app = App::new(Keymap::default(), Some(anchor()));
    let effects = app.start();
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("the app asks for data first: {effects:?}");
    };
    answer(&mut app, &loader, &req);
    (app, loader)
}

fn answer(app: &mut App, loader: &Loader, req: &DataRequest) {
    let result = loader.overview_now(req).map_err(|e| e.to_string());
    app.update(Msg::Data(Box::new(DataResponse {
        generation: req.generation,
        result,
    })));
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = plumb::tui::theme::Theme::from_config(plumb::config::Theme::Dark);
    term.draw(|f| plumb::tui::render(f, app, theme, true))
        .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_overview_shows_every_demo_team_with_bands() {
    let (app, _) = loaded_app();
    let data = app.overview.data.as_ref().expect("data loaded");
    let names: Vec<&str> = data.teams.iter().map(|t| t.team.as_str()).collect();
    assert_eq!(names, ["billing-legacy", "payments", "platform", "search"]);
    let s = screen(&app, 120, 40);
    for t in &names {
        assert!(s.contains(t), "{t} missing:\n{s}");
    }
    assert!(s.contains("Elite"), "{s}");
    assert!(s.contains("Deploy days/wk"), "{s}");
}

#[test]
fn the_elite_team_out_delivers_the_struggling_one() {
    let (app, _) = loaded_app();
    let data = app.overview.data.as_ref().unwrap();
    let team = |n: &str| data.teams.iter().find(|t| t.team == n).unwrap();
    let (elite, legacy) = (team("payments"), team("billing-legacy"));
    assert!(elite.deploy_days_per_week.unwrap() > 2.0 * legacy.deploy_days_per_week.unwrap());
    assert!(elite.lead_time_p50.unwrap() * 10.0 < legacy.lead_time_p50.unwrap());
    assert!(elite.change_failure_rate.unwrap() < legacy.change_failure_rate.unwrap());
}

#[test]
fn small_terminals_collapse_and_tiny_ones_say_so() {
    let (app, _) = loaded_app();
    let s = screen(&app, 80, 24);
    assert!(s.contains("payments"), "{s}");
    let tiny = screen(&app, 50, 10);
    assert!(tiny.contains("Terminal too small"), "{tiny}");
}

#[test]
fn keys_move_drill_down_change_range_and_quit() {
    let (mut app, loader) = loaded_app();
    assert_eq!(app.overview.selected, 0);
    app.update(key('j'));
    app.update(key('j'));
    assert_eq!(app.overview.selected, 2);
    app.update(key('G'));
    assert_eq!(app.overview.selected, 3);
    app.update(key('g'));
    assert_eq!(app.overview.selected, 0);

    // Enter narrows to the selected team and reloads; Esc goes back to all teams.
    let effects = app.update(code(KeyCode::Enter));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("drill-down reloads: {effects:?}");
    };
    assert_eq!(req.team.as_deref(), Some("billing-legacy"));
    answer(&mut app, &loader, &req);
    assert_eq!(app.overview.data.as_ref().unwrap().teams.len(), 1);
    let effects = app.update(code(KeyCode::Esc));
    assert!(matches!(effects.first(), Some(Effect::Load(r)) if r.team.is_none()));

    // A longer range reloads with an earlier start; an answer to an old request is dropped.
    let before = app.range_days();
    let effects = app.update(key(']'));
    assert!(app.range_days() > before);
    let Some(Effect::Load(newer)) = effects.first().cloned() else {
        panic!("range change reloads");
    };
    assert_eq!(newer.until, anchor());
    let stale = DataResponse {
        generation: newer.generation - 1,
        result: Err("stale".into()),
    };
    app.update(Msg::Data(Box::new(stale)));
    assert!(app.overview.error.is_none(), "stale answers are dropped");

    // Help opens over everything and closes with Esc; q quits.
    app.update(key('?'));
    assert!(app.help_open);
    app.update(code(KeyCode::Esc));
    assert!(!app.help_open);
    assert_eq!(app.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn an_empty_database_shows_the_welcome_screen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    drop(Store::open(&path).unwrap());
    let loader = Loader::new(path, &Config::default()).unwrap();
    let mut app = App::new(Keymap::default(), None);
    let Some(Effect::Load(req)) = app.start().first().cloned() else {
        panic!("first load");
    };
    answer(&mut app, &loader, &req);
    let s = screen(&app, 100, 30);
    assert!(s.contains("plumb demo"), "{s}");
}

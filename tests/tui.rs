//! The TUI without a terminal: key sequences to state, and frames drawn into a test backend
//! from the demo dataset with a fixed anchor.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale};
use plumb::store::Store;
use plumb::tui::app::{App, Effect, Msg};
use plumb::tui::data::{DataRequest, DataResponse, Loader, Query};
use plumb::tui::keymap::Keymap;
use plumb::tui::panes::PaneId;
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
    let result = loader.load_now(req).map_err(|e| e.to_string());
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
    assert_eq!(app.overview.list.selected, 0);
    app.update(key('j'));
    app.update(key('j'));
    assert_eq!(app.overview.list.selected, 2);
    app.update(key('G'));
    assert_eq!(app.overview.list.selected, 3);
    app.update(key('g'));
    assert_eq!(app.overview.list.selected, 0);

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
    assert!(
        app.slot(PaneId::Overview).error.is_none(),
        "stale answers are dropped"
    );

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

#[test]
fn deployments_without_any_team_still_get_an_overview_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imported.db");
    let csv = dir.path().join("deployments.csv");
    let day = Utc::now() - chrono::Duration::days(3);
    std::fs::write(
        &csv,
        format!(
            "external_id,service,environment,status,started_at,finished_at,commit_sha\n\
             d1,api,production,success,{s},{f},abc\n",
            s = (day - chrono::Duration::minutes(5)).to_rfc3339(),
            f = day.to_rfc3339()
        ),
    )
    .unwrap();
    let mut store = Store::open(&path).unwrap();
    plumb::import::import_files(
        &mut store,
        &[csv],
        &plumb::import::ImportOptions::default(),
        &plumb::model::Ownership::default(),
        Utc::now(),
    )
    .unwrap();
    drop(store);
    let loader = Loader::new(path, &Config::default()).unwrap();
    let mut app = App::new(Keymap::default(), None);
    let effects = app.start();
    run(&mut app, &loader, effects);
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("all teams") && s.contains("1 team · 1 deployments"),
        "{s}"
    );
}

/// Carries out the loads among `effects` synchronously, as the event loop would.
fn run(app: &mut App, loader: &Loader, effects: Vec<Effect>) {
    for e in effects {
        if let Effect::Load(req) = e {
            answer(app, loader, &req);
        }
    }
}

fn press(app: &mut App, loader: &Loader, msg: Msg) {
    let effects = app.update(msg);
    run(app, loader, effects);
}

fn typed(app: &mut App, loader: &Loader, text: &str) {
    for c in text.chars() {
        press(app, loader, key(c));
    }
}

#[test]
fn number_keys_and_tab_switch_panes_and_load_each_once() {
    let (mut app, loader) = loaded_app();
    let effects = app.update(key('2'));
    assert_eq!(app.pane, PaneId::Delivery);
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("a pane without data loads it: {effects:?}");
    };
    assert_eq!(req.query, Query::Delivery);
    answer(&mut app, &loader, &req);
    assert!(app.delivery.data.is_some());

    // Tab walks forward, Shift-Tab back; a pane already loaded for the scope does not reload.
    press(&mut app, &loader, code(KeyCode::Tab));
    assert_eq!(app.pane, PaneId::Ci);
    assert!(app.ci.data.is_some());
    let effects = app.update(code(KeyCode::BackTab));
    assert_eq!(app.pane, PaneId::Delivery);
    assert!(effects.is_empty(), "Delivery is current: {effects:?}");
    press(&mut app, &loader, key('1'));
    assert_eq!(app.pane, PaneId::Overview);
    assert!(app.update(key('1')).is_empty());
    // Backwards from the first pane wraps to the last.
    press(&mut app, &loader, code(KeyCode::BackTab));
    assert_eq!(app.pane, PaneId::Actions);
    assert!(app.actions.data.is_some());
}

#[test]
fn a_team_chosen_on_the_overview_scopes_every_pane_until_esc() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('j')); // payments
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.team.as_deref(), Some("payments"));
    press(&mut app, &loader, key('5'));
    let data = app.incidents.data.as_ref().expect("incidents loaded");
    assert!(!data.rows.is_empty());
    assert!(
        data.rows
            .iter()
            .all(|r| r.incident.team.as_deref() == Some("payments"))
    );
    assert!(screen(&app, 120, 40).contains("team: payments"));
    // Esc with nothing to close clears the team, and the pane reloads for all teams.
    let effects = app.update(code(KeyCode::Esc));
    assert!(matches!(effects.first(), Some(Effect::Load(r)) if r.team.is_none()));
    assert_eq!(app.team, None);
}

#[test]
fn delivery_drills_down_to_the_rows_behind_a_number_and_back() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('2'));
    // The second metric is the lead time.
    press(&mut app, &loader, key('j'));
    let effects = app.update(code(KeyCode::Enter));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("explain loads rows: {effects:?}");
    };
    let Query::Explain(q) = &req.query else {
        panic!("an explain query: {:?}", req.query);
    };
    assert_eq!(q.title, "Lead time p50");
    assert!(app.delivery.explain.is_some());
    answer(&mut app, &loader, &req);
    let view = app.delivery.explain.as_ref().unwrap();
    let rows = &view.data.as_ref().expect("rows loaded").rows;
    assert!(!rows.is_empty());
    assert!(
        rows.iter().any(|r| r.table == "changes"),
        "lead time lists its changes"
    );
    assert!(rows.iter().all(|r| r.source != "–" && r.external_id != "–"));
    let s = screen(&app, 120, 40);
    assert!(s.contains("dora.lead_time v"), "{s}");

    // Filtering the rows, then Esc twice: clear the filter, then leave the drill-down.
    press(&mut app, &loader, key('/'));
    typed(&mut app, &loader, "zzzz-no-such-row");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(app.delivery.explain.as_ref().unwrap().visible().is_empty());
    press(&mut app, &loader, code(KeyCode::Esc));
    assert!(
        app.delivery
            .explain
            .as_ref()
            .unwrap()
            .list
            .filter
            .is_empty()
    );
    press(&mut app, &loader, code(KeyCode::Esc));
    assert!(app.delivery.explain.is_none());

    // Enter on a service explains that service's deployments and changes.
    press(&mut app, &loader, key('G'));
    let effects = app.update(code(KeyCode::Enter));
    assert!(matches!(
        effects.first(),
        Some(Effect::Load(DataRequest { query: Query::Explain(q), .. })) if q.title.starts_with("service ")
    ));
}

#[test]
fn slash_filters_the_list_as_you_type() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('5'));
    let all = app.incidents.visible().len();
    assert!(all > 1);
    press(&mut app, &loader, key('/'));
    assert!(app.filtering);
    typed(&mut app, &loader, "sev1");
    let narrowed = app.incidents.visible().len();
    assert!(narrowed < all, "{narrowed} of {all}");
    let data = app.incidents.data.as_ref().unwrap();
    for i in app.incidents.visible() {
        assert_eq!(data.rows[i].incident.severity.as_str(), "SEV1");
    }
    // Keys bound to actions are text while typing: `q` does not quit, `j` does not move.
    assert!(app.update(key('q')).is_empty());
    assert!(!app.quit);
    press(&mut app, &loader, code(KeyCode::Backspace));
    assert_eq!(app.incidents.list.filter, "sev1");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(!app.filtering);
    assert!(screen(&app, 120, 40).contains("matching /sev1"));
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.incidents.visible().len(), all);
}

#[test]
fn answers_for_a_replaced_scope_are_dropped() {
    let (mut app, loader) = loaded_app();
    let Some(Effect::Load(old)) = app.update(key('4')).first().cloned() else {
        panic!("SLOs load");
    };
    // The range changes before the answer arrives: that answer is stale.
    let Some(Effect::Load(new)) = app.update(key('[')).first().cloned() else {
        panic!("range change reloads");
    };
    assert!(new.generation > old.generation);
    answer(&mut app, &loader, &old);
    assert!(app.slos.data.is_none(), "stale answer applied");
    assert!(app.loading());
    answer(&mut app, &loader, &new);
    assert!(app.slos.data.is_some());
    assert!(!app.loading());
}

#[test]
fn slo_and_incident_details_open_and_close() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('4'));
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(app.slos.detail.is_some());
    let s = screen(&app, 120, 40);
    assert!(s.contains("budget burn-down"), "{s}");
    assert!(s.contains("slo.error_budget v"), "{s}");
    press(&mut app, &loader, code(KeyCode::Esc));
    assert!(app.slos.detail.is_none());

    press(&mut app, &loader, key('5'));
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(app.incidents.detail.is_some());
    let s = screen(&app, 120, 40);
    assert!(s.contains("Timeline"), "{s}");
    assert!(s.contains("Attributed deployment"), "{s}");
    press(&mut app, &loader, code(KeyCode::Esc));
    assert!(app.incidents.detail.is_none());
}

#[test]
fn help_lists_the_actions_of_the_current_pane() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('4'));
    assert!(
        app.valid_actions()
            .contains(&plumb::tui::keymap::Action::DrillDown)
    );
    press(&mut app, &loader, code(KeyCode::Enter));
    let in_detail = app.valid_actions();
    assert!(!in_detail.contains(&plumb::tui::keymap::Action::DrillDown));
    assert!(!in_detail.contains(&plumb::tui::keymap::Action::Filter));
    press(&mut app, &loader, key('?'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("next pane") && s.contains("back"), "{s}");
}

/// Every pane at both sizes, from the demo at its anchor.
#[test]
fn every_pane_renders_at_both_sizes() {
    let (mut app, loader) = loaded_app();
    for (n, pane) in PaneId::ALL.iter().enumerate() {
        let digit = char::from(b'1' + n as u8);
        press(&mut app, &loader, key(digit));
        assert_eq!(app.pane, *pane);
        for (w, h) in [(120, 40), (80, 24)] {
            let s = screen(&app, w, h);
            assert!(!s.contains("Loading"), "{pane:?} {w}x{h}:\n{s}");
            insta::assert_snapshot!(format!("{}_{w}x{h}", pane.title().to_lowercase()), s);
        }
    }
}

//! The TUI without a terminal: key sequences to state, and frames drawn into a test backend
//! from the demo dataset with a fixed anchor.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale};
use plumb::store::Store;
use plumb::tui::app::{App, Effect, LinkIntent, Msg};
use plumb::tui::data::{DataRequest, DataResponse, Loader, Query};
use plumb::tui::keymap::Keymap;
use plumb::tui::panes::PaneId;
use plumb::tui::sync_task::SyncUpdate;
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
        partial: false,
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
        partial: false,
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
    // The way to real data, whole even on the smallest terminal.
    let s = screen(&app, 80, 24);
    for step in [
        "plumb config init",
        "plumb doctor",
        "plumb sync",
        "plumb import",
    ] {
        assert!(s.contains(step), "{step}: {s}");
    }
    assert!(s.contains("Press q to quit"), "{s}");
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
    // Named as its tool names it, not by the store's row id.
    let row = &app.incidents.data.as_ref().unwrap().rows[0];
    let reference = row
        .reference
        .clone()
        .expect("demo incidents have provenance");
    assert_ne!(reference, row.incident.id.to_string());
    assert!(s.contains(&format!(" Incident {reference} ")), "{s}");
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

// ---- Interaction: pickers, palette, links, sync, toasts, mouse ----

/// The team and service names the event loop hands the app at start.
fn with_choices(app: &mut App) {
    let store = Store::open_read_only(&demo_db()).unwrap();
    let teams = store.team_names().unwrap();
    let services = store
        .services()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.team))
        .collect();
    app.update(Msg::Choices {
        teams,
        services,
        panes: None,
    });
}

fn toast_texts(app: &App) -> Vec<String> {
    app.toasts.iter().map(|t| t.text.clone()).collect()
}

#[test]
fn the_team_picker_filters_fuzzily_and_scopes_every_pane() {
    let (mut app, loader) = loaded_app();
    with_choices(&mut app);
    press(&mut app, &loader, key('t'));
    assert!(app.picker.is_some());
    // Keys are text in the picker: `q` types, it does not quit.
    typed(&mut app, &loader, "q");
    assert!(!app.quit);
    press(&mut app, &loader, code(KeyCode::Backspace));
    typed(&mut app, &loader, "pltf");
    let effects = app.update(code(KeyCode::Enter));
    assert!(app.picker.is_none());
    assert_eq!(app.team.as_deref(), Some("platform"));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("picking a team reloads: {effects:?}");
    };
    assert_eq!(req.team.as_deref(), Some("platform"));
    answer(&mut app, &loader, &req);
    assert!(screen(&app, 120, 40).contains("team: platform"));
    press(&mut app, &loader, key('5'));
    let rows = &app.incidents.data.as_ref().unwrap().rows;
    assert!(
        rows.iter()
            .all(|r| r.incident.team.as_deref() == Some("platform"))
    );

    // Esc cancels without a change; picking "all teams" clears the scope.
    press(&mut app, &loader, key('t'));
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert_eq!(app.team.as_deref(), Some("platform"));
    press(&mut app, &loader, key('t'));
    typed(&mut app, &loader, "all");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.team, None);
}

#[test]
fn the_service_picker_narrows_requests_and_shows_in_the_header() {
    let (mut app, loader) = loaded_app();
    with_choices(&mut app);
    press(&mut app, &loader, key('5'));
    let all = app.incidents.data.as_ref().unwrap().rows.len();
    press(&mut app, &loader, key('s'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("service · Enter picks"), "{s}");
    insta::assert_snapshot!("service_picker_120x40", s);
    typed(&mut app, &loader, "api-gate");
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(app.service.as_deref(), Some("api-gateway"));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("picking a service reloads: {effects:?}");
    };
    assert_eq!(req.service.as_deref(), Some("api-gateway"));
    assert_eq!(req.filter().service.as_deref(), Some("api-gateway"));
    answer(&mut app, &loader, &req);
    let rows = app.incidents.data.as_ref().unwrap().rows.clone();
    assert!(
        !rows.is_empty() && rows.len() < all,
        "{} of {all}",
        rows.len()
    );
    assert!(
        rows.iter()
            .all(|r| r.incident.service.as_deref() == Some("api-gateway"))
    );
    // Follow-ups have no service: they follow their incident's.
    press(&mut app, &loader, key('6'));
    let data = app.actions.data.as_ref().unwrap();
    let store = Store::open_read_only(&demo_db()).unwrap();
    let service_of: std::collections::HashMap<i64, Option<String>> = store
        .incidents(&plumb::model::Filter::default(), 0)
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.service))
        .collect();
    assert!(!data.rows.is_empty());
    assert!(data.rows.iter().all(|r| {
        r.item
            .incident_id
            .and_then(|i| service_of.get(&i).cloned().flatten())
            .as_deref()
            == Some("api-gateway")
    }));
    assert!(screen(&app, 120, 40).contains("service: api-gateway"));

    // With a team picked, the service picker offers only that team's services.
    press(&mut app, &loader, key('t'));
    typed(&mut app, &loader, "payments");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(
        app.service_choices(),
        ["checkout-web", "fraud-scoring", "ledger", "payments-api"]
    );
    // Picking payments dropped api-gateway, a service of another team.
    assert_eq!(app.service, None);
    press(&mut app, &loader, key('s'));
    typed(&mut app, &loader, "ledger");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.service.as_deref(), Some("ledger"));
    // Esc clears the team first, then the service.
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.team, None);
    assert!(app.service.is_some());
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.service, None);
}

#[test]
fn the_palette_lists_actions_with_keys_and_runs_commands_with_arguments() {
    let (mut app, loader) = loaded_app();
    with_choices(&mut app);
    press(&mut app, &loader, key(':'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("commands · Enter runs"), "{s}");
    assert!(
        s.contains("pick team") && s.contains("sync all sources"),
        "{s}"
    );
    insta::assert_snapshot!("palette_120x40", s);
    let palette = app.palette.as_ref().unwrap();
    let team = palette
        .entries()
        .iter()
        .find(|e| e.label == "pick team")
        .unwrap();
    assert_eq!(team.key, "t");

    typed(&mut app, &loader, "team search");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(app.palette.is_none());
    assert_eq!(app.team.as_deref(), Some("search"));

    press(&mut app, &loader, key(':'));
    typed(&mut app, &loader, "range 30d");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.range_days(), 30);

    // An action by name runs as its key would.
    press(&mut app, &loader, key(':'));
    typed(&mut app, &loader, "pane incidents");
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.pane, PaneId::Incidents);

    // Nothing matching: the palette stays open for an edit and says why, in the palette.
    press(&mut app, &loader, key(':'));
    typed(&mut app, &loader, "team nosuch");
    press(&mut app, &loader, code(KeyCode::Enter));
    let why = app.palette.as_ref().and_then(|p| p.error.clone());
    assert!(why.is_some_and(|w| w.contains("no team matches")));
    assert!(screen(&app, 80, 24).contains("✗ no team matches"));
    press(&mut app, &loader, code(KeyCode::Esc));
    assert!(app.palette.is_none());
}

#[test]
fn open_and_copy_read_the_selected_rows_link_from_the_store() {
    let (mut app, loader) = loaded_app();
    // The Overview's rows are teams: nothing to open, and a toast says why.
    assert!(app.update(key('o')).is_empty());
    assert!(
        toast_texts(&app)[0].contains("no link"),
        "{:?}",
        toast_texts(&app)
    );

    press(&mut app, &loader, key('5'));
    let effects = app.update(key('o'));
    let Some(Effect::ResolveLink { intent, item }) = effects.first().cloned() else {
        panic!("open asks for the link: {effects:?}");
    };
    assert_eq!(intent, LinkIntent::Open);
    assert_eq!(item.table, "incidents");
    // The event loop reads the provenance, as here, and answers with the link.
    let store = Store::open_read_only(&demo_db()).unwrap();
    let url = store.provenance(item.table, item.id).unwrap().unwrap().url;
    assert!(url.as_deref().is_some_and(|u| u.starts_with("https://")));
    let effects = app.update(Msg::Link {
        intent,
        item: item.clone(),
        result: Ok(url.clone()),
    });
    assert_eq!(effects, vec![Effect::OpenLink(url.clone().unwrap())]);

    // Copy: the same link, through the terminal; a row without a link says so.
    let Some(Effect::ResolveLink { intent, item }) = app.update(key('y')).first().cloned() else {
        panic!("copy asks for the link");
    };
    assert_eq!(intent, LinkIntent::Copy);
    let effects = app.update(Msg::Link {
        intent,
        item: item.clone(),
        result: Ok(url.clone()),
    });
    assert_eq!(effects, vec![Effect::CopyLink(url.unwrap())]);
    // Nothing claims success before the event loop has copied it (it then says so, with the
    // link: see the end-to-end test).
    assert!(!toast_texts(&app).iter().any(|t| t.starts_with("copied")));
    let effects = app.update(Msg::Link {
        intent,
        item,
        result: Ok(None),
    });
    assert!(effects.is_empty());
    assert!(toast_texts(&app).iter().any(|t| t.contains("has no link")));
    assert!(
        app.valid_actions()
            .contains(&plumb::tui::keymap::Action::Open)
    );
}

#[test]
fn sync_without_sources_explains_and_progress_shows_in_the_footer() {
    let (mut app, loader) = loaded_app();
    assert!(app.update(key('R')).is_empty());
    assert!(toast_texts(&app)[0].contains("no sources to sync"));
    let s = screen(&app, 120, 40);
    assert!(s.contains("no sources to sync"), "{s}");

    app.sources = vec!["github".into(), "pagerduty".into()];
    assert_eq!(app.update(key('R')), vec![Effect::StartSync]);
    app.update(Msg::Sync(SyncUpdate::Started {
        sources: app.sources.clone(),
    }));
    app.update(Msg::Sync(SyncUpdate::Page {
        source: "github".into(),
        resource: "pulls".into(),
        pages: 3,
    }));
    let s = screen(&app, 120, 40);
    assert!(s.contains("github: pulls 3 pages…"), "{s}");
    // The app keeps working while the sync runs.
    press(&mut app, &loader, key('3'));
    assert_eq!(app.pane, PaneId::Ci);
    assert!(app.update(key('R')).is_empty(), "one sync at a time");

    app.update(Msg::Sync(SyncUpdate::SourceDone {
        source: "github".into(),
        items: 40,
        written: 7,
        errors: vec![],
        cancelled: false,
    }));
    app.update(Msg::Sync(SyncUpdate::SourceDone {
        source: "pagerduty".into(),
        items: 0,
        written: 0,
        errors: vec!["incidents: the token was rejected (401)".into()],
        cancelled: false,
    }));
    let effects = app.update(Msg::Sync(SyncUpdate::Finished {
        cancelled: false,
        error: None,
    }));
    // New rows: the active pane reloads, and the pickers' names are read again.
    assert!(matches!(effects.first(), Some(Effect::Load(r)) if r.query == Query::Ci));
    assert!(effects.contains(&Effect::LoadChoices));
    run(&mut app, &loader, effects);
    let s = screen(&app, 120, 40);
    assert!(s.contains("✗ pagerduty failed · cached data"), "{s}");
    assert!(app.ci.data.is_some());
}

#[test]
fn toasts_expire_on_the_toast_clock() {
    let (mut app, _) = loaded_app();
    app.update(key('R'));
    assert!(app.wants_toast_ticks());
    for _ in 0..3 {
        app.update(Msg::ToastTick);
    }
    assert!(!app.toasts.is_empty());
    app.dirty = false;
    app.update(Msg::ToastTick);
    assert!(app.toasts.is_empty());
    assert!(app.dirty, "an expired toast redraws");
    assert!(!app.wants_toast_ticks());
}

#[test]
fn the_background_sync_reports_a_source_it_cannot_reach() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.db");
    drop(Store::open(&db).unwrap());
    let config = plumb::config::parse_str(
        &dir.path().join("config.toml"),
        "[[sources]]\nname = \"gh\"\nkind = \"github\"\nbase_url = \"http://127.0.0.1:9\"\n\
         token_env = \"PLUMB_TEST_TOKEN_THAT_IS_NEVER_SET\"\nrepos = [\"o/r\"]\n",
    )
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = plumb::tui::sync_task::SyncTask::spawn(db, config, tx);
    let mut updates = Vec::new();
    while let Some(Msg::Sync(u)) = rx.blocking_recv() {
        let last = matches!(u, SyncUpdate::Finished { .. });
        updates.push(u);
        if last {
            break;
        }
    }
    task.cancel_and_wait(std::time::Duration::from_secs(5));
    assert!(matches!(&updates[0], SyncUpdate::Started { sources } if sources == &["gh"]));
    let Some(SyncUpdate::SourceDone { source, errors, .. }) = updates.get(1) else {
        panic!("the source reports: {updates:?}");
    };
    assert_eq!(source, "gh");
    assert!(!errors.is_empty(), "{updates:?}");
    assert!(matches!(
        updates.last(),
        Some(SyncUpdate::Finished {
            cancelled: false,
            error: None
        })
    ));
}

#[test]
fn the_mouse_clicks_tabs_and_rows_and_scrolls_when_on() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mouse = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let (mut app, loader) = loaded_app();
    screen(&app, 120, 40);
    let click = |x, y| mouse(MouseEventKind::Down(MouseButton::Left), x, y);
    // Off by default: nothing happens.
    let (x, _) = (app.tab_hits.borrow()[2].0.x, 0);
    assert!(app.update(click(x + 1, 0)).is_empty());
    assert_eq!(app.pane, PaneId::Overview);

    app.mouse = true;
    screen(&app, 120, 40);
    let tab = app.tab_hits.borrow()[4];
    press(&mut app, &loader, click(tab.0.x + 1, 0));
    assert_eq!(app.pane, tab.1);
    assert_eq!(app.pane, PaneId::Incidents);
    press(&mut app, &loader, mouse(MouseEventKind::ScrollDown, 10, 10));
    press(&mut app, &loader, mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(app.incidents.list.selected, 2);
    press(&mut app, &loader, mouse(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(app.incidents.list.selected, 1);
    // A click two lines below the selected row selects the row drawn there.
    screen(&app, 120, 40);
    let (_, marker) = app.row_hits.get().expect("the list's marker was found");
    press(&mut app, &loader, click(20, marker + 2));
    assert_eq!(app.incidents.list.selected, 3);
    let s = screen(&app, 120, 40);
    let line = s.lines().nth(usize::from(marker + 2)).unwrap();
    assert!(line.contains('›'), "the clicked line is selected:\n{s}");
}

#[test]
fn help_lists_the_interaction_keys_as_remapped() {
    let (mut app, loader) = loaded_app();
    let t: plumb::config::KeyBinding = "T".parse().unwrap();
    app.keymap = Keymap::default().with_overrides([("team", t)]);
    press(&mut app, &loader, key('?'));
    let s = screen(&app, 120, 40);
    for text in ["pick team", "pick service", "commands", "sync all sources"] {
        assert!(s.contains(text), "{text} missing:\n{s}");
    }
    let line = s.lines().find(|l| l.contains("pick team")).unwrap();
    assert!(line.contains("│T "), "{line}");
    press(&mut app, &loader, code(KeyCode::Esc));
    // The remapped key opens the picker; the old one no longer does.
    press(&mut app, &loader, key('t'));
    assert!(app.picker.is_none());
    press(&mut app, &loader, key('T'));
    assert!(app.picker.is_some());
}

#[test]
fn help_fits_every_key_at_80x24_in_two_columns() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('5'));
    press(&mut app, &loader, key('?'));
    let actions = app.valid_actions();
    // More than one column holds in the 22 lines between header and footer.
    assert!(actions.len() + 2 > 22, "{} actions", actions.len());
    let s = screen(&app, 80, 24);
    for a in actions {
        assert!(s.contains(a.describe()), "{} missing:\n{s}", a.describe());
    }
}

#[test]
fn a_picked_service_keeps_the_header_readable_at_80_columns() {
    let (mut app, loader) = loaded_app();
    with_choices(&mut app);
    press(&mut app, &loader, key('s'));
    typed(&mut app, &loader, "billing-mono");
    press(&mut app, &loader, code(KeyCode::Enter));
    let s = screen(&app, 80, 24);
    let header = s.lines().next().unwrap();
    assert!(header.contains("all teams / billing-monolith"), "{header}");
    assert!(
        header.contains(" 1 ") && header.contains("Overview"),
        "{header}"
    );
    let wide = screen(&app, 140, 40);
    assert!(wide.contains("service: billing-monolith"), "{wide}");
}

#[test]
fn panes_that_a_sync_brings_appear_without_a_restart() {
    let (mut app, loader) = loaded_app();
    let before = app.panes.clone();
    assert!(!before.contains(&PaneId::Governance), "{before:?}");
    press(&mut app, &loader, key('6'));
    let mut after = before.clone();
    after.extend([PaneId::Retro, PaneId::Governance]);
    app.update(Msg::Choices {
        teams: vec![],
        services: vec![],
        panes: Some(after.clone()),
    });
    assert_eq!(app.panes, after);
    assert_eq!(app.pane, PaneId::Actions, "the pane being read stays");
    assert!(app.dirty);
    // A pane that is gone falls back to the first.
    app.pane = PaneId::Governance;
    app.update(Msg::Choices {
        teams: vec![],
        services: vec![],
        panes: Some(before.clone()),
    });
    assert_eq!(app.pane, before[0]);
}

#[test]
fn the_overview_shows_its_first_screen_of_teams_before_the_rest() {
    use plumb::tui::data::PaneData;
    let loader = Loader::new(demo_db(), &Config::default()).unwrap();
    // 12 rows: a table of 3 team rows at most, so the first screen holds fewer than the 4 teams.
    loader.set_screen_rows(12);
    assert_eq!(plumb::tui::panes::overview::first_screen_teams(12), 2);
    let mut app = App::new(Keymap::default(), Some(anchor()));
    let Some(Effect::Load(req)) = app.start().first().cloned() else {
        panic!("the app asks for data first");
    };
    let mut partials = Vec::new();
    let whole = loader
        .load_progressively(&req, &mut |d| partials.push(d))
        .unwrap();
    let PaneData::Overview(whole) = whole else {
        panic!("an Overview answer");
    };
    assert_eq!((whole.teams.len(), whole.teams_total), (4, 4));
    let names = |teams: &[plumb::tui::data::TeamHealth]| -> Vec<String> {
        teams.iter().map(|t| t.team.clone()).collect()
    };
    // Workers may finish a later team first; whatever was handed on is a finished prefix of
    // the whole, with the same numbers, and says how many teams are still to come.
    for p in &partials {
        let PaneData::Overview(p) = p else {
            panic!("partial Overview answers only");
        };
        assert!(p.teams.len() >= 2 && p.teams.len() < 4, "{}", p.teams.len());
        assert_eq!(p.teams_total, 4);
        assert_eq!(names(&p.teams), names(&whole.teams[..p.teams.len()]));
        assert_eq!(
            p.teams.iter().map(|t| t.deployments).collect::<Vec<_>>(),
            whole.teams[..p.teams.len()]
                .iter()
                .map(|t| t.deployments)
                .collect::<Vec<_>>()
        );
    }

    // The app shows a partial answer at once and keeps waiting for the whole.
    let mut first = whole.clone();
    first.teams.truncate(2);
    app.update(Msg::Data(Box::new(DataResponse {
        generation: req.generation,
        result: Ok(PaneData::Overview(first)),
        partial: true,
    })));
    assert!(app.loading(), "the rest is still coming");
    assert_eq!(app.overview.data.as_ref().unwrap().teams_pending(), 2);
    let s = screen(&app, 120, 40);
    assert!(s.contains("4 teams · computing 2 more"), "{s}");
    assert!(
        s.contains("billing-legacy") && !s.contains("search "),
        "{s}"
    );
    // A partial answer to a replaced request is dropped like any other.
    let effects = app.update(key(']'));
    let Some(Effect::Load(newer)) = effects.first().cloned() else {
        panic!("range change reloads");
    };
    app.update(Msg::Data(Box::new(DataResponse {
        generation: req.generation,
        result: Ok(PaneData::Overview(whole.clone())),
        partial: true,
    })));
    assert_eq!(app.overview.data.as_ref().unwrap().teams.len(), 2);
    app.update(Msg::Data(Box::new(DataResponse {
        generation: newer.generation,
        result: Ok(PaneData::Overview(whole)),
        partial: false,
    })));
    assert!(!app.loading());
    let s = screen(&app, 120, 40);
    assert!(s.contains("4 teams ·") && s.contains("deployments"), "{s}");
    assert!(s.contains("search "), "{s}");
}

/// The change failure rate's rows say which deployments failed and why (the incident or the
/// rollback behind each), and rows name themselves as their tools do (`#42` for a pull request).
#[test]
fn the_change_failure_rate_explain_marks_failed_deployments() {
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, key('2'));
    let cfr = app
        .delivery
        .data
        .as_ref()
        .unwrap()
        .metrics
        .iter()
        .position(|m| m.name == "Change failure rate")
        .unwrap();
    for _ in 0..cfr {
        press(&mut app, &loader, key('j'));
    }
    press(&mut app, &loader, code(KeyCode::Enter));
    let view = app.delivery.explain.as_ref().unwrap();
    let data = view.data.as_ref().expect("rows loaded");
    let basis = &app.delivery.data.as_ref().unwrap().metrics[cfr].basis;
    let failed: Vec<_> = data.rows.iter().filter(|r| r.failed).collect();
    assert!(!failed.is_empty());
    assert!(
        basis.starts_with(&format!("{} of ", failed.len())),
        "every failed deployment of `{basis}` is marked"
    );
    assert!(failed.iter().all(|r| r.table == "deployments"));
    let incident_refs: Vec<&str> = data
        .rows
        .iter()
        .filter(|r| r.table == "incidents")
        .map(|r| r.reference.as_str())
        .collect();
    for r in &failed {
        let note = r.note.as_deref().expect("a failed deployment says why");
        // Each incident a note names is listed with a note pointing back.
        for cause in note.split(", ") {
            if let Some(key) = cause.strip_prefix("incident ") {
                assert!(incident_refs.contains(&key), "{key} is listed");
            } else {
                assert!(cause.starts_with("rollback ") || cause.starts_with("hotfix "));
            }
        }
    }
    assert!(
        data.rows
            .iter()
            .filter(|r| r.table == "incidents")
            .all(|r| r.note.as_deref().is_some_and(|n| n.starts_with("made "))),
        "the incidents listed are the ones that made a deployment fail"
    );
    assert!(data.rows.iter().all(|r| r.reference == r.external_id));
    for (w, h) in [(120, 40), (80, 24)] {
        press(&mut app, &loader, key('/'));
        typed(&mut app, &loader, "failed");
        press(&mut app, &loader, code(KeyCode::Enter));
        let s = screen(&app, w, h);
        assert!(s.contains("✗ deploy"), "{s}");
        assert!(s.contains("failed deployments"), "{s}");
        assert!(s.contains("/failed lists them"), "{s}");
        press(&mut app, &loader, code(KeyCode::Esc));
    }

    // The lead time lists changes by their pull request numbers.
    press(&mut app, &loader, code(KeyCode::Esc));
    press(&mut app, &loader, key('g'));
    press(&mut app, &loader, key('j'));
    press(&mut app, &loader, code(KeyCode::Enter));
    let data = app
        .delivery
        .explain
        .as_ref()
        .unwrap()
        .data
        .as_ref()
        .unwrap();
    let changes: Vec<_> = data.rows.iter().filter(|r| r.table == "changes").collect();
    assert!(!changes.is_empty());
    for c in changes {
        let url = c.url.as_deref().unwrap();
        assert!(
            url.ends_with(&format!("/pull/{}", &c.reference[1..])),
            "{url}"
        );
    }
}

/// Lead times of minutes chart in minutes: in hours they would all sit on the 0 line.
#[test]
fn the_lead_time_chart_picks_a_unit_that_fits_the_values() {
    use plumb::tui::data_delivery::{DeliveryData, DeliveryWeek};
    let week = |d: u32, minutes: f64| DeliveryWeek {
        week_start: chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap(),
        deployments: 10,
        lead_time_p50: Some(minutes * 60.0),
        change_failure_rate: Some(0.1),
    };
    let mut app = App::new(Keymap::default(), Some(anchor())).with_panes(vec![PaneId::Delivery]);
    for (minutes, unit, peak) in [
        ([20.0, 45.0, 95.0], "(min)", "95"),
        ([120.0, 600.0, 1500.0], "(h)", "25"),
    ] {
        app.delivery.accept(DeliveryData {
            weeks: vec![
                week(5, minutes[0]),
                week(12, minutes[1]),
                week(19, minutes[2]),
            ],
            ..DeliveryData::default()
        });
        let s = screen(&app, 120, 40);
        assert!(s.contains(&format!("Lead time p50 {unit}")), "{s}");
        assert!(
            s.contains(&format!("│{peak} ")),
            "the axis tops at {peak}:\n{s}"
        );
    }
}

#[test]
fn data_older_than_two_days_is_flagged_in_the_freshness_box() {
    use plumb::tui::data::{Freshness, OverviewData, PaneData, TeamHealth};
    let mut app = App::new(Keymap::default(), Some(anchor()));
    let Some(Effect::Load(req)) = app.start().first().cloned() else {
        panic!("the app asks for data first");
    };
    let now = anchor();
    let data = OverviewData {
        teams: vec![TeamHealth {
            team: "payments".into(),
            ..TeamHealth::default()
        }],
        teams_total: 1,
        freshness: vec![
            Freshness {
                source: "github".into(),
                last_synced_at: Some(now - chrono::Duration::hours(3)),
                now,
            },
            Freshness {
                source: "pagerduty".into(),
                last_synced_at: Some(now - chrono::Duration::days(3)),
                now,
            },
        ],
    };
    app.update(Msg::Data(Box::new(DataResponse {
        generation: req.generation,
        result: Ok(PaneData::Overview(data)),
        partial: false,
    })));
    let s = screen(&app, 120, 40);
    assert!(s.contains("github 3h ago"), "{s}");
    assert!(s.contains("pagerduty ▲ 3d ago"), "{s}");
}

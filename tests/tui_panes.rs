//! The Retro, Alignment and Governance panes on the small demo with a fixed anchor: which
//! panes exist, key sequences to state, the retro export, and frames at 120x40 and 80x24.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale};
use plumb::store::Store;
use plumb::tui::app::{App, Effect, Msg};
use plumb::tui::data::{DataRequest, DataResponse, Loader, Query};
use plumb::tui::keymap::Keymap;
use plumb::tui::panes::PaneId;
use plumb::tui::panes::retro::Focus;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::OnceLock;

fn anchor() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// One small demo database for this file. Definitions are recorded once, then dated at the
/// anchor so frames that show their dates do not depend on the day the test runs.
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
        drop(Loader::new(path.clone(), &Config::default()).unwrap());
        store
            .conn()
            .execute(
                "UPDATE metric_definitions SET valid_from = ?1",
                [anchor().timestamp()],
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

fn answer(app: &mut App, loader: &Loader, req: &DataRequest) {
    let result = loader.load_now(req).map_err(|e| e.to_string());
    app.update(Msg::Data(Box::new(DataResponse {
        generation: req.generation,
        result,
        partial: false,
    })));
}

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

/// An app showing the panes the demo has, with its first pane loaded.
fn loaded_app() -> (App, Loader) {
    let loader = Loader::new(demo_db(), &Config::default()).unwrap();
    let mut app = App::new(Keymap::default(), Some(anchor())).with_panes(loader.panes().unwrap());
    let effects = app.start();
    run(&mut app, &loader, effects);
    (app, loader)
}

/// Walks with Tab to `pane`, loading what each pane asks for.
fn go_to(app: &mut App, loader: &Loader, pane: PaneId) {
    for _ in 0..app.panes.len() {
        if app.pane == pane {
            return;
        }
        press(app, loader, code(KeyCode::Tab));
    }
    assert_eq!(app.pane, pane);
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
fn the_demo_has_every_pane_and_an_empty_store_only_retro() {
    let loader = Loader::new(demo_db(), &Config::default()).unwrap();
    let mut every = PaneId::ALL.to_vec();
    every.extend([PaneId::Retro, PaneId::Alignment, PaneId::Governance]);
    assert_eq!(loader.panes().unwrap(), every);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    drop(Store::open(&path).unwrap());
    let empty = Loader::new(path, &Config::default()).unwrap();
    let mut core = PaneId::ALL.to_vec();
    core.push(PaneId::Retro);
    assert_eq!(empty.panes().unwrap(), core);

    // Tabs are numbered among the panes shown: Tab from the last wraps to the first.
    let (mut app, loader) = loaded_app();
    press(&mut app, &loader, code(KeyCode::BackTab));
    assert_eq!(app.pane, PaneId::Governance);
    assert!(app.governance.data.is_some());
    let s = screen(&app, 120, 40);
    assert!(s.contains("9 Governance"), "{s}");
    press(&mut app, &loader, code(KeyCode::Tab));
    assert_eq!(app.pane, PaneId::Overview);
    // Number keys follow the tab numbers.
    for (digit, pane) in [
        ('7', PaneId::Retro),
        ('8', PaneId::Alignment),
        ('9', PaneId::Governance),
    ] {
        press(&mut app, &loader, key(digit));
        assert_eq!(app.pane, pane);
    }
}

#[test]
fn retro_defaults_to_the_last_finished_sprint() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Retro);
    let data = app.retro.data.as_ref().expect("retro loaded");
    let prep = data.prep.as_ref().expect("a sprint to prepare");
    let close = |s: &plumb::model::Sprint| s.completed_at.unwrap_or(s.end_at);
    let last = data
        .sprints
        .iter()
        .filter(|s| s.state == "closed")
        .map(close)
        .max()
        .unwrap();
    assert_eq!(prep.sprint.close_at, last);
    assert_eq!(prep.sprint.state, "closed");
    assert!(prep.committed.count() > 0, "{prep:?}");
    assert!(!prep.prompts.is_empty());
    // The cursor starts on that sprint, which the list marks.
    let at = data.sprints[app.retro.sprints.selected].id;
    assert_eq!(at, prep.sprint.id);
}

#[test]
fn retro_drills_from_a_number_to_its_rows_and_back() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Retro);
    assert_eq!(app.retro.focus, Focus::Sprints);
    // Enter on the sprint already shown moves to its numbers without reloading.
    let effects = app.update(code(KeyCode::Enter));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.retro.focus, Focus::Numbers);
    // The fourth number is "Completed"; Enter lists its items.
    for _ in 0..3 {
        press(&mut app, &loader, key('j'));
    }
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.retro.focus, Focus::Rows);
    let prep = app.retro.prep().unwrap().clone();
    assert_eq!(app.retro.visible_rows().len(), prep.completed.count());
    let s = screen(&app, 120, 40);
    assert!(s.contains(&prep.completed.items[0].key), "{s}");
    assert!(s.contains("Completed ·"), "{s}");
    // `/` narrows the rows to one key; Esc clears the filter, then leaves the rows.
    press(&mut app, &loader, key('/'));
    for c in prep.completed.items[0].key.chars() {
        press(&mut app, &loader, key(c));
    }
    press(&mut app, &loader, code(KeyCode::Enter));
    assert!(app.retro.visible_rows().len() < prep.completed.count() || prep.completed.count() == 1);
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.retro.visible_rows().len(), prep.completed.count());
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.retro.focus, Focus::Numbers);
    press(&mut app, &loader, code(KeyCode::Esc));
    assert_eq!(app.retro.focus, Focus::Sprints);
}

#[test]
fn picking_another_sprint_loads_its_prep() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Retro);
    let first = app.retro.chosen().unwrap();
    // Sprints are newest first: `j` moves to an older one.
    press(&mut app, &loader, key('j'));
    let effects = app.update(code(KeyCode::Enter));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("picking a sprint loads it: {effects:?}");
    };
    let Query::Retro(Some(id)) = req.query else {
        panic!("a retro query: {:?}", req.query);
    };
    assert_ne!(id, first);
    answer(&mut app, &loader, &req);
    assert_eq!(app.retro.chosen(), Some(id));
    assert_eq!(app.retro.focus, Focus::Numbers);
    // `r` reloads the same sprint, not the default one.
    let effects = app.update(key('r'));
    assert!(
        matches!(effects.first(), Some(Effect::Load(r)) if r.query == Query::Retro(Some(id))),
        "{effects:?}"
    );
}

#[test]
fn e_exports_the_retro_as_markdown_next_to_the_database() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Retro);
    let prep = app.retro.prep().unwrap().clone();
    let effects = app.update(key('e'));
    assert!(
        matches!(effects.first(), Some(Effect::Load(r)) if r.query == Query::RetroExport(prep.sprint.id)),
        "{effects:?}"
    );
    run(&mut app, &loader, effects);
    let path = match &app.retro.export {
        Some(Ok(path)) => path.clone(),
        other => panic!("exported: {other:?}"),
    };
    assert_eq!(
        path.parent().unwrap(),
        demo_db().parent().unwrap().join("retros")
    );
    let md = std::fs::read_to_string(&path).unwrap();
    assert_eq!(md, plumb::tui::panes::retro_markdown::render(&prep));
    assert!(md.contains(&format!("| Committed | {} |", prep.committed.count())));
    let s = screen(&app, 120, 40);
    assert!(s.contains("✓ exported to"), "{s}");
}

#[test]
fn alignment_shows_live_key_results_and_the_linked_share() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Alignment);
    let data = app.alignment.data.as_ref().expect("alignment loaded");
    assert!(!data.objectives.is_empty());
    // Active objectives come first, and their bound key results are computed.
    assert_eq!(data.objectives[0].objective.status, "active");
    let live: Vec<_> = data
        .objectives
        .iter()
        .flat_map(|o| &o.key_results)
        .filter(|k| k.live)
        .collect();
    assert!(!live.is_empty());
    assert!(
        live.iter()
            .all(|k| k.key_result.metric.is_some() && k.current.is_some())
    );
    let manual = data
        .objectives
        .iter()
        .flat_map(|o| &o.key_results)
        .find(|k| k.key_result.metric.is_none())
        .expect("a key result typed in");
    assert_eq!(manual.current, manual.key_result.current);
    let share = data.linked_share().expect("resolved work in 90 days");
    assert!((0.0..=1.0).contains(&share));
    assert!(!data.milestones.is_empty());
    // `/` narrows to one team's objectives, key results included.
    press(&mut app, &loader, key('/'));
    for c in "search".chars() {
        press(&mut app, &loader, key(c));
    }
    press(&mut app, &loader, code(KeyCode::Enter));
    let data = app.alignment.data.as_ref().unwrap();
    for line in app.alignment.visible() {
        let i = match line {
            plumb::tui::panes::alignment::ListLine::Objective(i)
            | plumb::tui::panes::alignment::ListLine::KeyResult(i, _) => i,
        };
        assert_eq!(data.objectives[i].objective.team.as_deref(), Some("search"));
    }
}

#[test]
fn governance_lists_definitions_annotations_and_sources() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Governance);
    let data = app.governance.data.as_ref().expect("governance loaded");
    let metrics: Vec<&str> = data.definitions.iter().map(|d| d.metric.as_str()).collect();
    assert!(metrics.contains(&"dora.lead_time"), "{metrics:?}");
    assert!(metrics.contains(&"retro.sprint_prep"), "{metrics:?}");
    assert!(data.definitions.iter().all(|d| !d.in_use.is_empty()));
    // The demo's decision log includes the metric that drove a wrong decision.
    assert!(
        data.annotations
            .iter()
            .any(|a| a.title == "Dropped the deployment-count target")
            || app.range_days() < 200
    );
    assert!(!data.annotations.is_empty());
}

/// The three panes at both sizes, from the demo at its anchor.
#[test]
fn planning_panes_render_at_both_sizes() {
    let (mut app, loader) = loaded_app();
    for pane in [PaneId::Retro, PaneId::Alignment, PaneId::Governance] {
        go_to(&mut app, &loader, pane);
        for (w, h) in [(120, 40), (80, 24)] {
            let s = screen(&app, w, h);
            assert!(!s.contains("Loading"), "{pane:?} {w}x{h}:\n{s}");
            insta::assert_snapshot!(format!("{}_{w}x{h}", pane.title().to_lowercase()), s);
        }
    }
}

#[test]
fn a_team_scopes_the_sprints_and_drops_another_teams_sprint() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Retro);
    let shown = app.retro.prep().unwrap().sprint.team.clone().unwrap();
    let other = if shown == "payments" {
        "search"
    } else {
        "payments"
    };
    // Narrow to another team from the Overview, then come back to Retro.
    go_to(&mut app, &loader, PaneId::Overview);
    let row = app
        .overview
        .data
        .as_ref()
        .unwrap()
        .teams
        .iter()
        .position(|t| t.team == other)
        .unwrap();
    for _ in 0..row {
        press(&mut app, &loader, key('j'));
    }
    press(&mut app, &loader, code(KeyCode::Enter));
    assert_eq!(app.team.as_deref(), Some(other));
    go_to(&mut app, &loader, PaneId::Retro);
    let data = app.retro.data.as_ref().unwrap();
    assert!(!data.sprints.is_empty());
    assert!(
        data.sprints
            .iter()
            .all(|s| s.team.as_deref() == Some(other))
    );
    assert_eq!(
        app.retro.prep().unwrap().sprint.team.as_deref(),
        Some(other)
    );
}

#[test]
fn governance_numbers_after_retro_without_okrs_and_shows_sync_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synced.db");
    let store = Store::open(&path).unwrap();
    store
        .record_success(
            "github",
            "deployments",
            anchor() - chrono::Duration::hours(3),
        )
        .unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO sync_state (source, resource, last_ok_at, last_error, last_error_at)
             VALUES ('jira', 'issues', ?1, 'HTTP 401: token rejected', ?2)",
            [
                (anchor() - chrono::Duration::days(2)).timestamp(),
                (anchor() - chrono::Duration::hours(1)).timestamp(),
            ],
        )
        .unwrap();
    drop(store);
    let loader = Loader::new(path, &Config::default()).unwrap();
    let mut app = App::new(Keymap::default(), Some(anchor())).with_panes(loader.panes().unwrap());
    let effects = app.start();
    run(&mut app, &loader, effects);
    // No OKRs: Governance takes number 8.
    press(&mut app, &loader, key('8'));
    assert_eq!(app.pane, PaneId::Governance);
    let sync = &app.governance.data.as_ref().unwrap().sync;
    assert_eq!(sync.len(), 2);
    let s = screen(&app, 120, 40);
    assert!(s.contains("8 Governance"), "{s}");
    assert!(s.contains("✗ HTTP 401: token rejected"), "{s}");
    assert!(s.contains("✓ ok"), "{s}");
    // An empty Retro says how to get sprints.
    press(&mut app, &loader, key('7'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("No sprint to prepare"), "{s}");
}

#[test]
fn export_paths_quarters_and_the_default_sprint() {
    use plumb::tui::data_planning::{default_sprint, export_path, quarter_bounds};
    let db = std::path::Path::new("/data/plumb/plumb.db");
    assert_eq!(
        export_path(db, "PAY Sprint 12 / Q4: \"launch\""),
        PathBuf::from("/data/plumb/retros/pay-sprint-12-q4-launch.md")
    );
    assert_eq!(
        export_path(std::path::Path::new("plumb.db"), "***"),
        PathBuf::from("retros/sprint.md")
    );
    let (s, e) = quarter_bounds("2026-Q4").unwrap();
    assert_eq!(s, Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap());
    assert_eq!(e, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(
        quarter_bounds("2026-Q2").unwrap().1,
        Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()
    );
    assert!(quarter_bounds("2026-Q5").is_none() && quarter_bounds("H1 2026").is_none());

    let sprint =
        |id: i64, start_day: u32, state: &str, completed: Option<u32>| plumb::model::Sprint {
            id,
            board: "B".into(),
            team: None,
            name: format!("S{id}"),
            state: state.into(),
            start_at: Utc.with_ymd_and_hms(2026, 10, start_day, 0, 0, 0).unwrap(),
            end_at: Utc.with_ymd_and_hms(2026, 10, start_day, 0, 0, 0).unwrap()
                + chrono::Duration::days(14),
            completed_at: completed.map(|d| Utc.with_ymd_and_hms(2026, 10, d, 0, 0, 0).unwrap()),
            goal: None,
        };
    let now = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap();
    // S2 closed last (on the 16th); S3 still runs; S4 is planned.
    let sprints = [
        sprint(1, 1, "closed", Some(15)),
        sprint(2, 2, "closed", Some(16)),
        sprint(3, 15, "active", None),
        sprint(4, 29, "future", None),
    ];
    assert_eq!(default_sprint(&sprints, now).map(|s| s.id), Some(2));
    // Without a finished sprint, the newest that started.
    assert_eq!(default_sprint(&sprints[2..], now).map(|s| s.id), Some(3));
    assert!(default_sprint(&[], now).is_none());
}

/// Load times of the three panes' queries (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement, not a check: run it in release"]
fn planning_query_timings() {
    let (mut app, loader) = loaded_app();
    for pane in [PaneId::Retro, PaneId::Alignment, PaneId::Governance] {
        go_to(&mut app, &loader, pane);
        let effects = app.update(key('r'));
        let Some(Effect::Load(req)) = effects.first().cloned() else {
            panic!("refresh loads");
        };
        let t = std::time::Instant::now();
        let rounds = 5;
        for _ in 0..rounds {
            loader.load_now(&req).unwrap();
        }
        println!(
            "{}: {:.1} ms per load",
            pane.title(),
            t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
        );
        answer(&mut app, &loader, &req);
    }
}

/// A key result reads from its start value through now to its target, so progress (which is
/// measured from the start) can be checked by eye, at both sizes.
#[test]
fn key_results_show_their_start_value() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Alignment);
    let data = app.alignment.data.as_ref().unwrap();
    let first = data.objectives[0]
        .key_results
        .iter()
        .find(|k| k.key_result.baseline.is_some() && k.current.is_some())
        .expect("a key result with a baseline");
    let kr = &first.key_result;
    let shown = |v: f64| {
        if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let expected = format!(
        "{} → {} / {}",
        shown(kr.baseline.unwrap()),
        shown(first.current.unwrap()),
        shown(kr.target)
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(s.contains("Start → now / target"), "{s}");
        assert!(s.contains(&expected), "{expected} at {w}x{h}:\n{s}");
    }
}

/// Load time of Delivery's explain of the change failure rate, the longest list with the most
/// notes (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement, not a check: run it in release"]
fn delivery_explain_timing() {
    let (mut app, loader) = loaded_app();
    go_to(&mut app, &loader, PaneId::Delivery);
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
    let effects = app.update(code(KeyCode::Enter));
    let Some(Effect::Load(req)) = effects.first().cloned() else {
        panic!("explain loads");
    };
    let rounds = 5;
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        loader.load_now(&req).unwrap();
    }
    println!(
        "change failure rate explain: {:.1} ms per load",
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
    );
}

//! Changing team in the dashboard never keeps a service of another team: every pane would
//! otherwise show zeros under a header naming both.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::tui::app::{App, Effect, Msg};
use plumb::tui::keymap::Keymap;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects = app.update(key(KeyCode::Char(c)));
    }
    effects
}

/// An app scoped to the `ledger` service (owned by payments), with the pickers' choices.
fn app_on_ledger() -> App {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap();
    let mut app = App::new(Keymap::default(), Some(now));
    app.teams = vec!["payments".into(), "search".into()];
    app.services = vec![
        ("ledger".into(), Some("payments".into())),
        ("payments-api".into(), Some("payments".into())),
        ("indexer".into(), Some("search".into())),
        ("shared-cache".into(), None),
    ];
    app.service = Some("ledger".into());
    app
}

/// The service of the requests the last scope change issued.
fn requested_service(effects: &[Effect]) -> Option<Option<String>> {
    effects.iter().find_map(|e| match e {
        Effect::Load(req) => Some(req.service.clone()),
        _ => None,
    })
}

#[test]
fn picking_another_team_drops_a_service_it_does_not_own() {
    let mut app = app_on_ledger();
    app.update(key(KeyCode::Char('t')));
    typed(&mut app, "search");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(app.team.as_deref(), Some("search"));
    assert_eq!(app.service, None);
    assert_eq!(requested_service(&effects), Some(None));
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("ledger belongs to payments")),
        "the change is said"
    );
}

#[test]
fn the_palette_team_command_drops_it_too() {
    let mut app = app_on_ledger();
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "team search");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(app.team.as_deref(), Some("search"));
    assert_eq!(app.service, None);
    assert_eq!(requested_service(&effects), Some(None));
}

#[test]
fn the_owning_team_and_unowned_services_keep_the_service() {
    let mut app = app_on_ledger();
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "team payments");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(app.team.as_deref(), Some("payments"));
    assert_eq!(app.service.as_deref(), Some("ledger"));
    assert_eq!(requested_service(&effects), Some(Some("ledger".into())));

    // A service no team owns is not known to be another team's: it stays.
    let mut app = app_on_ledger();
    app.service = Some("shared-cache".into());
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "team search");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.service.as_deref(), Some("shared-cache"));
}

/// `:range` reads its argument as the CLI reads a span (days or weeks), any number of days up to
/// ten years; `[` and `]` then step to the next preset from there. Anything else keeps the
/// palette open and says why, in it.
#[test]
fn the_palette_range_command_reads_days_and_weeks() {
    let mut app = app_on_ledger();
    for (text, days) in [
        ("range 1w", 7),
        ("range 180d", 180),
        ("range 14d", 14),
        ("range 30", 30),
        ("range 45d", 45),
    ] {
        app.update(key(KeyCode::Char(':')));
        typed(&mut app, text);
        let effects = app.update(key(KeyCode::Enter));
        assert!(app.palette.is_none(), "{text} runs and closes the palette");
        assert_eq!(app.range_days(), days, "{text}");
        assert!(
            requested_service(&effects).is_some(),
            "{text} reloads the pane"
        );
    }
    // From 45 days, `]` goes to the next preset up and `[` to the next one down.
    app.update(key(KeyCode::Char(']')));
    assert_eq!(app.range_days(), 90);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "range 45d");
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('[')));
    assert_eq!(app.range_days(), 30);

    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "range 0d");
    let effects = app.update(key(KeyCode::Enter));
    assert!(effects.is_empty());
    assert_eq!(app.range_days(), 30, "unchanged");
    let why = app
        .palette
        .as_ref()
        .and_then(|p| p.error.clone())
        .expect("the palette stays open with the reason");
    assert!(
        why.contains("1 to 3650 days") && why.contains("7d, 30d"),
        "{why}"
    );
    assert!(app.toasts.is_empty(), "said once, in the palette");
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.palette.as_ref().and_then(|p| p.error.clone()), None);
}

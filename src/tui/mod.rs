//! The terminal UI. One task owns the app state and the terminal; it waits on terminal events,
//! results of background queries and a slow tick, and redraws only when something changed.
//! Queries run on blocking threads with their own read-only connection; the newest request wins
//! and stale answers are dropped by generation.

pub mod app;
pub mod data;
pub mod data_delivery;
pub mod data_ops;
pub mod keymap;
pub mod panes;
pub mod theme;
mod view;

/// Draws one frame of the app (the event loop's renderer, public for tests).
pub fn render(f: &mut ratatui::Frame, app: &App, theme: theme::Theme, demo: bool) {
    view::render(f, app, theme, &view::Context { demo });
}

use crate::config::Config;
use app::{App, Effect, Msg};
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// Runs the TUI on the database at `db_path` until the user quits.
pub fn run_blocking(db_path: &Path, config: &Config, demo: bool) -> Result<()> {
    // Open (and migrate) once up front, so errors show before the terminal is taken over.
    let store = crate::store::Store::open(db_path)?;
    // A demo dataset ends at its anchor: ranges count back from there, not from today.
    let fixed_now = match store.meta("demo.anchor")? {
        Some(a) if demo => chrono::DateTime::parse_from_rfc3339(&a)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc)),
        _ => None,
    };
    drop(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let keymap = keymap::Keymap::default().with_overrides(
        config
            .ui
            .keys
            .iter()
            .map(|(action, key)| (action.as_str(), *key)),
    );
    let theme = theme::Theme::from_config(config.ui.theme);
    let loader = data::Loader::new(db_path.to_path_buf(), config)?;
    runtime.block_on(run(App::new(keymap, fixed_now), theme, loader, demo))
}

async fn run(mut app: App, theme: theme::Theme, loader: data::Loader, demo: bool) -> Result<()> {
    let mut terminal = ratatui::try_init().wrap_err("cannot initialise the terminal")?;
    let result = event_loop(&mut terminal, &mut app, theme, loader, demo).await;
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    theme: theme::Theme,
    loader: data::Loader,
    demo: bool,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let context = view::Context { demo };

    let mut pending = app.start();
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Load(req) => loader.spawn(req, tx.clone()),
                Effect::Suspend => suspend(terminal)?,
            }
        }
        if app.dirty {
            terminal
                .draw(|f| view::render(f, app, theme, &context))
                .wrap_err("cannot draw to the terminal")?;
            app.dirty = false;
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).wrap_err("cannot read terminal input"),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick,
        };
        pending = app.update(msg);
    }
}

/// Ctrl-z: give the terminal back, stop the process, and take the terminal again on `fg`.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    ratatui::restore();
    #[cfg(unix)]
    {
        // SIGTSTP through kill(1) stops us like a shell's Ctrl-z would, without unsafe code.
        let _ = std::process::Command::new("kill")
            .args(["-TSTP", &std::process::id().to_string()])
            .status();
    }
    *terminal = ratatui::try_init().wrap_err("cannot re-initialise the terminal")?;
    terminal.clear()?;
    Ok(())
}

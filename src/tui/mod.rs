//! The terminal UI. One task owns the app state and the terminal; it waits on terminal events,
//! results of background queries and a slow tick, and redraws only when something changed.
//! Queries run on blocking threads with their own read-only connection; the newest request wins
//! and stale answers are dropped by generation.

pub mod app;
pub mod data;
pub mod data_delivery;
pub mod data_ops;
pub mod data_overview;
pub mod data_planning;
pub mod fuzzy;
mod interaction;
pub mod item;
pub mod keymap;
mod keys;
pub mod mouse;
pub mod open;
pub mod palette;
pub mod panes;
pub mod picker;
pub mod sync_task;
pub mod theme;
pub mod toast;
mod view;

/// Draws one frame of the app (the event loop's renderer, public for tests).
pub fn render(f: &mut ratatui::Frame, app: &App, theme: theme::Theme, demo: bool) {
    view::render(f, app, theme, &view::Context { demo });
}

use crate::config::Config;
use app::{App, Effect, Msg};
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use sync_task::SyncTask;
use tokio::sync::mpsc::{self, UnboundedSender};

/// What the event loop needs besides the app: where the store is, and the config (sources
/// to sync, the toast clock).
struct LoopEnv {
    db_path: PathBuf,
    config: Config,
    theme: theme::Theme,
    loader: data::Loader,
    demo: bool,
}

/// How long quitting waits for a running sync to finish its page.
const SYNC_GRACE: Duration = Duration::from_secs(1);

/// Runs the TUI on the database at `db_path` until the user quits. A database `plumb demo`
/// generated, however it is opened, is shown as a demo: ranges count back from its anchor,
/// the demo's config fallbacks apply and nothing syncs into it, so the dashboard and
/// `plumb report` agree on it.
pub fn run_blocking(db_path: &Path, config: &Config) -> Result<()> {
    // Open (and migrate) once up front, so errors show before the terminal is taken over.
    let store = crate::store::Store::open(db_path)?;
    let fixed_now = crate::demo::recorded_anchor(&store)?;
    let demo = fixed_now.is_some();
    let mut config = config.clone();
    if demo {
        crate::config::with_demo_fallbacks(&mut config)?;
    }
    let config = &config;
    let (teams, services) = choices(&store)?;
    // A sync state that cannot be read only costs the footer its warning.
    let sync_status = sync_task::SyncStatus::from_store(&store).unwrap_or_default();
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
    let mut app = App::new(keymap, fixed_now).with_panes(loader.panes()?);
    app.teams = teams;
    app.services = services;
    // The demo's database is generated: syncing real sources into it would mix the two.
    if !demo {
        app.sources = config.sources.iter().map(|s| s.name.clone()).collect();
    }
    app.mouse = config.ui.mouse;
    for (source, error) in sync_status.failed() {
        app.toasts.push(
            toast::Level::Error,
            format!("{source}: last sync failed: {error}; showing cached data (R retries)"),
        );
    }
    app.sync = sync_status;
    let env = LoopEnv {
        db_path: db_path.to_path_buf(),
        config: config.clone(),
        theme,
        loader,
        demo,
    };
    runtime.block_on(run(app, env))
}

/// The team names and the services (with their team) the pickers offer.
type Choices = (Vec<String>, Vec<(String, Option<String>)>);

fn choices(store: &crate::store::Store) -> Result<Choices> {
    let teams = store.team_names()?;
    let services = store
        .services()?
        .into_iter()
        .map(|s| (s.name, s.team))
        .collect();
    Ok((teams, services))
}

async fn run(mut app: App, env: LoopEnv) -> Result<()> {
    let mut terminal = ratatui::try_init().wrap_err("cannot initialise the terminal")?;
    let mouse = app.mouse;
    if mouse {
        mouse_capture(true);
    }
    let mut sync: Option<SyncTask> = None;
    let result = event_loop(&mut terminal, &mut app, &env, &mut sync).await;
    if let Some(task) = sync.take() {
        // Quitting mid-sync: stop after the page being written, on a blocking thread so the
        // runtime is not held.
        let _ = tokio::task::spawn_blocking(move || task.cancel_and_wait(SYNC_GRACE)).await;
    }
    if mouse {
        mouse_capture(false);
    }
    ratatui::restore();
    result
}

/// Turns mouse reporting on or off. A panic while it is on must turn it off too, or the
/// shell would receive mouse escape codes, so the first call also extends the panic hook
/// that `ratatui::init` installed.
fn mouse_capture(on: bool) {
    use std::sync::Once;
    static HOOK: Once = Once::new();
    let mut out = std::io::stdout();
    if on {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
                previous(info);
            }));
        });
        let _ = crossterm::execute!(out, EnableMouseCapture);
    } else {
        let _ = crossterm::execute!(out, DisableMouseCapture);
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    env: &LoopEnv,
    sync: &mut Option<SyncTask>,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The toast clock runs only while something on screen counts down.
    let toast_period = Duration::from_secs(env.config.ui.tick_seconds.clamp(1, 10));
    let mut toast_tick = tokio::time::interval(toast_period);
    toast_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let context = view::Context { demo: env.demo };

    if let Ok((_, rows)) = crossterm::terminal::size() {
        env.loader.set_screen_rows(rows);
    }
    let mut pending = app.start();
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Load(req) => env.loader.spawn(req, tx.clone()),
                Effect::Suspend => suspend(terminal, app.mouse)?,
                other => run_effect(other, env, sync, &tx),
            }
        }
        if sync.as_ref().is_some_and(SyncTask::is_finished) {
            *sync = None;
        }
        if app.dirty {
            terminal
                .draw(|f| view::render(f, app, env.theme, &context))
                .wrap_err("cannot draw to the terminal")?;
            app.dirty = false;
        }
        let ticking = app.wants_toast_ticks();
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Some(Ok(Event::Resize(_, rows))) => {
                    env.loader.set_screen_rows(rows);
                    Msg::Resize
                }
                Some(Ok(Event::Mouse(m))) if app.mouse => Msg::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).wrap_err("cannot read terminal input"),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick,
            _ = toast_tick.tick(), if ticking => Msg::ToastTick,
        };
        pending = app.update(msg);
    }
}

/// Carries out the effects that start background work or talk to the desktop.
fn run_effect(
    effect: Effect,
    env: &LoopEnv,
    sync: &mut Option<SyncTask>,
    tx: &UnboundedSender<Msg>,
) {
    let notice = |level, text: String| {
        let _ = tx.send(Msg::Notice(level, text));
    };
    match effect {
        Effect::StartSync if sync.is_none() => {
            *sync = Some(SyncTask::spawn(
                env.db_path.clone(),
                env.config.clone(),
                tx.clone(),
            ));
        }
        Effect::StartSync => notice(toast::Level::Info, "a sync is already running".into()),
        Effect::ResolveLink { intent, item } => {
            let (db, tx) = (env.db_path.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let result = crate::store::Store::open_read_only(&db)
                    .and_then(|s| s.provenance(item.table, item.id))
                    .map(|p| p.and_then(|p| p.url))
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::Link {
                    intent,
                    item,
                    result,
                });
            });
        }
        // One toast per outcome, naming the link, so it can be typed or copied by hand.
        Effect::OpenLink(url) => match open::open_in_browser(&url) {
            Ok(()) => notice(toast::Level::Info, format!("opened {url}")),
            Err(e) => notice(toast::Level::Error, format!("{e}: {url}")),
        },
        Effect::CopyLink(url) => match open::copy_to_clipboard(&mut std::io::stdout(), &url) {
            Ok(()) => notice(toast::Level::Info, format!("copied {url}")),
            Err(e) => notice(toast::Level::Error, format!("{e}: {url}")),
        },
        Effect::LoadChoices => {
            let (db, tx) = (env.db_path.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let loaded = crate::store::Store::open_read_only(&db)
                    .map_err(color_eyre::eyre::Report::from)
                    .and_then(|s| choices(&s));
                if let Ok((teams, services)) = loaded {
                    let panes = data::panes_at(&db).ok();
                    let _ = tx.send(Msg::Choices {
                        teams,
                        services,
                        panes,
                    });
                }
            });
        }
        Effect::Quit | Effect::Load(_) | Effect::Suspend => {}
    }
}

/// Ctrl-z: give the terminal back, stop the process, and take the terminal again on `fg`.
fn suspend(terminal: &mut ratatui::DefaultTerminal, mouse: bool) -> Result<()> {
    if mouse {
        mouse_capture(false);
    }
    ratatui::restore();
    #[cfg(unix)]
    {
        // SIGTSTP through kill(1) stops us like a shell's Ctrl-z would, without unsafe code.
        let _ = std::process::Command::new("kill")
            .args(["-TSTP", &std::process::id().to_string()])
            .status();
    }
    *terminal = ratatui::try_init().wrap_err("cannot re-initialise the terminal")?;
    if mouse {
        mouse_capture(true);
    }
    terminal.clear()?;
    Ok(())
}

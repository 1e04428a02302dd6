//! The TUI's responsiveness on the demo datasets, through the real render path (store, Loader,
//! App, view) drawn into ratatui's `TestBackend`:
//!
//! - first frame: open the store as the event loop does, build the Loader, start the App, load
//!   the Overview's first screen of teams (the loader hands those on, then computes the rest),
//!   draw one 120x40 frame (target: small < 150 ms, large < 300 ms); and the time until every
//!   team is computed and drawn. The `plumb` process's own start (exec, dynamic loading, CLI parsing) is timed apart with
//!   `plumb --version` when the binary is built, and added to give a process-start figure;
//! - first visit of each pane: its load, then the frame;
//! - pane switch and filter keystroke on loaded data: `App::update` plus one frame (< 50 ms);
//! - idle: a tick changes nothing, so nothing is redrawn;
//! - memory: VmRSS after every pane is loaded (target < 150 MB on large).
//!
//! Run with `cargo bench --bench tui`; `-- small` or `-- large` runs one dataset. Set
//! `PLUMB_BENCH_DIR` to keep (and reuse) the generated databases (`tui-small.db`,
//! `tui-large.db`); the large one takes about a minute to generate.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale, generate};
use plumb::store::Store;
use plumb::tui::app::{App, Effect, Msg};
use plumb::tui::data::{DataResponse, Loader};
use plumb::tui::keymap::Keymap;
use plumb::tui::panes::PaneId;
use plumb::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::time::Instant;

const FIRST_FRAME_RUNS: usize = 10;
const SWITCH_ROUNDS: usize = 5;

fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("anchor")
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "min {:6.1} ms, median {:6.1} ms, max {:6.1} ms",
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn theme() -> Theme {
    Theme::from_config(plumb::config::Theme::Dark)
}

fn draw(term: &mut Terminal<TestBackend>, app: &mut App) {
    term.draw(|f| plumb::tui::render(f, app, theme(), true))
        .expect("draw");
    app.dirty = false;
}

/// Answers every load among `effects` synchronously, as the event loop's workers would.
fn carry_out(app: &mut App, loader: &Loader, effects: Vec<Effect>) {
    for e in effects {
        if let Effect::Load(req) = e {
            let result = loader.load_now(&req).map_err(|e| format!("{e:#}"));
            app.update(Msg::Data(Box::new(DataResponse {
                generation: req.generation,
                result,
                partial: false,
            })));
        }
    }
}

/// What `plumb demo` does before its first frame, then that frame: the Overview's first screen
/// of teams (the loader hands those on before computing the teams below the fold) drawn at
/// 120x40. Returns the time to that frame, its parts (prepare, query, draw), and the time until
/// every team is computed and drawn.
fn first_frame(path: &Path, config: &Config) -> (f64, [f64; 3], f64) {
    let start = Instant::now();
    let store = Store::open(path).expect("open");
    let fixed_now = store
        .meta("demo.anchor")
        .expect("meta")
        .and_then(|a| DateTime::parse_from_rfc3339(&a).ok())
        .map(|t| t.with_timezone(&Utc));
    drop(store);
    let loader = Loader::new(path.to_path_buf(), config).expect("loader");
    loader.set_screen_rows(40);
    let prepared = ms(start);
    let mut app = App::new(Keymap::default(), fixed_now);
    let t = Instant::now();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut first: Option<(f64, f64, f64)> = None;
    for e in app.start() {
        let Effect::Load(req) = e else { continue };
        let generation = req.generation;
        let mut apply = |app: &mut App, result, partial| {
            app.update(Msg::Data(Box::new(DataResponse {
                generation,
                result,
                partial,
            })));
            if first.is_none() {
                let loaded = ms(t);
                let d = Instant::now();
                draw(&mut term, app);
                first = Some((ms(start), loaded, ms(d)));
            }
        };
        let result = loader
            .load_progressively(&req, &mut |data| apply(&mut app, Ok(data), true))
            .map_err(|e| format!("{e:#}"));
        apply(&mut app, result, false);
    }
    draw(&mut term, &mut app);
    let whole = ms(start);
    assert!(
        app.overview
            .data
            .as_ref()
            .is_some_and(|d| d.teams_pending() == 0),
        "the Overview loaded every team"
    );
    let (total, loaded, drawn) = first.expect("a first frame");
    (total, [prepared, loaded, drawn], whole)
}

/// `plumb --version`: exec, dynamic loading and CLI parsing, when the binary is built.
fn process_overhead() -> Option<f64> {
    let exe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/plumb");
    if !exe.exists() {
        return None;
    }
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let ok = std::process::Command::new(&exe)
            .arg("--version")
            .output()
            .ok()?
            .status
            .success();
        if !ok {
            return None;
        }
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    Some(times[times.len() / 2])
}

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bench(scale: Scale, path: &Path, exec_ms: Option<f64>) {
    let name = scale.as_str();
    let config = Config::default();
    let mut totals = Vec::new();
    let mut wholes = Vec::new();
    let mut parts = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..FIRST_FRAME_RUNS {
        let (total, p, whole) = first_frame(path, &config);
        totals.push(total);
        wholes.push(whole);
        for (v, x) in parts.iter_mut().zip(p) {
            v.push(x);
        }
    }
    let [prepared, loaded, drawn] = parts;
    let median_total = {
        let mut v = totals.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{name}: first frame (open + Loader + Overview load + 120x40 draw): {}",
        stats(totals)
    );
    println!("{name}:   open store + Loader::new   {}", stats(prepared));
    println!("{name}:   Overview query             {}", stats(loaded));
    println!("{name}:   first draw                 {}", stats(drawn));
    println!("{name}: every team computed and drawn  {}", stats(wholes));
    if let Some(exec) = exec_ms {
        println!(
            "{name}: process start to first frame ≈ {:.1} ms (plumb --version {exec:.1} ms + median above)",
            exec + median_total
        );
    }

    // Every pane's first visit: its query, then the frame.
    let loader = Loader::new(path.to_path_buf(), &config).expect("loader");
    let mut app = App::new(Keymap::default(), Some(anchor()));
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let effects = app.start();
    carry_out(&mut app, &loader, effects);
    draw(&mut term, &mut app);
    println!(
        "{name}: Overview loaded, VmRSS {:4.0} MB",
        rss_mb().unwrap_or(f64::NAN)
    );
    for (n, pane) in PaneId::ALL.iter().enumerate().skip(1) {
        let digit = char::from(b'1' + n as u8);
        let t = Instant::now();
        let effects = app.update(key(digit));
        carry_out(&mut app, &loader, effects);
        let load = ms(t);
        let t = Instant::now();
        draw(&mut term, &mut app);
        println!(
            "{name}: first visit {:<10} load {load:7.1} ms, draw {:5.1} ms, VmRSS {:4.0} MB",
            pane.title(),
            ms(t),
            rss_mb().unwrap_or(f64::NAN)
        );
        assert_eq!(app.pane, *pane);
    }
    if let Some(rss) = rss_mb() {
        println!("{name}: VmRSS after loading every pane: {rss:.0} MB (target < 150 MB on large)");
    }

    // Switching between loaded panes: update + frame, no query.
    let mut switches = Vec::new();
    for _ in 0..SWITCH_ROUNDS {
        for n in 0..PaneId::ALL.len() {
            let digit = char::from(b'1' + n as u8);
            let t = Instant::now();
            let effects = app.update(key(digit));
            assert!(
                !effects.iter().any(|e| matches!(e, Effect::Load(_))),
                "a loaded pane does not reload"
            );
            draw(&mut term, &mut app);
            switches.push(ms(t));
        }
    }
    println!(
        "{name}: pane switch (update + draw)          {}",
        stats(switches)
    );

    // Typing a filter into the longest lists: each keystroke redraws the narrowed list.
    for (digit, pane, text) in [('2', "Delivery", "pay"), ('5', "Incidents", "sev1 api")] {
        let effects = app.update(key(digit));
        carry_out(&mut app, &loader, effects);
        draw(&mut term, &mut app);
        app.update(key('/'));
        let mut keystrokes = Vec::new();
        for c in text.chars() {
            let t = Instant::now();
            app.update(key(c));
            draw(&mut term, &mut app);
            keystrokes.push(ms(t));
        }
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        draw(&mut term, &mut app);
        println!(
            "{name}: filter keystroke on {pane:<9} (update + draw) {}",
            stats(keystrokes)
        );
    }

    // Idle: the slow tick and, with no toast showing, no toast clock: nothing to redraw.
    let mut effects = app.update(Msg::Tick);
    effects.extend(app.update(Msg::ToastTick));
    println!(
        "{name}: idle: ticks -> {} effects, redraw needed: {}, toast clock running: {}",
        effects.len(),
        app.dirty,
        app.wants_toast_ticks()
    );
}

fn database(dir: &Path, scale: Scale) -> PathBuf {
    let path = dir.join(format!("tui-{}.db", scale.as_str()));
    if !path.exists() {
        let mut store = Store::open(&path).expect("open store");
        let s = generate(
            &mut store,
            &DemoOptions {
                seed: 1,
                scale,
                anchor: anchor(),
            },
        )
        .expect("generate");
        println!(
            "generated {} dataset: {} rows in {:.1} s",
            scale.as_str(),
            s.rows,
            s.elapsed.as_secs_f64()
        );
    }
    path
}

fn main() {
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = std::env::var_os("PLUMB_BENCH_DIR").map_or(temp.path().to_path_buf(), Into::into);
    let exec = process_overhead();
    for scale in [Scale::Small, Scale::Large] {
        if only.as_deref().is_some_and(|o| o != scale.as_str()) {
            continue;
        }
        let path = database(&dir, scale);
        bench(scale, &path, exec);
    }
}

//! The real binary in a real terminal: `plumb demo` inside tmux, driven by keys, read from the
//! screen. Skipped (with a message) where tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "plumb", k]);
            // Esc followed at once by another key reads as Alt+key in a terminal.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "plumb"]).stdout)
            .into_owned()
    }

    /// Waits until the screen contains `text`, or fails with the last screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn generate(db: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["demo", "--generate-only", "--anchor", "2026-11-01", "--db"])
        .arg(db)
        .status()
        .expect("run plumb demo --generate-only");
    assert!(status.success());
}

fn wait_for_file(path: &PathBuf) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.is_empty()
        {
            return s;
        }
        assert!(Instant::now() < deadline, "plumb did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `plumb <args> --db <db>` at 120x40 in a tmux server of its own, with a home of its
/// own; the exit code lands in `exit_file`.
fn start_plumb(name: &str, dir: &Path, db: &Path, args: &str, exit_file: &Path) -> Tmux {
    let tmux = Tmux {
        socket: format!("plumb-e2e-{name}-{}", std::process::id()),
    };
    let command = format!(
        "env -u NO_COLOR HOME={home} XDG_CONFIG_HOME={home}/c XDG_DATA_HOME={home}/d \
         XDG_STATE_HOME={home}/s {bin} {args} --db {db}; echo $? > {exit}; sleep 30",
        home = dir.display(),
        bin = env!("CARGO_BIN_EXE_plumb"),
        db = db.display(),
        exit = exit_file.display(),
    );
    let out = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "plumb",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(out.status.success(), "tmux new-session failed: {out:?}");
    tmux
}

#[test]
fn demo_in_a_real_terminal_visits_every_pane_and_exits_cleanly() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux to run this test)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let exit_file = dir.path().join("exit");
    generate(&db);

    let tmux = start_plumb(
        "demo",
        dir.path(),
        &db,
        "demo --anchor 2026-11-01",
        &exit_file,
    );

    let s = tmux.wait_for("Delivery health");
    assert!(
        s.contains("payments") && s.contains("billing-legacy"),
        "{s}"
    );

    // Every pane by number.
    for (key, marker) in [
        ("2", "Deployments / week"),
        ("3", "Slowest"),
        ("4", "SLOs ·"),
        ("5", "Incidents ·"),
        ("6", "Follow-ups"),
        ("7", "Start · Stop · Continue"),
        ("8", "Objectives and key results"),
        ("9", "Metric definitions"),
        ("1", "Delivery health"),
    ] {
        tmux.keys(&[key]);
        tmux.wait_for(marker);
    }

    // Drill down from Delivery to the rows behind a number, and back.
    tmux.keys(&["2"]);
    tmux.wait_for("Enter explains");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("dora.deployment_frequency");
    assert!(
        s.contains("demo-github"),
        "explain lists rows with their source:\n{s}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("Enter explains");

    // The retro of the default sprint exports as Markdown beside the database.
    tmux.keys(&["7"]);
    tmux.wait_for("Start · Stop · Continue");
    tmux.keys(&["e"]);
    tmux.wait_for("exported to");
    let retros = db.parent().expect("db dir").join("retros");
    let exported: Vec<_> = std::fs::read_dir(&retros)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(exported.len(), 1, "one retro file in {}", retros.display());
    let md = std::fs::read_to_string(&exported[0]).expect("read the export");
    assert!(md.starts_with("# Retro: "), "{md}");

    // Filter the incident list as you type, then clear it.
    tmux.keys(&["5", "/", "S", "E", "V", "1", "Enter"]);
    let s = tmux.wait_for("matching");
    assert!(
        !s.contains("SEV3 (P3)"),
        "the filter keeps only SEV1 rows:\n{s}"
    );
    tmux.keys(&["Escape"]);

    // `y` copies the selected incident's link through OSC 52, which tmux turns into a buffer.
    tmux.cmd(&["set-option", "-g", "set-clipboard", "on"]);
    tmux.keys(&["y"]);
    tmux.wait_for("✓ copied");
    let deadline = Instant::now() + Duration::from_secs(10);
    let buffer = loop {
        let out = tmux.cmd(&["show-buffer"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.starts_with("https://") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(buffer.starts_with("https://"), "tmux buffer: {buffer:?}");

    // The team picker, typed fuzzily, scopes the header; the palette runs a command with an
    // argument, then clears the team again.
    tmux.keys(&["1", "t"]);
    tmux.wait_for("Enter picks");
    tmux.keys(&["p", "l", "t", "f", "Enter"]);
    tmux.wait_for("team: platform");
    tmux.keys(&[":"]);
    tmux.wait_for("Enter runs");
    for c in "range 30d".chars() {
        tmux.keys(&[&c.to_string()]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("last 30d");
    tmux.keys(&[":", "t", "e", "a", "m", " ", "a", "l", "l", "Enter"]);
    tmux.wait_for("team: all teams");

    // Help overlay, then a resize to 80x24 and back, then quit.
    tmux.keys(&["1", "?"]);
    tmux.wait_for("Esc closes");
    tmux.keys(&["Escape"]);
    tmux.cmd(&["resize-window", "-t", "plumb", "-x", "80", "-y", "24"]);
    tmux.wait_for("Days/wk");
    tmux.cmd(&["resize-window", "-t", "plumb", "-x", "50", "-y", "12"]);
    tmux.wait_for("too small");
    tmux.cmd(&["resize-window", "-t", "plumb", "-x", "120", "-y", "40"]);
    tmux.wait_for("Deploy days/wk");
    tmux.keys(&["q"]);
    assert_eq!(wait_for_file(&exit_file).trim(), "0");
    // The terminal is restored: the alternate screen is gone and the shell prints again.
    let s = tmux.screen();
    assert!(
        !s.contains("Delivery health"),
        "the TUI left its screen behind:\n{s}"
    );
}

/// A demo database opened as any database (`plumb --db`) is shown as the demo shows it: from
/// its anchor, so the numbers are those of `plumb demo` and `plumb report`, not of today.
#[test]
fn a_demo_database_opened_with_db_counts_from_its_anchor() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux to run this test)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let exit_file = dir.path().join("exit");
    generate(&db);
    let tmux = start_plumb("db", dir.path(), &db, "", &exit_file);
    // The same total as `plumb demo --anchor 2026-11-01` shows (the Overview snapshot).
    let s = tmux.wait_for("4 teams · 2149 deployments");
    assert!(s.contains("[demo]"), "{s}");
    tmux.keys(&["q"]);
    assert_eq!(wait_for_file(&exit_file).trim(), "0");
}

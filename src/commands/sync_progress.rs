//! What `plumb sync` shows while it runs: on a terminal, one indicatif bar per source (the
//! resource being read, items, pages, rate-limit waits); otherwise one plain line per event,
//! fit for logs and CI.

use crate::sources::http::HttpClient;
use crate::sync::progress::counted;
use crate::sync::{SourceSummary, SyncEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

pub enum Progress {
    Bars(MultiProgress),
    Plain,
}

impl Progress {
    pub fn new(terminal: bool) -> Self {
        if terminal {
            Progress::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Progress::Plain
        }
    }

    /// The progress of one source.
    pub fn source(&self, name: &str) -> SourceProgress {
        let bar = match self {
            Progress::Bars(multi) => {
                let bar = multi.add(ProgressBar::new_spinner());
                // The template is a constant: it parses, and a failure would only lose styling.
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                {
                    bar.set_style(style);
                }
                bar.set_prefix(name.to_string());
                bar.set_message("starting");
                bar.enable_steady_tick(Duration::from_millis(120));
                Some(bar)
            }
            Progress::Plain => None,
        };
        SourceProgress {
            bar,
            resource: String::new(),
            items: 0,
            pages: 0,
        }
    }

    /// Prints a line above the bars (or plainly).
    pub fn println(&self, line: &str) {
        match self {
            Progress::Bars(multi) => {
                if multi.println(line).is_err() {
                    eprintln!("{line}");
                }
            }
            Progress::Plain => eprintln!("{line}"),
        }
    }
}

pub struct SourceProgress {
    bar: Option<ProgressBar>,
    resource: String,
    items: u64,
    pages: u64,
}

impl SourceProgress {
    pub fn event(&mut self, progress: &Progress, event: &SyncEvent<'_>, client: &HttpClient) {
        let Some(bar) = &self.bar else {
            progress.println(&event.line());
            return;
        };
        match event {
            SyncEvent::Page {
                resource, items, ..
            } => {
                self.resource = resource.to_string();
                self.items += *items as u64;
                self.pages += 1;
            }
            SyncEvent::NotModified { resource, .. } | SyncEvent::ResourceDone { resource, .. } => {
                self.resource = resource.to_string();
            }
            SyncEvent::Removed { resource, .. } => {
                self.resource = resource.to_string();
                progress.println(&event.line());
            }
            SyncEvent::ResourceFailed { .. } => progress.println(&event.line()),
        }
        let stats = client.stats();
        let waits = match stats.rate_limit_waits {
            0 => String::new(),
            n => format!(
                " · {} ({:.0} s)",
                counted(n, "rate-limit wait"),
                stats.rate_limit_wait.as_secs_f64()
            ),
        };
        bar.set_message(format!(
            "{} · {} · {} · {}{waits}",
            self.resource,
            counted(self.items, "item"),
            counted(self.pages, "page"),
            counted(stats.requests, "request")
        ));
    }

    pub fn finish(self, progress: &Progress, summary: &SourceSummary) {
        match self.bar {
            Some(bar) => bar.finish_with_message(summary.line()),
            None => progress.println(&summary.line()),
        }
    }
}

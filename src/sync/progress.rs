//! What a sync reports while it runs ([`SyncEvent`]) and when it ends ([`SourceSummary`]),
//! and the plain progress lines printed when stderr is not a terminal.

use super::SyncError;
use crate::config::SourceKind;
use crate::sources::http::HttpStats;
use std::time::Duration;

/// A step of a running sync, for progress bars and the TUI.
#[derive(Debug)]
pub enum SyncEvent<'a> {
    /// A page was written with its cursor.
    Page {
        source: &'a str,
        resource: &'a str,
        items: usize,
    },
    /// The first page answered 304 Not Modified: nothing to write.
    NotModified {
        source: &'a str,
        resource: &'a str,
    },
    /// A pass that read the resource whole removed the rows it no longer saw upstream.
    Removed {
        source: &'a str,
        resource: &'a str,
        rows: u64,
    },
    ResourceDone {
        source: &'a str,
        resource: &'a str,
    },
    ResourceFailed {
        source: &'a str,
        resource: &'a str,
        error: &'a SyncError,
    },
}

impl SyncEvent<'_> {
    /// One plain line describing the event.
    pub fn line(&self) -> String {
        match self {
            SyncEvent::Page {
                source,
                resource,
                items,
            } => format!(
                "{source}: {resource}: page of {} written",
                counted(*items as u64, "item")
            ),
            SyncEvent::NotModified { source, resource } => {
                format!("{source}: {resource}: not modified since the last sync")
            }
            SyncEvent::Removed {
                source,
                resource,
                rows,
            } => format!(
                "{source}: {resource}: {} deleted upstream removed",
                counted(*rows, "row")
            ),
            SyncEvent::ResourceDone { source, resource } => {
                format!("{source}: {resource}: up to date")
            }
            SyncEvent::ResourceFailed {
                source,
                resource,
                error,
            } => format!("{source}: {resource}: failed: {error}"),
        }
    }
}

/// The outcome of one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSummary {
    pub resource: String,
    pub pages: u64,
    /// Items read from the API.
    pub items: u64,
    /// Rows inserted or changed (unchanged rows are not counted).
    pub written: u64,
    /// Rows removed because a pass that read the resource whole no longer saw them upstream
    /// (their dependants, removed with them, are not counted).
    pub removed: u64,
    pub not_modified: bool,
    pub error: Option<String>,
}

impl ResourceSummary {
    pub fn new(resource: &str) -> Self {
        ResourceSummary {
            resource: resource.to_string(),
            ..ResourceSummary::default()
        }
    }
}

/// The outcome of one source.
#[derive(Debug, Clone)]
pub struct SourceSummary {
    pub source: String,
    pub kind: SourceKind,
    pub resources: Vec<ResourceSummary>,
    pub http: HttpStats,
    pub elapsed: Duration,
    /// Stopped on request after a committed page; the next sync resumes there.
    pub cancelled: bool,
}

impl SourceSummary {
    pub fn new(source: &str, kind: SourceKind) -> Self {
        SourceSummary {
            source: source.to_string(),
            kind,
            resources: Vec::new(),
            http: HttpStats::default(),
            elapsed: Duration::ZERO,
            cancelled: false,
        }
    }

    pub fn items(&self) -> u64 {
        self.resources.iter().map(|r| r.items).sum()
    }

    pub fn pages(&self) -> u64 {
        self.resources.iter().map(|r| r.pages).sum()
    }

    pub fn written(&self) -> u64 {
        self.resources.iter().map(|r| r.written).sum()
    }

    pub fn removed(&self) -> u64 {
        self.resources.iter().map(|r| r.removed).sum()
    }

    pub fn errors(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources
            .iter()
            .filter_map(|r| r.error.as_deref().map(|e| (r.resource.as_str(), e)))
    }

    pub fn failed(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The one-line summary `plumb sync` prints per source.
    pub fn line(&self) -> String {
        let state = if self.failed() {
            "failed"
        } else if self.cancelled {
            "interrupted (resumes next time)"
        } else {
            "ok"
        };
        let removed = match self.removed() {
            0 => String::new(),
            n => format!(", {} removed", counted(n, "row")),
        };
        format!(
            "{} ({}): {state}; {} in {}, {} written{removed}, {} ({} not modified, {} retried), {} ({:.1} s), {:.1} s",
            self.source,
            self.kind,
            counted(self.items(), "item"),
            counted(self.pages(), "page"),
            counted(self.written(), "row"),
            counted(self.http.requests, "request"),
            self.http.not_modified,
            self.http.retries,
            counted(self.http.rate_limit_waits, "rate-limit wait"),
            self.http.rate_limit_wait.as_secs_f64(),
            self.elapsed.as_secs_f64(),
        )
    }
}

/// `1 item`, `2 items`: the nouns of these lines all take a plain `s`.
pub(crate) fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_use_the_singular_for_one() {
        let line = SyncEvent::Page {
            source: "gh",
            resource: "a/b:pulls",
            items: 1,
        }
        .line();
        assert_eq!(line, "gh: a/b:pulls: page of 1 item written");
        let mut summary = SourceSummary::new("gh", SourceKind::Github);
        let mut r = ResourceSummary::new("a/b:pulls");
        (r.pages, r.items, r.written) = (1, 1, 1);
        summary.resources.push(r);
        summary.http.requests = 1;
        summary.http.rate_limit_waits = 1;
        let line = summary.line();
        assert!(
            line.contains("1 item in 1 page, 1 row written, 1 request (")
                && line.contains("1 rate-limit wait ("),
            "{line}"
        );
        assert!(!line.contains("removed"), "{line}");
        summary.resources[0].removed = 2;
        assert!(
            summary
                .line()
                .contains("1 row written, 2 rows removed, 1 request"),
            "{}",
            summary.line()
        );
        summary.resources[0].items = 3;
        assert!(
            summary.line().contains("3 items in 1 page"),
            "{}",
            summary.line()
        );
    }
}

//! Jira (Cloud platform REST v3 and Jira Software agile REST 1.0): issues by the configured JQL
//! with their changelogs, postmortem action items, sprints per board with their issues, and
//! project versions.
//!
//! Resources, read in this order so that later ones can link to rows of earlier ones:
//! `sprints:<board id>` for each configured board, `issues`, then `versions` (of the projects
//! whose issues were synced). Jira sends no `ETag` on these endpoints, so `issues` is
//! incremental by an `updated >=` clause from the cursor, and sprints and versions re-read their
//! (short) lists, fetching the issues of a sprint only while it may still change.

mod changelog;
mod fields;
mod ingest;
mod issue;
mod rows;
mod search;
mod sprints;
mod versions;

use super::SourceError;
use super::http::HttpClient;
use crate::config::SourceConfig;
use crate::model::Timestamp;
use crate::sync::{Session, SyncError};
use chrono::{DateTime, NaiveDate, Utc};

/// The resources of a Jira source.
pub fn resources(source: &SourceConfig) -> Vec<String> {
    source
        .boards
        .iter()
        .map(|b| format!("sprints:{b}"))
        .chain(["issues".to_string(), "versions".to_string()])
        .collect()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    match resource.split_once(':') {
        Some(("sprints", board)) => match board.parse::<u64>() {
            Ok(board) => sprints::sync(session, client, board, resource).await,
            Err(_) => Ok(()),
        },
        None if resource == "issues" => search::sync(session, client, resource).await,
        None if resource == "versions" => versions::sync(session, client, resource).await,
        _ => Ok(()),
    }
}

/// Jira's timestamps: RFC 3339 from the agile API (`+10:00`), and an offset without a colon
/// from the platform API (`2021-01-17T12:34:00.000+0000`).
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A calendar date (`duedate`, `releaseDate`) at the start of that day, UTC.
pub(crate) fn start_of_day(s: &str) -> Option<Timestamp> {
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// A due date is met until its day ends: the start of the next day, UTC.
pub(crate) fn end_of_day(s: &str) -> Option<Timestamp> {
    start_of_day(s).map(|t| t + chrono::Duration::days(1))
}

pub(crate) use super::pagination::{encode, param, with_param};

/// A page of the agile and versions APIs: `startAt`/`maxResults` with `isLast` (and `total`).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartAtPage {
    #[serde(default)]
    pub start_at: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub is_last: Option<bool>,
}

impl StartAtPage {
    /// The `startAt` of the next page, given the requested one and this page's item count.
    /// `isLast` decides when present; else `total`; an empty page always ends the list.
    pub fn next_start(&self, requested: u64, items: usize) -> Option<u64> {
        if items == 0 {
            return None;
        }
        let next = self.start_at.unwrap_or(requested) + items as u64;
        match (self.is_last, self.total) {
            (Some(true), _) => None,
            (Some(false), _) => Some(next),
            (None, Some(total)) => (next < total).then_some(next),
            (None, None) => None,
        }
    }
}

/// Whether an error says the endpoint does not exist on this server (Jira Data Center lacks
/// the Cloud-only endpoints; Cloud answers 410 Gone for retired ones).
pub(crate) fn is_missing_endpoint(error: &SourceError) -> bool {
    matches!(
        error,
        SourceError::Http {
            status: 404 | 410,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_jira_time_formats_parse_to_the_same_instant() {
        let platform = parse_time("2021-01-17T12:34:00.000+0000").unwrap();
        let agile = parse_time("2021-01-17T22:34:00.000+10:00").unwrap();
        assert_eq!(platform, agile);
        assert_eq!(platform.to_rfc3339(), "2021-01-17T12:34:00+00:00");
        assert_eq!(parse_time("1"), None);
        assert_eq!(
            end_of_day("2010-07-06").unwrap().to_rfc3339(),
            "2010-07-07T00:00:00+00:00"
        );
    }

    #[test]
    fn query_values_are_encoded_and_replaced() {
        assert_eq!(
            encode("updated >= \"2024/05/01 10:00\""),
            "updated%20%3E%3D%20%222024%2F05%2F01%2010%3A00%22"
        );
        let t = with_param("/s?jql=x&startAt=0&maxResults=100", "startAt", "100");
        assert_eq!(t, "/s?jql=x&maxResults=100&startAt=100");
        assert_eq!(param(&t, "startAt"), Some("100"));
        assert_eq!(param(&t, "start"), None);
    }

    #[test]
    fn start_at_pages_follow_is_last_then_total() {
        let p = StartAtPage {
            start_at: Some(1),
            total: Some(5),
            is_last: Some(false),
        };
        assert_eq!(p.next_start(1, 2), Some(3));
        let last = StartAtPage {
            is_last: Some(true),
            ..p
        };
        assert_eq!(last.next_start(1, 2), None);
        let by_total = StartAtPage { is_last: None, ..p };
        assert_eq!(by_total.next_start(1, 2), Some(3));
        let end = StartAtPage {
            start_at: Some(3),
            ..by_total
        };
        assert_eq!(end.next_start(3, 2), None, "5 of 5 read");
        assert_eq!(p.next_start(1, 0), None, "an empty page never loops");
    }

    #[test]
    fn boards_come_first_then_issues_then_versions() {
        let mut source = SourceConfig::new("jira", crate::config::SourceKind::Jira);
        source.boards = vec![5, 9];
        assert_eq!(
            resources(&source),
            ["sprints:5", "sprints:9", "issues", "versions"]
        );
    }
}

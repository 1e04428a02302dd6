//! Issues by the configured JQL, with their whole changelogs; [`super::ingest`] turns each
//! page into rows.
//!
//! The search is incremental: the pass adds `updated >= "<lower bound>"` to the JQL and sorts
//! by `updated`. It uses `GET /rest/api/3/search/jql` (`nextPageToken`, `isLast`) and falls
//! back to the older `startAt` search when that answers 404 or 410 (Jira Data Center). Each
//! page's stored next request names its endpoint, so a resumed pass keeps its style.

use super::changelog::{Changelog, History};
use super::fields::CustomFields;
use super::ingest::{prepare, write_issue};
use super::issue::Issue;
use super::{StartAtPage, encode, is_missing_endpoint, param, with_param};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::{HttpClient, Page};
use crate::sync::{Session, SyncError};
use chrono::Duration;
use futures_util::{StreamExt, stream};
use serde::Deserialize;

/// The largest page Jira serves for searches and changelogs.
const MAX_RESULTS: u32 = 100;

pub(super) const SYSTEM_FIELDS: [&str; 15] = [
    "summary",
    "issuetype",
    "status",
    "created",
    "updated",
    "resolutiondate",
    "resolution",
    "duedate",
    "labels",
    "priority",
    "assignee",
    "parent",
    "components",
    "fixVersions",
    "issuelinks",
];

/// JQL reads dates in the time zone of the token's user profile, which plumb cannot see.
/// Going back by the widest negative UTC offset never misses an update; upserts make the
/// overlap harmless.
const TIMEZONE_MARGIN: Duration = Duration::hours(12);

const ENHANCED: &str = "/rest/api/3/search/jql";
/// The `startAt` searches: Cloud's older endpoint, then Data Center's.
const LEGACY: [&str; 2] = ["/rest/api/3/search", "/rest/api/2/search"];

/// The configured JQL restricted to issues updated since `lower`, oldest update first.
/// Jira's JQL date format is `yyyy/MM/dd HH:mm`.
pub(super) fn incremental_jql(configured: Option<&str>, lower: Timestamp) -> String {
    let since = (lower - TIMEZONE_MARGIN).format("%Y/%m/%d %H:%M");
    let base = strip_order_by(configured.unwrap_or("").trim());
    let filter = format!("updated >= \"{since}\"");
    let clause = if base.is_empty() {
        filter
    } else {
        format!("({base}) AND {filter}")
    };
    format!("{clause} ORDER BY updated ASC, key ASC")
}

/// The JQL without its `ORDER BY` (plumb orders by update time to page stably).
fn strip_order_by(jql: &str) -> &str {
    let lower = jql.to_ascii_lowercase();
    match lower.rfind("order by") {
        Some(i) if !lower[i..].contains('"') && !lower[i..].contains(')') => jql[..i].trim(),
        _ => jql,
    }
}

fn field_list(custom: &CustomFields) -> String {
    SYSTEM_FIELDS
        .iter()
        .copied()
        .chain(custom.requested())
        .collect::<Vec<_>>()
        .join(",")
}

fn search_target(endpoint: &str, jql: &str, fields: &str) -> String {
    let mut target = format!(
        "{endpoint}?jql={}&fields={}&expand=changelog&maxResults={MAX_RESULTS}",
        encode(jql),
        encode(fields)
    );
    if endpoint != ENHANCED {
        target.push_str("&startAt=0");
    }
    target
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchPage {
    #[serde(default)]
    issues: Vec<Issue>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    start_at: Option<u64>,
    #[serde(default)]
    total: Option<u64>,
}

/// The request for the page after `target`, in the style of `target`'s endpoint.
fn next_target(target: &str, page: &SearchPage) -> Option<String> {
    if target.starts_with(ENHANCED) {
        if page.is_last == Some(true) || page.issues.is_empty() {
            return None;
        }
        let token = page.next_page_token.as_deref()?;
        return Some(with_param(target, "nextPageToken", &encode(token)));
    }
    let requested = param(target, "startAt")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    StartAtPage {
        start_at: page.start_at,
        total: page.total,
        is_last: page.is_last,
    }
    .next_start(requested, page.issues.len())
    .map(|n| with_param(target, "startAt", &n.to_string()))
}

/// The first page of a pass: the `nextPageToken` search, else the `startAt` ones.
async fn first_page(
    client: &HttpClient,
    jql: &str,
    fields: &str,
) -> Result<(String, Page), SourceError> {
    let mut target = search_target(ENHANCED, jql, fields);
    let mut result = client.get_page(&target).await;
    for endpoint in LEGACY {
        match &result {
            Err(e) if is_missing_endpoint(e) => {
                tracing::info!(
                    source = client.source_name(),
                    endpoint,
                    "search endpoint missing, trying the older style"
                );
                target = search_target(endpoint, jql, fields);
                result = client.get_page(&target).await;
            }
            _ => break,
        }
    }
    result.map(|page| (target, page))
}

#[derive(Debug, Deserialize)]
struct ChangelogPage {
    #[serde(default)]
    values: Vec<History>,
    #[serde(flatten)]
    paging: StartAtPage,
}

/// The whole changelog of an issue whose embedded one was cut short (the search embeds only
/// the first histories; `total` says how many there are). Without the changelog endpoint
/// (Jira Data Center), the embedded part stays.
async fn complete_changelog(client: &HttpClient, mut issue: Issue) -> Result<Issue, SourceError> {
    if !issue
        .changelog
        .as_ref()
        .is_some_and(Changelog::is_truncated)
    {
        return Ok(issue);
    }
    let mut histories: Vec<History> = Vec::new();
    let mut start = 0;
    loop {
        let target = format!(
            "/rest/api/3/issue/{}/changelog?startAt={start}&maxResults={MAX_RESULTS}",
            encode(&issue.key)
        );
        let page = match client.get_page(&target).await {
            Ok(page) => page,
            Err(e) if is_missing_endpoint(&e) => return Ok(issue),
            Err(e) => return Err(e),
        };
        let list: ChangelogPage = client.decode(&page)?;
        let items = list.values.len();
        for h in list.values {
            if !histories.iter().any(|o| o.id == h.id) {
                histories.push(h);
            }
        }
        match list.paging.next_start(start, items) {
            Some(next) => start = next,
            None => break,
        }
    }
    issue.changelog = Some(Changelog {
        total: Some(histories.len() as u64),
        histories,
    });
    Ok(issue)
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    let custom = CustomFields::discover(client).await?;
    let mut run = session.begin(resource)?;
    let base_url = session.source.api_base_url().unwrap_or_default();
    loop {
        let pass = run.pass();
        let (target, page) = match pass.next.clone() {
            Some(next) => {
                let page = client.get_page(&next).await?;
                (next, page)
            }
            None => {
                let jql = incremental_jql(session.source.jql.as_deref(), pass.lower_bound);
                first_page(client, &jql, &field_list(&custom)).await?
            }
        };
        let list: SearchPage = client.decode(&page)?;
        let next = next_target(&target, &list);
        let issues: Vec<Issue> = stream::iter(list.issues)
            .map(|i| complete_changelog(client, i))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        let rows = prepare(session, &custom, &base_url, &issues);
        run.advance(next);
        let privacy = session.privacy().clone();
        let labels = session.source.action_item_labels.clone();
        session.write_page(resource, &mut run, rows.len(), |w| {
            for row in &rows {
                write_issue(w, &privacy, &labels, row)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_configured_jql_is_narrowed_to_recent_updates_in_a_stable_order() {
        let lower = at("2024-05-02T09:30:00Z");
        assert_eq!(
            incremental_jql(Some("project = PAY ORDER BY rank"), lower),
            "(project = PAY) AND updated >= \"2024/05/01 21:30\" ORDER BY updated ASC, key ASC"
        );
        assert_eq!(
            incremental_jql(None, lower),
            "updated >= \"2024/05/01 21:30\" ORDER BY updated ASC, key ASC"
        );
        assert_eq!(
            strip_order_by("summary ~ \"order by\""),
            "summary ~ \"order by\"",
            "words inside a quoted value are not a clause"
        );
    }

    fn page(json: serde_json::Value) -> SearchPage {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn each_search_style_finds_its_next_page() {
        let issue = serde_json::json!({"key": "EX-1", "id": "1"});
        let first = search_target(ENHANCED, "updated >= \"2024/05/01 00:00\"", "summary");
        let next = next_target(
            &first,
            &page(serde_json::json!({"issues": [issue], "nextPageToken": "a+b", "isLast": false})),
        )
        .unwrap();
        assert_eq!(param(&next, "nextPageToken"), Some("a%2Bb"));
        assert_eq!(
            next_target(
                &next,
                &page(serde_json::json!({"issues": [issue], "isLast": true}))
            ),
            None
        );
        let legacy = search_target(LEGACY[0], "x", "summary");
        let second = next_target(
            &legacy,
            &page(serde_json::json!({"issues": [issue], "startAt": 0, "total": 2})),
        )
        .unwrap();
        assert_eq!(param(&second, "startAt"), Some("1"));
        assert_eq!(
            next_target(
                &second,
                &page(serde_json::json!({"issues": [issue], "startAt": 1, "total": 2}))
            ),
            None
        );
    }
}

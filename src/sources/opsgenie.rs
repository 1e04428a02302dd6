//! Opsgenie (Alert API v2): alerts with their acknowledge and close times → `alerts`.
//!
//! Alerts are listed by creation time, oldest first (`query=createdAt>=<ms>`, `sort=createdAt`,
//! `order=asc`), with `offset`/`limit` paging. Opsgenie refuses `offset + limit` above 20,000,
//! so a long history is walked in windows: when the next page would cross that cap, a new
//! window starts at the creation time of the last alert read. Oldest-first offset paging does
//! not skip anything while alerts are being created, since new alerts land at the end.
//!
//! Acknowledge and close times are `report.ackTime` and `report.closeTime`, milliseconds after
//! creation. An alert flagged acknowledged or closed without them gets them from its log.
//! Alerts still open keep the cursor back (for at most [`OPEN_HORIZON_DAYS`]) so that a later
//! pass records their close.

use super::SourceError;
use super::http::HttpClient;
use crate::config::SourceConfig;
use crate::model::{Ownership, Timestamp};
use crate::privacy::Privacy;
use crate::sources::pagination::encode;
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
use chrono::Duration;
use futures_util::{StreamExt, stream};
use serde::Deserialize;

const LIMIT: u64 = 100;
/// Opsgenie's cap on `offset + limit` in a list request.
const MAX_OFFSET_PLUS_LIMIT: u64 = 20_000;
/// Alerts left open longer than this stop holding the cursor back: a forgotten alert would
/// otherwise make every sync re-read everything since it fired.
pub const OPEN_HORIZON_DAYS: i64 = 30;
/// Log pages read at most per alert when looking for its acknowledge and close.
const MAX_LOG_PAGES: usize = 10;

pub fn resources(_source: &SourceConfig) -> Vec<String> {
    vec!["alerts".into()]
}

pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    match resource {
        "alerts" => sync_alerts(session, client).await,
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
struct Alerts {
    data: Vec<Alert>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Default, Deserialize)]
struct Paging {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert {
    id: String,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    acknowledged: bool,
    created_at: Timestamp,
    #[serde(default)]
    updated_at: Option<Timestamp>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    report: Report,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    #[serde(default)]
    ack_time: Option<i64>,
    #[serde(default)]
    close_time: Option<i64>,
    #[serde(default)]
    closed_by: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Logs {
    data: Vec<Log>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(default)]
    log: String,
    created_at: Timestamp,
}

/// An alert with its acknowledge and close times resolved.
struct Timed {
    alert: Alert,
    acknowledged_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
}

const COLUMNS: &[&str] = &[
    "monitor",
    "service",
    "team",
    "severity",
    "title",
    "triggered_at",
    "acknowledged_at",
    "resolved_at",
    "resolved_by",
];

/// A list request: alerts created at or after `from_ms`, from `offset`.
fn alerts_target(source: &SourceConfig, from_ms: i64, offset: u64) -> String {
    let mut query = format!("createdAt>={from_ms}");
    if !source.teams.is_empty() {
        let teams: Vec<String> = source
            .teams
            .iter()
            .map(|t| format!("teams:\"{}\"", t.replace('"', "")))
            .collect();
        query.push_str(&format!(" AND ({})", teams.join(" OR ")));
    }
    format!(
        "/v2/alerts?query={}&offset={offset}&limit={LIMIT}&sort=createdAt&order=asc",
        encode(&query)
    )
}

/// The window start (`createdAt>=` milliseconds) and offset of a request built by
/// [`alerts_target`].
fn window_of(target: &str) -> Option<(i64, u64)> {
    let param = |key: &str| super::pagination::param(target, key);
    let digits: String = param("query")?
        .strip_prefix("createdAt%3E%3D")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((digits.parse().ok()?, param("offset")?.parse().ok()?))
}

/// The request after a page of `items` alerts whose newest was created at `last_ms`: the next
/// offset in the same window, or a new window from `last_ms` when the offset cap is near. The
/// alerts created at `last_ms` are read again at the start of the new window; the upserts make
/// that harmless.
fn next_request(from_ms: i64, offset: u64, items: usize, last_ms: i64) -> (i64, u64) {
    let next = offset + items as u64;
    if next + LIMIT <= MAX_OFFSET_PLUS_LIMIT {
        return (from_ms, next);
    }
    // More than a window of alerts in one millisecond cannot be walked: step past it.
    let start = if last_ms > from_ms {
        last_ms
    } else {
        from_ms + 1
    };
    (start, 0)
}

async fn sync_alerts(session: &mut Session<'_>, client: &HttpClient) -> Result<(), SyncError> {
    let resource = "alerts";
    let mut run = session.begin(resource)?;
    loop {
        let pass = run.pass();
        let target = pass.next.clone().unwrap_or_else(|| {
            alerts_target(session.source, pass.lower_bound.timestamp_millis(), 0)
        });
        let (from_ms, offset) =
            window_of(&target).unwrap_or((run.pass().lower_bound.timestamp_millis(), 0));
        let page = client.get_page(&target).await?;
        let list: Alerts = client.decode(&page)?;
        let more = list.paging.as_ref().is_some_and(|p| p.next.is_some());
        let last_ms = list
            .data
            .iter()
            .map(|a| a.created_at.timestamp_millis())
            .max();
        let timed: Vec<Timed> = stream::iter(list.data)
            .map(|a| timed(client, a))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        let horizon = run.pass().started_at - Duration::days(OPEN_HORIZON_DAYS);
        for t in &timed {
            if t.closed_at.is_none() && t.alert.created_at >= horizon {
                run.pass().saw_open(t.alert.created_at);
            }
        }
        let next = match last_ms {
            Some(last_ms) if more => {
                let (from, offset) = next_request(from_ms, offset, timed.len(), last_ms);
                Some(alerts_target(session.source, from, offset))
            }
            _ => None,
        };
        run.advance(next);
        let rows: Vec<Row> = timed
            .iter()
            .map(|t| Row::new(session.ownership(), session.source, t))
            .collect();
        let privacy = session.privacy().clone();
        session.write_page(resource, &mut run, rows.len(), |w| {
            for (row, t) in rows.iter().zip(&timed) {
                let values = row.values(&privacy, t);
                w.upsert("alerts", COLUMNS, &values, &t.alert.id, None)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

/// Resolves an alert's acknowledge and close times from its report, else from its log.
async fn timed(client: &HttpClient, alert: Alert) -> Result<Timed, SourceError> {
    let after = |ms: Option<i64>| ms.map(|ms| alert.created_at + Duration::milliseconds(ms));
    let mut acknowledged_at = after(alert.report.ack_time);
    let closed = alert.status == "closed";
    let mut closed_at = if closed {
        after(alert.report.close_time)
    } else {
        None
    };
    let missing_ack = alert.acknowledged && acknowledged_at.is_none();
    let missing_close = closed && closed_at.is_none();
    if missing_ack || missing_close {
        let (ack, close) = from_log(client, &alert.id).await?;
        if missing_ack {
            acknowledged_at = ack;
        }
        if missing_close {
            // A closed alert always has a close time; its last update is the best stand-in
            // when the log does not say.
            closed_at = close.or(alert.updated_at).or(Some(alert.created_at));
        }
    }
    Ok(Timed {
        alert,
        acknowledged_at,
        closed_at,
    })
}

/// The first acknowledge and the last close in an alert's log (oldest first).
async fn from_log(
    client: &HttpClient,
    id: &str,
) -> Result<(Option<Timestamp>, Option<Timestamp>), SourceError> {
    let mut target = format!(
        "/v2/alerts/{}/logs?identifierType=id&order=asc&limit=100",
        encode(id)
    );
    let (mut ack, mut close) = (None, None);
    for _ in 0..MAX_LOG_PAGES {
        let logs: Logs = client.decode(&client.get_page(&target).await?)?;
        for entry in &logs.data {
            let text = entry.log.to_ascii_lowercase();
            if text.contains("acknowledged") && !text.contains("unacknowledged") && ack.is_none() {
                ack = Some(entry.created_at);
            }
            if text.contains("closed") {
                close = Some(entry.created_at);
            }
        }
        match logs.paging.and_then(|p| p.next) {
            Some(next) if !logs.data.is_empty() => target = next,
            _ => break,
        }
    }
    Ok((ack, close))
}

/// What an alert's row says beyond the payload: owner and how it was closed.
struct Row {
    service: Option<String>,
    team: Option<String>,
    resolved_by: Option<&'static str>,
}

impl Row {
    fn new(ownership: &Ownership, source: &SourceConfig, t: &Timed) -> Self {
        // Opsgenie alerts name no service; a tag that is a known service name assigns one.
        let service = t
            .alert
            .tags
            .iter()
            .find(|tag| ownership.service_team.contains_key(tag.as_str()))
            .cloned();
        let team = service
            .as_deref()
            .and_then(|s| ownership.team_for_service(s))
            .map(str::to_string)
            .or_else(|| match source.teams.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            });
        let resolved_by = t
            .closed_at
            .and(t.alert.report.closed_by.as_deref())
            .map(closed_by);
        Row {
            service,
            team,
            resolved_by,
        }
    }

    fn values(&self, privacy: &Privacy, t: &Timed) -> [rusqlite::types::Value; 9] {
        let a = &t.alert;
        let monitor = a
            .alias
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&a.message);
        [
            text(privacy.redact(monitor)),
            opt_text(self.service.clone()),
            opt_text(self.team.clone()),
            opt_text(a.priority.clone()),
            text(privacy.redact(&a.message)),
            opt_time(Some(a.created_at)),
            opt_time(t.acknowledged_at),
            opt_time(t.closed_at),
            opt_text(self.resolved_by),
        ]
    }
}

/// Who closed an alert: Opsgenie users are email addresses; `System` is Opsgenie's own
/// auto-close policy (a timeout); anything else is an integration or the API closing it.
fn closed_by(actor: &str) -> &'static str {
    if actor.contains('@') {
        "human"
    } else if actor.eq_ignore_ascii_case("system") {
        "timeout"
    } else {
        "auto"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_carry_their_window_and_offset() {
        let mut source = SourceConfig::new("og", crate::config::SourceKind::Opsgenie);
        let t = alerts_target(&source, 1_470_394_841_148, 200);
        assert_eq!(
            t,
            "/v2/alerts?query=createdAt%3E%3D1470394841148&offset=200&limit=100&sort=createdAt&order=asc"
        );
        assert_eq!(window_of(&t), Some((1_470_394_841_148, 200)));
        source.teams = vec!["ops team".into(), "db".into()];
        let t = alerts_target(&source, 5, 0);
        assert!(
            t.contains(
                "createdAt%3E%3D5%20AND%20%28teams%3A%22ops%20team%22%20OR%20teams%3A%22db%22%29"
            ),
            "{t}"
        );
        assert_eq!(window_of(&t), Some((5, 0)));
    }

    #[test]
    fn the_offset_cap_starts_a_new_window_at_the_last_alert() {
        assert_eq!(next_request(1_000, 0, 100, 2_000), (1_000, 100));
        assert_eq!(next_request(1_000, 19_800, 100, 2_000), (1_000, 19_900));
        assert_eq!(next_request(1_000, 19_900, 100, 9_000), (9_000, 0));
        assert_eq!(
            next_request(1_000, 19_900, 100, 1_000),
            (1_001, 0),
            "a window that cannot move steps past its millisecond"
        );
    }

    #[test]
    fn closers_map_to_human_timeout_or_automatic() {
        assert_eq!(closed_by("john.smith@example.com"), "human");
        assert_eq!(closed_by("System"), "timeout");
        assert_eq!(closed_by("Datadog"), "auto");
    }
}

//! PagerDuty (REST API v2): services and incidents with their log entries.
//!
//! Incidents are listed by creation time in windows of at most [`WINDOW_DAYS`] days: the API
//! defaults to the last 30 days and refuses a `since`/`until` range longer than 6 months.
//! Log entries give the first acknowledgement (MTTA), the resolution and who resolved: a
//! resolution by a service, or through the `auto` or `timeout` channel, is automatic.

use super::SourceError;
use super::http::HttpClient;
use super::pagination::OffsetPage;
use crate::config::SourceConfig;
use crate::model::{Severity, Timestamp};
use crate::privacy::Privacy;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_text, opt_time, text};
use chrono::Duration;
use futures_util::{StreamExt, stream};
use rusqlite::OptionalExtension;
use serde::Deserialize;

const LIMIT: u32 = 100;
/// A little under PagerDuty's 6-month maximum range per query.
pub const WINDOW_DAYS: i64 = 180;

pub fn resources(_source: &SourceConfig) -> Vec<String> {
    vec!["services".into(), "incidents".into()]
}

pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    match resource {
        "services" => sync_services(session, client).await,
        "incidents" => sync_incidents(session, client).await,
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
struct Reference {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Services {
    services: Vec<Service>,
    #[serde(flatten)]
    paging: OffsetPage,
}

#[derive(Debug, Deserialize)]
struct Service {
    id: String,
    name: String,
    html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Incidents {
    incidents: Vec<Incident>,
    #[serde(flatten)]
    paging: OffsetPage,
}

#[derive(Debug, Deserialize)]
struct Incident {
    id: String,
    title: String,
    html_url: Option<String>,
    created_at: Timestamp,
    status: String,
    #[serde(default)]
    resolved_at: Option<Timestamp>,
    service: Reference,
    #[serde(default)]
    priority: Option<Reference>,
    #[serde(default)]
    urgency: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogEntries {
    log_entries: Vec<LogEntry>,
    #[serde(flatten)]
    paging: OffsetPage,
}

#[derive(Debug, Deserialize)]
struct LogEntry {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    summary: Option<String>,
    created_at: Timestamp,
    #[serde(default)]
    agent: Option<Reference>,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Channel {
    #[serde(rename = "type")]
    kind: String,
}

fn offset_of(target: &str) -> u64 {
    target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("offset="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn sync_services(session: &mut Session<'_>, client: &HttpClient) -> Result<(), SyncError> {
    let resource = "services";
    let mut run = session.begin(resource)?;
    loop {
        let target = run
            .cursor
            .pass
            .as_ref()
            .and_then(|p| p.next.clone())
            .unwrap_or_else(|| format!("/services?limit={LIMIT}&offset=0"));
        let page = client.get_page(&target).await?;
        let list: Services = client.decode(&page)?;
        let next = list
            .paging
            .next_offset(offset_of(&target), list.services.len())
            .map(|o| format!("/services?limit={LIMIT}&offset={o}"));
        run.advance(next);
        let wanted = &session.source.services;
        let services: Vec<&Service> = list
            .services
            .iter()
            .filter(|s| wanted.is_empty() || wanted.contains(&s.id) || wanted.contains(&s.name))
            .collect();
        let teams: Vec<Option<String>> = services
            .iter()
            .map(|s| {
                session
                    .ownership()
                    .team_for_service(&s.name)
                    .map(str::to_string)
            })
            .collect();
        session.write_page(resource, &mut run, services.len(), |w| {
            for (s, team) in services.iter().zip(teams) {
                w.upsert(
                    "services",
                    &["name", "team"],
                    &[text(s.name.as_str()), opt_text(team)],
                    &s.id,
                    s.html_url.as_deref(),
                )?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

fn incidents_target(
    source: &SourceConfig,
    since: Timestamp,
    until: Timestamp,
    offset: u64,
) -> String {
    let fmt = |t: Timestamp| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut target = format!(
        "/incidents?since={}&until={}&limit={LIMIT}&offset={offset}&time_zone=UTC&sort_by=created_at%3Aasc",
        fmt(since),
        fmt(until)
    );
    for id in &source.services {
        target.push_str("&service_ids%5B%5D=");
        target.push_str(id);
    }
    target
}

fn window_after(start: Timestamp, horizon: Timestamp) -> Timestamp {
    (start + Duration::days(WINDOW_DAYS)).min(horizon)
}

async fn sync_incidents(session: &mut Session<'_>, client: &HttpClient) -> Result<(), SyncError> {
    let resource = "incidents";
    let mut run = session.begin(resource)?;
    loop {
        let pass = run.pass();
        let horizon = pass.started_at;
        let lower = pass.lower_bound;
        let (target, window_end) = match (&pass.next, pass.window_end) {
            (Some(next), Some(end)) => (next.clone(), end),
            _ => {
                let end = window_after(lower, horizon);
                (incidents_target(session.source, lower, end, 0), end)
            }
        };
        let page = client.get_page(&target).await?;
        let list: Incidents = client.decode(&page)?;
        let mut detailed = Vec::with_capacity(list.incidents.len());
        let fetched: Vec<Vec<LogEntry>> = stream::iter(&list.incidents)
            .map(|i| log_entries(client, &i.id))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        for (incident, entries) in list.incidents.iter().zip(fetched) {
            if incident.status != "resolved" {
                run.pass().saw_open(incident.created_at);
            }
            detailed.push((incident, entries));
        }
        let next = match list
            .paging
            .next_offset(offset_of(&target), list.incidents.len())
        {
            Some(offset) => Some((window_start_of(&target, lower), window_end, offset)),
            None if window_end < horizon => {
                Some((window_end, window_after(window_end, horizon), 0))
            }
            None => None,
        };
        match next {
            Some((start, end, offset)) => {
                let pass = run.pass();
                pass.next = Some(incidents_target(session.source, start, end, offset));
                pass.window_end = Some(end);
            }
            None => run.advance(None),
        }
        let services = service_names(session, &list.incidents);
        let privacy = session.privacy().clone();
        let rows: Vec<IncidentRow> = detailed
            .iter()
            .zip(services)
            .map(|((incident, _), service)| IncidentRow::new(session, incident, service))
            .collect();
        session.write_page(resource, &mut run, rows.len(), |w| {
            for (row, (incident, entries)) in rows.iter().zip(&detailed) {
                write_incident(w, &privacy, row, incident, entries)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

/// The `since` of a stored incidents request.
fn window_start_of(target: &str, fallback: Timestamp) -> Timestamp {
    target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("since="))
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
        .map_or(fallback, |t| t.with_timezone(&chrono::Utc))
}

async fn log_entries(client: &HttpClient, incident: &str) -> Result<Vec<LogEntry>, SourceError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let target = format!(
            "/incidents/{incident}/log_entries?limit={LIMIT}&offset={offset}&time_zone=UTC"
        );
        let page: LogEntries = client.decode(&client.get_page(&target).await?)?;
        let next = page.paging.next_offset(offset, page.log_entries.len());
        out.extend(page.log_entries);
        match next {
            Some(o) => offset = o,
            None => return Ok(out),
        }
    }
}

/// Service names by PagerDuty id from the synced services, else the incident's reference.
fn service_names(session: &Session<'_>, incidents: &[Incident]) -> Vec<String> {
    incidents
        .iter()
        .map(|i| {
            session
                .conn()
                .prepare_cached("SELECT name FROM services WHERE source = ?1 AND external_id = ?2")
                .and_then(|mut st| {
                    st.query_row([session.source.name.as_str(), i.service.id.as_str()], |r| {
                        r.get::<_, String>(0)
                    })
                })
                .optional()
                .ok()
                .flatten()
                .or_else(|| i.service.summary.clone())
                .unwrap_or_else(|| i.service.id.clone())
        })
        .collect()
}

/// What an incident's row says beyond the payload: owner and normalised severity.
struct IncidentRow {
    service: String,
    team: Option<String>,
    severity: Severity,
    severity_original: String,
}

impl IncidentRow {
    fn new(session: &Session<'_>, i: &Incident, service: String) -> Self {
        let ownership = session.ownership();
        let source = session.source.name.as_str();
        let priority = i.priority.as_ref().and_then(|p| p.summary.clone());
        let urgency = i.urgency.clone();
        let original = priority
            .clone()
            .or(urgency.clone())
            .unwrap_or_else(|| "unknown".into());
        // A priority the tables do not know falls back to the urgency (always high or low).
        let severity = priority
            .as_deref()
            .and_then(|p| ownership.normalise_severity(source, p))
            .or_else(|| {
                urgency
                    .as_deref()
                    .and_then(|u| ownership.normalise_severity(source, u))
            })
            .unwrap_or(Severity::Sev3);
        IncidentRow {
            team: ownership.team_for_service(&service).map(str::to_string),
            service,
            severity,
            severity_original: original,
        }
    }
}

const INCIDENT_COLUMNS: &[&str] = &[
    "service",
    "team",
    "severity",
    "severity_original",
    "title",
    "status",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "resolved_by",
];

const EVENT_COLUMNS: &[&str] = &["incident_id", "at", "kind", "actor", "detail"];

fn event_kind(log_type: &str) -> Option<&'static str> {
    match log_type.strip_suffix("_log_entry")? {
        "trigger" => Some("trigger"),
        "acknowledge" => Some("acknowledge"),
        "escalate" => Some("escalate"),
        "assign" => Some("assign"),
        "annotate" => Some("note"),
        "resolve" => Some("resolve"),
        _ => None,
    }
}

fn resolved_by(entry: &LogEntry) -> &'static str {
    let channel = entry.channel.as_ref().map(|c| c.kind.as_str());
    let by_user = entry
        .agent
        .as_ref()
        .is_some_and(|a| a.kind == "user_reference" || a.kind == "user");
    if matches!(channel, Some("auto" | "timeout")) || !by_user {
        "auto"
    } else {
        "human"
    }
}

fn write_incident(
    w: &mut RowWriter<'_>,
    privacy: &Privacy,
    row: &IncidentRow,
    i: &Incident,
    entries: &[LogEntry],
) -> Result<(), StoreError> {
    let kind_of = |e: &&LogEntry| event_kind(&e.kind);
    let acknowledged_at = entries
        .iter()
        .filter(|e| kind_of(e) == Some("acknowledge"))
        .map(|e| e.created_at)
        .min();
    let resolution = entries
        .iter()
        .filter(|e| kind_of(e) == Some("resolve"))
        .max_by_key(|e| e.created_at);
    let status = match i.status.as_str() {
        "resolved" => "resolved",
        "acknowledged" => "acknowledged",
        _ => "triggered",
    };
    let resolved_at = (status == "resolved")
        .then(|| i.resolved_at.or(resolution.map(|e| e.created_at)))
        .flatten();
    let values = [
        text(row.service.as_str()),
        opt_text(row.team.clone()),
        text(row.severity.as_str()),
        text(row.severity_original.as_str()),
        text(privacy.redact(&i.title)),
        text(status),
        opt_time(Some(i.created_at)),
        opt_time(acknowledged_at),
        opt_time(resolved_at),
        opt_text(
            (status == "resolved")
                .then(|| resolution.map(resolved_by))
                .flatten(),
        ),
    ];
    let incident_id = w.upsert(
        "incidents",
        INCIDENT_COLUMNS,
        &values,
        &i.id,
        i.html_url.as_deref(),
    )?;
    for e in entries {
        let Some(kind) = event_kind(&e.kind) else {
            continue;
        };
        let actor = e.agent.as_ref().and_then(|a| {
            let name = a.summary.as_deref()?;
            Some(if a.kind.starts_with("user") {
                privacy.person(name)
            } else {
                privacy.redact(name).into_owned()
            })
        });
        let values = [
            rusqlite::types::Value::Integer(incident_id),
            opt_time(Some(e.created_at)),
            text(kind),
            opt_text(actor),
            opt_text(e.summary.as_deref().map(|s| privacy.redact(s).into_owned())),
        ];
        w.upsert(
            "incident_events",
            EVENT_COLUMNS,
            &values,
            &e.id,
            e.html_url.as_deref(),
        )?;
    }
    Ok(())
}

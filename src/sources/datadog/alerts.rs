//! Monitors (`GET /api/v1/monitor`) and monitor alert events (`GET /api/v2/events`) →
//! `alerts`.
//!
//! An alert row is one episode of a monitor: from the transition to Alert or Warn until the
//! next recovery, keyed `monitor/<id>@<trigger epoch>`. Both resources feed the same
//! episodes: events give each trigger and recovery; the monitor list gives the current state
//! (an episode still firing, or one that recovered after the events read so far). A trigger
//! within [`SAME_TRIGGER`] of a known episode's start is that episode seen again, and a
//! re-notification while an episode is open continues it, so neither doubles an alert.
//! Groups of a multi-alert monitor fold into the monitor's episode. Datadog monitors recover
//! by themselves when their condition clears, hence `resolved_by = auto`; Datadog has no
//! acknowledgement, so `acknowledged_at` stays empty.

use super::{Owner, owner, param, target};
use crate::model::Timestamp;
use crate::privacy::Privacy;
use crate::sources::http::HttpClient;
use crate::sources::shared::{Listed, fetch_next};
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_text, opt_time, text};
use chrono::Duration;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

const MONITOR_PAGE_SIZE: usize = 100;
/// The largest page the v2 events list serves.
const EVENT_PAGE_LIMIT: u32 = 1000;
/// Monitor alert events in the events API.
const EVENT_QUERY: &str = "source:alert";
/// A trigger this close to a known episode's start is the same trigger read twice (an event
/// and the monitor's `overall_state_modified` differ by a few seconds).
const SAME_TRIGGER: Duration = Duration::minutes(5);

#[derive(Debug, Deserialize)]
struct Monitor {
    id: i64,
    name: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    overall_state: Option<String>,
    #[serde(default)]
    overall_state_modified: Option<Timestamp>,
}

/// A monitor's state change: it started firing or recovered at `at`.
#[derive(Debug, Clone)]
struct Transition {
    monitor_id: i64,
    at: Timestamp,
    firing: bool,
    monitor: String,
    owner: Owner,
    severity: Option<String>,
    title: String,
    url: Option<String>,
}

fn monitor_url(session: &Session<'_>, id: i64) -> Option<String> {
    let site = session.source.site.as_deref()?;
    Some(format!("https://app.{site}/monitors/{id}"))
}

fn priority(p: Option<i64>) -> Option<String> {
    p.filter(|p| (1..=5).contains(p)).map(|p| format!("P{p}"))
}

fn monitors_target(page: usize) -> String {
    format!("/api/v1/monitor?page_size={MONITOR_PAGE_SIZE}&page={page}")
}

pub(super) async fn sync_monitors(
    session: &mut Session<'_>,
    client: &HttpClient,
) -> Result<(), SyncError> {
    let resource = "monitors";
    let mut run = session.begin(resource)?;
    loop {
        let Some(Listed { page, target }) =
            fetch_next(client, &mut run, || monitors_target(0)).await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let monitors: Vec<Monitor> = client.decode(&page)?;
        let number: usize = param(&target, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        run.advance((monitors.len() >= MONITOR_PAGE_SIZE).then(|| monitors_target(number + 1)));
        let privacy = session.privacy().clone();
        let transitions: Vec<Transition> = monitors
            .iter()
            .filter_map(|m| {
                let firing = match m.overall_state.as_deref()? {
                    "Alert" | "Warn" => true,
                    "OK" => false,
                    // No Data, Ignored, Skipped, Unknown: neither starts nor ends an episode.
                    _ => return None,
                };
                Some(Transition {
                    monitor_id: m.id,
                    at: m.overall_state_modified?,
                    firing,
                    monitor: privacy.redact(&m.name).into_owned(),
                    owner: owner(session.ownership(), &m.tags),
                    severity: priority(m.priority),
                    title: privacy.redact(&m.name).into_owned(),
                    url: monitor_url(session, m.id),
                })
            })
            .collect();
        let source = session.source.name.clone();
        session.write_page(resource, &mut run, monitors.len(), |w| {
            for t in &transitions {
                apply(w, &source, t)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[derive(Debug, Deserialize)]
struct EventList {
    #[serde(default)]
    data: Vec<Event>,
    #[serde(default)]
    meta: Option<EventMeta>,
}

#[derive(Debug, Deserialize)]
struct EventMeta {
    #[serde(default)]
    page: Option<EventMetaPage>,
}

#[derive(Debug, Deserialize)]
struct EventMetaPage {
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Event {
    attributes: EventOuter,
}

#[derive(Debug, Deserialize)]
struct EventOuter {
    #[serde(default)]
    attributes: Option<EventAttributes>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
struct EventAttributes {
    #[serde(default)]
    monitor_id: Option<serde_json::Value>,
    #[serde(default)]
    monitor: Option<EventMonitor>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EventMonitor {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    priority: Option<i64>,
}

/// A monitor id given as a number or a numeric string.
fn monitor_id(v: &serde_json::Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// Whether an event starts (`true`) or ends (`false`) an episode, by its alert type, else
/// by the `[Triggered]`/`[Recovered]` prefix Datadog gives monitor notification titles.
fn firing(status: Option<&str>, title: &str) -> Option<bool> {
    match status {
        Some("error" | "warning" | "warn") => return Some(true),
        Some("success") => return Some(false),
        _ => {}
    }
    if title.contains("[Recovered]") {
        Some(false)
    } else if title.contains("Triggered]") || title.contains("[Warn]") {
        Some(true)
    } else {
        None
    }
}

fn event_transition(session: &Session<'_>, privacy: &Privacy, e: &Event) -> Option<Transition> {
    let attrs = e.attributes.attributes.as_ref()?;
    let id = attrs
        .monitor_id
        .as_ref()
        .and_then(monitor_id)
        .or_else(|| attrs.monitor.as_ref()?.id.as_ref().and_then(monitor_id))?;
    let title = attrs.title.clone().unwrap_or_default();
    let firing = firing(attrs.status.as_deref(), &title)?;
    let monitor = attrs.monitor.as_ref();
    let tags = monitor
        .map(|m| m.tags.as_slice())
        .filter(|t| !t.is_empty())
        .unwrap_or(&e.attributes.tags);
    let name = monitor
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| format!("monitor {id}"));
    Some(Transition {
        monitor_id: id,
        at: e.attributes.timestamp?,
        firing,
        monitor: privacy.redact(&name).into_owned(),
        owner: owner(session.ownership(), tags),
        severity: priority(monitor.and_then(|m| m.priority)).or_else(|| {
            Some(match attrs.status.as_deref() {
                Some("warning" | "warn") => "warn".into(),
                _ => "alert".into(),
            })
        }),
        title: privacy.redact(&title).into_owned(),
        url: monitor_url(session, id),
    })
}

fn events_target(from: Timestamp, to: Timestamp, cursor: Option<&str>) -> String {
    let fmt = |t: Timestamp| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut params = vec![
        ("filter[query]", EVENT_QUERY.to_string()),
        ("filter[from]", fmt(from)),
        ("filter[to]", fmt(to)),
        ("sort", "timestamp".to_string()),
        ("page[limit]", EVENT_PAGE_LIMIT.to_string()),
    ];
    if let Some(c) = cursor {
        params.push(("page[cursor]", c.to_string()));
    }
    target("/api/v2/events", &params)
}

pub(super) async fn sync_events(
    session: &mut Session<'_>,
    client: &HttpClient,
) -> Result<(), SyncError> {
    let resource = "monitor_events";
    let mut run = session.begin(resource)?;
    loop {
        let pass = run.pass();
        let (from, to) = (pass.lower_bound, pass.started_at);
        let target = pass
            .next
            .clone()
            .unwrap_or_else(|| events_target(from, to, None));
        let page = client.get_page(&target).await?;
        let list: EventList = client.decode(&page)?;
        // `links.next` names the public host; the cursor alone keeps requests on base_url.
        let after = list.meta.and_then(|m| m.page).and_then(|p| p.after);
        let next = after
            .filter(|_| !list.data.is_empty())
            .map(|c| events_target(from, to, Some(&c)));
        run.advance(next);
        let privacy = session.privacy().clone();
        let mut transitions: Vec<Transition> = list
            .data
            .iter()
            .filter_map(|e| event_transition(session, &privacy, e))
            .collect();
        transitions.sort_by_key(|t| t.at);
        let source = session.source.name.clone();
        session.write_page(resource, &mut run, list.data.len(), |w| {
            for t in &transitions {
                apply(w, &source, t)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

const ALERT_COLUMNS: &[&str] = &[
    "monitor",
    "service",
    "team",
    "severity",
    "title",
    "triggered_at",
    "resolved_at",
    "resolved_by",
];

/// A stored episode of a monitor, with the values its row holds.
struct Episode {
    external_id: String,
    values: Vec<Value>,
    triggered_at: i64,
    open: bool,
}

/// The latest episode of a monitor that started within `triggered` (epoch seconds,
/// inclusive), only among open ones if `open_only`.
fn episode(
    w: &RowWriter<'_>,
    source: &str,
    monitor_id: i64,
    triggered: (i64, i64),
    open_only: bool,
) -> Result<Option<Episode>, StoreError> {
    let prefix = format!("monitor/{monitor_id}@");
    let mut stmt = w.conn().prepare_cached(
        "SELECT external_id, monitor, service, team, severity, title, triggered_at, resolved_at,
                resolved_by
         FROM alerts
         WHERE source = ?1 AND substr(external_id, 1, length(?2)) = ?2
           AND triggered_at BETWEEN ?3 AND ?4 AND (?5 = 0 OR resolved_at IS NULL)
         ORDER BY triggered_at DESC LIMIT 1",
    )?;
    Ok(stmt
        .query_row(
            params![source, prefix, triggered.0, triggered.1, open_only],
            |r| {
                let values = (1..=8)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(Episode {
                    external_id: r.get(0)?,
                    triggered_at: r.get(6)?,
                    open: matches!(values[6], Value::Null),
                    values,
                })
            },
        )
        .optional()?)
}

/// Applies one transition to the monitor's episodes (see the module notes).
fn apply(w: &mut RowWriter<'_>, source: &str, t: &Transition) -> Result<(), StoreError> {
    let at = t.at.timestamp();
    let tolerance = SAME_TRIGGER.num_seconds();
    let url = t.url.as_deref();
    if !t.firing {
        if let Some(mut e) = episode(w, source, t.monitor_id, (i64::MIN, at), true)? {
            e.values[6] = opt_time(Some(t.at));
            e.values[7] = text("auto");
            w.upsert("alerts", ALERT_COLUMNS, &e.values, &e.external_id, url)?;
        }
        return Ok(());
    }
    let window = (at - tolerance, at + tolerance);
    let known = match episode(w, source, t.monitor_id, window, false)? {
        Some(e) => Some(e),
        None => episode(w, source, t.monitor_id, (i64::MIN, at), true)?,
    };
    match known {
        // A trigger read again, or a re-notification of an open episode: keep the earliest
        // start.
        Some(mut e) => {
            if e.open && at < e.triggered_at {
                e.values[5] = opt_time(Some(t.at));
                w.upsert("alerts", ALERT_COLUMNS, &e.values, &e.external_id, url)?;
            }
        }
        None => {
            let values = [
                text(t.monitor.as_str()),
                opt_text(t.owner.service.clone()),
                opt_text(t.owner.team.clone()),
                opt_text(t.severity.clone()),
                text(t.title.as_str()),
                opt_time(Some(t.at)),
                Value::Null,
                Value::Null,
            ];
            let id = format!("monitor/{}@{at}", t.monitor_id);
            w.upsert("alerts", ALERT_COLUMNS, &values, &id, url)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_types_and_titles_say_whether_an_event_fires_or_recovers() {
        assert_eq!(firing(Some("error"), ""), Some(true));
        assert_eq!(firing(Some("warning"), ""), Some(true));
        assert_eq!(firing(Some("success"), "[Triggered] x"), Some(false));
        assert_eq!(firing(None, "[P2] [Recovered] cpu high"), Some(false));
        assert_eq!(firing(Some("info"), "[Re-Triggered] cpu high"), Some(true));
        assert_eq!(firing(Some("info"), "[Synthetics] pipeline test"), None);
    }

    #[test]
    fn monitor_ids_come_as_numbers_or_strings() {
        assert_eq!(monitor_id(&serde_json::json!(42)), Some(42));
        assert_eq!(monitor_id(&serde_json::json!("42")), Some(42));
        assert_eq!(monitor_id(&serde_json::json!("x")), None);
        assert_eq!(priority(Some(2)).as_deref(), Some("P2"));
        assert_eq!(priority(Some(9)), None);
    }
}

//! Datadog connector end to end against a local fake server answering with Datadog's
//! published and recorded payloads (tests/fixtures/api/datadog), then the SLO metrics the
//! synced samples feed.

mod common;

use common::{
    Run, all, assert_synced, at, count, get, memory_store, mount_once, ok_json, ok_text, query,
    served, source_at, written,
};
use plumb::config::{Secret, SourceConfig, SourceKind};
use plumb::metrics::Versions;
use plumb::metrics::slo::{SloParams, slo_report};
use plumb::model::Filter;
use plumb::sources::auth::Auth;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::SourceSummary;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The two metric SLOs and the monitor SLO of the recorded SLO list.
const METRIC_SLO: &str = "70e82706f4ae56ff8bdd7f02e767f97c";
const METRIC_SLO_2: &str = "955ab6301fa656e7b061de4a05ad4774";
const MONITOR_SLO: &str = "a17acfd48b7c55d19192e3a697cc1d01";
/// `to_ts` of the recorded history request.
const NOW: &str = "2024-01-03T22:54:48Z";
const SINCE: &str = "2024-01-02T00:00:00Z";
/// The one bucket with errors: 900 good of 1000.
const BAD_BUCKET: i64 = 1_704_153_600;

fn fixture(name: &str) -> Value {
    common::fixture("datadog", name)
}

/// The history of the requested window: the recorded metric-SLO body with its 2-hour
/// `times` moved onto the window and counts of 999 good in 1000 (the recording holds only
/// zeros); for the monitor SLO, the spec example typed `monitor`.
fn history(request: &Request) -> ResponseTemplate {
    let from: i64 = query(request, "from_ts").unwrap().parse().unwrap();
    let to: i64 = query(request, "to_ts").unwrap().parse().unwrap();
    if request.url.path().contains(MONITOR_SLO) {
        let mut body = fixture("get-slo-history.json");
        body["data"]["type"] = "monitor".into();
        body["data"]["from_ts"] = from.into();
        body["data"]["to_ts"] = to.into();
        return ok_json(body);
    }
    let mut body = fixture("get-slo-history.recorded.json");
    let starts: Vec<i64> = (from..to).step_by(7200).collect();
    let good: Vec<f64> = starts
        .iter()
        .map(|t| if *t == BAD_BUCKET { 900.0 } else { 999.0 })
        .collect();
    let series = &mut body["data"]["series"];
    series["times"] = json!(
        starts
            .iter()
            .map(|t| *t as f64 * 1000.0)
            .collect::<Vec<_>>()
    );
    series["numerator"]["values"] = json!(good);
    series["denominator"]["values"] = json!(vec![1000.0; starts.len()]);
    body["data"]["from_ts"] = from.into();
    body["data"]["to_ts"] = to.into();
    ok_json(body)
}

/// A full first page of 100 monitors: the two recorded ones, the first set to `Alert`,
/// then copies of them under other ids.
fn monitors_page() -> Value {
    let mut recorded = fixture("list-monitors.recorded.json");
    recorded[0]["overall_state"] = "Alert".into();
    recorded[0]["overall_state_modified"] = "2024-01-03T20:00:00+00:00".into();
    recorded[0]["priority"] = 2.into();
    recorded[0]["tags"]
        .as_array_mut()
        .unwrap()
        .push("service:splunk".into());
    let mut page = recorded.as_array().unwrap().clone();
    for k in 0..98 {
        let mut copy = recorded[1].clone();
        copy["id"] = (40_000_000 + k).into();
        page.push(copy);
    }
    Value::Array(page)
}

/// The recorded Synthetics events as monitor alert events: on page 1 monitor 34822915
/// triggers then recovers 13 s later; on page 2 monitor 34822916 warns.
fn events_pages() -> (Value, Value) {
    let mut first = fixture("search-events.json");
    let as_monitor_event = |e: &mut Value, monitor: i64, status: &str, title: &str| {
        let attrs = &mut e["attributes"]["attributes"];
        attrs["monitor_id"] = monitor.into();
        attrs["status"] = status.into();
        attrs["title"] = title.into();
    };
    as_monitor_event(
        &mut first["data"][0],
        34822915,
        "error",
        "[Triggered] latency on host 10.1.2.3",
    );
    as_monitor_event(
        &mut first["data"][1],
        34822915,
        "success",
        "[Recovered] latency on host 10.1.2.3",
    );
    let mut second = fixture("search-events.page-2.json");
    as_monitor_event(
        &mut second["data"][0],
        34822916,
        "warning",
        "[Warn] elb latency",
    );
    (first, second)
}

async fn mount(server: &MockServer) {
    get("/api/v1/slo")
        .and(query_param("offset", "0"))
        .and(header("DD-API-KEY", "dd-api"))
        .and(header("DD-APPLICATION-KEY", "dd-app"))
        .respond_with(ok_json(fixture("list-slos.recorded.json")))
        .mount(server)
        .await;
    get("/api/v1/slo")
        .and(query_param("offset", "2"))
        .respond_with(ok_json(fixture("list-slos.recorded.page-2.json")))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/slo/[0-9a-f]+/history$"))
        .respond_with(history)
        .mount(server)
        .await;
    get("/api/v1/monitor")
        .and(query_param("page", "0"))
        .respond_with(ok_json(monitors_page()))
        .mount(server)
        .await;
    get("/api/v1/monitor")
        .and(query_param("page", "1"))
        .respond_with(ok_json(fixture("list-monitors.recorded.page-2.json")))
        .mount(server)
        .await;
    let (first, second) = events_pages();
    let after = |v: &Value| v["meta"]["page"]["after"].as_str().unwrap().to_string();
    let (after_1, after_2) = (after(&first), after(&second));
    get("/api/v2/events")
        .and(query_param("page[cursor]", after_1.as_str()))
        .respond_with(ok_json(second))
        .mount(server)
        .await;
    get("/api/v2/events")
        .and(query_param("page[cursor]", after_2.as_str()))
        .respond_with(ok_json(fixture("search-events.page-3-empty.json")))
        .mount(server)
        .await;
    // The first page: any request without a cursor (lower priority than the two above).
    get("/api/v2/events")
        .respond_with(ok_json(first))
        .with_priority(10)
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    let mut source = source_at(server, "dd", SourceKind::Datadog, "DD_API_KEY");
    source.app_key_env = Some("DD_APP_KEY".into());
    source
}

async fn sync(store: &mut Store, source: &SourceConfig, since: Option<&str>) -> SourceSummary {
    let client = HttpClient::with_auth(
        source,
        Auth::Datadog {
            api_key: Secret::new("dd-api"),
            app_key: Secret::new("dd-app"),
        },
        HttpPolicy::for_source(source),
    )
    .unwrap();
    let run = Run::at(NOW).since(since).key(5);
    run.sync(store, source, &client).await
}

/// external_id, triggered_at, resolved_at, resolved_by, severity, title
type AlertRow = (
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
);

#[tokio::test]
async fn slos_history_monitors_and_events_feed_the_slo_and_alert_tables() {
    let (server, source, mut store) = served(mount, source).await;
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&summary);

    // SLOs: both list pages, target of the primary timeframe as a fraction.
    let slos: Vec<(String, f64, i64, String)> = all(
        store.conn(),
        "SELECT external_id, target, window_days, window_kind FROM slos ORDER BY external_id",
    );
    let ids: Vec<&str> = slos.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(ids, [METRIC_SLO, METRIC_SLO_2, MONITOR_SLO]);
    assert!((slos[0].1 - 0.90).abs() < 1e-9);
    assert!(
        (slos[1].1 - 0.995).abs() < 1e-9,
        "the 7d threshold is primary"
    );
    assert_eq!((slos[1].2, slos[1].3.as_str()), (7, "rolling"));

    // History: two day windows per SLO, from midnight of the lower bound to now.
    let requests = server.received_requests().await.unwrap();
    let mut windows: Vec<(String, String)> = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/history"))
        .map(|r| {
            (
                r.url.path().to_string(),
                format!(
                    "{}-{}",
                    query(r, "from_ts").unwrap(),
                    query(r, "to_ts").unwrap()
                ),
            )
        })
        .collect();
    // Windows of one SLO are fetched together: their order on the wire may vary.
    windows.sort();
    assert_eq!(windows.len(), 6);
    assert_eq!(
        windows[0],
        (
            format!("/api/v1/slo/{METRIC_SLO}/history"),
            "1704153600-1704240000".into()
        )
    );
    assert_eq!(windows[1].1, "1704240000-1704322488");
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("DD-API-KEY").is_some()),
        "every request carries the keys"
    );

    // 12 buckets on the first day, 12 on the second (the last one still running).
    let per_slo = |id: &str| {
        count(
            &store,
            &format!(
                "SELECT count(*) FROM slo_samples s JOIN slos o ON o.id = s.slo_id
                 WHERE o.external_id = '{id}'"
            ),
        )
    };
    assert_eq!(per_slo(METRIC_SLO), 24);
    assert_eq!(per_slo(METRIC_SLO_2), 24);
    assert_eq!(per_slo(MONITOR_SLO), 2, "one uptime bucket per window");
    let (good, total): (f64, f64) = store
        .conn()
        .query_row(
            "SELECT sum(good), sum(total) FROM slo_samples s JOIN slos o ON o.id = s.slo_id
             WHERE o.external_id = ?1",
            [MONITOR_SLO],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(total, (1_704_322_488 - 1_704_153_600) as f64, "seconds");
    assert!((good / total - 0.9999).abs() < 1e-9, "uptime 99.99%");

    // The metrics those samples feed: 24 000 events, 23 × 1 + 100 bad.
    let params = SloParams::default();
    let inputs = store
        .slo_inputs(&Filter::default(), &params, at(NOW))
        .unwrap();
    let (slo, samples) = inputs
        .iter()
        .find(|(s, _)| s.name == "test SLO 1668426861")
        .unwrap();
    let report = slo_report(slo, samples, &params, at(NOW), &Versions::default());
    assert_eq!(report.total, 24_000.0);
    let consumed = (123.0 / 24_000.0) / (1.0 - 0.90);
    assert!((report.budget_remaining.unwrap() - (1.0 - consumed)).abs() < 1e-9);
    assert!((report.burn_rate.unwrap() - consumed).abs() < 1e-9);

    // Alerts: the 2022 episode from the events (triggered, recovered 13 s later), the
    // monitor still firing now, and the warning of the second monitor.
    let alerts: Vec<AlertRow> = all(
        store.conn(),
        "SELECT external_id, triggered_at, resolved_at, resolved_by, severity, title
             FROM alerts ORDER BY triggered_at, external_id",
    );
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    let triggered = at("2022-06-20T17:07:17Z").timestamp();
    assert_eq!(alerts[0].0, format!("monitor/34822915@{triggered}"));
    assert_eq!(alerts[0].2, Some(triggered + 13));
    assert_eq!(alerts[0].3.as_deref(), Some("auto"));
    assert_eq!(alerts[0].5, "[Triggered] latency on host [ip]", "redacted");
    assert_eq!(alerts[1].0, format!("monitor/34822916@{}", triggered + 15));
    assert_eq!(alerts[1].4.as_deref(), Some("warn"));
    assert_eq!(alerts[1].2, None);
    let now_firing = at("2024-01-03T20:00:00Z").timestamp();
    assert_eq!(alerts[2].0, format!("monitor/34822915@{now_firing}"));
    assert_eq!((alerts[2].2, alerts[2].4.as_deref()), (None, Some("P2")));
    let service: Option<String> = store
        .conn()
        .query_row(
            "SELECT service FROM alerts WHERE triggered_at = ?1",
            [now_firing],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(service.as_deref(), Some("splunk"));
    let event_pages: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/v2/events")
        .map(|r| query(r, "filter[from]"))
        .collect();
    assert_eq!(event_pages.len(), 3, "three pages, the last one empty");
    assert!(
        event_pages
            .iter()
            .all(|f| f.as_deref() == Some("2024-01-02T00:00:00Z"))
    );
}

#[tokio::test]
async fn a_second_sync_with_nothing_new_writes_no_rows() {
    let (_server, source, mut store) = served(mount, source).await;
    let first = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&first);
    assert!(written(&first) > 0);
    let rows = count(&store, "SELECT count(*) FROM slo_samples")
        + count(&store, "SELECT count(*) FROM alerts");
    let again = sync(&mut store, &source, None).await;
    assert_synced(&again);
    assert_eq!(written(&again), 0, "{:?}", again.resources);
    let after = count(&store, "SELECT count(*) FROM slo_samples")
        + count(&store, "SELECT count(*) FROM alerts");
    assert_eq!(rows, after);
}

#[tokio::test]
async fn malformed_history_keeps_earlier_data_and_the_resumed_sync_ends_with_the_same_rows() {
    let server = MockServer::start().await;
    // The first window of the second SLO answers truncated JSON once.
    mount_once(
        &server,
        get(format!("/api/v1/slo/{METRIC_SLO_2}/history"))
            .and(query_param("from_ts", "1704153600")),
        ok_text(r#"{"data": {"series": {"ti"#),
        1,
    )
    .await;
    mount(&server).await;
    let source = source(&server);
    let mut store = memory_store();
    let broken = sync(&mut store, &source, Some(SINCE)).await;
    let error = broken
        .resources
        .iter()
        .find(|r| r.resource == "slo_history")
        .and_then(|r| r.error.clone())
        .unwrap();
    assert!(
        error.contains(&format!(
            "GET /api/v1/slo/{METRIC_SLO_2}/history?from_ts=1704153600"
        )),
        "{error}"
    );
    assert!(error.contains("`dd`"), "{error}");
    let samples = count(&store, "SELECT count(*) FROM slo_samples");
    assert_eq!(
        samples, 24,
        "the first SLO's samples are intact, nothing of the bad page"
    );
    // The other resources went on.
    assert_eq!(count(&store, "SELECT count(*) FROM alerts"), 3);

    let resumed = sync(&mut store, &source, None).await;
    assert_synced(&resumed);
    assert_eq!(
        count(&store, "SELECT count(*) FROM slo_samples"),
        24 + 24 + 2
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM (SELECT DISTINCT slo_id, bucket_start FROM slo_samples)"
        ),
        50,
        "none doubled"
    );
    let history_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().contains(METRIC_SLO) && r.url.path().ends_with("/history"))
        .count();
    assert_eq!(
        history_requests, 2,
        "the resumed sync did not re-read the first SLO"
    );
}

#[tokio::test]
async fn a_rejected_key_names_the_source_and_its_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errors": ["Unauthorized"]})))
        .mount(&server)
        .await;
    let source = source(&server);
    let mut store = memory_store();
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert!(summary.failed());
    let error = summary.resources[0].error.clone().unwrap();
    assert!(
        error.contains("`dd`") && error.contains("DD_API_KEY"),
        "{error}"
    );
    assert_eq!(
        summary.resources.len(),
        1,
        "a rejected key stops the other resources"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_429_with_datadog_rate_limit_headers_is_waited_out() {
    let server = MockServer::start().await;
    // Datadog's headers: the reset is in seconds from now.
    mount_once(
        &server,
        get("/api/v1/monitor"),
        ResponseTemplate::new(429)
            .insert_header("X-RateLimit-Limit", "100")
            .insert_header("X-RateLimit-Period", "10")
            .insert_header("X-RateLimit-Remaining", "0")
            .insert_header("X-RateLimit-Reset", "1"),
        1,
    )
    .await;
    mount(&server).await;
    let source = source(&server);
    let mut store = memory_store();
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&summary);
    assert!(summary.http.rate_limit_waits >= 1, "{:?}", summary.http);
    assert_eq!(count(&store, "SELECT count(*) FROM alerts"), 3);
}

#[tokio::test]
async fn a_monitor_back_to_ok_resolves_its_open_episode() {
    let (server, source, mut store) = served(mount, source).await;
    let first = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&first);
    // The firing monitor recovered at 21:30 (derived from the same recorded page).
    let mut page = monitors_page();
    page[0]["overall_state"] = "OK".into();
    page[0]["overall_state_modified"] = "2024-01-03T21:30:00+00:00".into();
    get("/api/v1/monitor")
        .and(query_param("page", "0"))
        .respond_with(ok_json(page))
        .with_priority(1)
        .mount(&server)
        .await;
    let second = sync(&mut store, &source, None).await;
    assert_synced(&second);
    let monitors = second
        .resources
        .iter()
        .find(|r| r.resource == "monitors")
        .unwrap();
    assert_eq!(monitors.written, 1, "only the resolved episode changed");
    let firing_since = at("2024-01-03T20:00:00Z").timestamp();
    let (resolved_at, resolved_by): (Option<i64>, Option<String>) = store
        .conn()
        .query_row(
            "SELECT resolved_at, resolved_by FROM alerts WHERE external_id = ?1",
            [format!("monitor/34822915@{firing_since}")],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (resolved_at, resolved_by.as_deref()),
        (Some(at("2024-01-03T21:30:00Z").timestamp()), Some("auto"))
    );
    assert_eq!(count(&store, "SELECT count(*) FROM alerts"), 3);
}

/// A first sync asked for a year of history (`--nocapture` shows the figures).
#[tokio::test]
async fn cold_sync_reads_at_most_ninety_days_of_history_one_request_per_day() {
    let (server, source, mut store) = served(mount, source).await;
    let started = std::time::Instant::now();
    let summary = sync(&mut store, &source, Some("2023-01-03T00:00:00Z")).await;
    let elapsed = started.elapsed();
    assert_synced(&summary);
    let history = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/history"))
        .count();
    // From midnight 90 days before now: 90 whole days and today's part, per SLO.
    assert_eq!(history, 3 * 91);
    let rows = count(&store, "SELECT count(*) FROM slo_samples");
    println!(
        "datadog cold sync: {} requests ({history} history), {} bytes, {rows} samples in \
         {:.2?} ({:.0} rows/s)",
        summary.http.requests,
        summary.http.bytes,
        elapsed,
        rows as f64 / elapsed.as_secs_f64()
    );
}

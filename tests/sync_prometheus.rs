//! Prometheus connector end to end against a local fake server answering with the range
//! query example of Prometheus' HTTP API documentation (tests/fixtures/api/prometheus),
//! then the SLO metrics the synced samples feed.

mod common;

use common::{
    Run, assert_synced, at, count_rows, get, memory_store, mount_once, mount_status, ok_json,
    ok_text, query, row, served, source_at,
};
use plumb::config::{HumanDuration, PromQuery, Secret, SloConfig, SourceConfig, SourceKind};
use plumb::metrics::Versions;
use plumb::metrics::slo::{SloParams, slo_report};
use plumb::model::Filter;
use plumb::sources::auth::Auth;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::sources::prometheus::{POINTS_PER_REQUEST, declare_slos};
use plumb::store::Store;
use plumb::sync::SourceSummary;
use serde_json::{Value, json};
use wiremock::matchers::{header, query_param};
use wiremock::{MockServer, Request, ResponseTemplate};

const NOW: &str = "2024-05-02T12:00:00Z";
const STEP: i64 = 300;
const GOOD: &str = "sum by (instance) (increase(http_requests_total{code!~\"5..\"}[5m]))";
const TOTAL: &str = "sum by (instance) (increase(http_requests_total[5m]))";

/// The point whose step had 100 errors: the first step of the last hour.
fn bad_point() -> i64 {
    at(NOW).timestamp() - 3600 + STEP
}

/// The documented range answer moved onto the requested grid: its two series (one per
/// instance) carry 600 and 400 requests per step, all good but 1 per step (100 in the bad
/// step), counted on the first instance.
fn range(request: &Request) -> ResponseTemplate {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/api/prometheus/query-range.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut body: Value = serde_json::from_str(&text).unwrap();
    let start: i64 = query(request, "start").unwrap().parse().unwrap();
    let end: i64 = query(request, "end").unwrap().parse().unwrap();
    let step: i64 = query(request, "step")
        .unwrap()
        .trim_end_matches('s')
        .parse()
        .unwrap();
    let good = query(request, "query").unwrap() == GOOD;
    let grid: Vec<i64> = (start..=end).step_by(step as usize).collect();
    for (i, per_instance) in [600.0, 400.0].into_iter().enumerate() {
        let values: Vec<Value> = grid
            .iter()
            .map(|t| {
                let bad = match (good, i, *t == bad_point()) {
                    (true, 0, true) => 100.0,
                    (true, 0, false) => 1.0,
                    _ => 0.0,
                };
                json!([*t as f64, (per_instance - bad).to_string()])
            })
            .collect();
        body["data"]["result"][i]["metric"]["__name__"] = Value::Null;
        body["data"]["result"][i]["values"] = Value::Array(values);
    }
    ok_json(body)
}

async fn mount(server: &MockServer) {
    get("/api/v1/query_range")
        .and(header("Authorization", "Bearer prom-token"))
        .respond_with(range)
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    let mut source = source_at(server, "prom", SourceKind::Prometheus, "PROM_TOKEN");
    source.queries.push(PromQuery {
        slo: "checkout-availability".into(),
        good: GOOD.into(),
        total: TOTAL.into(),
        step: HumanDuration::from_secs(STEP as u64),
    });
    source
}

fn slo_config() -> SloConfig {
    toml::from_str(
        r#"
        name = "checkout-availability"
        service = "checkout"
        team = "payments"
        target = 0.999
        window = "28d"
        source = "prom"
        "#,
    )
    .unwrap()
}

async fn sync(store: &mut Store, source: &SourceConfig, since: Option<&str>) -> SourceSummary {
    let client = HttpClient::with_auth(
        source,
        Auth::Bearer(Secret::new("prom-token")),
        HttpPolicy::for_source(source),
    )
    .unwrap();
    let run = Run::at(NOW).since(since);
    run.sync(store, source, &client).await
}

fn samples(store: &Store) -> i64 {
    count_rows(store, "slo_samples")
}

/// 40 days before `NOW`: more points than one request may ask for.
const SINCE: &str = "2024-03-23T12:00:00Z";
const POINTS: i64 = 40 * 288;

#[tokio::test]
async fn good_and_total_series_become_samples_of_the_declared_slo_and_feed_its_budget() {
    let (server, source, mut store) = served(mount, source).await;
    assert_eq!(
        declare_slos(&mut store, &source, &[slo_config()]).unwrap(),
        1
    );
    assert_eq!(
        declare_slos(&mut store, &source, &[slo_config()]).unwrap(),
        0,
        "declaring again changes nothing"
    );
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&summary);

    // Chunks under the points limit, contiguous, each asking good and total on one grid.
    let requests = server.received_requests().await.unwrap();
    let mut chunks: Vec<(i64, i64)> = requests
        .iter()
        .map(|r| {
            let n = |k| query(r, k).unwrap().parse::<i64>().unwrap();
            (n("start"), n("end"))
        })
        .collect();
    chunks.sort();
    chunks.dedup();
    assert_eq!(requests.len(), 2 * chunks.len());
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].0, at(SINCE).timestamp() + STEP);
    assert_eq!(chunks[0].1 + STEP, chunks[1].0, "no gap, no overlap");
    assert_eq!(chunks[1].1, at(NOW).timestamp());
    for (start, end) in &chunks {
        let points = (end - start) / STEP + 1;
        // Prometheus refuses more than 11,000 points per series.
        assert!(points <= 11_000, "{points}");
    }
    assert_eq!(samples(&store), POINTS);

    // Each point counts the step before it; the two instances are summed.
    let (start, seconds, good, total): (i64, i64, f64, f64) = row(
        store.conn(),
        "SELECT bucket_start, bucket_seconds, good, total FROM slo_samples
             ORDER BY bucket_start DESC LIMIT 1",
    );
    assert_eq!(
        (start, seconds, good, total),
        (at(NOW).timestamp() - STEP, STEP, 999.0, 1000.0)
    );

    let params = SloParams::default();
    let inputs = store
        .slo_inputs(&Filter::default(), &params, at(NOW))
        .unwrap();
    assert_eq!(inputs.len(), 1);
    let (slo, samples) = &inputs[0];
    assert_eq!(
        (slo.service.as_deref(), slo.team.as_deref()),
        (Some("checkout"), Some("payments"))
    );
    let report = slo_report(slo, samples, &params, at(NOW), &Versions::default());
    // 28 days of 288 steps of 1000 requests; 1 error per step and 99 more in one step.
    let buckets = 28.0 * 288.0;
    assert_eq!(report.total, buckets * 1000.0);
    let consumed = ((buckets + 99.0) / (buckets * 1000.0)) / 0.001;
    assert!((report.budget_remaining.unwrap() - (1.0 - consumed)).abs() < 1e-9);
    // The last hour: 12 steps, 12 + 99 errors in 12,000 requests.
    let current = (111.0 / 12_000.0) / 0.001;
    assert!((report.current_burn_rate.unwrap() - current).abs() < 1e-9);
}

#[tokio::test]
async fn a_second_sync_rereads_only_the_last_steps_and_writes_nothing() {
    let (server, source, mut store) = served(mount, source).await;
    declare_slos(&mut store, &source, &[slo_config()]).unwrap();
    let first = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&first);
    let before = server.received_requests().await.unwrap().len();
    let again = sync(&mut store, &source, None).await;
    assert_synced(&again);
    assert_eq!(again.resources[0].written, 0, "{:?}", again.resources);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len() - before, 2, "one chunk: good and total");
    let start: i64 = query(&requests[before], "start").unwrap().parse().unwrap();
    assert!(
        start > at(NOW).timestamp() - 3600,
        "from the cursor, not from the start"
    );
    assert_eq!(samples(&store), POINTS);
}

#[tokio::test]
async fn malformed_json_keeps_the_first_chunk_and_the_resumed_sync_completes() {
    let server = MockServer::start().await;
    let second_chunk = (at(SINCE).timestamp() + STEP + POINTS_PER_REQUEST * STEP).to_string();
    mount_once(
        &server,
        get("/api/v1/query_range")
            .and(query_param("start", second_chunk.as_str()))
            .and(query_param("query", TOTAL)),
        ok_text(r#"{"status":"success","da"#),
        1,
    )
    .await;
    mount(&server).await;
    let source = source(&server);
    let mut store = memory_store();
    declare_slos(&mut store, &source, &[slo_config()]).unwrap();
    let broken = sync(&mut store, &source, Some(SINCE)).await;
    let error = broken.resources[0].error.clone().unwrap();
    assert!(
        error.contains("GET /api/v1/query_range?query=sum+by")
            && error.contains(&format!("start={second_chunk}")),
        "{error}"
    );
    assert!(error.contains("`prom`"), "{error}");
    assert_eq!(
        samples(&store),
        POINTS_PER_REQUEST,
        "the first chunk is intact"
    );

    let resumed = sync(&mut store, &source, None).await;
    assert_synced(&resumed);
    assert_eq!(samples(&store), POINTS);
    let distinct: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM (SELECT DISTINCT bucket_start FROM slo_samples)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(distinct, POINTS, "none doubled");
}

/// Syncs against a server whose good query answers `status` with Prometheus' error
/// envelope (the total query answers normally); returns the resource's error.
async fn error_of_good_query(status: u16) -> String {
    let server = MockServer::start().await;
    let envelope = json!({
        "status": "error",
        "errorType": "bad_data",
        "error": "1:14: parse error: unexpected right parenthesis ')'"
    });
    get("/api/v1/query_range")
        .and(query_param("query", GOOD))
        .respond_with(ResponseTemplate::new(status).set_body_json(&envelope))
        .with_priority(1)
        .mount(&server)
        .await;
    mount(&server).await;
    let source = source(&server);
    let mut store = memory_store();
    declare_slos(&mut store, &source, &[slo_config()]).unwrap();
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert_eq!(samples(&store), 0);
    summary.resources[0].error.clone().unwrap()
}

#[tokio::test]
async fn an_error_envelope_names_the_slo_and_the_query() {
    // Prometheus sends the envelope with 400 (bad parameters) or 422 (cannot execute):
    // the status and the request, which holds the expression, are named.
    let error = error_of_good_query(400).await;
    assert!(
        error.contains("`prom`")
            && error.contains("HTTP 400")
            && error.contains("GET /api/v1/query_range?query=sum+by"),
        "{error}"
    );
    // A proxy in front of Prometheus may pass the envelope on with 200: its type and
    // message are reported with the SLO and the expression.
    let error = error_of_good_query(200).await;
    assert!(
        error.contains("bad_data")
            && error.contains("unexpected right parenthesis")
            && error.contains("good query of SLO `checkout-availability`")
            && error.contains(GOOD),
        "{error}"
    );
}

#[tokio::test]
async fn a_rejected_token_names_the_source_and_its_variable() {
    let server = MockServer::start().await;
    mount_status(&server, 401).await;
    let source = source(&server);
    let mut store = memory_store();
    declare_slos(&mut store, &source, &[slo_config()]).unwrap();
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    let error = summary.resources[0].error.clone().unwrap();
    assert!(
        error.contains("`prom`") && error.contains("PROM_TOKEN"),
        "{error}"
    );
}

#[tokio::test]
async fn without_a_declared_slo_the_samples_join_an_imported_slo_of_that_name() {
    let (_server, source, mut store) = served(mount, source).await;
    store
        .conn()
        .execute(
            "INSERT INTO slos (name, target, window_days, source, source_kind, external_id,
                               synced_at, origin)
             VALUES ('checkout-availability', 0.99, 30, 'slos.csv', 'import', 'slo-1', 0,
                     'manual')",
            [],
        )
        .unwrap();
    let summary = sync(&mut store, &source, Some(SINCE)).await;
    assert_synced(&summary);
    let joined: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM slo_samples s JOIN slos o ON o.id = s.slo_id
             WHERE o.external_id = 'slo-1' AND s.source = 'prom'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(joined, POINTS);
}

/// A year of one-minute steps, the largest cold sync a query asks for: run with
/// `cargo test --release --test sync_prometheus -- --ignored --nocapture` to see the figures.
#[tokio::test]
#[ignore = "a measurement: half a million samples"]
async fn cold_sync_of_a_year_uses_the_fewest_requests_the_points_limit_allows() {
    let server = MockServer::start().await;
    mount(&server).await;
    let mut source = source(&server);
    source.queries[0].step = HumanDuration::from_secs(60);
    let mut store = memory_store();
    declare_slos(&mut store, &source, &[slo_config()]).unwrap();
    let started = std::time::Instant::now();
    let summary = sync(&mut store, &source, Some("2023-05-02T12:00:00Z")).await;
    let elapsed = started.elapsed();
    assert_synced(&summary);
    let points = 366 * 1440;
    let minimum = 2 * ((points + POINTS_PER_REQUEST - 1) / POINTS_PER_REQUEST);
    assert_eq!(summary.http.requests as i64, minimum);
    assert_eq!(samples(&store), points);
    println!(
        "prometheus cold sync: {} requests, {} bytes, {} rows in {:.2?} ({:.0} rows/s)",
        summary.http.requests,
        summary.http.bytes,
        points,
        elapsed,
        points as f64 / elapsed.as_secs_f64()
    );
}

//! Opsgenie connector end to end against a local fake server. Opsgenie publishes no List
//! Alerts response body (see tests/fixtures/api/opsgenie/README.md), so the bodies here are
//! built from the fields of `ListAlertsResponse`/`BaseAlert`/`AlertReport` and `AlertLog` in
//! Opsgenie's OpenAPI description; the response headers are the published ones.

mod common;

use common::{
    Run, assert_synced, at, get, memory_store, mount_once, ok_json, ok_text, only_error, row,
    source_at, token_client,
};
use plumb::config::{SourceConfig, SourceKind};
use plumb::model::Ownership;
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{header, method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ms(s: &str) -> i64 {
    at(s).timestamp_millis()
}

const NOW: &str = "2024-05-03T00:00:00Z";
/// The default history (365 days) before NOW: the first pass's window start.
const FIRST_WINDOW: &str = "2023-05-04T00:00:00Z";
/// The alert still open: the next pass starts there.
const OPEN_CREATED: &str = "2024-05-02T12:00:00Z";

/// The response headers Opsgenie documents for `GET /v2/alerts`
/// (tests/fixtures/api/opsgenie/list-alerts.response-headers.json), with example values.
fn response(body: &Value, server: &MockServer, next: Option<&str>) -> ResponseTemplate {
    let headers_path = format!(
        "{}/tests/fixtures/api/opsgenie/list-alerts.response-headers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let documented: Value =
        serde_json::from_str(&std::fs::read_to_string(headers_path).unwrap()).unwrap();
    let mut r = ok_json(body);
    for name in documented.as_object().unwrap().keys() {
        let value = match name.as_str() {
            "X-Request-ID" => "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9".to_string(),
            "X-Response-Time" => "0.036".into(),
            "X-RateLimit-State" => "OK".into(),
            "X-RateLimit-Reason" => "ACCOUNT".into(),
            "X-RateLimit-Period-In-Sec" => "60".into(),
            "X-Paging-Next" => match next {
                Some(n) => format!("{}{n}", server.uri()),
                None => continue,
            },
            _ => continue,
        };
        r = r.insert_header(name.as_str(), value.as_str());
    }
    r
}

/// A `BaseAlert` with the fields plumb reads.
fn alert(id: &str, created: &str, status: &str, acknowledged: bool, report: Value) -> Value {
    json!({
        "id": id,
        "tinyId": "14",
        "alias": format!("alias-{id}"),
        "message": format!("5xx above 2% on checkout, paged bob@example.com ({id})"),
        "status": status,
        "acknowledged": acknowledged,
        "isSeen": true,
        "tags": ["checkout", "OverwriteQuietHours"],
        "snoozed": false,
        "count": 1,
        "lastOccurredAt": created,
        "createdAt": created,
        "updatedAt": created,
        "source": "Isengard",
        "owner": "morpheus@opsgenie.com",
        "priority": "P2",
        "responders": [{"type": "team", "id": "8418d193-2dab-4490-b331-8c02cdd196b7"}],
        "integration": {"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "name": "Datadog", "type": "Datadog"},
        "report": report,
    })
}

/// A `ListAlertsResponse`; `next` says more pages follow (`paging.next`).
fn page(alerts: Vec<Value>, server: &MockServer, next: Option<&str>) -> Value {
    let mut paging = json!({"first": format!("{}/v2/alerts?offset=0", server.uri())});
    if let Some(n) = next {
        paging["next"] = format!("{}{n}", server.uri()).into();
    }
    json!({"data": alerts, "paging": paging, "took": 0.605, "requestId": "9ae63dd7"})
}

fn alert_a() -> Value {
    alert(
        "a1",
        "2024-05-02T10:58:00Z",
        "closed",
        true,
        json!({"ackTime": 240000, "closeTime": 1920000,
               "acknowledgedBy": "jane@example.com", "closedBy": "jane@example.com"}),
    )
}

/// Acknowledged and closed by Opsgenie's auto-close, with no times in its report: they come
/// from its log.
fn alert_b() -> Value {
    alert(
        "b2",
        "2024-05-02T10:59:00Z",
        "closed",
        true,
        json!({"closedBy": "System"}),
    )
}

fn alert_c() -> Value {
    alert("c3", OPEN_CREATED, "open", false, json!({}))
}

async fn mount_opsgenie(server: &MockServer) {
    let first = format!("createdAt>={}", ms(FIRST_WINDOW));
    get("/v2/alerts")
        .and(header("Authorization", "GenieKey og_test"))
        .and(query_param("query", first.as_str()))
        .and(query_param("offset", "0"))
        .and(query_param("sort", "createdAt"))
        .and(query_param("order", "asc"))
        .respond_with(response(
            &page(
                vec![alert_a(), alert_b()],
                server,
                Some("/v2/alerts?offset=2"),
            ),
            server,
            Some("/v2/alerts?offset=2"),
        ))
        .mount(server)
        .await;
    get("/v2/alerts")
        .and(query_param("query", first.as_str()))
        .and(query_param("offset", "2"))
        .respond_with(response(&page(vec![alert_c()], server, None), server, None))
        .mount(server)
        .await;
    // A later pass starts at the open alert.
    get("/v2/alerts")
        .and(query_param(
            "query",
            format!("createdAt>={}", ms(OPEN_CREATED)).as_str(),
        ))
        .and(query_param("offset", "0"))
        .respond_with(response(&page(vec![alert_c()], server, None), server, None))
        .mount(server)
        .await;
    let logs = json!({
        "data": [
            {"log": "Alert created via Datadog", "type": "system", "owner": "",
             "createdAt": "2024-05-02T10:59:00Z", "offset": "1714647540000_1"},
            {"log": "Alert acknowledged via web", "type": "system", "owner": "jane@example.com",
             "createdAt": "2024-05-02T11:05:00Z", "offset": "1714647900000_1"},
            {"log": "Alert closed by System", "type": "system", "owner": "System",
             "createdAt": "2024-05-02T11:40:00Z", "offset": "1714650000000_1"}
        ],
        "paging": {"first": "/v2/alerts/b2/logs"},
        "took": 0.02,
        "requestId": "e4b9dbc2"
    });
    get("/v2/alerts/b2/logs")
        .and(query_param("identifierType", "id"))
        .respond_with(ok_json(logs))
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    source_at(server, "og", SourceKind::Opsgenie, "OG_TOKEN")
}

async fn sync_with(
    store: &mut Store,
    server: &MockServer,
    cancel: &CancelFlag,
    stop_after_first_page: bool,
) -> SourceSummary {
    let source = source(server);
    let client = token_client(&source, "og_test", Some(Duration::from_millis(5)));
    let mut ownership = Ownership::default();
    ownership
        .service_team
        .insert("checkout".into(), "payments".into());
    let run = Run::at(NOW)
        .owned_by(ownership)
        .key(9)
        .cancel(cancel, stop_after_first_page);
    run.sync(store, &source, &client).await
}

async fn sync(store: &mut Store, server: &MockServer) -> SourceSummary {
    sync_with(store, server, &CancelFlag::default(), false).await
}

type AlertRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn alerts(store: &Store) -> Vec<(String, AlertRow)> {
    store
        .conn()
        .prepare(
            "SELECT external_id, monitor, service, team, severity, title, triggered_at,
                    acknowledged_at, resolved_at, resolved_by
             FROM alerts ORDER BY external_id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ),
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn alerts_get_ack_and_close_times_from_reports_or_logs() {
    let server = MockServer::start().await;
    mount_opsgenie(&server).await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server).await;
    assert_synced(&summary);
    assert_eq!(summary.pages(), 2);
    assert_eq!(summary.written(), 3);
    assert_eq!(
        summary.http.requests, 3,
        "two list pages and the log of the alert whose report lacks its times"
    );

    let rows = alerts(&store);
    assert_eq!(rows.len(), 3);
    let (id, a) = &rows[0];
    assert_eq!(id, "a1");
    assert_eq!(a.0.as_str(), "alias-a1");
    assert_eq!(
        (a.1.as_deref(), a.2.as_deref(), a.3.as_deref()),
        (Some("checkout"), Some("payments"), Some("P2"))
    );
    assert_eq!(a.4, "5xx above 2% on checkout, paged [email] (a1)");
    assert_eq!(a.5, at("2024-05-02T10:58:00Z").timestamp());
    assert_eq!(
        a.6,
        Some(at("2024-05-02T11:02:00Z").timestamp()),
        "ackTime 240 s"
    );
    assert_eq!(
        a.7,
        Some(at("2024-05-02T11:30:00Z").timestamp()),
        "closeTime 32 min"
    );
    assert_eq!(a.8.as_deref(), Some("human"));
    let (_, b) = &rows[1];
    assert_eq!(
        b.6,
        Some(at("2024-05-02T11:05:00Z").timestamp()),
        "from the log"
    );
    assert_eq!(
        b.7,
        Some(at("2024-05-02T11:40:00Z").timestamp()),
        "from the log"
    );
    assert_eq!(b.8.as_deref(), Some("timeout"));
    let (_, c) = &rows[2];
    assert_eq!((c.6, c.7, c.8.as_deref()), (None, None, None));

    // Alert counts and mean time to acknowledge per service, as the alert rows give them.
    let (count, mtta): (i64, f64) = row(
        store.conn(),
        "SELECT count(*), avg(acknowledged_at - triggered_at) FROM alerts
             WHERE service = 'checkout'",
    );
    assert_eq!(count, 3);
    assert_eq!(mtta, (240.0 + 360.0) / 2.0);
}

#[tokio::test]
async fn a_second_sync_rereads_from_the_oldest_open_alert_and_writes_nothing() {
    let server = MockServer::start().await;
    mount_opsgenie(&server).await;
    let mut store = memory_store();
    sync(&mut store, &server).await;
    let before = alerts(&store);
    let seen = server.received_requests().await.unwrap().len();
    let second = sync(&mut store, &server).await;
    assert_synced(&second);
    assert_eq!(second.written(), 0);
    assert_eq!(second.http.requests, 1);
    let requests = server.received_requests().await.unwrap();
    let query: std::collections::HashMap<_, _> =
        requests[seen].url.query_pairs().into_owned().collect();
    assert_eq!(query["query"], format!("createdAt>={}", ms(OPEN_CREATED)));
    assert_eq!(alerts(&store), before);
}

#[tokio::test]
async fn an_interrupted_sync_resumes_at_the_next_offset() {
    let server = MockServer::start().await;
    mount_opsgenie(&server).await;
    let mut store = memory_store();
    let cancel = CancelFlag::default();
    let first = sync_with(&mut store, &server, &cancel, true).await;
    assert!(first.cancelled);
    assert_eq!(alerts(&store).len(), 2);
    let second = sync(&mut store, &server).await;
    assert_synced(&second);
    assert_eq!(second.pages(), 1, "resumed at offset 2");
    assert_eq!(alerts(&store).len(), 3);
}

#[tokio::test]
async fn a_malformed_page_is_not_written_and_names_its_endpoint() {
    let server = MockServer::start().await;
    mount_once(
        &server,
        get("/v2/alerts").and(query_param("offset", "2")),
        ok_text("{\"data\": [{\"id\": \"c3\""),
        1,
    )
    .await;
    mount_opsgenie(&server).await;
    let mut store = memory_store();
    let first = sync(&mut store, &server).await;
    let errors: Vec<_> = first.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0].1;
    assert!(
        message.contains("`og`")
            && message.contains("GET /v2/alerts?query=")
            && message.contains("offset=2"),
        "{message}"
    );
    assert_eq!(alerts(&store).len(), 2, "the first page stays");
    let second = sync(&mut store, &server).await;
    assert_synced(&second);
    assert_eq!(alerts(&store).len(), 3);
}

#[tokio::test]
async fn unauthorized_names_the_source_and_the_token_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Could not authenticate", "took": 0.0})),
        )
        .mount(&server)
        .await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server).await;
    let (resource, message) = only_error(&summary, "a rejected token skips the rest");
    assert_eq!(resource, "alerts");
    assert!(
        message.contains("`og`") && message.contains("OG_TOKEN") && !message.contains("og_test"),
        "{message}"
    );
}

//! Failure paths of the HTTP layer and of a sync, against a local fake server answering with
//! PagerDuty's published services example (tests/fixtures/api/pagerduty) and GitHub's
//! rate-limit headers as its description defines them (tests/fixtures/api/github).

mod common;

use common::{
    Run, all, get, memory_store, mount_once, mount_status, ok_json, only_error, source_at,
};
use plumb::config::{Secret, SourceConfig, SourceKind};
use plumb::sources::SourceError;
use plumb::sources::http::{Fetched, HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{SourceSummary, cursor};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn services() -> Value {
    common::fixture("pagerduty", "list-services.json")
}

fn source(server: &MockServer) -> SourceConfig {
    source_at(server, "pd-eu", SourceKind::Pagerduty, "PD_EU_TOKEN")
}

/// Short backoffs keep the retry tests fast.
fn client(server: &MockServer) -> HttpClient {
    let source = source(server);
    let mut policy = HttpPolicy::for_source(&source);
    policy.initial_backoff = Duration::from_millis(10);
    policy.max_backoff = Duration::from_millis(40);
    HttpClient::new(&source, Some(Secret::new("pd_secret_value")), policy).unwrap()
}

async fn sync(store: &mut Store, server: &MockServer) -> SourceSummary {
    let run = Run::at("2016-01-01T00:00:00Z").key(1);
    run.sync(store, &source(server), &client(server)).await
}

#[tokio::test]
async fn unauthorized_names_the_source_and_the_token_variable() {
    let server = MockServer::start().await;
    mount_status(&server, 401).await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server).await;
    let (resource, message) = only_error(&summary, "a rejected token skips the other resources");
    assert_eq!(resource, "services");
    assert!(
        message.contains("pd-eu") && message.contains("PD_EU_TOKEN"),
        "{message}"
    );
    assert!(!message.contains("pd_secret_value"));
    let state = cursor::load(store.conn(), "pd-eu", "services").unwrap();
    assert_eq!(state.last_error.as_deref(), Some(message));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a 401 is never retried"
    );
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    mount_once(
        &server,
        get("/services"),
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
    )
    .await;
    get("/services")
        .respond_with(ok_json(services()))
        .mount(&server)
        .await;
    let client = client(&server);
    let started = Instant::now();
    let fetched = client
        .get("/services?limit=100&offset=0", None)
        .await
        .unwrap();
    assert!(matches!(fetched, Fetched::Page(_)));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats();
    assert_eq!((stats.requests, stats.rate_limit_waits), (2, 1));
}

#[tokio::test]
async fn a_server_error_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    mount_once(&server, get("/services"), ResponseTemplate::new(500), 1).await;
    get("/services")
        .respond_with(ok_json(services()))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(matches!(
        client.get("/services", None).await.unwrap(),
        Fetched::Page(_)
    ));
    assert_eq!((client.stats().requests, client.stats().retries), (2, 1));
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let server = MockServer::start().await;
    mount_status(&server, 404).await;
    let client = client(&server);
    let err = client.get("/services/NOPE", None).await.unwrap_err();
    assert!(
        matches!(err, SourceError::Http { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("GET /services/NOPE"), "{err}");
    assert_eq!(client.stats().requests, 1);
}

#[tokio::test]
async fn a_truncated_page_is_not_written_and_earlier_rows_stay() {
    let server = MockServer::start().await;
    let mut first = services();
    first["limit"] = 1.into();
    first["more"] = true.into();
    get("/services")
        .and(query_param("offset", "0"))
        .respond_with(ok_json(&first))
        .mount(&server)
        .await;
    let mut second = services();
    second["services"][0]["id"] = "PSECOND".into();
    second["services"][0]["name"] = "Second Service".into();
    let text = serde_json::to_string(&second).unwrap();
    get("/services")
        .and(query_param("offset", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(text[..text.len() / 2].to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server).await;
    let (resource, message) = summary.errors().next().expect("an error");
    assert_eq!(resource, "services");
    assert!(
        message.contains("GET /services?limit=100&offset=1"),
        "{message}"
    );
    let names: Vec<String> = store
        .conn()
        .prepare("SELECT name FROM services ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        names,
        ["My Application Service"],
        "page 1 kept, page 2 not written"
    );
    let state = cursor::load(store.conn(), "pd-eu", "services").unwrap();
    let next = state.cursor.pass.and_then(|p| p.next);
    assert_eq!(
        next.as_deref(),
        Some("/services?limit=100&offset=1"),
        "resumes at the bad page"
    );
    assert!(state.last_error.is_some());
}

/// GitHub's answer when the primary rate limit is spent: 403 with `x-ratelimit-remaining: 0`
/// and `x-ratelimit-reset` in epoch seconds (here two seconds from now).
#[tokio::test]
async fn a_spent_rate_limit_waits_for_its_reset_then_succeeds() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 2;
    mount_once(
        &server,
        get("/services"),
        ResponseTemplate::new(403)
            .insert_header("x-ratelimit-limit", "5000")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", reset.to_string().as_str())
            .set_body_json(serde_json::json!({"message": "API rate limit exceeded"})),
        1,
    )
    .await;
    get("/services")
        .respond_with(ok_json(services()))
        .mount(&server)
        .await;
    let client = client(&server);
    let started = Instant::now();
    let fetched = client.get("/services", None).await.unwrap();
    assert!(matches!(fetched, Fetched::Page(_)));
    let waited = started.elapsed();
    // The reset is in whole seconds: at least one full second remained when it was read.
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    let stats = client.stats();
    assert_eq!(
        stats.requests, 2,
        "one refused request, one after the reset"
    );
    assert!(stats.rate_limit_waits >= 1, "{stats:?}");
}

/// A 403 that is not a rate limit (no spent budget, no Retry-After) is a scope problem: it
/// is reported at once, naming the endpoint and the token variable.
#[tokio::test]
async fn a_forbidden_answer_that_is_not_a_rate_limit_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "4999")
                .insert_header("x-ratelimit-reset", "4102444800"),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.get("/services", None).await.unwrap_err();
    assert!(matches!(err, SourceError::Forbidden { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("GET /services") && message.contains("PD_EU_TOKEN"),
        "{message}"
    );
    assert_eq!(client.stats().requests, 1);
}

fn client_with_timeout(server: &MockServer, timeout: Duration, retries: u32) -> HttpClient {
    let source = source(server);
    let mut policy = HttpPolicy::for_source(&source);
    policy.timeout = timeout;
    policy.max_retries = retries;
    policy.initial_backoff = Duration::from_millis(10);
    policy.max_backoff = Duration::from_millis(20);
    HttpClient::new(&source, Some(Secret::new("pd_secret_value")), policy).unwrap()
}

#[tokio::test]
async fn a_slow_answer_is_retried_then_reported_as_a_timeout_naming_the_endpoint() {
    let server = MockServer::start().await;
    get("/services")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(services())
                .set_delay(Duration::from_millis(600)),
        )
        .mount(&server)
        .await;
    let client = client_with_timeout(&server, Duration::from_millis(100), 2);
    let started = Instant::now();
    let err = client
        .get("/services?limit=100&offset=0", None)
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Timeout { .. }), "{err}");
    assert!(
        err.to_string().contains("GET /services?limit=100&offset=0"),
        "{err}"
    );
    assert!(err.to_string().contains("within 0.1 s"), "{err}");
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.retries),
        (3, 2),
        "the first try and two retries"
    );
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "no attempt waited for the answer"
    );
}

#[tokio::test]
async fn a_timeout_followed_by_a_prompt_answer_succeeds() {
    let server = MockServer::start().await;
    mount_once(
        &server,
        get("/services"),
        ResponseTemplate::new(200)
            .set_body_json(services())
            .set_delay(Duration::from_millis(600)),
        1,
    )
    .await;
    get("/services")
        .respond_with(ok_json(services()))
        .mount(&server)
        .await;
    let client = client_with_timeout(&server, Duration::from_millis(100), 2);
    assert!(matches!(
        client.get("/services", None).await.unwrap(),
        Fetched::Page(_)
    ));
    assert_eq!((client.stats().requests, client.stats().retries), (2, 1));
}

/// Services over two pages: the published page (marked as having more) and a second page
/// derived from it with another service.
async fn mount_two_service_pages(server: &MockServer) {
    let mut first = services();
    first["limit"] = 1.into();
    first["more"] = true.into();
    get("/services")
        .and(query_param("offset", "0"))
        .respond_with(ok_json(&first))
        .mount(server)
        .await;
    let mut second = services();
    second["services"][0]["id"] = "PSECOND".into();
    second["services"][0]["name"] = "Second Service".into();
    second["offset"] = 1.into();
    second["more"] = false.into();
    get("/services")
        .and(query_param("offset", "1"))
        .respond_with(ok_json(&second))
        .mount(server)
        .await;
}

fn service_rows(store: &Store) -> Vec<(String, String, Option<String>, Option<String>)> {
    all(
        store.conn(),
        "SELECT external_id, name, team, url FROM services ORDER BY external_id",
    )
}

/// The sync is dropped (as when the process is killed) while its second page is in flight;
/// running it again ends with the rows of an uninterrupted sync, none doubled.
#[tokio::test]
async fn a_sync_killed_mid_way_then_resumed_ends_with_the_same_rows() {
    let server = MockServer::start().await;
    mount_two_service_pages(&server).await;
    let mut whole = memory_store();
    sync(&mut whole, &server).await;
    assert_eq!(service_rows(&whole).len(), 2);

    // The next answer to the second page hangs far longer than the kill below.
    mount_once(
        &server,
        get("/services").and(query_param("offset", "1")),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(20)),
        1,
    )
    .await;
    let mut killed = memory_store();
    let outcome =
        tokio::time::timeout(Duration::from_millis(500), sync(&mut killed, &server)).await;
    assert!(outcome.is_err(), "the sync was still running when killed");
    let rows = service_rows(&killed);
    assert_eq!(rows.len(), 1, "the first page was committed: {rows:?}");
    let state = cursor::load(killed.conn(), "pd-eu", "services").unwrap();
    assert_eq!(
        state.cursor.pass.and_then(|p| p.next).as_deref(),
        Some("/services?limit=100&offset=1"),
        "the cursor points at the page in flight"
    );

    let before = server.received_requests().await.unwrap().len();
    let resumed = sync(&mut killed, &server).await;
    let after = server.received_requests().await.unwrap();
    let services_requests = after[before..]
        .iter()
        .filter(|r| r.url.path() == "/services")
        .count();
    assert_eq!(services_requests, 1, "only the second page is read again");
    assert!(
        resumed
            .resources
            .iter()
            .any(|r| r.resource == "services" && r.error.is_none()),
        "{:?}",
        resumed.resources
    );
    assert_eq!(service_rows(&killed), service_rows(&whole));
}

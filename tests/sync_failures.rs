//! What a sync says and records when a source cannot be reached, keeps throttling, or fails
//! part-way: errors name the host and the cause, waits are shown to the second, and no
//! resource records a success it did not earn.

mod common;

use common::{Run, get, memory_store, ok_json, source_at};
use plumb::config::{Secret, SourceConfig, SourceKind};
use plumb::sources::SourceError;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::sync::cursor;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn github_at(base_url: &str) -> SourceConfig {
    let mut source = SourceConfig::new("gh", SourceKind::Github);
    source.base_url = Some(base_url.into());
    source.token_env = Some("GH_TOKEN".into());
    source.repos = vec!["acme/web".into()];
    source
}

/// The default policy, as `plumb sync` uses it: retries must stay short without tuning.
fn default_client(source: &SourceConfig) -> HttpClient {
    HttpClient::new(
        source,
        Some(Secret::new("ghp_x")),
        HttpPolicy::for_source(source),
    )
    .unwrap()
}

/// A local port where nothing listens: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_connection_fails_fast_names_the_host_and_skips_the_source() {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let source = github_at(&base);
    let client = default_client(&source);
    let mut store = memory_store();
    let started = Instant::now();
    let summary = Run::at("2026-01-01T00:00:00Z")
        .sync(&mut store, &source, &client)
        .await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert_eq!(
        client.stats().requests,
        2,
        "one attempt and one quick retry"
    );
    assert_eq!(
        summary.resources.len(),
        1,
        "the other resources are skipped: {:?}",
        summary.resources
    );
    let (resource, message) = summary.errors().next().expect("an error");
    assert_eq!(resource, "acme/web:pulls");
    let host = base.trim_start_matches("http://");
    assert!(message.contains(host), "{message}");
    assert!(message.contains("connection refused"), "{message}");
    assert!(message.contains("base_url"), "{message}");
}

#[tokio::test]
async fn an_unresolvable_host_is_reported_as_a_dns_failure() {
    // `.invalid` never resolves (RFC 6761), with or without a network.
    let source = github_at("http://plumb-sync-test.invalid");
    let client = default_client(&source);
    let err = client.get("/repos/acme/web/pulls", None).await.unwrap_err();
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("plumb-sync-test.invalid") && message.contains("DNS lookup failed"),
        "{message}"
    );
    assert!(err.is_fatal_for_source());
    assert!(client.stats().requests <= 2);
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_reported_as_a_tls_failure() {
    let server = MockServer::start().await;
    let base = server.uri().replacen("http://", "https://", 1);
    let source = github_at(&base);
    let client = default_client(&source);
    let err = client.get("/repos/acme/web/pulls", None).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(
        message.contains(base.trim_start_matches("https://")),
        "{message}"
    );
    assert!(message.contains("scheme"), "{message}");
}

fn throttled_client(server: &MockServer, max_retries: u32) -> HttpClient {
    let source = source_at(server, "pd", SourceKind::Pagerduty, "PD_TOKEN");
    let mut policy = HttpPolicy::for_source(&source);
    policy.max_rate_limit_retries = max_retries;
    HttpClient::new(&source, Some(Secret::new("pd")), policy).unwrap()
}

#[tokio::test]
async fn retries_exhausted_on_short_waits_say_so_and_give_no_far_off_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .mount(&server)
        .await;
    let client = throttled_client(&server, 2);
    let err = client.get("/services", None).await.unwrap_err();
    assert!(
        matches!(err, SourceError::RateLimitRetriesExhausted { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("GET /services") && message.contains("after 2 waits"),
        "{message}"
    );
    assert!(message.contains("last 1 s"), "{message}");
    assert!(!message.contains("until"), "{message}");
    assert_eq!(client.stats().requests, 3);
}

#[tokio::test]
async fn a_wait_longer_than_allowed_names_the_time_to_the_second() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let client = throttled_client(&server, 5);
    let err = client.get("/services", None).await.unwrap_err();
    let SourceError::RateLimited { until, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(until.timestamp_subsec_nanos(), 0);
    let message = err.to_string();
    let shown = until.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    assert!(message.contains(&shown), "{message}");
    assert!(
        message.contains("(in 1 h)") && message.contains("at most 15 min"),
        "{message}"
    );
    assert_eq!(client.stats().requests, 1, "plumb did not wait an hour");
}

/// Deployments fail; the changes of each deployment are built from them, so that resource
/// must fail too rather than record a success over a partial parent.
#[tokio::test]
async fn a_resource_built_from_a_failed_one_does_not_record_success() {
    let server = MockServer::start().await;
    get("/repos/acme/web/deployments")
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_json(serde_json::json!([])))
        .mount(&server)
        .await;
    let source = github_at(&server.uri());
    let client = default_client(&source);
    let mut store = memory_store();
    let summary = Run::at("2026-01-01T00:00:00Z")
        .sync(&mut store, &source, &client)
        .await;
    let outcome = |name: &str| {
        summary
            .resources
            .iter()
            .find(|r| r.resource == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", summary.resources))
    };
    assert!(outcome("acme/web:deployments").error.is_some());
    let skipped = outcome("acme/web:deployment_changes")
        .error
        .as_deref()
        .expect("deployment_changes failed");
    assert!(
        skipped.contains("`acme/web:deployments`") && skipped.contains("skipped"),
        "{skipped}"
    );
    let state = cursor::load(store.conn(), "gh", "acme/web:deployment_changes").unwrap();
    assert_eq!(state.last_ok_at, None);
    assert_eq!(state.last_error.as_deref(), Some(skipped));
    // Resources that do not depend on deployments still run.
    assert!(outcome("acme/web:pulls").error.is_none());
}

#[test]
fn prerequisites_follow_the_deploy_signal_and_datadog_history() {
    use plumb::sync::prerequisites;
    assert_eq!(
        prerequisites(SourceKind::Github, "acme/web:deployment_changes"),
        ["acme/web:deployments", "acme/web:releases"]
    );
    assert!(prerequisites(SourceKind::Github, "acme/web:pulls").is_empty());
    assert_eq!(prerequisites(SourceKind::Datadog, "slo_history"), ["slos"]);
}

/// A server that accepts each connection and closes it without answering: the connection
/// is made, so this is retried like any transient failure, and the message says what broke.
#[tokio::test]
async fn a_connection_closed_without_an_answer_names_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            drop(stream);
        }
    });
    let source = github_at(&base);
    let mut policy = HttpPolicy::for_source(&source);
    policy.max_retries = 2;
    policy.initial_backoff = Duration::from_millis(10);
    let client = HttpClient::new(&source, Some(Secret::new("ghp_x")), policy).unwrap();
    let err = client.get("/repos/acme/web/pulls", None).await.unwrap_err();
    assert!(matches!(err, SourceError::Network { .. }), "{err}");
    assert_eq!(client.stats().requests, 3, "a dropped answer is retried");
    let message = err.to_string();
    assert!(
        message.contains("GET /repos/acme/web/pulls") && message.contains("closed"),
        "{message}"
    );
}

//! `plumb doctor`'s network checks against local fake servers: reachable, authenticated,
//! scopes sufficient, resources visible, clock skew.

use plumb::config::{Secret, SourceConfig, SourceKind};
use plumb::sources::auth::Auth;
use plumb::sources::probe::{Finding, Level, check};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn github(server: &MockServer) -> SourceConfig {
    let mut s = SourceConfig::new("gh", SourceKind::Github);
    s.base_url = Some(server.uri());
    s.token_env = Some("GH_TOKEN".into());
    s.repos = vec!["octo/api".into(), "octo/gone".into()];
    s
}

fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn find<'a>(findings: &'a [Finding], what: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.what == what)
        .unwrap_or_else(|| panic!("no `{what}` finding in {findings:?}"))
}

#[tokio::test]
async fn a_healthy_github_token_passes_and_a_missing_repository_fails() {
    let server = MockServer::start().await;
    let now = chrono::Utc::now();
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .and(header("Authorization", "Bearer ghp_ok"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(now).as_str())
                .insert_header("X-OAuth-Scopes", "repo, read:org")
                .set_body_json(serde_json::json!({"resources": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let source = github(&server);
    let findings = check(&source, &Auth::Bearer(Secret::new("ghp_ok")), now).await;
    assert_eq!(find(&findings, "reachable").level, Level::Ok);
    assert_eq!(find(&findings, "authenticated").level, Level::Ok);
    assert_eq!(find(&findings, "clock").level, Level::Ok);
    let scopes = find(&findings, "scopes");
    assert_eq!(scopes.level, Level::Ok);
    assert!(scopes.detail.contains("repo"));
    assert_eq!(find(&findings, "repository octo/api").level, Level::Ok);
    let gone = find(&findings, "repository octo/gone");
    assert_eq!(gone.level, Level::Fail);
    assert!(gone.detail.contains("not found"), "{}", gone.detail);
}

#[tokio::test]
async fn a_rejected_token_names_its_variable_and_insufficient_scopes_are_flagged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .and(header("Authorization", "Bearer bad"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .and(header("Authorization", "Bearer narrow"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-OAuth-Scopes", "read:org"))
        .mount(&server)
        .await;
    let source = github(&server);
    let now = chrono::Utc::now();
    let rejected = check(&source, &Auth::Bearer(Secret::new("bad")), now).await;
    let auth = find(&rejected, "authenticated");
    assert_eq!(auth.level, Level::Fail);
    assert!(auth.detail.contains("GH_TOKEN"), "{}", auth.detail);
    assert!(
        !rejected.iter().any(|f| f.what.starts_with("repository")),
        "resources are not probed with a rejected token"
    );
    let narrow = check(&source, &Auth::Bearer(Secret::new("narrow")), now).await;
    let scopes = find(&narrow, "scopes");
    assert_eq!(scopes.level, Level::Fail);
    assert!(scopes.detail.contains("`repo`"), "{}", scopes.detail);
}

#[tokio::test]
async fn clock_skew_is_measured_against_the_servers_date() {
    let server = MockServer::start().await;
    let server_time = chrono::Utc::now();
    Mock::given(method("GET"))
        .and(path("/api/v1/status/buildinfo"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", http_date(server_time).as_str())
                .set_body_json(serde_json::json!({"status": "success"})),
        )
        .mount(&server)
        .await;
    let mut source = SourceConfig::new("prom", SourceKind::Prometheus);
    source.base_url = Some(server.uri());
    let ahead = server_time + chrono::Duration::minutes(10);
    let findings = check(&source, &Auth::None, ahead).await;
    let clock = find(&findings, "clock");
    assert_eq!(clock.level, Level::Fail);
    assert!(clock.detail.contains("ahead of"), "{}", clock.detail);
    let slightly = server_time - chrono::Duration::seconds(45);
    let clock = check(&source, &Auth::None, slightly).await;
    let clock = find(&clock, "clock");
    assert_eq!(clock.level, Level::Warn);
    assert!(clock.detail.contains("behind"), "{}", clock.detail);
}

#[tokio::test]
async fn gitlab_token_scopes_come_from_the_token_itself() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/personal_access_tokens/self"))
        .and(header("PRIVATE-TOKEN", "glpat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"id": 4, "name": "ci", "active": true, "scopes": ["read_user"]}),
        ))
        .mount(&server)
        .await;
    let mut source = SourceConfig::new("gl", SourceKind::Gitlab);
    source.base_url = Some(server.uri());
    let findings = check(
        &source,
        &Auth::PrivateToken(Secret::new("glpat")),
        chrono::Utc::now(),
    )
    .await;
    let scopes = find(&findings, "scopes");
    assert_eq!(scopes.level, Level::Fail);
    assert!(scopes.detail.contains("read_api"), "{}", scopes.detail);
}

#[tokio::test]
async fn an_unreachable_server_fails_reachability_and_stops_there() {
    // Bind and drop a listener: nothing answers on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut source = SourceConfig::new("pd", SourceKind::Pagerduty);
    source.base_url = Some(format!("http://127.0.0.1:{port}"));
    let findings = check(
        &source,
        &Auth::PagerDuty(Secret::new("x")),
        chrono::Utc::now(),
    )
    .await;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].level, Level::Fail);
    assert!(
        findings[0].detail.contains("base_url"),
        "{}",
        findings[0].detail
    );
}

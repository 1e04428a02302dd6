//! GitHub connector end to end against a local fake server answering with GitHub's published
//! example payloads (tests/fixtures/api/github) and real headers (Link, ETag, rate limits).

use plumb::config::{PrivacyConfig, Secret, SourceConfig, SourceKind};
use plumb::metrics::dora::{DoraParams, dora_report};
use plumb::model::{Filter, Ownership, Timestamp};
use plumb::privacy::Privacy;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary, SyncEnv, SyncEvent, SyncOptions, sync_source};
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// state, merge_sha, first_commit_at, opened_at, merged_at, additions, deletions, author,
/// title, team, labels
type ChangeRow = (
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
);

const REPO: &str = "octocat/Hello-World";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/api/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn json(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        // GitHub's rate-limit headers, as in the description's examples.
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4999")
        .insert_header("x-ratelimit-reset", "4102444800")
}

/// The second PR page: the published PR with another number, updated later and not merged.
fn second_pr(of: &Value) -> Value {
    let mut pr = of.clone();
    pr["number"] = 1348.into();
    pr["id"] = 2.into();
    pr["html_url"] = "https://github.com/octocat/Hello-World/pull/1348".into();
    pr["updated_at"] = "2011-02-01T10:00:00Z".into();
    pr["merged_at"] = Value::Null;
    pr["state"] = "closed".into();
    pr
}

async fn mount_github(server: &MockServer) {
    let prs = fixture("list-pull-requests.json");
    let pr2 = second_pr(&prs[0]);
    let pulls = format!("/repos/{REPO}/pulls");
    let link = format!(
        "<{}{pulls}?state=all&sort=updated&direction=desc&per_page=100&page=2>; rel=\"next\", \
         <{}{pulls}?state=all&sort=updated&direction=desc&per_page=100&page=2>; rel=\"last\"",
        server.uri(),
        server.uri()
    );
    // 304 to the conditional requests of a second sync.
    for (p, tag) in [
        (pulls.clone(), "\"pulls-1\""),
        (format!("/repos/{REPO}/deployments"), "\"deployments-1\""),
        (format!("/repos/{REPO}/actions/runs"), "\"runs-1\""),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("If-None-Match", tag))
            .respond_with(ResponseTemplate::new(304))
            .with_priority(1)
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(&pulls))
        .and(query_param("state", "all"))
        .and(query_param_is_missing("page"))
        .respond_with(
            json(&Value::Array(vec![pr2.clone()]))
                .insert_header("link", link.as_str())
                .insert_header("etag", "\"pulls-1\""),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(&pulls))
        .and(query_param("page", "2"))
        .respond_with(json(&prs))
        .mount(server)
        .await;
    let detail = fixture("get-pull-request.json");
    let mut detail2 = detail.clone();
    for k in ["number", "html_url", "merged_at", "state", "updated_at"] {
        detail2[k] = pr2[k].clone();
    }
    for (n, body) in [(1347, detail), (1348, detail2)] {
        Mock::given(method("GET"))
            .and(path(format!("{pulls}/{n}")))
            .respond_with(json(&body))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{pulls}/{n}/commits")))
            .respond_with(json(&fixture("list-pull-request-commits.json")))
            .mount(server)
            .await;
    }
    // The published deployment ships commit a84d88e…; here it ships the merge commit of
    // PR 1347 so that the DORA lead time has a deployed change to measure.
    let mut deployments = fixture("list-deployments.json");
    deployments[0]["sha"] = "e5bd3914e2e596debea16f433f57875b5b90bcd6".into();
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/deployments")))
        .respond_with(json(&deployments).insert_header("etag", "\"deployments-1\""))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/deployments/1/statuses")))
        .respond_with(json(&fixture("list-deployment-statuses.json")))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/actions/runs")))
        .respond_with(
            json(&fixture("list-workflow-runs-for-repo.json")).insert_header("etag", "\"runs-1\""),
        )
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    let mut s = SourceConfig::new("gh", SourceKind::Github);
    s.base_url = Some(server.uri());
    s.token_env = Some("GH_TOKEN".into());
    s.repos = vec![REPO.into()];
    s
}

fn ownership() -> Ownership {
    let mut o = Ownership::default();
    o.repo_team.insert(REPO.into(), "web".into());
    o.repo_service.insert(REPO.into(), "hello".into());
    o.service_team.insert("hello".into(), "web".into());
    o
}

fn privacy() -> Privacy {
    Privacy::with_key(vec![7; 32], &PrivacyConfig::default())
}

async fn sync(
    store: &mut Store,
    server: &MockServer,
    cancel: &CancelFlag,
    stop_after_first_page: bool,
) -> SourceSummary {
    let source = source(server);
    let mut policy = HttpPolicy::for_source(&source);
    policy.initial_backoff = Duration::from_millis(5);
    let client = HttpClient::new(&source, Some(Secret::new("ghp_test")), policy).unwrap();
    let options = SyncOptions {
        full: false,
        since: None,
        now: at("2024-06-01T00:00:00Z"),
    };
    // A history long enough to reach the 2011–2020 example payloads.
    let mut source = source;
    source.history = plumb::config::HumanDuration::from_days(365 * 20);
    let (ownership, privacy) = (ownership(), privacy());
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel,
    };
    let mut on_event = |e: &SyncEvent<'_>| {
        if stop_after_first_page && matches!(e, SyncEvent::Page { .. }) {
            cancel.cancel();
        }
    };
    sync_source(store, &source, &client, env, &mut on_event).await
}

/// Every synced row without store ids and sync times, for comparing two stores.
fn rows(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for (table, cols) in [
        (
            "changes",
            "repo, service, team, title, author, state, merge_sha, first_commit_at, opened_at, merged_at, additions, deletions, labels",
        ),
        (
            "deployments",
            "service, team, environment, status, started_at, finished_at, commit_sha",
        ),
        (
            "pipeline_runs",
            "repo, workflow, branch, commit_sha, status, conclusion, attempt, queued_at, started_at, finished_at",
        ),
    ] {
        let sql = format!("SELECT external_id, url, {cols} FROM {table} ORDER BY external_id");
        let mut stmt = store.conn().prepare(&sql).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let vals: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", vals.join(" | ")));
        }
    }
    out
}

#[tokio::test]
async fn pulls_deployments_and_runs_become_rows_that_feed_dora() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut store = Store::open_in_memory().unwrap();
    let summary = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert!(!summary.failed(), "{:?}", summary.resources);
    assert_eq!(
        summary.pages(),
        4,
        "two PR pages, one of deployments, one of runs"
    );
    assert_eq!(summary.written(), 4);

    let conn = store.conn();
    let (state, merge_sha, first_commit, opened, merged, adds, dels, author, title, team, labels): ChangeRow = conn
        .query_row(
            "SELECT state, merge_sha, first_commit_at, opened_at, merged_at, additions, deletions,
                    author, title, team, labels
             FROM changes WHERE external_id = 'octocat/Hello-World#1347'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?)),
        )
        .unwrap();
    assert_eq!(state, "merged");
    assert_eq!(
        merge_sha.as_deref(),
        Some("e5bd3914e2e596debea16f433f57875b5b90bcd6")
    );
    assert_eq!(first_commit, at("2011-04-14T16:00:49Z").timestamp());
    assert_eq!(opened, at("2011-01-26T19:01:12Z").timestamp());
    assert_eq!(merged, at("2011-01-26T19:01:12Z").timestamp());
    assert_eq!((adds, dels), (100, 3));
    assert_eq!(author, privacy().person("octocat"));
    assert!(!author.contains("octocat"));
    assert_eq!(
        (title.as_str(), team.as_str()),
        ("Amazing new feature", "web")
    );
    assert_eq!(labels, "[\"bug\"]");
    let (state2, sha2): (String, Option<String>) = conn
        .query_row(
            "SELECT state, merge_sha FROM changes WHERE external_id = 'octocat/Hello-World#1348'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((state2.as_str(), sha2), ("closed", None));

    let dep: (String, String, String, i64, String, Option<String>) = conn
        .query_row(
            "SELECT service, environment, status, finished_at, external_id, url FROM deployments",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(dep.0, "hello");
    assert_eq!((dep.1.as_str(), dep.2.as_str()), ("production", "success"));
    assert_eq!(dep.3, at("2012-07-20T01:19:13Z").timestamp());
    assert_eq!(dep.4, "octocat/Hello-World/deployments/1");
    assert_eq!(
        dep.5.as_deref(),
        Some("https://example.com/deployment/42/output")
    );

    let run: (String, String, Option<String>, i64, i64, Option<i64>) = conn
        .query_row(
            "SELECT workflow, status, conclusion, attempt, queued_at, finished_at FROM pipeline_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(
        run,
        (
            "Build".into(),
            "queued".into(),
            None,
            1,
            at("2020-01-22T19:33:08Z").timestamp(),
            None
        )
    );

    // The DORA numbers these rows feed.
    let params = DoraParams::default();
    let versions = store.record_definitions(&params.definitions()).unwrap();
    let inputs = store
        .dora_inputs(&Filter::default(), &params, at("2012-08-01T00:00:00Z"))
        .unwrap();
    let report = dora_report(&inputs, &params, &versions);
    assert_eq!(report.deployment_frequency.deployments, 1);
    assert_eq!(report.deployment_frequency.deploy_days, 1);
    assert_eq!(report.lead_time.changes, 1);
    let lead = (at("2012-07-20T01:19:13Z") - at("2011-04-14T16:00:49Z")).num_seconds() as f64;
    assert_eq!(report.lead_time.median_seconds, Some(lead));
}

#[tokio::test]
async fn a_second_sync_with_nothing_changed_sends_conditional_requests_and_writes_nothing() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut store = Store::open_in_memory().unwrap();
    let first = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert!(!first.failed(), "{:?}", first.resources);
    let before = rows(&store);
    let second = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert!(!second.failed(), "{:?}", second.resources);
    assert_eq!(second.written(), 0);
    assert_eq!(
        second.http.requests, 3,
        "one conditional request per resource"
    );
    assert_eq!(second.http.not_modified, 3);
    assert!(second.resources.iter().all(|r| r.not_modified));
    assert_eq!(rows(&store), before);
}

#[tokio::test]
async fn a_sync_interrupted_after_the_first_page_resumes_to_the_same_rows() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut whole = Store::open_in_memory().unwrap();
    sync(&mut whole, &server, &CancelFlag::default(), false).await;

    let mut resumed = Store::open_in_memory().unwrap();
    let cancel = CancelFlag::default();
    let first = sync(&mut resumed, &server, &cancel, true).await;
    assert!(first.cancelled);
    assert_eq!(first.pages(), 1);
    let count = |s: &Store| -> i64 {
        s.conn()
            .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&resumed), 1, "only the first page was written");
    let second = sync(&mut resumed, &server, &CancelFlag::default(), false).await;
    assert!(
        !second.failed() && !second.cancelled,
        "{:?}",
        second.resources
    );
    assert_eq!(
        second.resources[0].pages, 1,
        "the PR list resumed at page 2"
    );
    assert_eq!(count(&resumed), 2);
    assert_eq!(rows(&resumed), rows(&whole));
}

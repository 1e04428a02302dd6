//! GitLab connector end to end against a local fake server answering with GitLab's published
//! example payloads (tests/fixtures/api/gitlab) and its headers (`Link`, `ETag`, `RateLimit-*`).

mod common;

use common::{
    Run, all, assert_synced, at, count_rows, dump, get, memory_store, mount_once, ok_json_with,
    ok_text, only_error, row, source_at, token_client,
};
use plumb::config::{HumanDuration, SourceConfig, SourceKind};
use plumb::metrics::Period;
use plumb::metrics::ci::{CiParams, ci_report};
use plumb::metrics::dora::{DoraParams, dora_report};
use plumb::model::{Filter, Ownership};
use plumb::privacy::Privacy;
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{header, method, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "group/app";
const ID: &str = "group%2Fapp";
/// The head commit of the published merged merge request (it has no merge commit).
const MERGED_SHA: &str = "8888888888888888888888888888888888888888";

/// external_id, status, conclusion, attempt, finished_at
type RunRow = (String, String, Option<String>, i64, Option<i64>);
/// external_id, service, status, started_at, finished_at, url
type DeploymentRow = (String, String, String, i64, i64, Option<String>);

fn fixture(name: &str) -> Value {
    common::fixture("gitlab", name)
}

/// GitLab's rate-limit headers (IETF draft names, reset in epoch seconds).
const RATE_LIMIT: &[(&str, &str)] = &[
    ("ratelimit-limit", "2000"),
    ("ratelimit-remaining", "1999"),
    ("ratelimit-reset", "4102444800"),
];

fn json_response(body: &Value) -> ResponseTemplate {
    ok_json_with(body, RATE_LIMIT)
}

/// The first page of merge requests: the published one with another iid, updated later and
/// closed without merging.
fn closed_mr(of: &Value) -> Value {
    let mut mr = of.clone();
    mr["id"] = 2.into();
    mr["iid"] = 2.into();
    mr["title"] = "Ping jane@example.com about the css".into();
    mr["state"] = "closed".into();
    mr["merged_at"] = Value::Null;
    mr["merged_by"] = Value::Null;
    mr["merge_user"] = Value::Null;
    mr["closed_at"] = "2018-09-10T08:00:00Z".into();
    mr["updated_at"] = "2018-09-10T08:00:00Z".into();
    mr["web_url"] = "http://gitlab.example.com/my-group/my-project/merge_requests/2".into();
    mr
}

fn list(server: &MockServer, resource: &str) -> String {
    format!("{}/api/v4/projects/{ID}/{resource}", server.uri())
}

async fn mount_gitlab(server: &MockServer) {
    mount_not_modified(server).await;
    mount_merge_requests(server).await;
    mount_deployments(server).await;
    mount_pipelines(server).await;
    get(format!("/api/v4/projects/{ID}/milestones"))
        .respond_with(
            json_response(&fixture("list-project-milestones.json"))
                .insert_header("etag", "W/\"ms-1\""),
        )
        .mount(server)
        .await;
}

/// A fake GitLab answering every request of the source, and an empty store.
async fn served() -> (MockServer, Store) {
    let server = MockServer::start().await;
    mount_gitlab(&server).await;
    (server, memory_store())
}

/// 304 to the conditional requests of a later sync.
async fn mount_not_modified(server: &MockServer) {
    for (resource, tag) in [
        ("merge_requests", "W/\"mrs-1\""),
        ("deployments", "W/\"deps-1\""),
        ("pipelines", "W/\"pipes-1\""),
        ("milestones", "W/\"ms-1\""),
    ] {
        get(format!("/api/v4/projects/{ID}/{resource}"))
            .and(header("If-None-Match", tag))
            .respond_with(ResponseTemplate::new(304))
            .with_priority(1)
            .mount(server)
            .await;
    }
}

async fn mount_merge_requests(server: &MockServer) {
    let mrs = fixture("list-project-merge-requests.json");
    let mrs_path = format!("/api/v4/projects/{ID}/merge_requests");
    let page2 = format!(
        "{}?state=all&order_by=updated_at&sort=desc\
         &updated_after=1998-10-06T00%3A00%3A00Z&per_page=100&page=2",
        list(server, "merge_requests")
    );
    get(&mrs_path)
        .and(header("PRIVATE-TOKEN", "glpat_test"))
        .and(query_param_is_missing("page"))
        .respond_with(
            json_response(&Value::Array(vec![closed_mr(&mrs[0])]))
                .insert_header("link", format!("<{page2}>; rel=\"next\"").as_str())
                .insert_header("x-next-page", "2")
                .insert_header("etag", "W/\"mrs-1\""),
        )
        .mount(server)
        .await;
    get(&mrs_path)
        .and(query_param("page", "2"))
        .respond_with(json_response(&mrs))
        .mount(server)
        .await;
    get(format!("{mrs_path}/1/commits"))
        .respond_with(json_response(&fixture("list-merge-request-commits.json")))
        .mount(server)
        .await;
}

async fn mount_deployments(server: &MockServer) {
    // The published deployments are both `created`; here the first succeeded an hour after
    // the published merge request was merged, and the second failed. The deployed commit
    // stays the published one: the merge request is linked through the deployment's own list.
    let mut deployments = fixture("list-project-deployments.json");
    deployments[0]["status"] = "success".into();
    deployments[0]["updated_at"] = "2018-09-07T12:16:20Z".into();
    deployments[0]["deployable"]["started_at"] = "2018-09-07T12:10:00Z".into();
    deployments[0]["deployable"]["finished_at"] = "2018-09-07T12:16:17Z".into();
    deployments[1]["status"] = "failed".into();
    // A deployment to staging is not production and is not stored.
    let mut staging = deployments[1].clone();
    staging["id"] = 43.into();
    staging["status"] = "success".into();
    staging["environment"]["name"] = "staging".into();
    deployments.as_array_mut().unwrap().push(staging);
    get(format!("/api/v4/projects/{ID}/deployments"))
        .and(query_param("order_by", "updated_at"))
        .respond_with(json_response(&deployments).insert_header("etag", "W/\"deps-1\""))
        .mount(server)
        .await;
    // "Returns a response using the same format" as the merge request list (deployments.md).
    get(format!(
        "/api/v4/projects/{ID}/deployments/41/merge_requests"
    ))
    .and(query_param("state", "merged"))
    .respond_with(json_response(&fixture("list-project-merge-requests.json")))
    .mount(server)
    .await;
}

async fn mount_pipelines(server: &MockServer) {
    // Pipeline 47 finished (published as `pending`); 48 stays pending.
    let mut pipelines = fixture("list-project-pipelines.json");
    pipelines[0]["status"] = "success".into();
    get(format!("/api/v4/projects/{ID}/pipelines"))
        .respond_with(json_response(&pipelines).insert_header("etag", "W/\"pipes-1\""))
        .mount(server)
        .await;
    // The published jobs both failed; each was retried and passed (jobs 9 and 10).
    let mut jobs = fixture("list-pipeline-jobs.json");
    let mut retries = Vec::new();
    for (k, id) in [(1usize, 9), (0, 10)] {
        let mut retry = jobs[k].clone();
        retry["id"] = id.into();
        retry["status"] = "success".into();
        retry["failure_reason"] = Value::Null;
        retry["started_at"] = "2015-12-24T18:00:00Z".into();
        retry["finished_at"] = format!("2015-12-24T18:0{}:00Z", id - 8).into();
        retry["web_url"] = format!("https://example.com/foo/bar/-/jobs/{id}").into();
        retries.push(retry);
    }
    jobs.as_array_mut().unwrap().extend(retries);
    get(format!("/api/v4/projects/{ID}/pipelines/47/jobs"))
        .and(query_param("include_retried", "true"))
        .respond_with(json_response(&jobs))
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    let mut s = source_at(server, "gl", SourceKind::Gitlab, "GL_TOKEN");
    s.projects = vec![PROJECT.into()];
    // Long enough to reach the 2013–2018 example payloads.
    s.history = HumanDuration::from_days(365 * 20);
    s
}

fn ownership() -> Ownership {
    let mut o = Ownership::default();
    o.repo_team.insert(PROJECT.into(), "web".into());
    o.repo_service.insert(PROJECT.into(), "app".into());
    o.service_team.insert("app".into(), "web".into());
    o
}

fn privacy() -> Privacy {
    common::privacy(5)
}

async fn sync_with(
    store: &mut Store,
    server: &MockServer,
    full: bool,
    cancel: &CancelFlag,
    stop_after_first_page: bool,
) -> SourceSummary {
    let source = source(server);
    let client = token_client(&source, "glpat_test", Some(Duration::from_millis(5)));
    let run = Run::at("2018-10-01T00:00:00Z")
        .full(full)
        .owned_by(ownership())
        .key(5)
        .cancel(cancel, stop_after_first_page);
    run.sync(store, &source, &client).await
}

async fn sync(store: &mut Store, server: &MockServer) -> SourceSummary {
    sync_with(store, server, false, &CancelFlag::default(), false).await
}

/// Every synced row without store ids and sync times, for comparing two stores.
fn rows(store: &Store) -> Vec<String> {
    dump(
        store,
        &[
            (
                "changes",
                "repo, service, team, title, author, state, merge_sha, first_commit_at, opened_at, merged_at, labels",
            ),
            (
                "deployments",
                "service, team, environment, status, started_at, finished_at, commit_sha",
            ),
            (
                "pipeline_runs",
                "repo, workflow, branch, commit_sha, event, status, conclusion, attempt, queued_at, started_at, finished_at",
            ),
            (
                "jobs",
                "name, status, conclusion, attempt, started_at, finished_at",
            ),
            (
                "milestones",
                "name, team, description, status, start_at, due_at, completed_at",
            ),
        ],
    )
}

fn count(store: &Store, table: &str) -> i64 {
    count_rows(store, table)
}

#[tokio::test]
async fn merge_requests_deployments_pipelines_and_milestones_feed_dora_and_ci() {
    let (server, mut store) = served().await;
    let summary = sync(&mut store, &server).await;
    assert_synced(&summary);
    assert_eq!(
        summary.pages(),
        5,
        "two merge request pages, one each of deployments, pipelines, milestones"
    );
    assert_eq!(
        summary.http.requests, 8,
        "the five list pages, the merged MR's commits, deployment 41's merge requests and \
         pipeline 47's jobs; nothing for the failed deployment or the pending pipeline"
    );

    // Every list is filtered by the pass's lower bound and read by last update.
    let requests = server.received_requests().await.unwrap();
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| {
            let p = r.url.path();
            p == format!("/api/v4/projects/{ID}/merge_requests")
                || p == format!("/api/v4/projects/{ID}/pipelines")
        })
        .collect();
    assert!(!lists.is_empty());
    for r in lists {
        let q: std::collections::HashMap<_, _> = r.url.query_pairs().into_owned().collect();
        assert_eq!(q["order_by"], "updated_at", "{}", r.url);
        assert_eq!(q["sort"], "desc");
        assert_eq!(q["updated_after"], "1998-10-06T00:00:00Z");
    }

    let conn = store.conn();
    let merged: (
        String,
        Option<String>,
        i64,
        i64,
        i64,
        String,
        String,
        String,
        String,
    ) = row(
        conn,
        "SELECT state, merge_sha, first_commit_at, opened_at, merged_at, author, title, team,
                    labels
             FROM changes WHERE external_id = 'group/app!1'",
    );
    assert_eq!(merged.0, "merged");
    assert_eq!(merged.1.as_deref(), Some(MERGED_SHA));
    assert_eq!(
        merged.2,
        at("2012-09-20T06:06:12Z").timestamp(),
        "the oldest commit"
    );
    assert_eq!(merged.3, at("2017-04-29T08:46:00Z").timestamp());
    assert_eq!(merged.4, at("2018-09-07T11:16:17Z").timestamp());
    assert_eq!(merged.5, privacy().person("admin"));
    assert_eq!((merged.6.as_str(), merged.7.as_str()), ("test1", "web"));
    assert_eq!(merged.8, "[\"Community contribution\",\"Manage\"]");
    let closed: (String, Option<String>, Option<i64>, Option<i64>, String) = row(
        conn,
        "SELECT state, merge_sha, merged_at, first_commit_at, title FROM changes
             WHERE external_id = 'group/app!2'",
    );
    assert_eq!(
        closed,
        (
            "closed".into(),
            None,
            None,
            None,
            "Ping [email] about the css".into()
        )
    );

    let deployments: Vec<DeploymentRow> = all(
        conn,
        "SELECT external_id, service, status, started_at, finished_at, url FROM deployments
             ORDER BY external_id",
    );
    assert_eq!(
        deployments.len(),
        2,
        "staging is not stored: {deployments:?}"
    );
    assert_eq!(deployments[0].0, "group/app/deployments/41");
    assert_eq!(
        (deployments[0].1.as_str(), deployments[0].2.as_str()),
        ("app", "success")
    );
    assert_eq!(deployments[0].3, at("2018-09-07T12:10:00Z").timestamp());
    assert_eq!(deployments[0].4, at("2018-09-07T12:16:17Z").timestamp());
    assert_eq!(
        deployments[0].5.as_deref(),
        Some("http://gitlab.dev/root/project/pipelines/12")
    );
    assert_eq!(deployments[1].2, "failure");
    assert_eq!(
        deployments[1].4,
        at("2016-08-11T11:32:35.145Z").timestamp(),
        "the deploy job's finish"
    );

    let runs: Vec<RunRow> = all(
        conn,
        "SELECT external_id, status, conclusion, attempt, finished_at FROM pipeline_runs
             ORDER BY external_id",
    );
    assert_eq!(
        runs,
        vec![
            (
                "group/app/pipelines/47".into(),
                "completed".into(),
                Some("success".into()),
                2,
                Some(at("2015-12-24T18:02:00Z").timestamp())
            ),
            (
                "group/app/pipelines/47/attempts/1".into(),
                "completed".into(),
                Some("failure".into()),
                1,
                Some(at("2015-12-24T17:54:27.895Z").timestamp())
            ),
            (
                "group/app/pipelines/48".into(),
                "queued".into(),
                None,
                1,
                None
            ),
        ]
    );
    let jobs: Vec<(String, Option<String>, i64)> = all(
        conn,
        "SELECT name, conclusion, attempt FROM jobs ORDER BY external_id",
    );
    assert_eq!(
        jobs,
        vec![
            ("rspec:other".into(), Some("success".into()), 2),
            ("rspec:other".into(), Some("timed_out".into()), 1),
            ("teaspoon".into(), Some("failure".into()), 1),
            ("teaspoon".into(), Some("success".into()), 2),
        ]
    );

    let milestone: (String, String, String, i64, i64, Option<i64>) = row(
        conn,
        "SELECT name, team, status, start_at, due_at, completed_at FROM milestones",
    );
    assert_eq!(
        milestone,
        (
            "10.0".into(),
            "web".into(),
            "open".into(),
            at("2013-11-10T00:00:00Z").timestamp(),
            at("2013-11-29T00:00:00Z").timestamp(),
            None
        )
    );

    let links: Vec<String> = conn
        .prepare("SELECT external_id FROM deployment_changes")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(links, ["group/app/deployments/41->group/app!1"]);

    // DORA: merge request !1 ships with deployment 41.
    let params = DoraParams::default();
    let versions = store.record_definitions(&params.definitions()).unwrap();
    let inputs = store
        .dora_inputs(&Filter::default(), &params, at("2018-09-30T00:00:00Z"))
        .unwrap();
    let report = dora_report(&inputs, &params, &versions);
    assert_eq!(report.deployment_frequency.deployments, 1);
    assert_eq!(report.lead_time.changes, 1);
    let lead = (at("2018-09-07T12:16:17Z") - at("2012-09-20T06:06:12Z")).num_seconds() as f64;
    assert_eq!(report.lead_time.median_seconds, Some(lead));

    // CI: attempt 1 of pipeline 47 failed and attempt 2 passed on the same commit.
    let ci_params = CiParams::default();
    let ci_versions = store.record_definitions(&ci_params.definitions()).unwrap();
    let runs = store.pipeline_runs(&Filter::default()).unwrap();
    let period = Period::new(at("2015-12-01T00:00:00Z"), at("2016-01-01T00:00:00Z"));
    let ci = ci_report(&runs, period, &ci_params, &ci_versions);
    assert_eq!(ci.runs, 2);
    assert_eq!(ci.flaky_runs, 1);
}

#[tokio::test]
async fn a_second_sync_with_nothing_changed_sends_conditional_requests_and_writes_nothing() {
    let (server, mut store) = served().await;
    let first = sync(&mut store, &server).await;
    assert_synced(&first);
    let before = rows(&store);
    let second = sync(&mut store, &server).await;
    assert_synced(&second);
    assert_eq!(second.written(), 0);
    assert_eq!(
        second.http.requests, 4,
        "one conditional request per resource"
    );
    assert_eq!(second.http.not_modified, 4);
    assert!(second.resources.iter().all(|r| r.not_modified));
    assert_eq!(rows(&store), before);
}

#[tokio::test]
async fn a_full_sync_rereads_everything_unconditionally_without_doubling_rows() {
    let (server, mut store) = served().await;
    sync(&mut store, &server).await;
    let before = rows(&store);
    let seen = server.received_requests().await.unwrap().len();
    let full = sync_with(&mut store, &server, true, &CancelFlag::default(), false).await;
    assert_synced(&full);
    assert_eq!(full.http.not_modified, 0);
    assert_eq!(full.pages(), 5);
    assert_eq!(full.written(), 0, "the same payloads change nothing");
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[seen..]
            .iter()
            .all(|r| !r.headers.contains_key("if-none-match")),
        "--full never sends If-None-Match"
    );
    assert_eq!(rows(&store), before);
}

#[tokio::test]
async fn a_sync_interrupted_after_the_first_page_resumes_to_the_same_rows() {
    let server = MockServer::start().await;
    mount_gitlab(&server).await;
    let mut whole = memory_store();
    sync(&mut whole, &server).await;

    let mut resumed = memory_store();
    let cancel = CancelFlag::default();
    let first = sync_with(&mut resumed, &server, false, &cancel, true).await;
    assert!(first.cancelled);
    assert_eq!(first.pages(), 1);
    assert_eq!(
        count(&resumed, "changes"),
        1,
        "only the first page was written"
    );
    let second = sync(&mut resumed, &server).await;
    assert!(
        !second.failed() && !second.cancelled,
        "{:?}",
        second.resources
    );
    assert_eq!(
        second.resources[0].pages, 1,
        "the merge request list resumed at page 2"
    );
    assert_eq!(rows(&resumed), rows(&whole));
}

#[tokio::test]
async fn a_malformed_page_is_not_written_names_its_endpoint_and_is_read_again() {
    let server = MockServer::start().await;
    // Page 2 of the merge requests is cut off once, then served whole.
    mount_once(
        &server,
        get(format!("/api/v4/projects/{ID}/merge_requests")).and(query_param("page", "2")),
        ok_text("[{\"id\": 1, \"iid\": 1, \"ti"),
        2,
    )
    .await;
    mount_gitlab(&server).await;
    let mut store = memory_store();
    let first = sync(&mut store, &server).await;
    let (resource, message) = only_error(&first, "only the malformed page fails");
    assert_eq!(resource, "group/app:merge_requests");
    assert!(
        message.contains("GET /api/v4/projects/group%2Fapp/merge_requests?")
            && message.contains("page=2")
            && message.contains("nothing from that page was written"),
        "{message}"
    );
    assert_eq!(count(&store, "changes"), 1, "page 1 stays");
    assert_eq!(count(&store, "deployments"), 2, "other resources go on");

    let second = sync(&mut store, &server).await;
    assert_synced(&second);
    assert_eq!(second.resources[0].pages, 1, "resumed at page 2");
    assert_eq!(count(&store, "changes"), 2);
}

#[tokio::test]
async fn unauthorized_names_the_source_and_the_token_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "401 Unauthorized"})),
        )
        .mount(&server)
        .await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server).await;
    let (resource, message) = only_error(&summary, "a rejected token skips the rest");
    assert_eq!(resource, "group/app:merge_requests");
    assert!(
        message.contains("`gl`") && message.contains("GL_TOKEN"),
        "{message}"
    );
    assert!(!message.contains("glpat_test"));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "4xx other than 429 is not retried"
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_then_the_sync_succeeds() {
    let server = MockServer::start().await;
    mount_once(
        &server,
        get(format!("/api/v4/projects/{ID}/merge_requests")).and(query_param_is_missing("page")),
        ResponseTemplate::new(429)
            .insert_header("retry-after", "1")
            .insert_header("ratelimit-remaining", "0"),
        2,
    )
    .await;
    mount_gitlab(&server).await;
    let mut store = memory_store();
    let started = std::time::Instant::now();
    let summary = sync(&mut store, &server).await;
    assert_synced(&summary);
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(summary.http.rate_limit_waits, 1);
    assert_eq!(count(&store, "changes"), 2);
}

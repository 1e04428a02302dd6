//! GitHub connector end to end against a local fake server answering with GitHub's published
//! example payloads (tests/fixtures/api/github) and real headers (Link, ETag, rate limits).

mod common;

use common::{
    Run, all, assert_synced, at, count_rows, dump, get, memory_store, ok_json_with, only_error,
    row, source_at, token_client,
};
use plumb::config::{DeploySignal, SourceConfig, SourceKind};
use plumb::metrics::Period;
use plumb::metrics::ci::{CiParams, ci_report};
use plumb::metrics::dora::{DoraParams, dora_report};
use plumb::model::{Filter, Ownership};
use plumb::privacy::Privacy;
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary};
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{header, query_param, query_param_is_missing};
use wiremock::{MockServer, ResponseTemplate};

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
/// The merge commit of the published PR 1347.
const MERGE_SHA: &str = "e5bd3914e2e596debea16f433f57875b5b90bcd6";
/// The commit of the published deployment.
const DEPLOYED_SHA: &str = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";

fn fixture(name: &str) -> Value {
    common::fixture("github", name)
}

/// GitHub's rate-limit headers, as in the description's examples.
const RATE_LIMIT: &[(&str, &str)] = &[
    ("x-ratelimit-limit", "5000"),
    ("x-ratelimit-remaining", "4999"),
    ("x-ratelimit-reset", "4102444800"),
];

fn json(body: &Value) -> ResponseTemplate {
    ok_json_with(body, RATE_LIMIT)
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
        (format!("/repos/{REPO}/issues"), "\"issues-1\""),
        (format!("/repos/{REPO}/milestones"), "\"milestones-1\""),
    ] {
        get(p)
            .and(header("If-None-Match", tag))
            .respond_with(ResponseTemplate::new(304))
            .with_priority(1)
            .mount(server)
            .await;
    }
    get(&pulls)
        .and(query_param("state", "all"))
        .and(query_param_is_missing("page"))
        .respond_with(
            json(&Value::Array(vec![pr2.clone()]))
                .insert_header("link", link.as_str())
                .insert_header("etag", "\"pulls-1\""),
        )
        .mount(server)
        .await;
    get(&pulls)
        .and(query_param("page", "2"))
        .respond_with(json(&prs))
        .mount(server)
        .await;
    let detail = fixture("get-pull-request.json");
    // Only the merged PR costs per-PR requests: the one closed unmerged is written from the
    // list alone.
    get(format!("{pulls}/1347"))
        .respond_with(json(&detail))
        .mount(server)
        .await;
    get(format!("{pulls}/1347/commits"))
        .respond_with(json(&fixture("list-pull-request-commits.json")))
        .mount(server)
        .await;
    // No reviews example ships with the fixtures: a list with the fields of GitHub's
    // pull-request-review schema that plumb reads (user, state, submitted_at), one review by
    // someone else and a later comment by the author, which does not count as pickup.
    let reviews = serde_json::json!([
        {"id": 80, "user": {"login": "hubot"}, "state": "APPROVED",
         "submitted_at": "2011-04-15T09:00:00Z"},
        {"id": 81, "user": {"login": "octocat"}, "state": "COMMENTED",
         "submitted_at": "2011-04-15T08:00:00Z"}
    ]);
    get(format!("{pulls}/1347/reviews"))
        .respond_with(json(&reviews))
        .mount(server)
        .await;
    mount_deployments(server).await;
    mount_runs(server).await;
    mount_issues_and_milestones(server).await;
}

/// The published deployment (commit a84d88e…) and a later one, derived from it, that ships
/// PR 1347's merge commit; the compare between the two lists that commit.
async fn mount_deployments(server: &MockServer) {
    let published = fixture("list-deployments.json");
    let mut later = published[0].clone();
    later["id"] = 2.into();
    later["sha"] = MERGE_SHA.into();
    later["created_at"] = "2012-07-21T09:00:00Z".into();
    later["url"] = "https://api.github.com/repos/octocat/example/deployments/2".into();
    let deployments = Value::Array(vec![later, published[0].clone()]);
    get(format!("/repos/{REPO}/deployments"))
        .respond_with(json(&deployments).insert_header("etag", "\"deployments-1\""))
        .mount(server)
        .await;
    let statuses = fixture("list-deployment-statuses.json");
    let mut later_statuses = statuses.clone();
    later_statuses[0]["created_at"] = "2012-07-21T09:30:00Z".into();
    for (id, body) in [(1, statuses), (2, later_statuses)] {
        get(format!("/repos/{REPO}/deployments/{id}/statuses"))
            .respond_with(json(&body))
            .mount(server)
            .await;
    }
    let mut comparison = fixture("compare-two-commits.json");
    let mut merge = comparison["commits"][0].clone();
    merge["sha"] = MERGE_SHA.into();
    comparison["commits"].as_array_mut().unwrap().push(merge);
    get(format!(
        "/repos/{REPO}/compare/{DEPLOYED_SHA}...{MERGE_SHA}"
    ))
    .respond_with(json(&comparison))
    .mount(server)
    .await;
}

/// The published (queued) run, and a run derived from it that passed on its second attempt
/// after its first failed: its jobs are the published job as attempt 2 and a failed copy as
/// attempt 1 (the published job omits `run_attempt`).
async fn mount_runs(server: &MockServer) {
    let mut runs = fixture("list-workflow-runs-for-repo.json");
    let mut rerun = runs["workflow_runs"][0].clone();
    rerun["id"] = 30433643.into();
    rerun["status"] = "completed".into();
    rerun["conclusion"] = "success".into();
    rerun["run_attempt"] = 2.into();
    rerun["updated_at"] = "2020-01-22T20:00:00Z".into();
    runs["workflow_runs"].as_array_mut().unwrap().push(rerun);
    runs["total_count"] = 2.into();
    get(format!("/repos/{REPO}/actions/runs"))
        .respond_with(json(&runs).insert_header("etag", "\"runs-1\""))
        .mount(server)
        .await;
    let mut jobs = fixture("list-jobs-for-workflow-run.json");
    let mut passed = jobs["jobs"][0].clone();
    passed["run_attempt"] = 2.into();
    let mut failed = passed.clone();
    failed["id"] = 399444495.into();
    failed["run_attempt"] = 1.into();
    failed["conclusion"] = "failure".into();
    failed["started_at"] = "2020-01-22T19:40:00Z".into();
    failed["completed_at"] = "2020-01-22T19:45:00Z".into();
    jobs["jobs"] = Value::Array(vec![failed, passed]);
    jobs["total_count"] = 2.into();
    get(format!("/repos/{REPO}/actions/runs/30433643/jobs"))
        .and(query_param("filter", "all"))
        .respond_with(json(&jobs))
        .mount(server)
        .await;
}

/// The published issue is a pull request (it carries `pull_request`) and is skipped; an
/// incident derived from it (no `pull_request`, labelled incident and sev2, closed two hours
/// after it opened, the day of the second deployment) becomes an incident. The milestones list
/// serves the published issue's milestone object.
async fn mount_issues_and_milestones(server: &MockServer) {
    let issues = fixture("list-repository-issues.json");
    let mut incident = issues[0].clone();
    incident.as_object_mut().unwrap().remove("pull_request");
    incident["number"] = 1400.into();
    incident["html_url"] = "https://github.com/octocat/Hello-World/issues/1400".into();
    incident["title"] = "Checkout down, reported by jane@example.com".into();
    incident["state"] = "closed".into();
    incident["created_at"] = "2012-07-21T12:00:00Z".into();
    incident["closed_at"] = "2012-07-21T14:00:00Z".into();
    let mut labels = incident["labels"][0].clone();
    labels["name"] = "incident".into();
    let mut sev = labels.clone();
    sev["name"] = "sev2".into();
    incident["labels"] = Value::Array(vec![labels, sev]);
    get(format!("/repos/{REPO}/issues"))
        .and(query_param("labels", "incident"))
        .respond_with(
            json(&Value::Array(vec![issues[0].clone(), incident.clone()]))
                .insert_header("etag", "\"issues-1\""),
        )
        .mount(server)
        .await;
    let milestones = Value::Array(vec![issues[0]["milestone"].clone()]);
    get(format!("/repos/{REPO}/milestones"))
        .respond_with(json(&milestones).insert_header("etag", "\"milestones-1\""))
        .mount(server)
        .await;
}

fn source(server: &MockServer) -> SourceConfig {
    let mut s = source_at(server, "gh", SourceKind::Github, "GH_TOKEN");
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
    common::privacy(7)
}

async fn sync(
    store: &mut Store,
    server: &MockServer,
    cancel: &CancelFlag,
    stop_after_first_page: bool,
) -> SourceSummary {
    sync_configured(store, source(server), cancel, stop_after_first_page).await
}

async fn sync_configured(
    store: &mut Store,
    mut source: SourceConfig,
    cancel: &CancelFlag,
    stop_after_first_page: bool,
) -> SourceSummary {
    let client = token_client(&source, "ghp_test", Some(Duration::from_millis(5)));
    // A history long enough to reach the 2011–2020 example payloads.
    source.history = plumb::config::HumanDuration::from_days(365 * 20);
    // Deployment changes are compared for deployments synced since the cursor, on the store's
    // clock: the run's `now` is the real one.
    let run = Run::new(chrono::Utc::now())
        .owned_by(ownership())
        .cancel(cancel, stop_after_first_page);
    run.sync(store, &source, &client).await
}

/// Every synced row without store ids and sync times, for comparing two stores.
fn rows(store: &Store) -> Vec<String> {
    dump(
        store,
        &[
            (
                "changes",
                "repo, service, team, title, author, state, merge_sha, first_commit_at, opened_at, first_review_at, merged_at, additions, deletions, labels",
            ),
            (
                "deployments",
                "service, team, environment, status, started_at, finished_at, commit_sha",
            ),
            (
                "pipeline_runs",
                "repo, workflow, branch, commit_sha, status, conclusion, attempt, queued_at, started_at, finished_at",
            ),
            ("deployment_changes", "deployment_id, change_id"),
            (
                "jobs",
                "name, status, conclusion, attempt, started_at, finished_at",
            ),
            (
                "incidents",
                "service, team, severity, severity_original, title, status, created_at, resolved_at",
            ),
            (
                "milestones",
                "name, team, description, status, start_at, due_at, completed_at",
            ),
        ],
    )
}

#[tokio::test]
async fn every_resource_becomes_rows_that_feed_dora_ci_and_incidents() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert_synced(&summary);
    assert_eq!(
        summary.pages(),
        7,
        "two PR pages, one each of deployments, deployment changes, runs, issues, milestones"
    );
    // 2 PRs, 2 deployments, 1 link, 3 run rows (one run, one re-run with two attempts),
    // 2 jobs, 1 incident, 1 milestone.
    assert_eq!(summary.written(), 12);
    // 2 PR pages + 3 requests for the merged PR, 1 + 2 statuses, 1 compare, 1 + 1 jobs,
    // 1 issues, 1 milestones.
    assert_eq!(summary.http.requests, 13);

    let conn = store.conn();
    let (state, merge_sha, first_commit, opened, merged, adds, dels, author, title, team, labels): ChangeRow = row(conn, "SELECT state, merge_sha, first_commit_at, opened_at, merged_at, additions, deletions,
                    author, title, team, labels
             FROM changes WHERE external_id = 'octocat/Hello-World#1347'");
    assert_eq!(state, "merged");
    assert_eq!(merge_sha.as_deref(), Some(MERGE_SHA));
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
    let first_review: i64 = conn
        .query_row(
            "SELECT first_review_at FROM changes WHERE external_id = 'octocat/Hello-World#1347'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        first_review,
        at("2011-04-15T09:00:00Z").timestamp(),
        "the author's own earlier comment is not a review"
    );
    let (state2, sha2, adds2): (String, Option<String>, Option<i64>) = row(
        conn,
        "SELECT state, merge_sha, additions FROM changes
             WHERE external_id = 'octocat/Hello-World#1348'",
    );
    assert_eq!((state2.as_str(), sha2, adds2), ("closed", None, None));

    let dep: (String, String, String, i64, String, Option<String>) = row(
        conn,
        "SELECT service, environment, status, finished_at, external_id, url FROM deployments
             WHERE external_id = 'octocat/Hello-World/deployments/1'",
    );
    assert_eq!(dep.0, "hello");
    assert_eq!((dep.1.as_str(), dep.2.as_str()), ("production", "success"));
    assert_eq!(dep.3, at("2012-07-20T01:19:13Z").timestamp());
    assert_eq!(
        dep.5.as_deref(),
        Some("https://example.com/deployment/42/output")
    );
    let link: (String, String) = row(
        conn,
        "SELECT d.external_id, c.external_id FROM deployment_changes dc
             JOIN deployments d ON d.id = dc.deployment_id JOIN changes c ON c.id = dc.change_id",
    );
    assert_eq!(
        link,
        (
            "octocat/Hello-World/deployments/2".into(),
            "octocat/Hello-World#1347".into()
        ),
        "the compare lists the published commit (no PR) and PR 1347's merge commit"
    );

    let attempts: Vec<(String, i64, Option<String>)> = all(
        conn,
        "SELECT external_id, attempt, conclusion FROM pipeline_runs ORDER BY external_id",
    );
    assert_eq!(
        attempts,
        [
            ("octocat/Hello-World/runs/30433642".into(), 1, None),
            (
                "octocat/Hello-World/runs/30433643".into(),
                2,
                Some("success".into())
            ),
            (
                "octocat/Hello-World/runs/30433643/attempts/1".into(),
                1,
                Some("failure".into())
            ),
        ]
    );
    let jobs: Vec<(String, i64, String, String)> = all(
        conn,
        "SELECT j.name, j.attempt, j.conclusion, r.external_id FROM jobs j
             JOIN pipeline_runs r ON r.id = j.pipeline_run_id ORDER BY j.attempt",
    );
    assert_eq!(
        jobs,
        [
            (
                "build".into(),
                1,
                "failure".into(),
                "octocat/Hello-World/runs/30433643/attempts/1".into()
            ),
            (
                "build".into(),
                2,
                "success".into(),
                "octocat/Hello-World/runs/30433643".into()
            ),
        ]
    );

    let incident: (String, String, String, String, String, i64) = row(
        conn,
        "SELECT service, severity, severity_original, status, title, resolved_at FROM incidents",
    );
    assert_eq!(
        (
            incident.0.as_str(),
            incident.1.as_str(),
            incident.2.as_str(),
            incident.3.as_str()
        ),
        ("hello", "SEV2", "sev2", "resolved")
    );
    assert!(!incident.4.contains("jane@example.com"), "{}", incident.4);
    assert_eq!(incident.5, at("2012-07-21T14:00:00Z").timestamp());
    let milestone: (String, String, i64) = row(conn, "SELECT name, status, due_at FROM milestones");
    assert_eq!(
        milestone,
        (
            "v1.0".into(),
            "open".into(),
            at("2012-10-09T23:39:01Z").timestamp()
        )
    );

    // The DORA numbers these rows feed: PR 1347 ships with deployment 2 (through the compare
    // link), whose service has an incident opened 2.5 hours after it finished.
    let params = DoraParams::default();
    let versions = store.record_definitions(&params.definitions()).unwrap();
    let inputs = store
        .dora_inputs(&Filter::default(), &params, at("2012-08-01T00:00:00Z"))
        .unwrap();
    let report = dora_report(&inputs, &params, &versions);
    assert_eq!(report.deployment_frequency.deployments, 2);
    assert_eq!(report.deployment_frequency.deploy_days, 2);
    assert_eq!(report.lead_time.changes, 1);
    let lead = (at("2012-07-21T09:30:00Z") - at("2011-04-14T16:00:49Z")).num_seconds() as f64;
    assert_eq!(report.lead_time.median_seconds, Some(lead));
    assert_eq!(report.change_failure_rate.failed_deployments, 1);
    assert_eq!(report.change_failure_rate.rate, Some(0.5));

    // And CI's flaky rate: the re-run failed on attempt 1 and passed on attempt 2.
    let ci_params = CiParams::default();
    let ci_versions = store.record_definitions(&ci_params.definitions()).unwrap();
    let runs = store.pipeline_runs(&Filter::default()).unwrap();
    let period = Period::new(at("2020-01-01T00:00:00Z"), at("2020-02-01T00:00:00Z"));
    let ci = ci_report(&runs, period, &ci_params, &ci_versions);
    assert_eq!(ci.flaky_runs, 1);
}

#[tokio::test]
async fn a_second_sync_with_nothing_changed_sends_conditional_requests_and_writes_nothing() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut store = memory_store();
    let first = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert_synced(&first);
    let before = rows(&store);
    let second = sync(&mut store, &server, &CancelFlag::default(), false).await;
    assert_synced(&second);
    assert_eq!(second.written(), 0);
    assert_eq!(
        second.http.requests, 5,
        "one conditional request per listed resource; deployment changes read the store"
    );
    assert_eq!(second.http.not_modified, 5);
    for r in &second.resources {
        assert_eq!(
            r.not_modified,
            !r.resource.ends_with(":deployment_changes"),
            "{r:?}"
        );
    }
    assert_eq!(rows(&store), before);
}

#[tokio::test]
async fn a_sync_interrupted_after_the_first_page_resumes_to_the_same_rows() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    let mut whole = memory_store();
    sync(&mut whole, &server, &CancelFlag::default(), false).await;

    let mut resumed = memory_store();
    let cancel = CancelFlag::default();
    let first = sync(&mut resumed, &server, &cancel, true).await;
    assert!(first.cancelled);
    assert_eq!(first.pages(), 1);
    assert_eq!(
        count_rows(&resumed, "changes"),
        1,
        "only the first page was written"
    );
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
    assert_eq!(count_rows(&resumed, "changes"), 2);
    assert_eq!(rows(&resumed), rows(&whole));
}

#[tokio::test]
async fn releases_as_the_deploy_signal_become_deployments_compared_by_tag() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    // The published release (cut from the branch `master`), a later one derived from it cut
    // from PR 1347's merge commit, and a draft, which ships nothing.
    let published = fixture("list-releases.json");
    let mut later = published[0].clone();
    later["id"] = 2.into();
    later["tag_name"] = "v1.1.0".into();
    later["target_commitish"] = MERGE_SHA.into();
    later["created_at"] = "2013-03-01T09:00:00Z".into();
    later["published_at"] = "2013-03-01T10:00:00Z".into();
    let mut draft = later.clone();
    draft["id"] = 3.into();
    draft["tag_name"] = "v1.2.0".into();
    draft["draft"] = true.into();
    get(format!("/repos/{REPO}/releases"))
        .respond_with(json(&Value::Array(vec![
            draft,
            later,
            published[0].clone(),
        ])))
        .mount(&server)
        .await;
    let mut comparison = fixture("compare-two-commits.json");
    comparison["commits"][0]["sha"] = MERGE_SHA.into();
    get(format!("/repos/{REPO}/compare/v1.0.0...{MERGE_SHA}"))
        .respond_with(json(&comparison))
        .mount(&server)
        .await;
    let mut source = source(&server);
    source.deploy_signal = DeploySignal::Releases;
    let mut store = memory_store();
    let summary = sync_configured(&mut store, source, &CancelFlag::default(), false).await;
    assert_synced(&summary);
    let requests = server.received_requests().await.unwrap();
    assert!(
        !requests
            .iter()
            .any(|r| r.url.path().ends_with("/deployments")),
        "the Deployments API is not read"
    );
    let deployments: Vec<(String, String, i64, Option<String>)> = all(
        store.conn(),
        "SELECT external_id, environment, finished_at, commit_sha FROM deployments
             ORDER BY finished_at",
    );
    assert_eq!(
        deployments,
        [
            (
                "octocat/Hello-World/releases/v1.0.0".into(),
                "production".into(),
                at("2013-02-27T19:35:32Z").timestamp(),
                None
            ),
            (
                "octocat/Hello-World/releases/v1.1.0".into(),
                "production".into(),
                at("2013-03-01T10:00:00Z").timestamp(),
                Some(MERGE_SHA.into())
            ),
        ]
    );
    let linked: String = store
        .conn()
        .query_row(
            "SELECT d.external_id FROM deployment_changes dc
             JOIN deployments d ON d.id = dc.deployment_id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked, "octocat/Hello-World/releases/v1.1.0");
}

#[tokio::test]
async fn a_malformed_jobs_page_keeps_the_runs_page_unwritten_and_names_the_endpoint() {
    let server = MockServer::start().await;
    mount_github(&server).await;
    get(format!("/repos/{REPO}/actions/runs/30433643/jobs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("{\"total_count\": 2, \"jobs\": [{", "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let mut store = memory_store();
    let summary = sync(&mut store, &server, &CancelFlag::default(), false).await;
    let (resource, message) = only_error(&summary, "only the malformed jobs page fails");
    assert_eq!(resource, "octocat/Hello-World:runs");
    assert!(
        message.contains(
            "GET /repos/octocat/Hello-World/actions/runs/30433643/jobs?filter=all&per_page=100"
        ),
        "{message}"
    );
    let count = |table: &str| count_rows(&store, table);
    assert_eq!((count("pipeline_runs"), count("jobs")), (0, 0));
    assert_eq!(
        (count("changes"), count("incidents"), count("milestones")),
        (2, 1, 1),
        "the other resources are synced"
    );
}

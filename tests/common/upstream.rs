//! Fake upstreams for the deletion tests: servers answering with the providers' published
//! examples (tests/fixtures/api), from which a test removes items between two syncs.

use super::jira::{enhanced_page, history, issue, mount_fields, status};
use super::{get, ok_json};
use serde_json::{Value, json};
use wiremock::MockServer;
use wiremock::matchers::{query_param, query_param_is_missing};

pub const REPO: &str = "octo/app";
/// The merge commit of PR 1, which deployment 11 ships.
pub const MERGE_SHA: &str = "e5bd3914e2e596debea16f433f57875b5b90bcd6";
pub const BASE_SHA: &str = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";

pub fn github_fixture(name: &str) -> Value {
    super::fixture("github", name)
}

/// The published PR as PR `number`, opened and updated on `day` of July 2012, merged as
/// [`MERGE_SHA`] or still open.
pub fn pull(number: u64, day: u32, merged: bool) -> Value {
    let mut pr = github_fixture("list-pull-requests.json")[0].clone();
    let at = format!("2012-07-{day:02}T10:00:00Z");
    pr["number"] = number.into();
    pr["html_url"] = format!("https://github.com/{REPO}/pull/{number}").into();
    pr["created_at"] = at.clone().into();
    pr["updated_at"] = at.clone().into();
    pr["merged_at"] = if merged { at.into() } else { Value::Null };
    pr["merge_commit_sha"] = MERGE_SHA.into();
    pr["state"] = if merged { "closed" } else { "open" }.into();
    pr
}

/// The published production deployment as deployment `id` of `sha`, created on `day`.
pub fn deployment(id: u64, sha: &str, day: u32) -> Value {
    let mut d = github_fixture("list-deployments.json")[0].clone();
    d["id"] = id.into();
    d["sha"] = sha.into();
    d["created_at"] = format!("2012-07-{day:02}T01:00:00Z").into();
    d
}

/// What the fake GitHub lists: PRs 1 (merged) and 2 (open), deployments 10 (base) and 11
/// (shipping PR 1), and whatever the test removed from that.
pub struct GithubUpstream {
    pub pulls: Vec<Value>,
    pub deployments: Vec<Value>,
    /// Serve the PR list one PR per page (two pages at most).
    pub paged_pulls: bool,
}

impl GithubUpstream {
    pub fn all() -> Self {
        GithubUpstream {
            pulls: vec![pull(2, 12, false), pull(1, 10, true)],
            deployments: vec![deployment(11, MERGE_SHA, 19), deployment(10, BASE_SHA, 15)],
            paged_pulls: false,
        }
    }

    pub fn without_pull_2_and_deployment_11() -> Self {
        GithubUpstream {
            pulls: vec![pull(1, 10, true)],
            deployments: vec![deployment(10, BASE_SHA, 15)],
            paged_pulls: false,
        }
    }

    pub async fn serve(&self, server: &MockServer) {
        server.reset().await;
        let repo = format!("/repos/{REPO}");
        let pulls = format!("{repo}/pulls");
        if self.paged_pulls {
            let second = format!(
                "{}{pulls}?state=all&sort=updated&direction=desc&per_page=100&page=2",
                server.uri()
            );
            let link = format!("<{second}>; rel=\"next\", <{second}>; rel=\"last\"");
            get(&pulls)
                .and(query_param_is_missing("page"))
                .respond_with(ok_json(&self.pulls[..1]).insert_header("link", link.as_str()))
                .mount(server)
                .await;
            get(&pulls)
                .and(query_param("page", "2"))
                .respond_with(ok_json(&self.pulls[1..]))
                .mount(server)
                .await;
        } else {
            get(&pulls)
                .respond_with(ok_json(&self.pulls))
                .mount(server)
                .await;
        }
        get(format!("{repo}/pulls/1"))
            .respond_with(ok_json(github_fixture("get-pull-request.json")))
            .mount(server)
            .await;
        get(format!("{repo}/pulls/1/commits"))
            .respond_with(ok_json(github_fixture("list-pull-request-commits.json")))
            .mount(server)
            .await;
        get(format!("{repo}/pulls/1/reviews"))
            .respond_with(ok_json(json!([])))
            .mount(server)
            .await;
        get(format!("{repo}/deployments"))
            .respond_with(ok_json(&self.deployments))
            .mount(server)
            .await;
        // Each deployment succeeds five minutes after it starts.
        for d in &self.deployments {
            let mut statuses = github_fixture("list-deployment-statuses.json");
            let started: chrono::DateTime<chrono::Utc> =
                d["created_at"].as_str().unwrap().parse().unwrap();
            statuses[0]["created_at"] =
                (started + chrono::Duration::minutes(5)).to_rfc3339().into();
            get(format!("{repo}/deployments/{}/statuses", d["id"]))
                .respond_with(ok_json(statuses))
                .mount(server)
                .await;
        }
        get(format!("{repo}/compare/{BASE_SHA}...{MERGE_SHA}"))
            .respond_with(ok_json(json!({"commits": [{"sha": MERGE_SHA}]})))
            .mount(server)
            .await;
        get(format!("{repo}/actions/runs"))
            .respond_with(ok_json(json!({"total_count": 0, "workflow_runs": []})))
            .mount(server)
            .await;
        for list in ["issues", "milestones"] {
            get(format!("{repo}/{list}"))
                .respond_with(ok_json(json!([])))
                .mount(server)
                .await;
        }
    }
}

/// ED-1, a postmortem follow-up with a status change, and ED-2, a plain task.
pub fn jira_issues() -> (Value, Value) {
    let published = &super::jira::fixture("search-issues-jql-enhanced.json")["issues"][0];
    let ed1 = issue(
        published,
        "ED-1",
        json!({
            "summary": "Alert on order flow errors",
            "issuetype": {"name": "Bug"},
            "status": status("In Progress", "indeterminate"),
            "created": "2024-05-01T09:00:00.000+0000",
            "labels": ["postmortem-action", "prevent"],
        }),
        vec![history(
            "20001",
            "2024-05-02T10:00:00.000+0000",
            "status",
            ("1", "To Do"),
            ("3", "In Progress"),
        )],
    );
    let ed2 = issue(
        published,
        "ED-2",
        json!({
            "summary": "Add a runbook",
            "issuetype": {"name": "Task"},
            "status": status("To Do", "new"),
            "created": "2024-05-03T09:00:00.000+0000",
            "labels": [],
        }),
        vec![history(
            "20002",
            "2024-05-04T10:00:00.000+0000",
            "status",
            ("10000", "Backlog"),
            ("1", "To Do"),
        )],
    );
    (ed1, ed2)
}

pub async fn serve_jira(server: &MockServer, issues: Vec<Value>) {
    server.reset().await;
    mount_fields(server).await;
    get("/rest/api/3/search/jql")
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(ok_json(enhanced_page(issues, None)))
        .mount(server)
        .await;
}

pub fn pd_fixture(name: &str) -> Value {
    super::fixture("pagerduty", name)
}

/// The published incident as incident `id`, created on `created`.
pub fn incident(id: &str, created: &str) -> Value {
    let mut i = pd_fixture("list-incidents.json")["incidents"][0].clone();
    i["id"] = id.into();
    i["created_at"] = created.into();
    i
}

/// The published trigger log entry of incident `id`, with an id of its own.
pub fn log_entries(id: &str, created: &str) -> Value {
    let mut body = pd_fixture("list-incident-log-entries.json");
    body["log_entries"][0]["id"] = format!("{id}-TRIGGER").into();
    body["log_entries"][0]["created_at"] = created.into();
    body
}

pub async fn serve_pagerduty(server: &MockServer, incidents: &[(&str, &str)]) {
    server.reset().await;
    get("/services")
        .respond_with(ok_json(pd_fixture("list-services.json")))
        .mount(server)
        .await;
    let mut list = pd_fixture("list-incidents.json");
    list["incidents"] = incidents.iter().map(|(id, at)| incident(id, at)).collect();
    list["more"] = false.into();
    list["limit"] = 100.into();
    get("/incidents")
        .and(query_param("offset", "0"))
        .respond_with(ok_json(list))
        .mount(server)
        .await;
    for (id, at) in incidents {
        get(format!("/incidents/{id}/log_entries"))
            .respond_with(ok_json(log_entries(id, at)))
            .mount(server)
            .await;
    }
}

pub const GITLAB_PROJECT: &str = "group%2Fapp";

/// The published pipeline as finished pipeline `id`, with the published jobs (both failed)
/// retried and passed, so that it has an attempt row and four jobs.
pub async fn serve_gitlab(server: &MockServer, pipelines: &[u64]) {
    server.reset().await;
    let project = format!("/api/v4/projects/{GITLAB_PROJECT}");
    for list in ["merge_requests", "deployments", "milestones"] {
        get(format!("{project}/{list}"))
            .respond_with(ok_json(json!([])))
            .mount(server)
            .await;
    }
    let published = &super::fixture("gitlab", "list-project-pipelines.json")[0];
    let listed: Vec<Value> = pipelines
        .iter()
        .map(|id| {
            let mut p = published.clone();
            p["id"] = (*id).into();
            p["status"] = "success".into();
            p
        })
        .collect();
    get(format!("{project}/pipelines"))
        .respond_with(ok_json(listed))
        .mount(server)
        .await;
    for id in pipelines {
        let mut jobs = super::fixture("gitlab", "list-pipeline-jobs.json");
        let failed = jobs.as_array().unwrap().clone();
        for (k, mut job) in failed.into_iter().enumerate() {
            jobs[k]["id"] = (id * 100 + k as u64).into();
            job["id"] = (id * 100 + 10 + k as u64).into();
            job["status"] = "success".into();
            job["failure_reason"] = Value::Null;
            jobs.as_array_mut().unwrap().push(job);
        }
        get(format!("{project}/pipelines/{id}/jobs"))
            .respond_with(ok_json(jobs))
            .mount(server)
            .await;
    }
}

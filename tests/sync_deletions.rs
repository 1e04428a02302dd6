//! Items deleted upstream: a pass that reads a resource whole (`--full`, or its first pass)
//! and completes removes the rows of its scope it no longer saw, with their dependants; an
//! incremental, failed, cancelled or resumed pass removes nothing, and neither imported rows
//! nor another source instance's rows are ever touched. Against local fake servers answering
//! with the providers' published example payloads.

mod common;

use common::upstream::{
    GithubUpstream, REPO, jira_issues, serve_gitlab, serve_jira, serve_pagerduty,
};
use common::{Run, assert_synced, count, get, memory_store, source_at, token_client};
use plumb::config::{SourceConfig, SourceKind};
use plumb::model::Origin;
use plumb::store::Store;
use plumb::store::write::{RowProvenance, Writer};
use plumb::sync::{CancelFlag, SourceSummary};
use rusqlite::types::Value as Sql;
use std::time::Duration;
use wiremock::{MockServer, ResponseTemplate};

const GITHUB_NOW: &str = "2012-08-01T00:00:00Z";

fn removed(summary: &SourceSummary, resource: &str) -> u64 {
    summary
        .resources
        .iter()
        .find(|r| r.resource == resource)
        .map_or_else(|| panic!("no resource {resource}"), |r| r.removed)
}

/// External ids of a table's rows of `source`, sorted.
fn ids(store: &Store, table: &str, source: &str) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(&format!(
            "SELECT external_id FROM {table} WHERE source = ?1 ORDER BY external_id"
        ))
        .unwrap();
    stmt.query_map([source], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A row imported by hand (`origin = 'manual'`) under the synced source's own name.
fn import(
    store: &Store,
    table: &'static str,
    source: &str,
    external_id: &str,
    row: &[(&'static str, Sql)],
) {
    let mut w = Writer::new(store.conn());
    let columns: Vec<&'static str> = row.iter().map(|(c, _)| *c).collect();
    let values: Vec<Sql> = row.iter().map(|(_, v)| v.clone()).collect();
    let shape = w.shape(table, &columns).unwrap();
    let provenance = RowProvenance {
        source,
        source_kind: "manual",
        external_id,
        url: None,
        synced_at: 0,
        origin: Origin::Manual,
    };
    w.upsert(shape, &values, &provenance).unwrap();
}

fn time(s: &str) -> Sql {
    Sql::Integer(common::at(s).timestamp())
}

// ---------------------------------------------------------------------------------------
// GitHub

fn github_source(server: &MockServer, name: &str) -> SourceConfig {
    let mut source = source_at(server, name, SourceKind::Github, "GH_TOKEN");
    source.repos = vec![REPO.into()];
    source
}

async fn github_sync(store: &mut Store, source: &SourceConfig, run: Run) -> SourceSummary {
    let client = token_client(source, "gh_test", Some(Duration::from_millis(1)));
    run.sync(store, source, &client).await
}

/// A store synced from the whole upstream, holding an imported deployment under the same
/// source name and another instance (`gh-mirror`) of the same repository.
async fn github_synced(server: &MockServer) -> Store {
    GithubUpstream::all().serve(server).await;
    let mut store = memory_store();
    for name in ["gh", "gh-mirror"] {
        let summary = github_sync(
            &mut store,
            &github_source(server, name),
            Run::at(GITHUB_NOW),
        )
        .await;
        assert_synced(&summary);
    }
    import(
        &store,
        "deployments",
        "gh",
        &format!("{REPO}/deployments/99"),
        &[
            ("service", Sql::Text("app".into())),
            ("environment", Sql::Text("staging".into())),
            ("status", Sql::Text("success".into())),
            ("started_at", time("2012-07-18T00:00:00Z")),
            ("finished_at", time("2012-07-18T00:10:00Z")),
        ],
    );
    assert_eq!(
        ids(&store, "deployment_changes", "gh"),
        [format!("{REPO}/deployments/11->{REPO}#1")],
        "deployment 11 ships PR 1"
    );
    store
}

#[tokio::test]
async fn a_full_github_sync_removes_a_deleted_deployment_and_pr_with_their_links() {
    let server = MockServer::start().await;
    let mut store = github_synced(&server).await;
    GithubUpstream::without_pull_2_and_deployment_11()
        .serve(&server)
        .await;

    let summary = github_sync(
        &mut store,
        &github_source(&server, "gh"),
        Run::at(GITHUB_NOW).full(true),
    )
    .await;
    assert_synced(&summary);
    assert_eq!(removed(&summary, &format!("{REPO}:pulls")), 1);
    assert_eq!(removed(&summary, &format!("{REPO}:deployments")), 1);
    assert!(
        summary.line().contains("2 rows removed"),
        "{}",
        summary.line()
    );

    assert_eq!(ids(&store, "changes", "gh"), [format!("{REPO}#1")]);
    assert_eq!(
        ids(&store, "deployments", "gh"),
        [
            format!("{REPO}/deployments/10"),
            format!("{REPO}/deployments/99")
        ],
        "the imported deployment stays"
    );
    assert!(
        ids(&store, "deployment_changes", "gh").is_empty(),
        "the removed deployment's link went with it"
    );
    assert_eq!(
        ids(&store, "deployments", "gh-mirror").len(),
        2,
        "another instance of the same repository keeps its rows"
    );
    assert_eq!(ids(&store, "changes", "gh-mirror").len(), 2);
    assert_eq!(ids(&store, "deployment_changes", "gh-mirror").len(), 1);
    assert_eq!(
        count(&store, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
}

#[tokio::test]
async fn an_incremental_github_sync_removes_nothing() {
    let server = MockServer::start().await;
    let mut store = github_synced(&server).await;
    GithubUpstream::without_pull_2_and_deployment_11()
        .serve(&server)
        .await;

    // Even reaching back over every item, an incremental pass cannot tell deleted from
    // unchanged.
    let summary = github_sync(
        &mut store,
        &github_source(&server, "gh"),
        Run::at("2012-08-02T00:00:00Z").since(Some("2012-07-01T00:00:00Z")),
    )
    .await;
    assert_synced(&summary);
    assert!(summary.resources.iter().all(|r| r.removed == 0));
    assert_eq!(ids(&store, "changes", "gh").len(), 2);
    assert_eq!(ids(&store, "deployments", "gh").len(), 3);
    assert_eq!(ids(&store, "deployment_changes", "gh").len(), 1);
}

#[tokio::test]
async fn a_failed_resource_removes_nothing_while_the_others_still_do() {
    let server = MockServer::start().await;
    let mut store = github_synced(&server).await;
    GithubUpstream::without_pull_2_and_deployment_11()
        .serve(&server)
        .await;
    get(format!("/repos/{REPO}/deployments/10/statuses"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;

    let summary = github_sync(
        &mut store,
        &github_source(&server, "gh"),
        Run::at(GITHUB_NOW).full(true),
    )
    .await;
    let failed: Vec<&str> = summary.errors().map(|(r, _)| r).collect();
    assert_eq!(
        failed,
        [
            format!("{REPO}:deployments"),
            format!("{REPO}:deployment_changes")
        ]
    );
    assert_eq!(
        ids(&store, "deployments", "gh").len(),
        3,
        "the failed pass removed no deployment"
    );
    assert_eq!(ids(&store, "deployment_changes", "gh").len(), 1);
    assert_eq!(
        ids(&store, "changes", "gh"),
        [format!("{REPO}#1")],
        "the pulls pass completed and removed PR 2"
    );
}

#[tokio::test]
async fn a_cancelled_full_sync_removes_nothing_and_its_resumed_pass_neither() {
    let server = MockServer::start().await;
    let mut store = github_synced(&server).await;
    // PR 2 is gone; PR 1 is on the first of two pages, the second is empty.
    let mut upstream = GithubUpstream::without_pull_2_and_deployment_11();
    upstream.paged_pulls = true;
    upstream.serve(&server).await;
    let source = github_source(&server, "gh");

    let cancel = CancelFlag::default();
    let stopped = Run::at(GITHUB_NOW).full(true).cancel(&cancel, true);
    let summary = github_sync(&mut store, &source, stopped).await;
    assert!(summary.cancelled);
    assert_eq!(
        ids(&store, "changes", "gh").len(),
        2,
        "a cancelled pass removes nothing"
    );

    // The next sync resumes the full pass at its second page: having not read the first,
    // it cannot tell what is gone.
    let summary = github_sync(&mut store, &source, Run::at(GITHUB_NOW)).await;
    assert_synced(&summary);
    let requests = server.received_requests().await.unwrap();
    let pages: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.url.path() == format!("/repos/{REPO}/pulls"))
        .map(|r| common::query(r, "page"))
        .collect();
    assert_eq!(
        pages.last(),
        Some(&Some("2".to_string())),
        "resumed at page 2: {pages:?}"
    );
    assert!(summary.resources.iter().all(|r| r.removed == 0));
    assert_eq!(ids(&store, "changes", "gh").len(), 2);
    assert_eq!(
        ids(&store, "deployments", "gh").len(),
        3,
        "a sync whose passes are incremental removes nothing"
    );
}

// ---------------------------------------------------------------------------------------
// Jira

const JIRA_NOW: &str = "2024-06-01T00:00:00Z";

async fn jira_sync(store: &mut Store, source: &SourceConfig, run: Run) -> SourceSummary {
    run.sync(store, source, &common::jira::client(source)).await
}

fn jira_source(server: &MockServer, name: &str) -> SourceConfig {
    let mut source = common::jira::source(server, vec![]);
    source.name = name.into();
    source
}

#[tokio::test]
async fn a_full_jira_sync_removes_a_deleted_issue_with_its_history_and_action_item() {
    let server = MockServer::start().await;
    let (ed1, ed2) = jira_issues();
    serve_jira(&server, vec![ed1, ed2.clone()]).await;
    let mut store = memory_store();
    for name in ["jira", "jira-eu"] {
        let summary = jira_sync(&mut store, &jira_source(&server, name), Run::at(JIRA_NOW)).await;
        assert_synced(&summary);
    }
    assert_eq!(ids(&store, "action_items", "jira"), ["ED-1"]);
    assert_eq!(ids(&store, "work_item_transitions", "jira").len(), 2);
    import(
        &store,
        "work_items",
        "jira",
        "ED-77",
        &[
            ("key", Sql::Text("ED-77".into())),
            ("item_type", Sql::Text("Task".into())),
            ("status", Sql::Text("To Do".into())),
            ("status_category", Sql::Text("todo".into())),
            ("created_at", time("2024-05-05T00:00:00Z")),
        ],
    );
    let source = jira_source(&server, "jira");

    serve_jira(&server, vec![ed2]).await;
    let incremental = Run::at("2024-06-02T00:00:00Z").since(Some("2024-04-01T00:00:00Z"));
    let incremental = jira_sync(&mut store, &source, incremental).await;
    assert_synced(&incremental);
    assert_eq!(removed(&incremental, "issues"), 0);
    assert_eq!(ids(&store, "work_items", "jira"), ["ED-1", "ED-2", "ED-77"]);

    let full = jira_sync(
        &mut store,
        &source,
        Run::at("2024-06-02T00:00:00Z").full(true),
    )
    .await;
    assert_synced(&full);
    assert_eq!(
        removed(&full, "issues"),
        2,
        "ED-1's work item and action item"
    );
    assert_eq!(
        ids(&store, "work_items", "jira"),
        ["ED-2", "ED-77"],
        "the imported issue stays"
    );
    assert_eq!(ids(&store, "work_item_transitions", "jira"), ["ED-2/20002"]);
    assert!(ids(&store, "action_items", "jira").is_empty());
    assert_eq!(ids(&store, "work_items", "jira-eu"), ["ED-1", "ED-2"]);
    assert_eq!(ids(&store, "action_items", "jira-eu"), ["ED-1"]);
}

// ---------------------------------------------------------------------------------------
// PagerDuty

const PD_NOW: &str = "2016-01-01T00:00:00Z";

async fn pd_sync(store: &mut Store, source: &SourceConfig, run: Run) -> SourceSummary {
    let client = token_client(source, "pd_test", Some(Duration::from_millis(1)));
    run.sync(store, source, &client).await
}

#[tokio::test]
async fn a_full_pagerduty_sync_removes_a_deleted_incident_with_its_events() {
    let server = MockServer::start().await;
    let both = [
        ("PT4KHLK", "2015-10-06T21:30:42Z"),
        ("PT5GONE", "2015-11-02T08:00:00Z"),
    ];
    serve_pagerduty(&server, &both).await;
    let mut store = memory_store();
    for name in ["pd", "pd-eu"] {
        let source = source_at(&server, name, SourceKind::Pagerduty, "PD_TOKEN");
        assert_synced(&pd_sync(&mut store, &source, Run::at(PD_NOW)).await);
    }
    import(
        &store,
        "incidents",
        "pd",
        "MANUAL-1",
        &[
            ("severity", Sql::Text("SEV3".into())),
            ("severity_original", Sql::Text("P3".into())),
            (
                "title",
                Sql::Text("Imported from the postmortem sheet".into()),
            ),
            ("created_at", time("2015-11-20T00:00:00Z")),
        ],
    );
    assert_eq!(
        ids(&store, "incident_events", "pd"),
        ["PT4KHLK-TRIGGER", "PT5GONE-TRIGGER"]
    );
    let source = source_at(&server, "pd", SourceKind::Pagerduty, "PD_TOKEN");

    serve_pagerduty(&server, &both[..1]).await;
    let incremental = Run::at("2016-01-02T00:00:00Z").since(Some("2015-09-01T00:00:00Z"));
    let incremental = pd_sync(&mut store, &source, incremental).await;
    assert_synced(&incremental);
    assert_eq!(
        ids(&store, "incidents", "pd").len(),
        3,
        "an incremental pass removes nothing"
    );

    // A full pass whose log entries fail half way removes nothing either.
    get("/incidents/PT4KHLK/log_entries")
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    let failed = pd_sync(
        &mut store,
        &source,
        Run::at("2016-01-02T00:00:00Z").full(true),
    )
    .await;
    assert!(failed.failed());
    assert_eq!(ids(&store, "incidents", "pd").len(), 3);

    serve_pagerduty(&server, &both[..1]).await;
    let full = pd_sync(
        &mut store,
        &source,
        Run::at("2016-01-02T00:00:00Z").full(true),
    )
    .await;
    assert_synced(&full);
    assert_eq!(removed(&full, "incidents"), 1);
    assert_eq!(removed(&full, "services"), 0);
    assert_eq!(ids(&store, "incidents", "pd"), ["MANUAL-1", "PT4KHLK"]);
    assert_eq!(ids(&store, "incident_events", "pd"), ["PT4KHLK-TRIGGER"]);
    assert_eq!(ids(&store, "incidents", "pd-eu"), ["PT4KHLK", "PT5GONE"]);
    assert_eq!(ids(&store, "incident_events", "pd-eu").len(), 2);
}

// ---------------------------------------------------------------------------------------
// GitLab

fn gitlab_source(server: &MockServer, name: &str) -> SourceConfig {
    let mut source = source_at(server, name, SourceKind::Gitlab, "GL_TOKEN");
    source.projects = vec!["group/app".into()];
    // Long enough to reach the 2016 example payloads.
    source.history = plumb::config::HumanDuration::from_days(365 * 20);
    source
}

#[tokio::test]
async fn a_full_gitlab_sync_removes_a_deleted_pipeline_with_its_attempts_and_jobs() {
    let server = MockServer::start().await;
    serve_gitlab(&server, &[47, 49]).await;
    let mut store = memory_store();
    let source = gitlab_source(&server, "gl");
    let client = token_client(&source, "gl_test", Some(Duration::from_millis(1)));
    assert_synced(
        &Run::at("2024-01-01T00:00:00Z")
            .sync(&mut store, &source, &client)
            .await,
    );
    assert_eq!(
        ids(&store, "pipeline_runs", "gl"),
        [
            "group/app/pipelines/47",
            "group/app/pipelines/47/attempts/1",
            "group/app/pipelines/49",
            "group/app/pipelines/49/attempts/1"
        ]
    );
    assert_eq!(ids(&store, "jobs", "gl").len(), 8);

    serve_gitlab(&server, &[49]).await;
    let full = Run::at("2024-01-02T00:00:00Z").full(true);
    let summary = full.sync(&mut store, &source, &client).await;
    assert_synced(&summary);
    assert_eq!(
        removed(&summary, "group/app:pipelines"),
        2,
        "pipeline 47 and its attempt row"
    );
    assert_eq!(
        ids(&store, "pipeline_runs", "gl"),
        [
            "group/app/pipelines/49",
            "group/app/pipelines/49/attempts/1"
        ]
    );
    let jobs = ids(&store, "jobs", "gl");
    assert_eq!(jobs.len(), 4, "{jobs:?}");
    assert!(
        jobs.iter().all(|j| j.starts_with("group/app/jobs/49")),
        "{jobs:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The command line

/// `plumb` on the database `p.db` of `home`, isolated from the user's own config and data.
fn plumb(home: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("plumb").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLUMB_DB", home.join("p.db"))
        .env("PLUMB_TEST_GH_TOKEN", "gh_test");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plumb_sync_full_prints_and_keeps_what_it_removed() {
    let server = MockServer::start().await;
    GithubUpstream::all().serve(&server).await;
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    // The published payloads are from 2012: the history reaches back to them.
    std::fs::write(
        &cfg,
        format!(
            "[[sources]]\nname = \"gh\"\nkind = \"github\"\nbase_url = \"{}\"\n\
             token_env = \"PLUMB_TEST_GH_TOKEN\"\nrepos = [\"{REPO}\"]\nhistory = \"7000d\"\n",
            server.uri()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    let sync = |args: &'static [&'static str]| {
        let mut cmd = plumb(home.path());
        cmd.args(["--config", cfg.as_str(), "sync"]).args(args);
        cmd
    };

    let first = tokio::task::block_in_place(|| sync(&[]).assert().success());
    let stderr = String::from_utf8_lossy(&first.get_output().stderr).into_owned();
    assert!(!stderr.contains("removed"), "{stderr}");

    GithubUpstream::without_pull_2_and_deployment_11()
        .serve(&server)
        .await;
    let full = tokio::task::block_in_place(|| sync(&["--full"]).assert().success());
    let stderr = String::from_utf8_lossy(&full.get_output().stderr).into_owned();
    for resource in ["pulls", "deployments"] {
        let line = format!("gh: {REPO}:{resource}: 1 row deleted upstream removed");
        assert!(stderr.contains(&line), "{stderr}");
    }
    assert!(
        stderr.contains(" rows written, 2 rows removed, "),
        "{stderr}"
    );

    let status = tokio::task::block_in_place(|| {
        plumb(home.path())
            .args(["--config", cfg.as_str(), "sync", "status"])
            .assert()
            .success()
    });
    let stdout = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    let line = |resource: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(resource))
            .unwrap_or_else(|| panic!("no {resource} in {stdout}"))
            .to_string()
    };
    assert!(
        stdout.lines().next().unwrap().contains("REMOVED"),
        "{stdout}"
    );
    assert!(
        line(&format!("{REPO}:pulls")).contains(" 1 (0s ago)"),
        "{stdout}"
    );
    assert!(
        line(&format!("{REPO}:milestones")).contains(" 0 (0s ago)"),
        "{stdout}"
    );
    assert!(
        line(&format!("{REPO}:deployment_changes")).contains(" - "),
        "a resource that never removes rows: {stdout}"
    );
}

//! Jira connector end to end against a local fake server answering with Atlassian's published
//! example payloads (tests/fixtures/api/jira), then the metrics the synced rows feed: the
//! actions report from postmortem action items and the retro prep from sprints.
//!
//! The published issue examples carry none of the fields a search asks for (summary, type,
//! status, created, ...); each test adds them to the published issue and says which.

mod common;

use common::jira::{
    client, enhanced_page, fixture, history, issue, mount_fields, search_requests, source, status,
    sync,
};
use common::{
    Run, assert_synced, at, count, get, memory_store, mount_status, ok_json, ok_text, only_error,
    resource_names, row,
};
use plumb::metrics::Versions;
use plumb::metrics::actions::{ActionParams, action_report};
use plumb::model::{ActionCategory, Filter, Ownership};
use plumb::store::Store;
use plumb::sync::CancelFlag;
use serde_json::{Value, json};
use wiremock::matchers::{header, query_param, query_param_is_missing};
use wiremock::{MockServer, ResponseTemplate};

/// ED-1, an open postmortem follow-up past its due date, and ED-2, a completed one; both keep
/// the published issue links (to PR-2 and PR-3).
fn postmortem_issues(published: &Value) -> (Value, Value) {
    let ed1 = issue(
        published,
        "ED-1",
        json!({
            "summary": "Alert on order flow errors, page mia@example.com",
            "issuetype": {"name": "Bug"},
            "status": status("In Progress", "indeterminate"),
            "created": "2024-05-01T09:00:00.000+0000",
            "duedate": "2024-05-20",
            "labels": ["postmortem-action", "prevent"],
            "components": [{"name": "checkout"}],
            "priority": {"name": "High"},
            "assignee": {"displayName": "Mia Krystof"},
            "customfield_10016": 3
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
            "summary": "Add a runbook for the order flow",
            "issuetype": {"name": "Task"},
            "status": status("Done", "done"),
            "resolution": {"name": "Done"},
            "created": "2024-05-03T09:00:00.000+0000",
            "resolutiondate": "2024-05-10T16:00:00.000+0000",
            "labels": ["postmortem-action", "detect"],
        }),
        vec![
            history(
                "20002",
                "2024-05-04T10:00:00.000+0000",
                "status",
                ("1", "To Do"),
                ("3", "In Progress"),
            ),
            history(
                "20003",
                "2024-05-10T16:00:00.000+0000",
                "status",
                ("3", "In Progress"),
                ("10001", "Done"),
            ),
        ],
    );
    (ed1, ed2)
}

/// A resolved incident from another source whose Jira ticket is PR-3 (the issue the published
/// example links to).
fn store_incident(store: &Store) -> i64 {
    store
        .conn()
        .execute(
            "INSERT INTO incidents (service, team, severity, severity_original, title, status,
                 created_at, resolved_at, source, source_kind, external_id, url, synced_at, origin)
             VALUES ('checkout', 'payments', 'SEV2', 'P2', 'Orders failing', 'resolved',
                 ?1, ?2, 'pd', 'pagerduty', 'Q1ORDERS', 'https://x.atlassian.net/browse/PR-3',
                 0, 'api')",
            [
                at("2024-04-30T08:00:00Z").timestamp(),
                at("2024-04-30T09:00:00Z").timestamp(),
            ],
        )
        .unwrap();
    store.conn().last_insert_rowid()
}

/// type, status, status category, points, category, team, started at, title
type ItemRow = (
    String,
    String,
    String,
    Option<f64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

#[tokio::test]
async fn search_jql_pages_give_work_items_and_action_items_for_the_actions_report() {
    let server = MockServer::start().await;
    mount_fields(&server).await;
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let (ed1, ed2) = postmortem_issues(published);
    get("/rest/api/3/search/jql")
        .and(query_param_is_missing("nextPageToken"))
        .and(header(
            "Authorization",
            "Basic bWVAZXhhbXBsZS5jb206amlyYV90ZXN0",
        ))
        .respond_with(ok_json(enhanced_page(vec![ed1], Some("CAEaAggD"))))
        .mount(&server)
        .await;
    get("/rest/api/3/search/jql")
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ok_json(enhanced_page(vec![ed2], None)))
        .mount(&server)
        .await;
    let source = source(&server, vec![]);
    let mut ownership = Ownership::default();
    ownership
        .service_team
        .insert("checkout".into(), "payments".into());
    let mut store = memory_store();
    let incident = store_incident(&store);
    let now = "2024-06-01T00:00:00Z";
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        Some("2024-05-01T00:00:00Z"),
        now,
    )
    .await;
    assert_synced(&summary);
    assert_eq!(resource_names(&summary), ["issues", "versions"]);

    let requests = server.received_requests().await.unwrap();
    let searches = search_requests(&requests, "/rest/api/3/search/jql");
    assert_eq!(searches.len(), 2, "two pages");
    assert_eq!(
        searches[0]["jql"],
        "(project in (ED, HSP)) AND updated >= \"2024/04/30 12:00\" ORDER BY updated ASC, key ASC",
        "the lower bound, 12 h earlier for the profile's time zone"
    );
    assert_eq!(searches[0]["expand"], "changelog");
    assert!(searches[0]["fields"].contains("customfield_10016,customfield_10020"));
    assert_eq!(searches[1]["jql"], searches[0]["jql"]);

    let item: ItemRow = row(
        store.conn(),
        "SELECT item_type, status, status_category, points, category, team, started_at, title
             FROM work_items WHERE key = 'ED-1'",
    );
    assert_eq!(
        item,
        (
            "Bug".into(),
            "In Progress".into(),
            "in_progress".into(),
            Some(3.0),
            Some("reliability".into()),
            Some("payments".into()),
            Some(at("2024-05-02T10:00:00Z").timestamp()),
            Some("Alert on order flow errors, page [email]".into()),
        )
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM work_item_transitions"),
        3
    );

    let actions = store.action_items(&Filter::default()).unwrap();
    assert_eq!(actions.len(), 2);
    let (open, done) = (&actions[0], &actions[1]);
    assert_eq!(open.ticket_key.as_deref(), Some("ED-1"));
    assert_eq!(
        open.incident_id,
        Some(incident),
        "linked to PR-3's incident"
    );
    assert_eq!(open.owner, Some(common::privacy(7).person("Mia Krystof")));
    assert_eq!(open.team.as_deref(), Some("payments"));
    assert_eq!(open.due_at, Some(at("2024-05-21T00:00:00Z")));
    assert_eq!(open.category, ActionCategory::parse("prevent"));
    assert_eq!(done.completed_at, Some(at("2024-05-10T16:00:00Z")));
    assert_eq!(done.category, ActionCategory::parse("detect"));

    let incidents = store.incidents(&Filter::default(), 0).unwrap();
    let report = action_report(
        &actions,
        &incidents,
        &[],
        0.0,
        at(now),
        &ActionParams::default(),
        &Versions::default(),
    );
    assert_eq!((report.total, report.open, report.done), (2, 1, 1));
    assert_eq!(report.overdue_ids, vec![open.id], "due May 20, now June 1");
    assert_eq!(report.completion_rate, Some(0.5));
    assert!(
        report.incidents_without_prevent_or_mitigate.is_empty(),
        "the incident has a prevent item"
    );
}

/// The published `startAt` search page holding one issue of `total`.
fn legacy_page(issue: Value, start_at: u64, total: u64) -> Value {
    let mut page = fixture("search-issues-jql-legacy.json");
    page["issues"] = json!([issue]);
    page["startAt"] = start_at.into();
    page["maxResults"] = 1.into();
    page["total"] = total.into();
    page
}

#[tokio::test]
async fn the_startat_search_serves_when_search_jql_is_missing_and_long_changelogs_are_paged() {
    // No field list and no `/search/jql` mounted: both answer 404, as on Jira Data Center.
    let server = MockServer::start().await;
    let published = &fixture("search-issues-jql-legacy.json")["issues"][0];
    let (mut ed1, ed2) = postmortem_issues(published);
    // ED-1's embedded changelog holds 1 of its 5 histories; the changelog endpoint has all:
    // the published page (startAt 2, isLast false) in the middle, with status changes.
    let five: Vec<Value> = (0..5)
        .map(|i| {
            history(
                &format!("3000{i}"),
                &format!("2024-05-0{}T10:00:00.000+0000", i + 2),
                "status",
                ("1", "To Do"),
                ("3", "In Progress"),
            )
        })
        .collect();
    ed1["changelog"] =
        json!({"startAt": 0, "maxResults": 1, "total": 5, "histories": [five[0].clone()]});
    let mut middle = fixture("get-issue-changelog.json");
    middle["values"] = json!([five[2].clone(), five[3].clone()]);
    let pages = [
        (
            "0",
            json!({"startAt": 0, "maxResults": 2, "total": 5, "isLast": false,
                     "values": [five[0].clone(), five[1].clone()]}),
        ),
        ("2", middle),
        (
            "4",
            json!({"startAt": 4, "maxResults": 2, "total": 5, "isLast": true,
                     "values": [five[4].clone()]}),
        ),
    ];
    for (start, body) in pages {
        get("/rest/api/3/issue/ED-1/changelog")
            .and(query_param("startAt", start))
            .respond_with(ok_json(body))
            .mount(&server)
            .await;
    }
    for (start, issue) in [("0", ed1), ("1", ed2)] {
        let page = legacy_page(issue, start.parse().unwrap(), 2);
        get("/rest/api/3/search")
            .and(query_param("startAt", start))
            .respond_with(ok_json(page))
            .mount(&server)
            .await;
    }
    let source = source(&server, vec![]);
    let mut store = memory_store();
    let summary = sync(
        &mut store,
        &source,
        &Ownership::default(),
        Some("2024-05-01T00:00:00Z"),
        "2024-06-01T00:00:00Z",
    )
    .await;
    assert_synced(&summary);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        search_requests(&requests, "/rest/api/3/search/jql").len(),
        1
    );
    let legacy = search_requests(&requests, "/rest/api/3/search");
    let starts: Vec<&str> = legacy.iter().map(|q| q["startAt"].as_str()).collect();
    assert_eq!(starts, ["0", "1"]);
    assert!(
        !legacy[0]["fields"].contains("customfield"),
        "no field list, no custom fields"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM work_items"), 2);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM work_items WHERE points IS NOT NULL"
        ),
        0
    );
    let ed1_transitions = count(
        &store,
        "SELECT count(*) FROM work_item_transitions t JOIN work_items w ON w.id = t.work_item_id
         WHERE w.key = 'ED-1'",
    );
    assert_eq!(ed1_transitions, 5, "the whole changelog, none doubled");
}

#[tokio::test]
async fn malformed_json_keeps_the_earlier_page_and_the_next_sync_resumes_there() {
    let server = MockServer::start().await;
    mount_fields(&server).await;
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let (ed1, ed2) = postmortem_issues(published);
    get("/rest/api/3/search/jql")
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(enhanced_page(vec![ed1.clone()], Some("CAEaAggD"))),
        )
        .mount(&server)
        .await;
    let truncated = serde_json::to_string(&enhanced_page(vec![ed2.clone()], None)).unwrap();
    get("/rest/api/3/search/jql")
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ok_text(&truncated[..truncated.len() / 2]))
        .mount(&server)
        .await;
    let source = source(&server, vec![]);
    let mut store = memory_store();
    let ownership = Ownership::default();
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        None,
        "2024-06-01T00:00:00Z",
    )
    .await;
    let (resource, error) = summary.errors().next().expect("the issues resource failed");
    assert_eq!(resource, "issues");
    assert!(
        error.contains("GET /rest/api/3/search/jql?") && error.contains("nextPageToken=CAEaAggD"),
        "{error}"
    );
    assert!(error.contains("`jira`"), "{error}");
    assert_eq!(
        count(&store, "SELECT count(*) FROM work_items"),
        1,
        "page 1 kept"
    );

    server.reset().await;
    mount_fields(&server).await;
    get("/rest/api/3/search/jql")
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ok_json(enhanced_page(vec![ed2], None)))
        .mount(&server)
        .await;
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        None,
        "2024-06-01T01:00:00Z",
    )
    .await;
    assert_synced(&summary);
    let requests = server.received_requests().await.unwrap();
    let searches = search_requests(&requests, "/rest/api/3/search/jql");
    assert_eq!(
        searches.len(),
        1,
        "resumed at page 2, page 1 not read again"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM work_items"), 2);
    assert_eq!(
        count(&store, "SELECT count(*) FROM work_item_transitions"),
        3
    );
    assert_eq!(count(&store, "SELECT count(*) FROM action_items"), 2);
}

#[tokio::test]
async fn a_rejected_token_names_the_source_and_its_variable() {
    let server = MockServer::start().await;
    mount_status(&server, 401).await;
    let source = source(&server, vec![5]);
    let mut store = memory_store();
    let summary = sync(
        &mut store,
        &source,
        &Ownership::default(),
        None,
        "2024-06-01T00:00:00Z",
    )
    .await;
    let (resource, message) = only_error(&summary, "a rejected token skips the other resources");
    assert_eq!(resource, "sprints:5");
    assert!(
        message.contains("`jira`") && message.contains("JIRA_TOKEN"),
        "{message}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

async fn mount_two_pages(server: &MockServer) {
    mount_fields(server).await;
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let (ed1, ed2) = postmortem_issues(published);
    get("/rest/api/3/search/jql")
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(ok_json(enhanced_page(vec![ed1], Some("CAEaAggD"))))
        .mount(server)
        .await;
    get("/rest/api/3/search/jql")
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ok_json(enhanced_page(vec![ed2], None)))
        .mount(server)
        .await;
}

/// Every synced row of the Jira tables, without store ids and sync times.
fn rows(store: &Store) -> Vec<String> {
    let queries = [
        "SELECT key || status || coalesce(points, '') || coalesce(started_at, '') FROM work_items",
        "SELECT external_id || at || to_status FROM work_item_transitions",
        "SELECT external_id || status || coalesce(due_at, '') FROM action_items",
    ];
    let mut out: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            store
                .conn()
                .prepare(q)
                .unwrap()
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_sync_stopped_after_a_page_resumes_to_the_same_rows_as_an_uninterrupted_one() {
    let server = MockServer::start().await;
    mount_two_pages(&server).await;
    let source = source(&server, vec![]);
    let ownership = Ownership::default();
    let mut whole = memory_store();
    let summary = sync(
        &mut whole,
        &source,
        &ownership,
        None,
        "2024-06-01T00:00:00Z",
    )
    .await;
    assert_synced(&summary);

    let mut stopped = memory_store();
    let run = Run::at("2024-06-01T00:00:00Z")
        .owned_by(ownership.clone())
        .cancel(&CancelFlag::default(), true);
    let summary = run.sync(&mut stopped, &source, &client(&source)).await;
    assert!(
        summary.cancelled && !summary.failed(),
        "{:?}",
        summary.resources
    );
    assert_eq!(count(&stopped, "SELECT count(*) FROM work_items"), 1);

    let summary = sync(
        &mut stopped,
        &source,
        &ownership,
        None,
        "2024-06-01T00:05:00Z",
    )
    .await;
    assert_synced(&summary);
    assert_eq!(rows(&stopped), rows(&whole));
    assert_eq!(rows(&whole).len(), 2 + 3 + 2);
}

//! Jira connector end to end against a local fake server answering with Atlassian's published
//! example payloads (tests/fixtures/api/jira), then the metrics the synced rows feed: the
//! actions report from postmortem action items and the retro prep from sprints.
//!
//! The published issue examples carry none of the fields a search asks for (summary, type,
//! status, created, ...); each test adds them to the published issue and says which.

use plumb::config::{PrivacyConfig, Secret, SourceConfig, SourceKind};
use plumb::metrics::Versions;
use plumb::metrics::actions::{ActionParams, action_report};
use plumb::metrics::retro::{RetroParams, retro_prep};
use plumb::model::{ActionCategory, Filter, Ownership, Timestamp};
use plumb::privacy::Privacy;
use plumb::sources::auth::Auth;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary, SyncEnv, SyncOptions, sync_source};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/api/jira/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn source(server: &MockServer, boards: Vec<u64>) -> SourceConfig {
    let mut source = SourceConfig::new("jira", SourceKind::Jira);
    source.base_url = Some(server.uri());
    source.token_env = Some("JIRA_TOKEN".into());
    source.email_env = Some("JIRA_EMAIL".into());
    source.jql = Some("project in (ED, HSP) ORDER BY rank".into());
    source.boards = boards;
    source
}

fn client(source: &SourceConfig) -> HttpClient {
    let auth = Auth::Basic {
        user: "me@example.com".into(),
        token: Secret::new("jira_test"),
    };
    HttpClient::with_auth(source, auth, HttpPolicy::for_source(source)).unwrap()
}

fn privacy() -> Privacy {
    Privacy::with_key(vec![7; 32], &PrivacyConfig::default())
}

async fn sync(
    store: &mut Store,
    source: &SourceConfig,
    ownership: &Ownership,
    since: Option<&str>,
    now: &str,
) -> SourceSummary {
    let options = SyncOptions {
        full: false,
        since: since.map(at),
        now: at(now),
    };
    sync_with(store, source, ownership, &options).await
}

async fn sync_with(
    store: &mut Store,
    source: &SourceConfig,
    ownership: &Ownership,
    options: &SyncOptions,
) -> SourceSummary {
    let client = client(source);
    let privacy = privacy();
    let cancel = CancelFlag::default();
    let env = SyncEnv {
        ownership,
        privacy: &privacy,
        options,
        cancel: &cancel,
    };
    sync_source(store, source, &client, env, &mut |_| {}).await
}

/// The published field list plus the custom fields a Jira Software site adds (the example
/// lists only two system fields).
fn fields() -> Value {
    let mut list = fixture("get-fields.json");
    let added = [
        json!({"custom": true, "id": "customfield_10016", "name": "Story Points",
               "schema": {"type": "number"}}),
        json!({"custom": true, "id": "customfield_10020", "name": "Sprint",
               "schema": {"type": "array", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}}),
    ];
    list.as_array_mut().unwrap().extend(added);
    list
}

async fn mount_fields(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/api/3/field"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fields()))
        .mount(server)
        .await;
}

/// A published issue with `fields` added (or replaced) and its changelog set.
fn issue(published: &Value, key: &str, fields: Value, histories: Vec<Value>) -> Value {
    let mut issue = published.clone();
    issue["key"] = key.into();
    let target = issue["fields"].as_object_mut().unwrap();
    for (k, v) in fields.as_object().unwrap() {
        target.insert(k.clone(), v.clone());
    }
    issue["changelog"] = json!({
        "startAt": 0, "maxResults": 100, "total": histories.len(), "histories": histories
    });
    issue
}

/// A history of the published changelog example (author kept) turned into one change of
/// `field` at `created` (the example's two histories change labels in 1970).
fn history(id: &str, created: &str, field: &str, from: (&str, &str), to: (&str, &str)) -> Value {
    let mut h = fixture("get-issue-changelog.json")["values"][0].clone();
    h["id"] = id.into();
    h["created"] = created.into();
    h["items"] = json!([{
        "field": field, "fieldtype": "jira", "fieldId": field.to_lowercase(),
        "from": from.0, "fromString": from.1, "to": to.0, "toString": to.1
    }]);
    h
}

fn status(name: &str, category: &str) -> Value {
    json!({"name": name, "statusCategory": {"key": category}})
}

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

/// The published `/search/jql` page holding `issues`, then `nextPageToken` unless last.
fn enhanced_page(issues: Vec<Value>, token: Option<&str>) -> Value {
    let mut page = fixture("search-issues-jql-enhanced.json");
    page["issues"] = Value::Array(issues);
    if let Some(token) = token {
        page["isLast"] = false.into();
        page["nextPageToken"] = token.into();
    }
    page
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
/// key, sprint id, team, points
type SprintItemRow = (String, Option<i64>, Option<String>, Option<f64>);

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn search_requests(
    requests: &[Request],
    path_is: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    requests
        .iter()
        .filter(|r| r.url.path() == path_is)
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect()
}

#[tokio::test]
async fn search_jql_pages_give_work_items_and_action_items_for_the_actions_report() {
    let server = MockServer::start().await;
    mount_fields(&server).await;
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let (ed1, ed2) = postmortem_issues(published);
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param_is_missing("nextPageToken"))
        .and(header(
            "Authorization",
            "Basic bWVAZXhhbXBsZS5jb206amlyYV90ZXN0",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(enhanced_page(vec![ed1], Some("CAEaAggD"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(enhanced_page(vec![ed2], None)))
        .mount(&server)
        .await;
    let source = source(&server, vec![]);
    let mut ownership = Ownership::default();
    ownership
        .service_team
        .insert("checkout".into(), "payments".into());
    let mut store = Store::open_in_memory().unwrap();
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
    assert!(!summary.failed(), "{:?}", summary.resources);
    assert_eq!(
        summary
            .resources
            .iter()
            .map(|r| r.resource.as_str())
            .collect::<Vec<_>>(),
        ["issues", "versions"]
    );

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

    let item: ItemRow = store
        .conn()
        .query_row(
            "SELECT item_type, status, status_category, points, category, team, started_at, title
             FROM work_items WHERE key = 'ED-1'",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .unwrap();
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
    assert_eq!(open.owner, Some(privacy().person("Mia Krystof")));
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
        Mock::given(method("GET"))
            .and(path("/rest/api/3/issue/ED-1/changelog"))
            .and(query_param("startAt", start))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    for (start, issue) in [("0", ed1), ("1", ed2)] {
        let page = legacy_page(issue, start.parse().unwrap(), 2);
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search"))
            .and(query_param("startAt", start))
            .respond_with(ResponseTemplate::new(200).set_body_json(page))
            .mount(&server)
            .await;
    }
    let source = source(&server, vec![]);
    let mut store = Store::open_in_memory().unwrap();
    let summary = sync(
        &mut store,
        &source,
        &Ownership::default(),
        Some("2024-05-01T00:00:00Z"),
        "2024-06-01T00:00:00Z",
    )
    .await;
    assert!(!summary.failed(), "{:?}", summary.resources);

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
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(enhanced_page(vec![ed1.clone()], Some("CAEaAggD"))),
        )
        .mount(&server)
        .await;
    let truncated = serde_json::to_string(&enhanced_page(vec![ed2.clone()], None)).unwrap();
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ResponseTemplate::new(200).set_body_string(&truncated[..truncated.len() / 2]))
        .mount(&server)
        .await;
    let source = source(&server, vec![]);
    let mut store = Store::open_in_memory().unwrap();
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
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(enhanced_page(vec![ed2], None)))
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
    assert!(!summary.failed(), "{:?}", summary.resources);
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
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let source = source(&server, vec![5]);
    let mut store = Store::open_in_memory().unwrap();
    let summary = sync(
        &mut store,
        &source,
        &Ownership::default(),
        None,
        "2024-06-01T00:00:00Z",
    )
    .await;
    let errors: Vec<(&str, &str)> = summary.errors().collect();
    assert_eq!(
        errors.len(),
        1,
        "a rejected token skips the other resources: {errors:?}"
    );
    assert_eq!(errors[0].0, "sprints:5");
    assert!(
        errors[0].1.contains("`jira`") && errors[0].1.contains("JIRA_TOKEN"),
        "{}",
        errors[0].1
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Fields of the HSP issues, the same whichever endpoint serves them.
fn hsp_fields(key: &str) -> Value {
    let version = fixture("project-versions-paginated.json")["values"][0].clone();
    match key {
        // In sprint 37 from creation, still to do at the close.
        "HSP-2" => json!({
            "summary": "Retry card captures", "issuetype": {"name": "Story"},
            "status": status("To Do", "new"), "created": "2015-04-09T00:00:00.000+0000",
            "labels": [], "customfield_10016": 3
        }),
        // Created before sprint 37, added on April 12 (after its start), done on April 18.
        "HSP-1" => json!({
            "summary": "Example bug report", "issuetype": {"name": "Bug"},
            "status": status("Done", "done"), "created": "2015-04-10T00:00:00.000+0000",
            "resolutiondate": "2015-04-18T12:00:00.000+0000", "labels": [],
            "customfield_10016": 5, "fixVersions": [version]
        }),
        // In the active sprint 80.
        _ => json!({
            "summary": "Show capture status", "issuetype": {"name": "Story"},
            "status": status("In Progress", "indeterminate"),
            "created": "2015-05-26T00:00:00.000+0000", "labels": ["checkout"]
        }),
    }
}

/// The published sprint-issue page with HSP-1 and HSP-2 (the published HSP-1 plus fields).
fn sprint_37_issues() -> Value {
    let mut page = fixture("board-sprint-get-issues.json");
    let published = page["issues"][0].clone();
    let mut hsp2 = issue(&published, "HSP-2", hsp_fields("HSP-2"), vec![]);
    let mut hsp1 = issue(&published, "HSP-1", hsp_fields("HSP-1"), vec![]);
    for i in [&mut hsp1, &mut hsp2] {
        i.as_object_mut().unwrap().remove("changelog");
    }
    page["issues"] = json!([hsp1, hsp2]);
    page["total"] = 2.into();
    page
}

/// The published single issue of `GET /sprint/{id}/issue` (its example is one issue, not a
/// page) wrapped in a page, as HSP-3 of the active sprint 80.
fn sprint_80_issues() -> Value {
    let mut hsp3 = issue(
        &fixture("sprint-get-issues.json"),
        "HSP-3",
        hsp_fields("HSP-3"),
        vec![],
    );
    hsp3.as_object_mut().unwrap().remove("changelog");
    hsp3["fields"]["sprint"] = json!({"id": 80, "state": "active", "name": "sprint 3"});
    hsp3["fields"]["closedSprints"] = json!([]);
    json!({"startAt": 0, "maxResults": 50, "total": 1, "issues": [hsp3]})
}

/// The HSP issues as the search returns them: the sprint field and, for HSP-1, the changelog
/// entry that added it to sprint 37.
fn hsp_search_page() -> Value {
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let sprint_37 = json!([{"id": 37, "state": "closed", "name": "sprint 1",
        "startDate": "2015-04-11T15:22:00.000+10:00", "endDate": "2015-04-20T01:22:00.000+10:00",
        "completeDate": "2015-04-20T11:04:00.000+10:00"}]);
    let with_sprint = |key: &str, sprints: &Value| {
        let mut f = hsp_fields(key);
        f["customfield_10020"] = sprints.clone();
        f
    };
    let added = history(
        "40001",
        "2015-04-12T00:00:00.000+0000",
        "Sprint",
        ("", ""),
        ("37", "sprint 1"),
    );
    let issues = vec![
        issue(
            published,
            "HSP-1",
            with_sprint("HSP-1", &sprint_37),
            vec![added],
        ),
        issue(published, "HSP-2", with_sprint("HSP-2", &sprint_37), vec![]),
        issue(
            published,
            "HSP-3",
            with_sprint("HSP-3", &json!([{"id": 80, "state": "active"}])),
            vec![],
        ),
    ];
    enhanced_page(issues, None)
}

async fn mount_board(server: &MockServer) {
    let mut last = fixture("board-list-sprints.json");
    // The published page starts at 1 with 2 of 5 sprints; the page after it (startAt 3) is
    // derived: the last one, with the active sprint 80.
    last["startAt"] = 3.into();
    last["isLast"] = true.into();
    last["values"] = json!([{"id": 80, "self": "https://your-domain.atlassian.net/rest/agile/1.0/sprint/80",
        "state": "active", "name": "sprint 3", "startDate": "2015-05-25T09:00:00.000+10:00",
        "endDate": "2015-06-08T09:00:00.000+10:00", "originBoardId": 5, "goal": ""}]);
    let mocks = [
        (
            "/rest/agile/1.0/board/5/sprint",
            Some("0"),
            fixture("board-list-sprints.json"),
        ),
        ("/rest/agile/1.0/board/5/sprint", Some("3"), last),
        (
            "/rest/agile/1.0/board/5/sprint/37/issue",
            None,
            sprint_37_issues(),
        ),
        // Sprint 80 is not on the board's own list (answered 404): its own list serves.
        ("/rest/agile/1.0/sprint/80/issue", None, sprint_80_issues()),
        ("/rest/api/3/search/jql", None, hsp_search_page()),
    ];
    for (p, start, body) in mocks {
        let mut mock = Mock::given(method("GET")).and(path(p));
        if let Some(start) = start {
            mock = mock.and(query_param("startAt", start));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
    let versions = fixture("project-versions-paginated.json");
    let mut end = versions.clone();
    // The published first page says 2 of 7; the derived next page ends the list.
    end["startAt"] = 2.into();
    end["isLast"] = true.into();
    end["values"] = json!([]);
    for (start, body) in [("0", versions), ("2", end)] {
        Mock::given(method("GET"))
            .and(path("/rest/api/3/project/HSP/version"))
            .and(query_param("startAt", start))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn board_sprints_issues_and_versions_feed_the_retro_and_a_resync_writes_nothing() {
    let server = MockServer::start().await;
    mount_fields(&server).await;
    mount_board(&server).await;
    let source = source(&server, vec![5]);
    let mut ownership = Ownership::default();
    ownership.board_team.insert("5".into(), "payments".into());
    let mut store = Store::open_in_memory().unwrap();
    let first_now = "2015-06-01T00:00:00Z";
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        Some("2015-01-01T00:00:00Z"),
        first_now,
    )
    .await;
    assert!(!summary.failed(), "{:?}", summary.resources);
    assert_eq!(
        summary
            .resources
            .iter()
            .map(|r| r.resource.as_str())
            .collect::<Vec<_>>(),
        ["sprints:5", "issues", "versions"]
    );
    // Field lists (2), sprint pages (2), sprint 37's issues, sprint 80's (404 on the board's
    // view, then its own), one search page, two version pages.
    assert_eq!(summary.http.requests, 10);
    let requests = server.received_requests().await.unwrap();
    let starts: Vec<String> = search_requests(&requests, "/rest/agile/1.0/board/5/sprint")
        .into_iter()
        .map(|q| q["startAt"].clone())
        .collect();
    assert_eq!(
        starts,
        ["0", "3"],
        "the next page follows the published startAt"
    );

    let sprints = store.sprints(None).unwrap();
    let names: Vec<(&str, &str, Option<&str>)> = sprints
        .iter()
        .map(|s| (s.name.as_str(), s.state.as_str(), s.team.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("sprint 1", "closed", Some("payments")),
            ("sprint 3", "active", Some("payments"))
        ],
        "the future sprint without dates is not stored"
    );
    let sprint_37 = &sprints[0];
    assert_eq!(sprint_37.start_at, at("2015-04-11T05:22:00Z"));
    assert_eq!(sprint_37.goal.as_deref(), Some("sprint 1 goal"));

    let items: Vec<SprintItemRow> = store
        .conn()
        .prepare("SELECT key, sprint_id, team, points FROM work_items ORDER BY key")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        items,
        [
            (
                "HSP-1".into(),
                Some(sprint_37.id),
                Some("payments".into()),
                Some(5.0)
            ),
            (
                "HSP-2".into(),
                Some(sprint_37.id),
                Some("payments".into()),
                Some(3.0)
            ),
            (
                "HSP-3".into(),
                Some(sprints[1].id),
                Some("payments".into()),
                None
            ),
        ]
    );

    let retro = retro_prep(
        &store.retro_inputs(sprint_37.id).unwrap(),
        at(first_now),
        &RetroParams::default(),
        &Versions::default(),
    )
    .unwrap();
    let keys = |b: &plumb::metrics::retro::Bucket| {
        b.items.iter().map(|i| i.key.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&retro.committed),
        ["HSP-2"],
        "in the sprint from its start"
    );
    assert_eq!(keys(&retro.added), ["HSP-1"], "added on April 12");
    assert_eq!(keys(&retro.completed), ["HSP-1"]);
    assert_eq!(keys(&retro.carried_over), ["HSP-2"]);

    let milestones: Vec<(String, String, Option<i64>, Option<i64>)> = store
        .conn()
        .prepare("SELECT name, status, due_at, completed_at FROM milestones ORDER BY external_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        milestones,
        [
            (
                "New Version 1".into(),
                "done".into(),
                Some(at("2010-07-07T00:00:00Z").timestamp()),
                Some(at("2010-07-06T00:00:00Z").timestamp())
            ),
            ("Next Version".into(), "open".into(), None, None),
        ]
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM work_items w JOIN milestones m ON m.id = w.milestone_id
             WHERE w.key = 'HSP-1' AND m.external_id = 'version-10000'"
        ),
        1,
        "the fix version links the item to its milestone"
    );

    // Nothing changed upstream: the second sync reads again and writes no row.
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        None,
        "2015-06-02T00:00:00Z",
    )
    .await;
    assert!(!summary.failed(), "{:?}", summary.resources);
    for r in &summary.resources {
        assert_eq!(r.written, 0, "{} wrote rows", r.resource);
    }
    assert_eq!(
        summary.http.requests, 9,
        "all but the closed sprint's issues"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        search_requests(&requests, "/rest/agile/1.0/board/5/sprint/37/issue").len(),
        1,
        "the closed sprint's issues are not read again"
    );
    let searches = search_requests(&requests, "/rest/api/3/search/jql");
    assert!(
        searches[1]["jql"].contains("updated >= \"2015/05/31 11:50\""),
        "from the first pass's start, less the skew and time-zone margins: {}",
        searches[1]["jql"]
    );

    // `--full` re-reads everything, the closed sprint's issues too, and still writes nothing.
    let options = SyncOptions {
        full: true,
        since: None,
        now: at("2015-06-03T00:00:00Z"),
    };
    let summary = sync_with(&mut store, &source, &ownership, &options).await;
    assert!(!summary.failed(), "{:?}", summary.resources);
    assert_eq!(summary.written(), 0);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        search_requests(&requests, "/rest/agile/1.0/board/5/sprint/37/issue").len(),
        2
    );
    let searches = search_requests(&requests, "/rest/api/3/search/jql");
    assert!(
        searches[2]["jql"].contains("updated >= \"2014/06/02 12:00\""),
        "the full history (365 days): {}",
        searches[2]["jql"]
    );
}

async fn mount_two_pages(server: &MockServer) {
    mount_fields(server).await;
    let published = &fixture("search-issues-jql-enhanced.json")["issues"][0];
    let (ed1, ed2) = postmortem_issues(published);
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(enhanced_page(vec![ed1], Some("CAEaAggD"))),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/search/jql"))
        .and(query_param("nextPageToken", "CAEaAggD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(enhanced_page(vec![ed2], None)))
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
    let mut whole = Store::open_in_memory().unwrap();
    let summary = sync(
        &mut whole,
        &source,
        &ownership,
        None,
        "2024-06-01T00:00:00Z",
    )
    .await;
    assert!(!summary.failed(), "{:?}", summary.resources);

    let mut stopped = Store::open_in_memory().unwrap();
    let client = client(&source);
    let privacy = privacy();
    let options = SyncOptions {
        full: false,
        since: None,
        now: at("2024-06-01T00:00:00Z"),
    };
    let cancel = CancelFlag::default();
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel: &cancel,
    };
    let stop = cancel.clone();
    let summary = sync_source(&mut stopped, &source, &client, env, &mut |_| stop.cancel()).await;
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
    assert!(!summary.failed(), "{:?}", summary.resources);
    assert_eq!(rows(&stopped), rows(&whole));
    assert_eq!(rows(&whole).len(), 2 + 3 + 2);
}

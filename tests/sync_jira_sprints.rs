//! Jira boards end to end: sprints per board, their issues and the project versions, against a
//! local fake server answering with Atlassian's published examples (tests/fixtures/api/jira),
//! then the retro prep the synced sprint feeds.

mod common;

use common::jira::{
    client, enhanced_page, fixture, history, issue, mount_fields, search_requests, source, status,
    sync,
};
use common::{Run, all, assert_synced, at, count, get, memory_store, ok_json, resource_names};
use plumb::metrics::Versions;
use plumb::metrics::retro::{RetroParams, retro_prep};
use plumb::model::Ownership;
use serde_json::{Value, json};
use wiremock::MockServer;
use wiremock::matchers::query_param;

/// key, sprint id, team, points
type SprintItemRow = (String, Option<i64>, Option<String>, Option<f64>);

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
        let mut mock = get(p);
        if let Some(start) = start {
            mock = mock.and(query_param("startAt", start));
        }
        mock.respond_with(ok_json(body)).mount(server).await;
    }
    let versions = fixture("project-versions-paginated.json");
    let mut end = versions.clone();
    // The published first page says 2 of 7; the derived next page ends the list.
    end["startAt"] = 2.into();
    end["isLast"] = true.into();
    end["values"] = json!([]);
    for (start, body) in [("0", versions), ("2", end)] {
        get("/rest/api/3/project/HSP/version")
            .and(query_param("startAt", start))
            .respond_with(ok_json(body))
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
    let mut store = memory_store();
    let first_now = "2015-06-01T00:00:00Z";
    let summary = sync(
        &mut store,
        &source,
        &ownership,
        Some("2015-01-01T00:00:00Z"),
        first_now,
    )
    .await;
    assert_synced(&summary);
    assert_eq!(
        resource_names(&summary),
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

    let items: Vec<SprintItemRow> = all(
        store.conn(),
        "SELECT key, sprint_id, team, points FROM work_items ORDER BY key",
    );
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

    let milestones: Vec<(String, String, Option<i64>, Option<i64>)> = all(
        store.conn(),
        "SELECT name, status, due_at, completed_at FROM milestones ORDER BY external_id",
    );
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
    assert_synced(&summary);
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
    let run = Run::at("2015-06-03T00:00:00Z")
        .full(true)
        .owned_by(ownership.clone());
    let summary = run.sync(&mut store, &source, &client(&source)).await;
    assert_synced(&summary);
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

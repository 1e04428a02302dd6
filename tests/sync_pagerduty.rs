//! PagerDuty connector end to end against a local fake server answering with PagerDuty's
//! published example payloads (tests/fixtures/api/pagerduty).

mod common;

use common::{
    Run, all, assert_synced, at, get, memory_store, ok_json, row, source_at, token_client,
};
use plumb::config::SourceKind;
use plumb::model::{Filter, Ownership};
use serde_json::{Value, json};
use wiremock::MockServer;
use wiremock::matchers::{header, query_param};

fn fixture(name: &str) -> Value {
    common::fixture("pagerduty", name)
}

/// The published trigger entry plus an acknowledge and a resolve derived from it (the
/// example lists only the trigger), timed after the published incident's creation.
fn log_entries() -> Value {
    let mut body = fixture("list-incident-log-entries.json");
    let trigger = body["log_entries"][0].clone();
    body["log_entries"][0]["created_at"] = "2015-10-06T21:30:42Z".into();
    let mut ack = trigger.clone();
    ack["id"] = "Q1ACK".into();
    ack["type"] = "acknowledge_log_entry".into();
    ack["summary"] = "Acknowledged by Earline Greenholt (earline@example.com)".into();
    ack["created_at"] = "2015-10-06T21:34:42Z".into();
    ack["agent"] =
        json!({"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"});
    ack["channel"] = json!({"type": "web_ui"});
    let mut second_ack = ack.clone();
    second_ack["id"] = "Q2ACK".into();
    second_ack["created_at"] = "2015-10-06T21:36:00Z".into();
    let mut resolve = trigger;
    resolve["id"] = "Q3RES".into();
    resolve["type"] = "resolve_log_entry".into();
    resolve["created_at"] = "2015-10-06T21:38:23Z".into();
    resolve["channel"] = json!({"type": "auto"});
    let entries = body["log_entries"].as_array_mut().unwrap();
    entries.extend([second_ack, ack, resolve]);
    body
}

#[tokio::test]
async fn incidents_with_log_entries_give_mtta_inputs_and_normalised_severity() {
    let server = MockServer::start().await;
    get("/services")
        .and(header("Authorization", "Token token=pd_test"))
        .respond_with(ok_json(fixture("list-services.json")))
        .mount(&server)
        .await;
    // The published list says `more: true` with limit 1; the second page ends the window.
    let mut incidents = fixture("list-incidents.json");
    get("/incidents")
        .and(query_param("since", "2015-09-01T00:00:00Z"))
        .and(query_param("offset", "0"))
        .respond_with(ok_json(&incidents))
        .mount(&server)
        .await;
    incidents["incidents"] = json!([]);
    incidents["offset"] = 1.into();
    incidents["more"] = false.into();
    get("/incidents")
        .and(query_param("offset", "1"))
        .respond_with(ok_json(&incidents))
        .mount(&server)
        .await;
    incidents["offset"] = 0.into();
    get("/incidents")
        .and(query_param("since", "2016-02-28T00:00:00Z"))
        .respond_with(ok_json(&incidents))
        .mount(&server)
        .await;
    get("/incidents/PT4KHLK/log_entries")
        .respond_with(ok_json(log_entries()))
        .mount(&server)
        .await;

    let source = source_at(&server, "pd", SourceKind::Pagerduty, "PD_TOKEN");
    let client = token_client(&source, "pd_test", None);
    let mut ownership = Ownership::default();
    ownership
        .service_team
        .insert("My Application Service".into(), "mail".into());
    // Since 2015-09-01 to 2016-06-01: two windows of at most 180 days.
    let run = Run::at("2016-06-01T00:00:00Z")
        .since(Some("2015-09-01T00:00:00Z"))
        .owned_by(ownership)
        .key(3);
    let mut store = memory_store();
    let summary = run.sync(&mut store, &source, &client).await;
    assert_synced(&summary);

    let requests = server.received_requests().await.unwrap();
    let windows: Vec<(String, String)> = requests
        .iter()
        .filter(|r| r.url.path() == "/incidents")
        .map(|r| {
            let q: std::collections::HashMap<_, _> = r.url.query_pairs().into_owned().collect();
            (q["since"].clone(), q["until"].clone())
        })
        .collect();
    assert_eq!(
        windows,
        vec![
            ("2015-09-01T00:00:00Z".into(), "2016-02-28T00:00:00Z".into()),
            ("2015-09-01T00:00:00Z".into(), "2016-02-28T00:00:00Z".into()),
            ("2016-02-28T00:00:00Z".into(), "2016-06-01T00:00:00Z".into()),
        ],
        "offset paging within a window, then the next window up to now"
    );

    let incidents = store.incidents(&Filter::default(), 0).unwrap();
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_eq!(i.created_at, at("2015-10-06T21:30:42Z"));
    assert_eq!(
        i.acknowledged_at,
        Some(at("2015-10-06T21:34:42Z")),
        "the first acknowledge"
    );
    assert_eq!(i.resolved_at, Some(at("2015-10-06T21:38:23Z")));
    let conn = store.conn();
    let row: (
        String,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
    ) = row(
        conn,
        "SELECT service, team, severity, severity_original, status, resolved_by FROM incidents",
    );
    assert_eq!(
        row,
        (
            "My Application Service".into(),
            Some("mail".into()),
            "SEV2".into(),
            "P2".into(),
            "resolved".into(),
            Some("auto".into())
        )
    );
    let events: Vec<(String, Option<String>, Option<String>)> = all(
        conn,
        "SELECT kind, actor, detail FROM incident_events ORDER BY at, external_id",
    );
    let kinds: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(kinds, ["trigger", "acknowledge", "acknowledge", "resolve"]);
    assert_eq!(events[1].1, Some(run.privacy.person("Earline Greenholt")));
    assert_eq!(
        events[1].2.as_deref(),
        Some("Acknowledged by Earline Greenholt ([email])")
    );
    let services: i64 = conn
        .query_row(
            "SELECT count(*) FROM services WHERE team = 'mail'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(services, 1);
}

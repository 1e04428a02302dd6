//! PagerDuty connector end to end against a local fake server answering with PagerDuty's
//! published example payloads (tests/fixtures/api/pagerduty).

use plumb::config::{PrivacyConfig, Secret, SourceConfig, SourceKind};
use plumb::model::{Filter, Ownership, Timestamp};
use plumb::privacy::Privacy;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{CancelFlag, SyncEnv, SyncOptions, sync_source};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/api/pagerduty/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
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
    Mock::given(method("GET"))
        .and(path("/services"))
        .and(header("Authorization", "Token token=pd_test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("list-services.json")))
        .mount(&server)
        .await;
    // The published list says `more: true` with limit 1; the second page ends the window.
    let mut incidents = fixture("list-incidents.json");
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("since", "2015-09-01T00:00:00Z"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&incidents))
        .mount(&server)
        .await;
    incidents["incidents"] = json!([]);
    incidents["offset"] = 1.into();
    incidents["more"] = false.into();
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("offset", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&incidents))
        .mount(&server)
        .await;
    incidents["offset"] = 0.into();
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("since", "2016-02-28T00:00:00Z"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&incidents))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents/PT4KHLK/log_entries"))
        .respond_with(ResponseTemplate::new(200).set_body_json(log_entries()))
        .mount(&server)
        .await;

    let mut source = SourceConfig::new("pd", SourceKind::Pagerduty);
    source.base_url = Some(server.uri());
    source.token_env = Some("PD_TOKEN".into());
    let client = HttpClient::new(
        &source,
        Some(Secret::new("pd_test")),
        HttpPolicy::for_source(&source),
    )
    .unwrap();
    let mut ownership = Ownership::default();
    ownership
        .service_team
        .insert("My Application Service".into(), "mail".into());
    let privacy = Privacy::with_key(vec![3; 32], &PrivacyConfig::default());
    // Since 2015-09-01 to 2016-06-01: two windows of at most 180 days.
    let options = SyncOptions {
        full: false,
        since: Some(at("2015-09-01T00:00:00Z")),
        now: at("2016-06-01T00:00:00Z"),
    };
    let cancel = CancelFlag::default();
    let env = SyncEnv {
        ownership: &ownership,
        privacy: &privacy,
        options: &options,
        cancel: &cancel,
    };
    let mut store = Store::open_in_memory().unwrap();
    let summary = sync_source(&mut store, &source, &client, env, &mut |_| {}).await;
    assert!(!summary.failed(), "{:?}", summary.resources);

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
    ) = conn
        .query_row(
            "SELECT service, team, severity, severity_original, status, resolved_by FROM incidents",
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
    let events: Vec<(String, Option<String>, Option<String>)> = conn
        .prepare("SELECT kind, actor, detail FROM incident_events ORDER BY at, external_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(kinds, ["trigger", "acknowledge", "acknowledge", "resolve"]);
    assert_eq!(events[1].1, Some(privacy.person("Earline Greenholt")));
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

//! The Jira source of the connector tests and the pages its fake server answers with, built
//! from Atlassian's published examples (tests/fixtures/api/jira).

use super::{Run, get, ok_json, source_at};
use plumb::config::{Secret, SourceConfig, SourceKind};
use plumb::model::Ownership;
use plumb::sources::auth::Auth;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::SourceSummary;
use serde_json::{Value, json};
use wiremock::{MockServer, Request};

pub fn fixture(name: &str) -> Value {
    super::fixture("jira", name)
}

pub fn source(server: &MockServer, boards: Vec<u64>) -> SourceConfig {
    let mut source = source_at(server, "jira", SourceKind::Jira, "JIRA_TOKEN");
    source.email_env = Some("JIRA_EMAIL".into());
    source.jql = Some("project in (ED, HSP) ORDER BY rank".into());
    source.boards = boards;
    source
}

pub fn client(source: &SourceConfig) -> HttpClient {
    let auth = Auth::Basic {
        user: "me@example.com".into(),
        token: Secret::new("jira_test"),
    };
    HttpClient::with_auth(source, auth, HttpPolicy::for_source(source)).unwrap()
}

pub async fn sync(
    store: &mut Store,
    source: &SourceConfig,
    ownership: &Ownership,
    since: Option<&str>,
    now: &str,
) -> SourceSummary {
    let run = Run::at(now).since(since).owned_by(ownership.clone());
    run.sync(store, source, &client(source)).await
}

/// The published field list plus the custom fields a Jira Software site adds (the example
/// lists only two system fields).
pub fn fields() -> Value {
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

pub async fn mount_fields(server: &MockServer) {
    get("/rest/api/3/field")
        .respond_with(ok_json(fields()))
        .mount(server)
        .await;
}

/// A published issue with `fields` added (or replaced) and its changelog set.
pub fn issue(published: &Value, key: &str, fields: Value, histories: Vec<Value>) -> Value {
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
pub fn history(
    id: &str,
    created: &str,
    field: &str,
    from: (&str, &str),
    to: (&str, &str),
) -> Value {
    let mut h = fixture("get-issue-changelog.json")["values"][0].clone();
    h["id"] = id.into();
    h["created"] = created.into();
    h["items"] = json!([{
        "field": field, "fieldtype": "jira", "fieldId": field.to_lowercase(),
        "from": from.0, "fromString": from.1, "to": to.0, "toString": to.1
    }]);
    h
}

pub fn status(name: &str, category: &str) -> Value {
    json!({"name": name, "statusCategory": {"key": category}})
}

/// The published `/search/jql` page holding `issues`, then `nextPageToken` unless last.
pub fn enhanced_page(issues: Vec<Value>, token: Option<&str>) -> Value {
    let mut page = fixture("search-issues-jql-enhanced.json");
    page["issues"] = Value::Array(issues);
    if let Some(token) = token {
        page["isLast"] = false.into();
        page["nextPageToken"] = token.into();
    }
    page
}

pub fn search_requests(
    requests: &[Request],
    path_is: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    requests
        .iter()
        .filter(|r| r.url.path() == path_is)
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect()
}

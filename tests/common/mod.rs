//! What the connector tests share: published fixtures, a sync run against a fake server, and
//! reading rows back from the store.
#![allow(dead_code)]

pub mod jira;
pub mod upstream;

use plumb::config::{PrivacyConfig, Secret, SourceConfig, SourceKind};
use plumb::model::{Ownership, Timestamp};
use plumb::privacy::Privacy;
use plumb::sources::http::{HttpClient, HttpPolicy};
use plumb::store::Store;
use plumb::sync::{CancelFlag, SourceSummary, SyncEnv, SyncEvent, SyncOptions, sync_source};
use rusqlite::{Connection, Row};
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

/// A published example payload of `kind` (tests/fixtures/api/<kind>/<name>).
pub fn fixture(kind: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/api/{kind}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A query parameter of a received request.
pub fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A GET of `at` (more matchers may follow).
pub fn get(at: impl Into<String>) -> MockBuilder {
    Mock::given(method("GET")).and(path(at.into()))
}

/// A 200 answer with a JSON body.
pub fn ok_json(body: impl serde::Serialize) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A pseudonymisation key made of one repeated byte.
pub fn privacy(byte: u8) -> Privacy {
    Privacy::with_key(vec![byte; 32], &PrivacyConfig::default())
}

/// A client sending `token`, whose retries start after `backoff` (short keeps the tests fast).
pub fn token_client(source: &SourceConfig, token: &str, backoff: Option<Duration>) -> HttpClient {
    let mut policy = HttpPolicy::for_source(source);
    if let Some(backoff) = backoff {
        policy.initial_backoff = backoff;
    }
    HttpClient::new(source, Some(Secret::new(token)), policy).unwrap()
}

/// What one test sync runs with: by default no ownership, key byte 7, an incremental run.
pub struct Run {
    pub ownership: Ownership,
    pub privacy: Privacy,
    pub options: SyncOptions,
    pub cancel: CancelFlag,
    /// Cancels the run once its first page is written, as a quit mid-sync would.
    pub stop_after_first_page: bool,
}

impl Run {
    pub fn new(now: Timestamp) -> Run {
        Run {
            ownership: Ownership::default(),
            privacy: privacy(7),
            options: SyncOptions {
                full: false,
                since: None,
                now,
            },
            cancel: CancelFlag::default(),
            stop_after_first_page: false,
        }
    }

    /// A run at `now` (RFC 3339).
    pub fn at(now: &str) -> Run {
        Run::new(at(now))
    }

    pub fn since(mut self, since: Option<&str>) -> Run {
        self.options.since = since.map(at);
        self
    }

    pub fn full(mut self, full: bool) -> Run {
        self.options.full = full;
        self
    }

    pub fn owned_by(mut self, ownership: Ownership) -> Run {
        self.ownership = ownership;
        self
    }

    pub fn key(mut self, byte: u8) -> Run {
        self.privacy = privacy(byte);
        self
    }

    pub fn cancel(mut self, cancel: &CancelFlag, stop_after_first_page: bool) -> Run {
        self.cancel = cancel.clone();
        self.stop_after_first_page = stop_after_first_page;
        self
    }

    pub async fn sync(
        &self,
        store: &mut Store,
        source: &SourceConfig,
        client: &HttpClient,
    ) -> SourceSummary {
        let env = SyncEnv {
            ownership: &self.ownership,
            privacy: &self.privacy,
            options: &self.options,
            cancel: &self.cancel,
        };
        let mut on_event = |e: &SyncEvent<'_>| {
            if self.stop_after_first_page && matches!(e, SyncEvent::Page { .. }) {
                self.cancel.cancel();
            }
        };
        sync_source(store, source, client, env, &mut on_event).await
    }
}

/// Fails the test with every resource's outcome when any resource failed.
pub fn assert_synced(summary: &SourceSummary) {
    assert!(!summary.failed(), "{:?}", summary.resources);
}

/// Rows written by the whole sync.
pub fn written(summary: &SourceSummary) -> u64 {
    summary.resources.iter().map(|r| r.written).sum()
}

/// The resources of a sync, in the order they ran.
pub fn resource_names(summary: &SourceSummary) -> Vec<&str> {
    summary
        .resources
        .iter()
        .map(|r| r.resource.as_str())
        .collect()
}

/// The one number a query answers (`SELECT count(*) ...`).
pub fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The rows of a table.
pub fn count_rows(store: &Store, table: &str) -> i64 {
    count(store, &format!("SELECT count(*) FROM {table}"))
}

/// The one row a query answers, as a tuple.
pub fn row<T>(conn: &Connection, sql: &str) -> T
where
    T: for<'r> TryFrom<&'r Row<'r>, Error = rusqlite::Error>,
{
    conn.query_row(sql, [], |r| T::try_from(r)).unwrap()
}

/// Every row a query answers, as tuples.
pub fn all<T>(conn: &Connection, sql: &str) -> Vec<T>
where
    T: for<'r> TryFrom<&'r Row<'r>, Error = rusqlite::Error>,
{
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| T::try_from(r))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every row of the given `(table, columns)`, ordered by external id, as one line each: two
/// stores that synced the same data give the same lines (store ids and sync times left out).
pub fn dump(store: &Store, tables: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (table, cols) in tables {
        let sql = format!("SELECT external_id, url, {cols} FROM {table} ORDER BY external_id");
        let mut stmt = store.conn().prepare(&sql).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let vals: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{table}: {}", vals.join(" | ")));
        }
    }
    out
}

/// The one resource that failed and its message; `why` says why no other resource failed.
pub fn only_error<'s>(summary: &'s SourceSummary, why: &str) -> (&'s str, &'s str) {
    let errors: Vec<_> = summary.errors().collect();
    assert_eq!(errors.len(), 1, "{why}: {errors:?}");
    errors[0]
}

/// Answers every GET, whatever its path, with `status` (a rejected token, a missing page).
pub async fn mount_status(server: &MockServer, status: u16) {
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status))
        .mount(server)
        .await;
}

/// Answers the first request `mock` matches with `template`, ahead of the usual answer
/// mounted at a lower priority (a page cut off once, one 429 before the data).
pub async fn mount_once(
    server: &MockServer,
    mock: MockBuilder,
    template: ResponseTemplate,
    priority: u8,
) {
    mock.respond_with(template)
        .up_to_n_times(1)
        .with_priority(priority)
        .mount(server)
        .await;
}

/// A 200 whose body is `text` as is: a page cut off mid-way, an envelope the API documents.
pub fn ok_text(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(text)
}

/// A 200 JSON answer carrying the response headers an API documents (rate limits).
pub fn ok_json_with(body: impl serde::Serialize, headers: &[(&str, &str)]) -> ResponseTemplate {
    headers.iter().fold(ok_json(body), |t, (name, value)| {
        t.insert_header(*name, *value)
    })
}

/// A source of `kind` named `name` reading `server`, its token in `token_env`.
pub fn source_at(
    server: &MockServer,
    name: &str,
    kind: SourceKind,
    token_env: &str,
) -> SourceConfig {
    let mut source = SourceConfig::new(name, kind);
    source.base_url = Some(server.uri());
    source.token_env = Some(token_env.into());
    source
}

pub fn memory_store() -> Store {
    Store::open_in_memory().unwrap()
}

/// A fake server answering as `mount` sets it up, the source `source` makes of it, and an
/// empty store.
pub async fn served(
    mount: impl AsyncFnOnce(&MockServer),
    source: impl FnOnce(&MockServer) -> SourceConfig,
) -> (MockServer, SourceConfig, Store) {
    let server = MockServer::start().await;
    mount(&server).await;
    let source = source(&server);
    (server, source, memory_store())
}

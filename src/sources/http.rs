//! The HTTP client every connector shares: per-provider auth, conditional requests, pacing by
//! the rate-limit headers, retries with exponential backoff and jitter on timeouts and 5xx
//! (never on other 4xx than 429), a request timeout and bounded concurrency per instance.
//!
//! Tokens live in [`Secret`] and go only into the auth header; nothing here logs headers.

use super::SourceError;
use super::auth::Auth;
use super::connect::{ConnectFailure, host_of};
use super::pagination::{link_next, link_rel};
use super::ratelimit::{self, Pacer};
use crate::config::{Secret, SourceConfig};
use reqwest::StatusCode;
use reqwest::header::{ETAG, HeaderMap, IF_NONE_MATCH, LINK};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Retry, pacing and concurrency settings of one client.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub timeout: Duration,
    /// Requests in flight at once for this source instance.
    pub concurrency: usize,
    /// Attempts after the first on a timeout, a body cut short or a 5xx.
    pub max_retries: u32,
    /// Attempts after the first when no connection could be made (refused, DNS, TLS): these
    /// rarely heal within a backoff, so one quick retry covers a blip and no more.
    pub max_connect_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Below this many remaining requests the rest of the window is spread evenly.
    pub slow_down_below: u64,
    /// Longer rate-limit waits than this end the sync with [`SourceError::RateLimited`].
    pub max_rate_limit_wait: Duration,
    /// 429s (and rate-limit 403s) waited out for one request before giving up.
    pub max_rate_limit_retries: u32,
}

impl HttpPolicy {
    pub fn for_source(source: &SourceConfig) -> Self {
        HttpPolicy {
            timeout: source.timeout(),
            concurrency: usize::try_from(source.concurrency.max(1)).unwrap_or(1),
            max_retries: 4,
            max_connect_retries: 1,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            slow_down_below: 100,
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            max_rate_limit_retries: 5,
        }
    }

    /// The backoff before retry number `attempt` (1-based): exponential, capped, with jitter
    /// over its upper half so that parallel clients do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        exp.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }
}

/// Counters of one client, for the sync summary and the benchmarks.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
    not_modified: AtomicU64,
    retries: AtomicU64,
    rate_limit_waits: AtomicU64,
    rate_limit_wait_ms: AtomicU64,
}

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    pub requests: u64,
    pub bytes: u64,
    pub not_modified: u64,
    pub retries: u64,
    pub rate_limit_waits: u64,
    pub rate_limit_wait: Duration,
}

/// A successful response body with what pagination and caching need.
#[derive(Debug, Clone)]
pub struct Page {
    /// `GET /path?query`, as errors name it.
    pub endpoint: String,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    /// The `rel="next"` link, checked to stay under the base URL.
    pub next: Option<String>,
    /// The `rel="last"` link when it stays under the base URL: with `next`, it tells which
    /// pages follow, so they can be requested before this one is written.
    pub last: Option<String>,
}

/// The answer to a (possibly conditional) GET.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the resource has not changed since the stored ETag.
    NotModified,
    Page(Page),
}

/// The client of one source instance.
pub struct HttpClient {
    inner: reqwest::Client,
    base_url: String,
    auth: Auth,
    source_name: String,
    token_env: String,
    policy: HttpPolicy,
    permits: Arc<Semaphore>,
    pacer: Pacer,
    counters: Counters,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("source", &self.source_name)
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `source` with its resolved token (`None` only where a token is optional),
    /// presented the way the source's kind expects a single token.
    pub fn new(
        source: &SourceConfig,
        token: Option<Secret>,
        policy: HttpPolicy,
    ) -> Result<Self, SourceError> {
        Self::with_auth(source, Auth::for_kind(source.kind, token), policy)
    }

    /// A client for `source` with fully resolved credentials (see [`super::auth::resolve`]).
    pub fn with_auth(
        source: &SourceConfig,
        auth: Auth,
        policy: HttpPolicy,
    ) -> Result<Self, SourceError> {
        let base_url = source
            .api_base_url()
            .ok_or_else(|| SourceError::NoBaseUrl {
                source_name: source.name.clone(),
            })?;
        let inner = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("plumb/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| SourceError::Client {
                source_name: source.name.clone(),
                error,
            })?;
        let token_env = match (&source.token_env, &source.token_command) {
            (Some(env), _) => env.clone(),
            (None, Some(_)) => "the output of token_command".into(),
            (None, None) => "the source's token_env".into(),
        };
        Ok(HttpClient {
            inner,
            base_url,
            auth,
            source_name: source.name.clone(),
            token_env,
            permits: Arc::new(Semaphore::new(policy.concurrency.max(1))),
            policy,
            pacer: Pacer::default(),
            counters: Counters::default(),
        })
    }

    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    pub fn stats(&self) -> HttpStats {
        let c = &self.counters;
        HttpStats {
            requests: c.requests.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            not_modified: c.not_modified.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limit_waits: c.rate_limit_waits.load(Ordering::Relaxed),
            rate_limit_wait: Duration::from_millis(c.rate_limit_wait_ms.load(Ordering::Relaxed)),
        }
    }

    /// GET `target`: a path under the base URL (`/repos/o/r/pulls?state=all`) or an absolute
    /// URL from a `Link` header. With `etag`, the request is conditional.
    pub async fn get(&self, target: &str, etag: Option<&str>) -> Result<Fetched, SourceError> {
        let url = self.resolve(target)?;
        let endpoint = format!("GET {}", self.endpoint_of(&url));
        let mut failures = 0u32;
        let mut rate_limited = 0u32;
        loop {
            self.wait_for_pace().await?;
            let attempt = {
                let _permit = self.permits.acquire().await;
                self.attempt(&url, etag).await
            };
            match attempt {
                Ok((status, headers, body)) => {
                    self.pacer
                        .observe_headers(&headers, self.policy.slow_down_below);
                    if status == StatusCode::NOT_MODIFIED {
                        self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                        return Ok(Fetched::NotModified);
                    }
                    if status.is_success() {
                        return self.page(endpoint, &headers, body).map(Fetched::Page);
                    }
                    if let Some(wait) = self.rate_limit_wait(status, &headers) {
                        rate_limited += 1;
                        if rate_limited > self.policy.max_rate_limit_retries {
                            return Err(SourceError::RateLimitRetriesExhausted {
                                source_name: self.source_name.clone(),
                                endpoint,
                                attempts: self.policy.max_rate_limit_retries,
                                last_wait_secs: wait.as_secs_f64().ceil() as u64,
                            });
                        }
                        self.pacer.hold_for(wait);
                        continue;
                    }
                    if status.is_server_error() && failures < self.policy.max_retries {
                        failures += 1;
                        self.retry_after_backoff(failures).await;
                        continue;
                    }
                    return Err(self.status_error(status, endpoint, &body));
                }
                Err(error) => {
                    let unreachable = ConnectFailure::of(&error);
                    let retries = match unreachable {
                        Some(_) => self.policy.max_connect_retries,
                        None => self.policy.max_retries,
                    };
                    if failures < retries {
                        failures += 1;
                        tracing::debug!(source = %self.source_name, %endpoint, %error, "retrying");
                        self.retry_after_backoff(failures).await;
                        continue;
                    }
                    if let Some(cause) = unreachable {
                        return Err(SourceError::Unreachable {
                            source_name: self.source_name.clone(),
                            host: host_of(&self.base_url).to_string(),
                            base_url: self.base_url.clone(),
                            cause,
                        });
                    }
                    return Err(if error.is_timeout() {
                        SourceError::Timeout {
                            source_name: self.source_name.clone(),
                            endpoint,
                            seconds: self.policy.timeout.as_secs_f64(),
                        }
                    } else {
                        SourceError::Network {
                            source_name: self.source_name.clone(),
                            endpoint,
                            error,
                        }
                    });
                }
            }
        }
    }

    /// An unconditional GET: a page, never "not modified".
    pub async fn get_page(&self, target: &str) -> Result<Page, SourceError> {
        match self.get(target, None).await? {
            Fetched::Page(page) => Ok(page),
            // A 304 to a request without If-None-Match breaks HTTP; report it as unusable.
            Fetched::NotModified => Err(SourceError::Decode {
                source_name: self.source_name.clone(),
                endpoint: format!("GET {target}"),
                detail: "304 Not Modified to a request without If-None-Match".into(),
            }),
        }
    }

    /// Parses a page body as JSON of type `T`; the error names the endpoint.
    pub fn decode<T: DeserializeOwned>(&self, page: &Page) -> Result<T, SourceError> {
        serde_json::from_slice(&page.body).map_err(|e| SourceError::Decode {
            source_name: self.source_name.clone(),
            endpoint: page.endpoint.clone(),
            detail: e.to_string(),
        })
    }

    async fn attempt(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error> {
        let mut request = self
            .auth
            .apply(self.inner.get(url))
            .header("Accept", "application/json");
        if let Some(tag) = etag {
            request = request.header(IF_NONE_MATCH, tag);
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        self.counters
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        tracing::debug!(source = %self.source_name, url = %self.endpoint_of(url), %status, "response");
        Ok((status, headers, body))
    }

    fn page(
        &self,
        endpoint: String,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Page, SourceError> {
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let next = headers
            .get(LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(link_next);
        if let Some(url) = &next
            && !self.is_under_base(url)
        {
            return Err(SourceError::ForeignLink {
                source_name: self.source_name.clone(),
                endpoint,
                url: url.clone(),
                base_url: self.base_url.clone(),
            });
        }
        let last = headers
            .get(LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| link_rel(h, "last"))
            .filter(|url| self.is_under_base(url));
        Ok(Page {
            endpoint,
            body,
            etag,
            next,
            last,
        })
    }

    /// The wait a rate-limited answer asks for: any 429, or a 403 that says the budget is
    /// spent (GitHub's primary and secondary limits answer 403).
    fn rate_limit_wait(&self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let now = chrono::Utc::now();
        let retry_after = ratelimit::retry_after(headers, now);
        let budget = ratelimit::budget(headers, now.timestamp().max(0) as u64);
        let spent = budget.is_some_and(|b| b.remaining == 0);
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN && (spent || retry_after.is_some()));
        if !limited {
            return None;
        }
        Some(
            retry_after
                .or_else(|| budget.and_then(|b| b.reset_in))
                .unwrap_or(self.policy.initial_backoff),
        )
    }

    async fn wait_for_pace(&self) -> Result<(), SourceError> {
        let wait = self.pacer.wait();
        if wait.is_zero() {
            return Ok(());
        }
        if wait > self.policy.max_rate_limit_wait {
            return Err(self.rate_limited(wait));
        }
        self.counters
            .rate_limit_waits
            .fetch_add(1, Ordering::Relaxed);
        self.counters
            .rate_limit_wait_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        tracing::info!(source = %self.source_name, seconds = wait.as_secs_f64(), "waiting for the rate limit");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    async fn retry_after_backoff(&self, attempt: u32) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.policy.backoff(attempt)).await;
    }

    fn rate_limited(&self, wait: Duration) -> SourceError {
        let wait_secs = wait.as_secs_f64().ceil() as u64;
        let now = chrono::Utc::now();
        let until = chrono::Duration::try_seconds(i64::try_from(wait_secs).unwrap_or(i64::MAX))
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        SourceError::RateLimited {
            source_name: self.source_name.clone(),
            until: chrono::SubsecRound::trunc_subsecs(until, 0),
            wait_secs,
            max_wait_secs: self.policy.max_rate_limit_wait.as_secs(),
        }
    }

    fn status_error(&self, status: StatusCode, endpoint: String, body: &[u8]) -> SourceError {
        match status {
            StatusCode::UNAUTHORIZED => SourceError::Auth {
                source_name: self.source_name.clone(),
                token_env: self.token_env.clone(),
            },
            StatusCode::FORBIDDEN => SourceError::Forbidden {
                source_name: self.source_name.clone(),
                token_env: self.token_env.clone(),
                endpoint,
            },
            _ => SourceError::Http {
                source_name: self.source_name.clone(),
                status: status.as_u16(),
                endpoint,
                detail: error_detail(body),
            },
        }
    }

    fn resolve(&self, target: &str) -> Result<String, SourceError> {
        if target.starts_with("http://") || target.starts_with("https://") {
            if !self.is_under_base(target) {
                return Err(SourceError::ForeignLink {
                    source_name: self.source_name.clone(),
                    endpoint: "a stored resume point".into(),
                    url: target.to_string(),
                    base_url: self.base_url.clone(),
                });
            }
            return Ok(target.to_string());
        }
        Ok(format!(
            "{}/{}",
            self.base_url,
            target.trim_start_matches('/')
        ))
    }

    fn is_under_base(&self, url: &str) -> bool {
        url.strip_prefix(&self.base_url)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
    }

    /// The URL without the base, as messages show it.
    fn endpoint_of<'a>(&self, url: &'a str) -> &'a str {
        url.strip_prefix(&self.base_url).unwrap_or(url)
    }
}

/// The message of a JSON error body, in the fields the supported APIs use: `error`
/// (Prometheus, GitLab), `message` (GitHub, GitLab, Opsgenie), `errorMessages` (Jira), `errors`
/// (Datadog). Shortened to one line: it goes into messages and the sync state.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let pick = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => {
                items.first().and_then(|i| i.as_str()).map(str::to_string)
            }
            serde_json::Value::Object(o) => o
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string),
            _ => None,
        }
    };
    let text = ["error", "message", "errorMessages", "errors"]
        .iter()
        .find_map(|k| value.get(k).and_then(pick))?;
    // Error texts may quote what was sent, people included: redact as free text is at ingest.
    let privacy = crate::privacy::Privacy::with_key(Vec::new(), &Default::default());
    let line: String = privacy
        .redact(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut short: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        short.push('…');
    }
    (!short.is_empty()).then_some(short)
}

impl Pacer {
    fn observe_headers(&self, headers: &HeaderMap, slow_down_below: u64) {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        if let Some(b) = ratelimit::budget(headers, now) {
            self.observe(b, slow_down_below);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceKind;

    #[test]
    fn error_bodies_give_a_short_redacted_detail() {
        let prom =
            br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"}"#;
        assert_eq!(
            error_detail(prom).as_deref(),
            Some("1:5: parse error: unexpected")
        );
        let jira = br#"{"errorMessages":["The value 'X' does not exist for the field 'project'."],"errors":{}}"#;
        assert!(error_detail(jira).is_some_and(|d| d.starts_with("The value 'X'")));
        let gh =
            br#"{"message":"Not Found for ann@example.com","documentation_url":"https://docs"}"#;
        assert_eq!(error_detail(gh).as_deref(), Some("Not Found for [email]"));
        assert_eq!(error_detail(b"<html>oops</html>"), None);
        let long = format!(r#"{{"error":"{}"}}"#, "x".repeat(500));
        assert_eq!(
            error_detail(long.as_bytes()).map(|d| d.chars().count()),
            Some(201)
        );
    }

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let policy = HttpPolicy::for_source(&SourceConfig::new("gh", SourceKind::Github));
        for attempt in 1..=8 {
            let d = policy.backoff(attempt);
            let full = (policy.initial_backoff * 2u32.pow(attempt - 1)).min(policy.max_backoff);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let source = SourceConfig::new("pd", SourceKind::Pagerduty);
        let client = HttpClient::new(
            &source,
            Some(Secret::new("u+very-secret")),
            HttpPolicy::for_source(&source),
        )
        .expect("client");
        let shown = format!("{client:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn paths_resolve_under_the_base_and_foreign_links_are_refused() {
        let mut source = SourceConfig::new("ghe", SourceKind::Github);
        source.base_url = Some("https://ghe.example.com/api/v3/".into());
        let client =
            HttpClient::new(&source, None, HttpPolicy::for_source(&source)).expect("client");
        assert_eq!(
            client.resolve("/repos/a/b/pulls").expect("path"),
            "https://ghe.example.com/api/v3/repos/a/b/pulls"
        );
        assert!(
            client
                .resolve("https://ghe.example.com/api/v3/x?page=2")
                .is_ok()
        );
        assert!(client.resolve("https://ghe.example.com/api/v30/x").is_err());
        assert!(client.resolve("https://evil.example/api/v3/x").is_err());
    }
}

//! `plumb doctor`'s network checks for one source: is it reachable, does it accept the
//! credentials, do they reach what the config names, and is this machine's clock close to the
//! server's (cursors and "updated since" filters compare the two).
//!
//! One request per check, no retries: doctor reports what it sees, quickly.

use super::auth::Auth;
use crate::config::{SourceConfig, SourceKind};
use crate::model::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap};
use std::time::Duration;

/// How a finding reads: ✓, ▲ or ✗.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One line of doctor's output for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub what: String,
    pub detail: String,
}

impl Finding {
    fn new(level: Level, what: &str, detail: impl Into<String>) -> Self {
        Finding {
            level,
            what: what.to_string(),
            detail: detail.into(),
        }
    }
}

/// A clock more than this far from the server's is reported.
pub const SKEW_WARN: Duration = Duration::from_secs(30);
/// A clock this far off breaks incremental sync windows.
pub const SKEW_FAIL: Duration = Duration::from_secs(300);

/// What a kind needs its credentials to reach.
struct Plan {
    /// Who-am-I endpoint: answers 200 exactly when the credentials are valid.
    identity: &'static str,
    /// Resources named in the config, each checked for access.
    resources: Vec<(String, String)>,
}

fn plan(source: &SourceConfig, base: &str) -> Plan {
    let enc = |s: &str| s.replace('/', "%2F");
    // GitLab's base_url may be the instance or its API root, as the connector accepts.
    let gl = if base.ends_with("/api/v4") {
        ""
    } else {
        "/api/v4"
    };
    match source.kind {
        SourceKind::Github => Plan {
            identity: "/rate_limit",
            resources: source
                .repos
                .iter()
                .map(|r| (format!("repository {r}"), format!("/repos/{r}")))
                .collect(),
        },
        SourceKind::Gitlab => Plan {
            identity: if gl.is_empty() {
                "/personal_access_tokens/self"
            } else {
                "/api/v4/personal_access_tokens/self"
            },
            resources: source
                .projects
                .iter()
                .map(|p| (format!("project {p}"), format!("{gl}/projects/{}", enc(p))))
                .collect(),
        },
        SourceKind::Jira => Plan {
            identity: "/rest/api/3/myself",
            resources: source
                .boards
                .iter()
                .map(|b| (format!("board {b}"), format!("/rest/agile/1.0/board/{b}")))
                .collect(),
        },
        SourceKind::Pagerduty => Plan {
            identity: "/abilities",
            resources: source
                .services
                .iter()
                .map(|s| (format!("service {s}"), format!("/services/{s}")))
                .collect(),
        },
        SourceKind::Opsgenie => Plan {
            identity: "/v2/account",
            resources: Vec::new(),
        },
        SourceKind::Datadog => Plan {
            identity: "/api/v1/validate",
            // The API key alone passes /validate; listing SLOs needs the application key too.
            resources: vec![(
                "SLOs (application key)".into(),
                "/api/v1/slo?limit=1".into(),
            )],
        },
        SourceKind::Prometheus => Plan {
            identity: "/api/v1/status/buildinfo",
            resources: Vec::new(),
        },
    }
}

/// Checks `source` over the network with `auth`. `now` is this machine's clock.
pub async fn check(source: &SourceConfig, auth: &Auth, now: Timestamp) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(base) = source.api_base_url() else {
        findings.push(Finding::new(
            Level::Fail,
            "reachable",
            "no base_url, and this kind has no public API; set base_url",
        ));
        return findings;
    };
    let client = match reqwest::Client::builder()
        .timeout(source.timeout().min(Duration::from_secs(10)))
        .user_agent(concat!("plumb/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::new(Level::Fail, "reachable", e.to_string()));
            return findings;
        }
    };
    let plan = plan(source, &base);
    let get = |path: &str| {
        auth.apply(client.get(format!("{base}{path}")))
            .header("Accept", "application/json")
            .send()
    };
    let response = match get(plan.identity).await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else {
                super::connect::ConnectFailure::of(&e)
                    .map_or_else(|| "connection failed".to_string(), |c| c.to_string())
            };
            findings.push(Finding::new(
                Level::Fail,
                "reachable",
                format!("{base}: {why}; check the network and base_url"),
            ));
            return findings;
        }
    };
    findings.push(Finding::new(Level::Ok, "reachable", base.clone()));
    findings.push(clock(response.headers(), now));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    findings.push(authenticated(source, auth, status, plan.identity));
    if !status.is_success() {
        return findings;
    }
    if let Some(scopes) = scopes(source.kind, &headers, &body) {
        findings.push(scopes);
    }
    for (what, path) in plan.resources {
        let finding = match get(&path).await {
            Ok(r) if r.status().is_success() => Finding::new(Level::Ok, &what, "readable"),
            Ok(r) if r.status() == StatusCode::NOT_FOUND => Finding::new(
                Level::Fail,
                &what,
                "not found, or not visible to this token; check the name in the config",
            ),
            Ok(r) => Finding::new(
                Level::Fail,
                &what,
                format!("HTTP {}; the token lacks access to it", r.status().as_u16()),
            ),
            Err(e) => Finding::new(Level::Fail, &what, format!("request failed: {e}")),
        };
        findings.push(finding);
    }
    findings
}

fn authenticated(source: &SourceConfig, auth: &Auth, status: StatusCode, path: &str) -> Finding {
    let env = source
        .token_env
        .as_deref()
        .map_or("the token".to_string(), |v| format!("the token in {v}"));
    match status {
        s if s.is_success() => Finding::new(
            Level::Ok,
            "authenticated",
            match auth {
                Auth::None => "no credentials needed".to_string(),
                a => format!("accepted ({})", a.scheme()),
            },
        ),
        StatusCode::UNAUTHORIZED => Finding::new(
            Level::Fail,
            "authenticated",
            format!("rejected (401); check that {env} is valid and unexpired"),
        ),
        StatusCode::FORBIDDEN => Finding::new(
            Level::Fail,
            "authenticated",
            format!("forbidden (403) on {path}; {env} lacks a scope"),
        ),
        s => Finding::new(
            Level::Fail,
            "authenticated",
            format!("{path} answered HTTP {}", s.as_u16()),
        ),
    }
}

/// Compares the server's `Date` header with this machine's clock.
fn clock(headers: &HeaderMap, now: Timestamp) -> Finding {
    let server = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
    let Some(server) = server else {
        return Finding::new(
            Level::Warn,
            "clock",
            "the server sent no Date header to compare",
        );
    };
    let skew = (now - server.with_timezone(&chrono::Utc)).num_seconds();
    let abs = Duration::from_secs(skew.unsigned_abs());
    let side = if skew > 0 { "ahead of" } else { "behind" };
    if abs >= SKEW_FAIL {
        Finding::new(
            Level::Fail,
            "clock",
            format!(
                "this machine is {}s {side} the server; sync windows would skip or repeat data, fix the system clock (NTP)",
                abs.as_secs()
            ),
        )
    } else if abs >= SKEW_WARN {
        Finding::new(
            Level::Warn,
            "clock",
            format!("this machine is {}s {side} the server", abs.as_secs()),
        )
    } else {
        Finding::new(
            Level::Ok,
            "clock",
            format!("within {}s of the server", abs.as_secs().max(1)),
        )
    }
}

/// The scopes the credentials carry, where the provider says, against what plumb reads.
fn scopes(kind: SourceKind, headers: &HeaderMap, body: &[u8]) -> Option<Finding> {
    match kind {
        SourceKind::Github => {
            // Classic tokens list their scopes; fine-grained tokens and apps send no header,
            // and their access shows in the per-repository checks instead.
            let header = headers.get("x-oauth-scopes")?.to_str().ok()?;
            let scopes: Vec<&str> = header
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let enough = scopes.iter().any(|s| *s == "repo" || *s == "public_repo");
            Some(if enough {
                Finding::new(Level::Ok, "scopes", scopes.join(", "))
            } else {
                Finding::new(
                    Level::Fail,
                    "scopes",
                    format!(
                        "token has [{}]; plumb needs `repo` (or `public_repo` for public repositories only)",
                        scopes.join(", ")
                    ),
                )
            })
        }
        SourceKind::Gitlab => {
            #[derive(serde::Deserialize)]
            struct TokenInfo {
                #[serde(default)]
                scopes: Vec<String>,
            }
            let info: TokenInfo = serde_json::from_slice(body).ok()?;
            let enough = info.scopes.iter().any(|s| s == "read_api" || s == "api");
            Some(if enough {
                Finding::new(Level::Ok, "scopes", info.scopes.join(", "))
            } else {
                Finding::new(
                    Level::Fail,
                    "scopes",
                    format!(
                        "token has [{}]; plumb needs `read_api`",
                        info.scopes.join(", ")
                    ),
                )
            })
        }
        _ => None,
    }
}

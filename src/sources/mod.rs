//! Connectors: one module per tool, each mapping its API into the unified schema, on top of a
//! shared HTTP layer (auth, pagination, conditional requests, rate limits, retries).
//!
//! Connectors never decide *when* rows are committed: they hand each page's rows to the
//! [`crate::sync::Session`], which writes them in one transaction with the cursor advance.

pub mod auth;
pub mod connect;
pub mod datadog;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod jira;
pub mod opsgenie;
pub mod pagerduty;
pub mod pagination;
pub mod probe;
pub mod prometheus;
mod ratelimit;
pub(crate) mod shared;

use crate::model::Timestamp;
use thiserror::Error;

/// Why a request to a source failed. Every message names the source and what to do next;
/// none of them carries a token.
#[derive(Debug, Error)]
pub enum SourceError {
    #[error(
        "source `{source_name}`: the server rejected the token (401 Unauthorized); check that \
         {token_env} holds a valid, unexpired token"
    )]
    Auth {
        source_name: String,
        token_env: String,
    },
    #[error(
        "source `{source_name}`: {endpoint} is forbidden (403); the token in {token_env} lacks a \
         scope or access to this resource"
    )]
    Forbidden {
        source_name: String,
        token_env: String,
        endpoint: String,
    },
    #[error(
        "source `{source_name}`: rate limit exhausted until {} (in {}); plumb waits at most {} \
         for a rate limit, run the sync again after that time",
        to_the_second(until),
        humanise_secs(*wait_secs),
        humanise_secs(*max_wait_secs)
    )]
    RateLimited {
        source_name: String,
        until: Timestamp,
        wait_secs: u64,
        max_wait_secs: u64,
    },
    #[error(
        "source `{source_name}`: {endpoint} was still rate limited after {attempts} waits of \
         the time the server asked for (last {}); the server throttles harder than it says, run \
         the sync again in a few minutes or lower the source's concurrency",
        humanise_secs(*last_wait_secs)
    )]
    RateLimitRetriesExhausted {
        source_name: String,
        endpoint: String,
        attempts: u32,
        last_wait_secs: u64,
    },
    #[error(
        "source `{source_name}`: cannot connect to {host} (base_url {base_url}): {cause}; {}; \
         the source's other resources were skipped",
        cause.hint()
    )]
    Unreachable {
        source_name: String,
        host: String,
        base_url: String,
        cause: connect::ConnectFailure,
    },
    #[error(
        "source `{source_name}`: {endpoint} failed after several attempts ({}); check the \
         network and the source's base_url",
        connect::innermost_cause(error)
    )]
    Network {
        source_name: String,
        endpoint: String,
        #[source]
        error: reqwest::Error,
    },
    #[error(
        "source `{source_name}`: {endpoint} did not answer within {seconds} s after several \
         attempts; raise the source's timeout_seconds or try later"
    )]
    Timeout {
        source_name: String,
        endpoint: String,
        seconds: f64,
    },
    #[error(
        "source `{source_name}`: the response of {endpoint} is not the expected JSON ({detail}); \
         nothing from that page was written"
    )]
    Decode {
        source_name: String,
        endpoint: String,
        detail: String,
    },
    #[error(
        "source `{source_name}`: {endpoint} answered HTTP {status}{}{}",
        said(detail),
        hint_for(*status)
    )]
    Http {
        source_name: String,
        status: u16,
        endpoint: String,
        /// What the server's error body says (its `error` or `message`), shortened.
        detail: Option<String>,
    },
    #[error(
        "source `{source_name}`: the next-page link of {endpoint} points to {url}, outside \
         {base_url}; plumb does not send the token there"
    )]
    ForeignLink {
        source_name: String,
        endpoint: String,
        url: String,
        base_url: String,
    },
    #[error("source `{source_name}` has no base_url and its kind has no public API; set base_url")]
    NoBaseUrl { source_name: String },
    #[error("source `{source_name}`: cannot build the HTTP client")]
    Client {
        source_name: String,
        #[source]
        error: reqwest::Error,
    },
}

/// A timestamp to the second, as messages show it.
pub(crate) fn to_the_second(t: &Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A wait in words: `2 s`, `4 min 10 s`, `1 h 5 min`.
pub(crate) fn humanise_secs(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 if secs % 60 == 0 => format!("{} min", secs / 60),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ if secs % 3600 < 60 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

fn said(detail: &Option<String>) -> String {
    detail
        .as_deref()
        .map_or(String::new(), |d| format!(" (\"{d}\")"))
}

fn hint_for(status: u16) -> &'static str {
    match status {
        404 => "; check the repository, project or service names in the source's config",
        500..=599 => " after several attempts; the service is failing, try later",
        _ => "",
    }
}

impl SourceError {
    /// Whether the rest of the source's resources are bound to fail the same way.
    pub fn is_fatal_for_source(&self) -> bool {
        matches!(
            self,
            SourceError::Auth { .. }
                | SourceError::RateLimited { .. }
                | SourceError::RateLimitRetriesExhausted { .. }
                | SourceError::Unreachable { .. }
                | SourceError::NoBaseUrl { .. }
                | SourceError::Client { .. }
        )
    }
}

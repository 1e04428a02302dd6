//! Connectors: one module per tool, each mapping its API into the unified schema, on top of a
//! shared HTTP layer (auth, pagination, conditional requests, rate limits, retries).
//!
//! Connectors never decide *when* rows are committed: they hand each page's rows to the
//! [`crate::sync::Session`], which writes them in one transaction with the cursor advance.

pub mod auth;
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
        "source `{source_name}`: rate limit exhausted until {until}; plumb stopped rather than \
         wait that long, run the sync again after that time"
    )]
    RateLimited {
        source_name: String,
        until: Timestamp,
    },
    #[error(
        "source `{source_name}`: cannot reach {endpoint}; check the network and the source's \
         base_url"
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
                | SourceError::NoBaseUrl { .. }
                | SourceError::Client { .. }
        )
    }
}

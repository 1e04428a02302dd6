//! How each provider wants its credentials presented. Credentials come from environment
//! variables or `token_command` (see [`crate::config::Secret`]); they go only into request
//! headers and print as `[redacted]` everywhere else.

use crate::config::{Secret, SourceConfig, SourceKind, TokenError};

/// A source's credentials, ready to put on a request.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>` (GitHub, Jira Data Center personal access tokens,
    /// Prometheus behind an authenticating proxy).
    Bearer(Secret),
    /// `PRIVATE-TOKEN: <token>` (GitLab personal, project and group access tokens).
    PrivateToken(Secret),
    /// `Authorization: Basic base64(user:token)` (Jira Cloud: account email and API token).
    Basic {
        user: String,
        token: Secret,
    },
    /// `Authorization: Token token=<token>` (PagerDuty REST API v2).
    PagerDuty(Secret),
    /// `Authorization: GenieKey <key>` (Opsgenie API integration key).
    GenieKey(Secret),
    /// `DD-API-KEY` and `DD-APPLICATION-KEY` headers (Datadog).
    Datadog {
        api_key: Secret,
        app_key: Secret,
    },
}

impl Auth {
    /// The single-token form of a kind. Jira with an email and Datadog need a second value:
    /// use [`resolve`] for those.
    pub fn for_kind(kind: SourceKind, token: Option<Secret>) -> Auth {
        match (kind, token) {
            (_, None) => Auth::None,
            (SourceKind::Pagerduty, Some(t)) => Auth::PagerDuty(t),
            (SourceKind::Gitlab, Some(t)) => Auth::PrivateToken(t),
            (SourceKind::Opsgenie, Some(t)) => Auth::GenieKey(t),
            (_, Some(t)) => Auth::Bearer(t),
        }
    }

    /// The name of the token's scheme, for messages (never the token).
    pub fn scheme(&self) -> &'static str {
        match self {
            Auth::None => "no credentials",
            Auth::Bearer(_) => "bearer token",
            Auth::PrivateToken(_) => "PRIVATE-TOKEN",
            Auth::Basic { .. } => "basic (email and API token)",
            Auth::PagerDuty(_) => "Token token=",
            Auth::GenieKey(_) => "GenieKey",
            Auth::Datadog { .. } => "DD-API-KEY and DD-APPLICATION-KEY",
        }
    }

    pub(super) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Bearer(t) => request.bearer_auth(t.expose()),
            Auth::PrivateToken(t) => request.header("PRIVATE-TOKEN", t.expose()),
            Auth::Basic { user, token } => request.basic_auth(user, Some(token.expose())),
            Auth::PagerDuty(t) => {
                request.header("Authorization", format!("Token token={}", t.expose()))
            }
            Auth::GenieKey(t) => {
                request.header("Authorization", format!("GenieKey {}", t.expose()))
            }
            Auth::Datadog { api_key, app_key } => request
                .header("DD-API-KEY", api_key.expose())
                .header("DD-APPLICATION-KEY", app_key.expose()),
        }
    }
}

/// Resolves every credential a source needs: its token, and for Jira Cloud the account email
/// (`email_env`), for Datadog the application key (`app_key_env`).
pub fn resolve(source: &SourceConfig) -> Result<Auth, TokenError> {
    let token = source.resolve_token()?;
    match (source.kind, token) {
        (SourceKind::Jira, Some(token)) => match &source.email_env {
            Some(variable) => Ok(Auth::Basic {
                user: source.read_env(variable)?.expose().to_string(),
                token,
            }),
            None => Ok(Auth::Bearer(token)),
        },
        (SourceKind::Datadog, Some(api_key)) => {
            let variable =
                source
                    .app_key_env
                    .as_deref()
                    .ok_or_else(|| TokenError::MissingAppKey {
                        source_name: source.name.clone(),
                    })?;
            Ok(Auth::Datadog {
                api_key,
                app_key: source.read_env(variable)?,
            })
        }
        (kind, token) => Ok(Auth::for_kind(kind, token)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(auth: &Auth, name: &str) -> Option<String> {
        let request = auth
            .apply(reqwest::Client::new().get("http://127.0.0.1/"))
            .build()
            .expect("request");
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_string())
    }

    #[test]
    fn each_provider_gets_its_own_header() {
        let t = || Secret::new("s3cret");
        assert_eq!(
            header(
                &Auth::for_kind(SourceKind::Gitlab, Some(t())),
                "PRIVATE-TOKEN"
            )
            .as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            header(
                &Auth::for_kind(SourceKind::Opsgenie, Some(t())),
                "Authorization"
            )
            .as_deref(),
            Some("GenieKey s3cret")
        );
        assert_eq!(
            header(
                &Auth::for_kind(SourceKind::Pagerduty, Some(t())),
                "Authorization"
            )
            .as_deref(),
            Some("Token token=s3cret")
        );
        let basic = Auth::Basic {
            user: "me@example.com".into(),
            token: t(),
        };
        // base64("me@example.com:s3cret")
        assert_eq!(
            header(&basic, "Authorization").as_deref(),
            Some("Basic bWVAZXhhbXBsZS5jb206czNjcmV0")
        );
        let dd = Auth::Datadog {
            api_key: t(),
            app_key: Secret::new("app"),
        };
        assert_eq!(header(&dd, "DD-API-KEY").as_deref(), Some("s3cret"));
        assert_eq!(header(&dd, "DD-APPLICATION-KEY").as_deref(), Some("app"));
        assert!(!format!("{dd:?} {basic:?}").contains("s3cret"));
    }
}

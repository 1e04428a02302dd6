//! Why a connection to a source could not be made at all.
//!
//! reqwest reports a refused connection, a failed DNS lookup and a failed TLS handshake alike
//! as "error sending request"; the cause is only in its chain of sources. Unlike a timeout,
//! none of these heals in the seconds a retry waits, so they are retried at most briefly and
//! end the source's sync.

use std::error::Error as _;
use std::fmt;

/// The cause of a failed connection, as the user can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Nothing listens at the host and port.
    Refused,
    /// The host name does not resolve.
    Dns(String),
    /// The TLS handshake failed (a certificate, or plain HTTP where HTTPS was expected).
    Tls(String),
    /// Any other failure to connect (a reset, an unreachable network).
    Other(String),
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::Refused => f.write_str("connection refused"),
            ConnectFailure::Dns(detail) => write!(f, "DNS lookup failed ({detail})"),
            ConnectFailure::Tls(detail) => write!(f, "TLS handshake failed ({detail})"),
            ConnectFailure::Other(detail) => f.write_str(detail),
        }
    }
}

impl ConnectFailure {
    /// What to check for this cause.
    pub fn hint(&self) -> &'static str {
        match self {
            ConnectFailure::Refused => {
                "check that the service runs at that address and the port in the source's base_url"
            }
            ConnectFailure::Dns(_) => "check the host name in the source's base_url and the DNS",
            ConnectFailure::Tls(_) => {
                "check the scheme (https or http) in the source's base_url and the server's \
                 certificate"
            }
            ConnectFailure::Other(_) => "check the network and the source's base_url",
        }
    }

    /// The cause of `error` when it is a failure to connect; `None` for failures after the
    /// connection was made (timeouts, a body cut short), which are worth retrying.
    pub fn of(error: &reqwest::Error) -> Option<ConnectFailure> {
        if !error.is_connect() || error.is_timeout() {
            return None;
        }
        let mut messages = Vec::new();
        let mut cause: Option<&dyn std::error::Error> = error.source();
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::ConnectionRefused
            {
                return Some(ConnectFailure::Refused);
            }
            messages.push(e.to_string());
            cause = e.source();
        }
        let innermost = messages
            .last()
            .cloned()
            .unwrap_or_else(|| error.to_string());
        Some(classify(&messages, innermost))
    }
}

/// Sorts a connect error by the messages of its chain (hyper says "dns error", rustls names
/// certificates, alerts and corrupt messages).
fn classify(messages: &[String], innermost: String) -> ConnectFailure {
    let any = |needles: &[&str]| {
        messages.iter().any(|m| {
            let m = m.to_ascii_lowercase();
            needles.iter().any(|n| m.contains(n))
        })
    };
    if any(&["connection refused"]) {
        ConnectFailure::Refused
    } else if any(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
    ]) {
        ConnectFailure::Dns(innermost)
    } else if any(&[
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
    ]) {
        ConnectFailure::Tls(innermost)
    } else {
        ConnectFailure::Other(innermost)
    }
}

/// The deepest message in `error`'s chain: reqwest's own text ("error sending request")
/// says nothing of why; the innermost source does ("connection reset by peer").
pub fn innermost_cause(error: &reqwest::Error) -> String {
    let mut innermost = error.to_string();
    let mut cause: Option<&dyn std::error::Error> = error.source();
    while let Some(e) = cause {
        innermost = e.to_string();
        cause = e.source();
    }
    innermost
}

/// `host[:port]` of a base URL, as messages name it.
pub fn host_of(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_their_port_and_drop_paths_and_credentials() {
        assert_eq!(host_of("http://127.0.0.1:9"), "127.0.0.1:9");
        assert_eq!(host_of("https://ghe.example.com/api/v3"), "ghe.example.com");
        assert_eq!(host_of("https://u:p@jira.example.com/"), "jira.example.com");
    }

    #[test]
    fn chains_are_sorted_by_what_they_say() {
        let of = |m: &[&str]| {
            let messages: Vec<String> = m.iter().map(|s| s.to_string()).collect();
            let last = messages.last().cloned().unwrap_or_default();
            classify(&messages, last)
        };
        assert_eq!(
            of(&[
                "client error (Connect)",
                "tcp connect error",
                "Connection refused (os error 111)"
            ]),
            ConnectFailure::Refused
        );
        assert!(matches!(
            of(&[
                "dns error",
                "failed to lookup address information: Name or service not known"
            ]),
            ConnectFailure::Dns(_)
        ));
        assert!(matches!(
            of(&["invalid peer certificate: UnknownIssuer"]),
            ConnectFailure::Tls(_)
        ));
        assert_eq!(
            of(&["network is unreachable"]),
            ConnectFailure::Other("network is unreachable".into())
        );
    }
}

//! Datadog (API v1 and v2): SLOs with their history as good/total samples, monitors and
//! monitor alert events as alerts.
//!
//! Resources, read in this order: `slos` (the SLO list, filtered by the source's `slos` ids
//! when set), `slo_history` (each synced SLO's history, walked in day windows from the
//! cursor), `monitors` (current monitor states) and `monitor_events` (monitor alert events
//! from the v2 events API, from the cursor). Datadog answers neither with an ETag, so every
//! pass filters by time instead and unchanged rows are not written again.

mod alerts;
mod slos;

use crate::config::SourceConfig;
use crate::model::Ownership;
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError};

/// The resources of a Datadog source.
pub fn resources(_source: &SourceConfig) -> Vec<String> {
    ["slos", "slo_history", "monitors", "monitor_events"]
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    match resource {
        "slos" => slos::sync_slos(session, client).await,
        "slo_history" => slos::sync_history(session, client).await,
        "monitors" => alerts::sync_monitors(session, client).await,
        "monitor_events" => alerts::sync_events(session, client).await,
        _ => Ok(()),
    }
}

/// Team and service of a Datadog object by its `service:` and `team:` tags; the ownership
/// map wins over the `team:` tag so that teams are named as plumb's config names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Owner {
    service: Option<String>,
    team: Option<String>,
}

fn tag<'a>(tags: &'a [String], key: &str) -> Option<&'a str> {
    tags.iter().find_map(|t| {
        t.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .filter(|v| !v.is_empty())
    })
}

fn owner(ownership: &Ownership, tags: &[String]) -> Owner {
    let service = tag(tags, "service").map(str::to_string);
    let team = service
        .as_deref()
        .and_then(|s| ownership.team_for_service(s))
        .or_else(|| tag(tags, "team"))
        .map(str::to_string);
    Owner { service, team }
}

/// `path?k=v&...` with the values percent-encoded.
fn target(path: &str, params: &[(&str, String)]) -> String {
    // The host is never contacted: the URL type only does the query encoding.
    match reqwest::Url::parse_with_params(&format!("http://plumb.invalid{path}"), params) {
        Ok(url) => match url.query() {
            Some(q) if !q.is_empty() => format!("{}?{q}", url.path()),
            _ => url.path().to_string(),
        },
        Err(_) => path.to_string(),
    }
}

/// The value of query parameter `name` in a stored target.
fn param(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    reqwest::Url::parse(&format!("http://plumb.invalid/?{query}"))
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_give_service_and_team_with_the_ownership_map_first() {
        let tags: Vec<String> = ["env:prod", "service:checkout", "team:web"]
            .map(String::from)
            .to_vec();
        let mut ownership = Ownership::default();
        assert_eq!(
            owner(&ownership, &tags),
            Owner {
                service: Some("checkout".into()),
                team: Some("web".into())
            }
        );
        ownership
            .service_team
            .insert("checkout".into(), "payments".into());
        assert_eq!(owner(&ownership, &tags).team.as_deref(), Some("payments"));
        assert_eq!(owner(&ownership, &["baz".to_string()]), Owner::default());
    }

    #[test]
    fn targets_encode_and_params_decode() {
        let t = target(
            "/api/v2/events",
            &[
                ("filter[query]", "source:alert".into()),
                ("page[cursor]", "a+b=".into()),
            ],
        );
        assert_eq!(
            t,
            "/api/v2/events?filter%5Bquery%5D=source%3Aalert&page%5Bcursor%5D=a%2Bb%3D"
        );
        assert_eq!(param(&t, "page[cursor]").as_deref(), Some("a+b="));
        assert_eq!(param(&t, "missing"), None);
    }
}

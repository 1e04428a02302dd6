//! Issues carrying one of the source's `incident_labels` → `incidents` (origin api, kind
//! github). GitHub filters `labels=` with AND semantics, so a single label is filtered by the
//! server and several are matched here on every issue updated since the cursor. The issues
//! list also holds pull requests (they carry `pull_request`); those are skipped.
//!
//! An issue knows no acknowledgement: `acknowledged_at` stays empty and MTTA leaves these
//! incidents out. Severity comes from the first label the severity tables know (`sev1`, `P2`,
//! `critical`, ...), else SEV3, keeping the label (or `unlabelled`) as the original value.

use super::{Label, Owner, PER_PAGE, iso};
use crate::model::{Severity, Timestamp};
use crate::sources::http::HttpClient;
use crate::sources::pagination::encode;
use crate::sources::shared::{Listed, fetch_next};
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Issue {
    number: u64,
    html_url: Option<String>,
    state: String,
    title: String,
    #[serde(default)]
    labels: Vec<Label>,
    created_at: Timestamp,
    closed_at: Option<Timestamp>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

const COLUMNS: &[&str] = &[
    "service",
    "team",
    "severity",
    "severity_original",
    "title",
    "status",
    "created_at",
    "resolved_at",
];

fn has_label(issue: &Issue, wanted: &[String]) -> bool {
    issue
        .labels
        .iter()
        .any(|l| wanted.iter().any(|w| w.eq_ignore_ascii_case(&l.name)))
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let wanted = session.source.incident_labels.clone();
    if wanted.is_empty() {
        return Ok(());
    }
    let owner = Owner::of(session.ownership(), repo);
    let service = owner.service_or_repo(repo);
    let mut run = session.begin(resource)?;
    let since = iso(run.pass().lower_bound);
    let label_filter = match wanted.as_slice() {
        [one] => format!("&labels={}", encode(one)),
        _ => String::new(),
    };
    loop {
        let Some(Listed { page, .. }) = fetch_next(client, &mut run, || {
            format!(
                "/repos/{repo}/issues?state=all&sort=updated&direction=desc&since={since}\
                 &per_page={PER_PAGE}{label_filter}"
            )
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let listed: Vec<Issue> = client.decode(&page)?;
        let incidents: Vec<Issue> = listed
            .into_iter()
            .filter(|i| i.pull_request.is_none() && has_label(i, &wanted))
            .collect();
        run.advance(page.next.clone());
        let source_name = session.source.name.clone();
        let ownership = session.ownership().clone();
        let privacy = session.privacy().clone();
        let team = owner.team.clone();
        session.write_page(resource, &mut run, incidents.len(), |w| {
            for i in &incidents {
                let known = i.labels.iter().find_map(|l| {
                    ownership
                        .normalise_severity(&source_name, &l.name)
                        .map(|s| (s, l.name.clone()))
                });
                let (severity, original) =
                    known.unwrap_or((Severity::Sev3, "unlabelled".to_string()));
                let resolved = i.state == "closed";
                let values = [
                    text(service.as_str()),
                    opt_text(team.clone()),
                    text(severity.as_str()),
                    text(original),
                    text(privacy.redact(&i.title)),
                    text(if resolved { "resolved" } else { "triggered" }),
                    opt_time(Some(i.created_at)),
                    opt_time(i.closed_at.filter(|_| resolved)),
                ];
                let external_id = format!("{repo}/issues/{}", i.number);
                w.upsert(
                    "incidents",
                    COLUMNS,
                    &values,
                    &external_id,
                    i.html_url.as_deref(),
                )?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_percent_encoded() {
        assert_eq!(encode("incident"), "incident");
        assert_eq!(encode("sev 1,ops"), "sev%201%2Cops");
    }
}

//! Shapes that more than one connector maps the same way: the page a list resumes at, the
//! owner of a repository or project, the columns of CI and deployment rows, and a code host's
//! roadmap milestone.

use super::SourceError;
use super::http::{Fetched, HttpClient, Page};
use crate::model::{Ownership, Timestamp};
use crate::privacy::Privacy;
use crate::store::StoreError;
use crate::sync::{ResourceRun, RowWriter, opt_text, opt_time, text};

/// One fetched page of a list and the request that produced it.
pub(crate) struct Listed {
    pub page: Page,
    pub target: String,
}

/// Fetches the page a resource's pass is at: the one its cursor points to, else the list's
/// first page (`first_target`), sent conditional on the ETag kept with the cursor when the pass
/// starts. `None` when that first page answered 304: nothing changed since.
pub(crate) async fn fetch_next(
    client: &HttpClient,
    run: &mut ResourceRun,
    first_target: impl FnOnce() -> String,
) -> Result<Option<Listed>, SourceError> {
    let first_page = run.at_start();
    let target = match run.cursor.pass.as_ref().and_then(|p| p.next.clone()) {
        Some(next) => next,
        None => first_target(),
    };
    match client.get(&target, run.if_none_match()).await? {
        Fetched::NotModified => Ok(None),
        Fetched::Page(page) => {
            run.fetched(first_page, page.etag.clone());
            Ok(Some(Listed { page, target }))
        }
    }
}

/// The columns of a `deployments` row, whichever API gave the deployment.
pub(crate) const DEPLOYMENT_COLUMNS: &[&str] = &[
    "service",
    "team",
    "environment",
    "status",
    "started_at",
    "finished_at",
    "commit_sha",
];

/// The columns of a `pipeline_runs` row (a GitHub workflow run, a GitLab pipeline).
pub(crate) const RUN_COLUMNS: &[&str] = &[
    "repo",
    "service",
    "team",
    "workflow",
    "branch",
    "commit_sha",
    "event",
    "status",
    "conclusion",
    "attempt",
    "queued_at",
    "started_at",
    "finished_at",
];

/// The columns of a `jobs` row.
pub(crate) const JOB_COLUMNS: &[&str] = &[
    "pipeline_run_id",
    "name",
    "status",
    "conclusion",
    "attempt",
    "started_at",
    "finished_at",
];

/// Team and service of a repository (a GitHub `owner/name`, a GitLab project path) by the
/// ownership map.
pub(crate) struct Owner {
    pub team: Option<String>,
    pub service: Option<String>,
}

impl Owner {
    /// The repository's mapped service, and its team: the repository's own, else its
    /// service's.
    pub fn of(ownership: &Ownership, repo: &str) -> Owner {
        let service = ownership.service_for_repo(repo).map(str::to_string);
        let team = ownership
            .team_for_repo(repo)
            .or_else(|| {
                service
                    .as_deref()
                    .and_then(|s| ownership.team_for_service(s))
            })
            .map(str::to_string);
        Owner { team, service }
    }

    /// The service rows of this repository are filed under: the mapped one, else the
    /// repository's name.
    pub fn service_or_repo(&self, repo: &str) -> String {
        self.service
            .clone()
            .unwrap_or_else(|| repo.rsplit('/').next().unwrap_or(repo).to_string())
    }
}

/// A code host's milestone as a `milestones` row. Code hosts know only open and closed: a
/// closed milestone is stored as done.
pub(crate) struct MilestoneRow<'a> {
    pub external_id: String,
    pub url: Option<&'a str>,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub done: bool,
    pub start_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

const MILESTONE_COLUMNS: &[&str] = &[
    "name",
    "team",
    "description",
    "status",
    "start_at",
    "due_at",
    "completed_at",
];

/// Upserts one milestone of `team`, its free text redacted.
pub(crate) fn write_milestone(
    w: &mut RowWriter<'_>,
    privacy: &Privacy,
    team: Option<&str>,
    m: &MilestoneRow<'_>,
) -> Result<i64, StoreError> {
    let values = [
        text(privacy.redact(m.title)),
        opt_text(team),
        opt_text(m.description.map(|d| privacy.redact(d))),
        text(if m.done { "done" } else { "open" }),
        opt_time(m.start_at),
        opt_time(m.due_at),
        opt_time(m.completed_at),
    ];
    w.upsert(
        "milestones",
        MILESTONE_COLUMNS,
        &values,
        &m.external_id,
        m.url,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ownership() -> Ownership {
        let mut o = Ownership::default();
        o.repo_service.insert("org/api".into(), "checkout".into());
        o.service_team.insert("checkout".into(), "payments".into());
        o.repo_team.insert("org/web".into(), "web".into());
        o
    }

    #[test]
    fn a_repository_takes_its_own_team_else_its_services() {
        let o = ownership();
        let api = Owner::of(&o, "org/api");
        assert_eq!(api.service.as_deref(), Some("checkout"));
        assert_eq!(api.team.as_deref(), Some("payments"), "through its service");
        let web = Owner::of(&o, "org/web");
        assert_eq!((web.team.as_deref(), web.service), (Some("web"), None));
        let unknown = Owner::of(&o, "org/other");
        assert_eq!((unknown.team, unknown.service), (None, None));
    }

    #[test]
    fn rows_of_an_unmapped_repository_are_filed_under_its_name() {
        let o = ownership();
        assert_eq!(
            Owner::of(&o, "org/api").service_or_repo("org/api"),
            "checkout"
        );
        assert_eq!(Owner::of(&o, "org/web").service_or_repo("org/web"), "web");
        assert_eq!(Owner::of(&o, "solo").service_or_repo("solo"), "solo");
    }
}

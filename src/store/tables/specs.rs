//! The import columns of every entity table. The names of the deployments, changes,
//! deployment_changes and incidents columns are fixed: other tools write files with them.

use super::ColumnType::{self, *};
use super::Derivation::*;
use super::{ColumnSpec, TableSpec};

const fn req(
    name: &'static str,
    ty: ColumnType,
    example: &'static str,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required: true,
        default: None,
        doc,
        example,
    }
}

const fn opt(
    name: &'static str,
    ty: ColumnType,
    example: &'static str,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required: false,
        default: None,
        doc,
        example,
    }
}

const fn def(
    name: &'static str,
    ty: ColumnType,
    default: &'static str,
    example: &'static str,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required: false,
        default: Some(default),
        doc,
        example,
    }
}

const DEPLOY_STATUS: &[&str] = &["success", "failure"];
const DEPLOY_KIND: &[&str] = &["regular", "rollback", "hotfix"];
const CHANGE_STATE: &[&str] = &["open", "merged", "closed"];
const RUN_STATUS: &[&str] = &["queued", "in_progress", "completed"];
const CONCLUSION: &[&str] = &["success", "failure", "cancelled", "skipped", "timed_out"];
const INCIDENT_STATUS: &[&str] = &["triggered", "acknowledged", "resolved"];
const INCIDENT_RESOLVED_BY: &[&str] = &["human", "auto"];
const EVENT_KIND: &[&str] = &[
    "trigger",
    "acknowledge",
    "escalate",
    "assign",
    "note",
    "resolve",
];
const ALERT_RESOLVED_BY: &[&str] = &["human", "auto", "timeout"];
const WINDOW_KIND: &[&str] = &["rolling", "calendar"];
const CALENDAR_PERIOD: &[&str] = &["week", "month", "quarter"];
const BUDGETING: &[&str] = &["occurrences", "timeslices", "ratio_timeslices"];
const ACTION_CATEGORY: &[&str] = &["investigate", "mitigate", "repair", "detect", "prevent"];
const ACTION_STATUS: &[&str] = &["open", "in_progress", "done", "wont_do"];
const SPRINT_STATE: &[&str] = &["future", "active", "closed"];
const MILESTONE_STATUS: &[&str] = &["open", "done", "cancelled"];
const WORK_CATEGORY: &[&str] = &["feature", "reliability", "debt", "support"];
const STATUS_CATEGORY: &[&str] = &["todo", "in_progress", "done"];
const OBJECTIVE_STATUS: &[&str] = &["draft", "active", "done", "dropped"];
const TICKET_STATUS: &[&str] = &["open", "pending", "solved", "closed"];
const COST_SOURCE: &[&str] = &["finance", "estimate"];

const TEAM: ColumnSpec = opt(
    "team",
    Text,
    "payments",
    "owning team; filled from the config when empty",
);
const SERVICE: ColumnSpec = opt("service", Text, "checkout", "service name");

/// Every importable table, parents before children (the order files are imported in).
/// Kept one column per line, as a table is read.
#[rustfmt::skip]
pub static SPECS: &[TableSpec] = &[
    TableSpec {
        table: "teams",
        doc: "Teams, by name. Teams from config need no import; this adds display names and time zones.",
        external_id_example: "payments",
        external_id_from: &["name"],
        columns: &[
            req("name", Text, "payments", "team name as used everywhere else"),
            opt("display_name", Text, "Payments squad", "name shown in the UI"),
            opt("timezone", TimeZone, "Europe/Berlin", "the team's days and weeks are counted in this zone"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "services",
        doc: "Services and who owns them.",
        external_id_example: "checkout",
        external_id_from: &["name"],
        columns: &[
            req("name", Text, "checkout", "service name"),
            TEAM,
            opt("tier", Text, "tier-1", "criticality tier"),
            opt("repo", Text, "acme/checkout", "repository holding the service"),
        ],
        derive: &[TeamFromService("name"), TeamFromRepo("repo")],
    },
    TableSpec {
        table: "repos",
        doc: "Repositories, with their owning team and service.",
        external_id_example: "acme/checkout",
        external_id_from: &["name"],
        columns: &[
            req("name", Text, "acme/checkout", "`owner/name` or a GitLab path"),
            TEAM,
            opt("service", Text, "checkout", "the one service the repo holds"),
        ],
        derive: &[
            ServiceFromRepo("name"),
            TeamFromService("service"),
            TeamFromRepo("name"),
        ],
    },
    TableSpec {
        table: "deployments",
        doc: "Deployments of a service to an environment.",
        external_id_example: "dep-1042",
        external_id_from: &[],
        columns: &[
            req("service", Text, "checkout", "deployed service"),
            req("environment", Text, "production", "target environment"),
            req("status", Enum(DEPLOY_STATUS), "success", "outcome of the deployment"),
            opt("started_at", Timestamp, "2024-05-02T09:58:00Z", "when it started"),
            req("finished_at", Timestamp, "2024-05-02T10:03:00Z", "when it finished"),
            opt("commit_sha", Text, "9f2c1e4", "deployed commit"),
            TEAM,
            def("kind", Enum(DEPLOY_KIND), "regular", "hotfix", "rollbacks and hotfixes count as remediation"),
        ],
        derive: &[TeamFromService("service")],
    },
    TableSpec {
        table: "changes",
        doc: "Changes: pull requests or merge requests.",
        external_id_example: "pr-311",
        external_id_from: &[],
        columns: &[
            req("repo", Text, "acme/checkout", "repository"),
            opt("service", Text, "checkout", "service; filled from the config's repo map when empty"),
            opt("merge_sha", Text, "9f2c1e4", "merge commit"),
            opt("first_commit_at", Timestamp, "2024-05-01T08:00:00Z", "first commit of the change"),
            opt("opened_at", Timestamp, "2024-05-01T09:00:00Z", "when the PR/MR was opened"),
            opt("first_review_at", Timestamp, "2024-05-01T13:00:00Z", "first review"),
            opt("merged_at", Timestamp, "2024-05-02T09:00:00Z", "merge time"),
            TEAM,
            opt("title", Prose, "Retry card captures", "title"),
            opt("author", Person, "dev-7f3a", "author (stored as a pseudonym)"),
            def("state", Enum(CHANGE_STATE), "merged", "merged", "state of the change"),
            opt("additions", Integer, "120", "lines added"),
            opt("deletions", Integer, "30", "lines deleted"),
            def("labels", Labels, "[]", "bugfix;payments", "labels"),
        ],
        derive: &[
            ServiceFromRepo("repo"),
            TeamFromService("service"),
            TeamFromRepo("repo"),
        ],
    },
    TableSpec {
        table: "deployment_changes",
        doc: "Which changes each deployment shipped.",
        external_id_example: "dep-1042/pr-311",
        external_id_from: &["deployment_id", "change_id"],
        columns: &[
            req("deployment_id", Reference("deployments"), "dep-1042", "the deployment"),
            req("change_id", Reference("changes"), "pr-311", "a change it shipped"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "pipeline_runs",
        doc: "CI workflow runs (GitHub Actions runs, GitLab pipelines).",
        external_id_example: "run-5521",
        external_id_from: &[],
        columns: &[
            req("repo", Text, "acme/checkout", "repository"),
            req("workflow", Text, "ci", "workflow or pipeline name"),
            opt("service", Text, "checkout", "service; filled from the config's repo map when empty"),
            TEAM,
            opt("branch", Text, "main", "branch"),
            opt("commit_sha", Text, "9f2c1e4", "commit built"),
            opt("event", Text, "push", "what triggered the run"),
            def("status", Enum(RUN_STATUS), "completed", "completed", "run status"),
            opt("conclusion", Enum(CONCLUSION), "success", "result of a completed run"),
            def("attempt", Integer, "1", "2", "re-run number of the same commit"),
            opt("queued_at", Timestamp, "2024-05-02T09:00:00Z", "queued"),
            opt("started_at", Timestamp, "2024-05-02T09:01:00Z", "started"),
            opt("finished_at", Timestamp, "2024-05-02T09:09:00Z", "finished"),
            opt("tests_passed", Integer, "812", "tests passed"),
            opt("tests_failed", Integer, "0", "tests failed"),
        ],
        derive: &[
            ServiceFromRepo("repo"),
            TeamFromService("service"),
            TeamFromRepo("repo"),
        ],
    },
    TableSpec {
        table: "jobs",
        doc: "Jobs of CI runs.",
        external_id_example: "job-88120",
        external_id_from: &[],
        columns: &[
            req("pipeline_run_id", Reference("pipeline_runs"), "run-5521", "the run"),
            req("name", Text, "test", "job name"),
            def("status", Enum(RUN_STATUS), "completed", "completed", "job status"),
            opt("conclusion", Enum(CONCLUSION), "failure", "result of a completed job"),
            def("attempt", Integer, "1", "1", "re-run number"),
            opt("started_at", Timestamp, "2024-05-02T09:01:00Z", "started"),
            opt("finished_at", Timestamp, "2024-05-02T09:06:00Z", "finished"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "incidents",
        doc: "Incidents. The severity is kept as given and mapped to SEV1..SEV5.",
        external_id_example: "inc-77",
        external_id_from: &[],
        columns: &[
            SERVICE,
            req("severity", Severity, "P2", "the source's severity; mapped to SEV1..SEV5 (config `[severity]`)"),
            req("title", Prose, "Checkout errors", "title"),
            req("created_at", Timestamp, "2024-05-02T11:00:00Z", "when it began"),
            opt("acknowledged_at", Timestamp, "2024-05-02T11:04:00Z", "first acknowledgement"),
            opt("resolved_at", Timestamp, "2024-05-02T12:10:00Z", "resolution"),
            TEAM,
            opt("status", Enum(INCIDENT_STATUS), "resolved", "state; derived from the timestamps when empty"),
            opt("resolved_by", Enum(INCIDENT_RESOLVED_BY), "human", "who resolved it"),
            opt("deployment_id", Reference("deployments"), "dep-1042", "deployment that caused it, if known"),
        ],
        derive: &[TeamFromService("service"), IncidentStatus],
    },
    TableSpec {
        table: "incident_events",
        doc: "Incident timelines (log entries).",
        external_id_example: "inc-77-ack",
        external_id_from: &[],
        columns: &[
            req("incident_id", Reference("incidents"), "inc-77", "the incident"),
            req("at", Timestamp, "2024-05-02T11:04:00Z", "when"),
            req("kind", Enum(EVENT_KIND), "acknowledge", "what happened"),
            opt("actor", Person, "oncall-2b", "who (stored as a pseudonym)"),
            opt("detail", Prose, "paged secondary", "free text"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "alerts",
        doc: "Alerts and monitor firings.",
        external_id_example: "al-9001",
        external_id_from: &[],
        columns: &[
            req("monitor", Text, "checkout-5xx", "monitor or alert key"),
            SERVICE,
            TEAM,
            opt("severity", Text, "P3", "the alert's own severity"),
            opt("title", Prose, "5xx above 2%", "title"),
            req("triggered_at", Timestamp, "2024-05-02T10:58:00Z", "fired"),
            opt("acknowledged_at", Timestamp, "2024-05-02T11:02:00Z", "acknowledged"),
            opt("resolved_at", Timestamp, "2024-05-02T11:30:00Z", "resolved"),
            opt("resolved_by", Enum(ALERT_RESOLVED_BY), "auto", "how it was resolved"),
            opt("incident_id", Reference("incidents"), "inc-77", "incident it belongs to"),
        ],
        derive: &[TeamFromService("service")],
    },
    TableSpec {
        table: "slos",
        doc: "Service level objectives.",
        external_id_example: "slo-checkout",
        external_id_from: &[],
        columns: &[
            req("name", Text, "checkout availability", "name"),
            SERVICE,
            TEAM,
            opt("description", Prose, "non-5xx share of requests", "what is measured"),
            req("target", Fraction, "0.999", "objective as a fraction"),
            def("window_kind", Enum(WINDOW_KIND), "rolling", "rolling", "rolling or calendar window"),
            def("window_days", Integer, "30", "28", "length of a rolling window"),
            opt("calendar_period", Enum(CALENDAR_PERIOD), "month", "period of a calendar window"),
            def("budgeting_method", Enum(BUDGETING), "occurrences", "occurrences", "how the budget is counted"),
            opt("timeslice_seconds", Integer, "60", "timeslice length (timeslice methods)"),
            opt("timeslice_target", Real, "0.95", "good-slice threshold (timeslices)"),
        ],
        derive: &[TeamFromService("service")],
    },
    TableSpec {
        table: "slo_samples",
        doc: "Good and total event counts of an SLO per time bucket.",
        external_id_example: "slo-checkout/2024-05-02T11:00:00Z",
        external_id_from: &["slo_id", "bucket_start"],
        columns: &[
            req("slo_id", Reference("slos"), "slo-checkout", "the SLO"),
            req("bucket_start", Timestamp, "2024-05-02T11:00:00Z", "bucket start"),
            req("bucket_seconds", Integer, "3600", "bucket length"),
            req("good", Real, "99870", "good events"),
            req("total", Real, "100000", "all events"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "action_items",
        doc: "Postmortem follow-ups.",
        external_id_example: "ai-12",
        external_id_from: &[],
        columns: &[
            opt("incident_id", Reference("incidents"), "inc-77", "the incident it follows up"),
            req("title", Prose, "Alert on capture retries", "what to do"),
            opt("category", Enum(ACTION_CATEGORY), "detect", "Lueder and Beyer category"),
            TEAM,
            opt("owner", Person, "dev-7f3a", "owner (stored as a pseudonym)"),
            opt("priority", Text, "P2", "priority"),
            def("status", Enum(ACTION_STATUS), "open", "in_progress", "state"),
            opt("ticket_key", Text, "PAY-812", "tracking ticket"),
            req("created_at", Timestamp, "2024-05-03T09:00:00Z", "created"),
            opt("due_at", Timestamp, "2024-06-01T00:00:00Z", "due"),
            opt("completed_at", Timestamp, "2024-05-20T15:00:00Z", "done"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "sprints",
        doc: "Sprints per board.",
        external_id_example: "sprint-240",
        external_id_from: &[],
        columns: &[
            req("board", Text, "PAY", "board"),
            TEAM,
            req("name", Text, "PAY 24.09", "sprint name"),
            def("state", Enum(SPRINT_STATE), "closed", "closed", "state"),
            req("start_at", Timestamp, "2024-04-29T08:00:00Z", "start"),
            req("end_at", Timestamp, "2024-05-10T17:00:00Z", "planned end"),
            opt("completed_at", Timestamp, "2024-05-10T16:30:00Z", "closed at"),
            opt("goal", Prose, "Ship retries", "sprint goal"),
        ],
        derive: &[TeamFromBoard("board")],
    },
    TableSpec {
        table: "milestones",
        doc: "Roadmap milestones.",
        external_id_example: "ms-vault",
        external_id_from: &[],
        columns: &[
            req("name", Text, "EU card vault", "name"),
            TEAM,
            opt("description", Prose, "PCI scope reduction", "description"),
            def("status", Enum(MILESTONE_STATUS), "open", "open", "state"),
            opt("start_at", Timestamp, "2024-04-01T00:00:00Z", "start"),
            opt("due_at", Timestamp, "2024-07-01T00:00:00Z", "due"),
            opt("completed_at", Timestamp, "2024-06-28T00:00:00Z", "completed"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "work_items",
        doc: "Work items (issues).",
        external_id_example: "PAY-812",
        external_id_from: &[],
        columns: &[
            req("key", Text, "PAY-812", "issue key"),
            opt("title", Prose, "Alert on capture retries", "title"),
            req("item_type", Text, "Story", "issue type"),
            opt("category", Enum(WORK_CATEGORY), "reliability", "work-mix category"),
            req("status", Text, "In Review", "the tool's status"),
            req("status_category", Enum(STATUS_CATEGORY), "in_progress", "status category"),
            TEAM,
            opt("sprint_id", Reference("sprints"), "sprint-240", "current sprint"),
            opt("milestone_id", Reference("milestones"), "ms-vault", "roadmap milestone"),
            opt("epic", Text, "PAY-700", "epic"),
            opt("points", Real, "3", "story points"),
            req("created_at", Timestamp, "2024-04-30T10:00:00Z", "created"),
            opt("started_at", Timestamp, "2024-05-02T09:00:00Z", "work started"),
            opt("resolved_at", Timestamp, "2024-05-08T16:00:00Z", "resolved"),
            opt("due_at", Timestamp, "2024-05-10T17:00:00Z", "due"),
            def("labels", Labels, "[]", "postmortem;alerts", "labels"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "sprint_items",
        doc: "Sprint membership of work items over time.",
        external_id_example: "sprint-240/PAY-812",
        external_id_from: &["sprint_id", "work_item_id"],
        columns: &[
            req("sprint_id", Reference("sprints"), "sprint-240", "the sprint"),
            req("work_item_id", Reference("work_items"), "PAY-812", "the work item"),
            opt("added_at", Timestamp, "2024-05-01T10:00:00Z", "added (after the start = scope added)"),
            opt("removed_at", Timestamp, "2024-05-09T10:00:00Z", "removed"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "work_item_transitions",
        doc: "Status changes of work items, for cycle time.",
        external_id_example: "PAY-812-t3",
        external_id_from: &[],
        columns: &[
            req("work_item_id", Reference("work_items"), "PAY-812", "the work item"),
            req("at", Timestamp, "2024-05-02T09:00:00Z", "when"),
            opt("from_status", Text, "To Do", "status before"),
            req("to_status", Text, "In Progress", "status after"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "objectives",
        doc: "OKR objectives.",
        external_id_example: "okr-q2-1",
        external_id_from: &[],
        columns: &[
            req("title", Prose, "Checkout never loses a payment", "objective"),
            TEAM,
            req("period", Text, "2024-Q2", "period"),
            def("status", Enum(OBJECTIVE_STATUS), "active", "active", "state"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "key_results",
        doc: "OKR key results, optionally bound to a plumb metric.",
        external_id_example: "kr-q2-1a",
        external_id_from: &[],
        columns: &[
            req("objective_id", Reference("objectives"), "okr-q2-1", "the objective"),
            req("title", Prose, "Lead time under a day", "key result"),
            opt("metric", Text, "dora.lead_time", "plumb metric id that measures it"),
            opt("unit", Text, "hours", "unit"),
            opt("baseline", Real, "40", "value at the start"),
            req("target", Real, "24", "target value"),
            opt("current", Real, "31", "current value (when not bound to a metric)"),
        ],
        derive: &[],
    },
    TableSpec {
        table: "support_tickets",
        doc: "Customer support tickets.",
        external_id_example: "zd-55012",
        external_id_from: &[],
        columns: &[
            opt("title", Prose, "Card declined twice", "title"),
            SERVICE,
            TEAM,
            opt("priority", Text, "high", "priority"),
            def("status", Enum(TICKET_STATUS), "open", "solved", "state"),
            req("created_at", Timestamp, "2024-05-02T11:20:00Z", "opened"),
            opt("resolved_at", Timestamp, "2024-05-02T15:00:00Z", "resolved"),
            def("labels", Labels, "[]", "payments;refund", "labels"),
        ],
        derive: &[TeamFromService("service")],
    },
    TableSpec {
        table: "costs",
        doc: "Spend per period, reported by finance or estimated by engineering.",
        external_id_example: "aws-2024-05-pay",
        external_id_from: &[],
        columns: &[
            req("period_start", Timestamp, "2024-05-01T00:00:00Z", "period start"),
            req("period_end", Timestamp, "2024-06-01T00:00:00Z", "period end (exclusive)"),
            TEAM,
            SERVICE,
            opt("category", Text, "compute", "cost category"),
            req("amount", Real, "18250.40", "amount"),
            def("currency", Text, "USD", "EUR", "ISO 4217 currency"),
            req("cost_source", Enum(COST_SOURCE), "finance", "reported spend or engineering estimate"),
        ],
        derive: &[TeamFromService("service")],
    },
    TableSpec {
        table: "annotations",
        doc: "The decision log, shown as markers on charts.",
        external_id_example: "note-14",
        external_id_from: &[],
        columns: &[
            req("at", Timestamp, "2024-05-06T09:00:00Z", "when"),
            TEAM,
            SERVICE,
            opt("metric", Text, "dora.deployment_frequency", "metric it concerns"),
            req("title", Prose, "Batch deploys split", "what was decided or happened"),
            opt("body", Prose, "Deploy count rose; deploy-days did not.", "details"),
        ],
        derive: &[TeamFromService("service")],
    },
];

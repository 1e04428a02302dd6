//! The tables of the unified schema that hold entity rows (each with provenance).

/// Every entity table, in an order where parents come before children.
pub const TABLE_NAMES: &[&str] = &[
    "teams",
    "services",
    "repos",
    "deployments",
    "changes",
    "deployment_changes",
    "pipeline_runs",
    "jobs",
    "incidents",
    "incident_events",
    "alerts",
    "slos",
    "slo_samples",
    "action_items",
    "sprints",
    "milestones",
    "work_items",
    "sprint_items",
    "work_item_transitions",
    "objectives",
    "key_results",
    "support_tickets",
    "costs",
    "annotations",
];

//! The tables of the unified schema that hold entity rows (each with provenance), and the
//! column specification of each as a file import sees it.
//!
//! A [`TableSpec`] lists the columns a CSV or JSON Lines file may carry for one table. Each
//! import column is stored in the database column of the same name, except a
//! [`ColumnType::Severity`] column, which fills both `severity` (normalised) and
//! `severity_original`. Provenance columns (`source`, `source_kind`, `external_id`, `url`,
//! `synced_at`, `origin`) are added by [`super::write`]; of those only `external_id` and `url`
//! appear in a file.

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

/// How the text of an import column is read and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// A person's name or handle: stored as a keyed pseudonym unless config opts in to names.
    Person,
    /// Free text (titles, descriptions): emails, phone numbers, IP addresses and configured
    /// patterns are redacted before it is stored.
    Prose,
    Integer,
    Real,
    /// A real number strictly between 0 and 1 (an objective such as 0.999).
    Fraction,
    /// RFC 3339 in the file, epoch seconds in the store.
    Timestamp,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`), stored as 1 or 0.
    Bool,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// An IANA time zone name such as `Europe/Berlin`.
    TimeZone,
    /// A list: `a;b;c` in CSV, a JSON array of strings in JSON Lines; stored as a JSON array.
    Labels,
    /// The external id of a row of the named table, stored as that row's store id. Resolved
    /// within the importing source unless the companion column `<name>_source` names another.
    Reference(&'static str),
    /// A source's own severity; stored as given in `severity_original` and mapped to
    /// SEV1..SEV5 in `severity` through the config's severity table.
    Severity,
}

impl ColumnType {
    /// The type as the import documentation names it.
    pub fn describe(self) -> String {
        match self {
            ColumnType::Text => "text".into(),
            ColumnType::Person => "person (pseudonymised)".into(),
            ColumnType::Prose => "text (redacted)".into(),
            ColumnType::Integer => "integer".into(),
            ColumnType::Real => "number".into(),
            ColumnType::Fraction => "number, 0 < x < 1".into(),
            ColumnType::Timestamp => "RFC 3339 timestamp".into(),
            ColumnType::Bool => "bool".into(),
            ColumnType::Enum(values) => format!("one of {}", values.join(", ")),
            ColumnType::TimeZone => "IANA time zone".into(),
            ColumnType::Labels => "list".into(),
            ColumnType::Reference(table) => format!("external id in {table}"),
            ColumnType::Severity => "severity".into(),
        }
    }
}

/// One column of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
    /// Stored when the cell is empty or the column absent (the schema's own default).
    pub default: Option<&'static str>,
    pub doc: &'static str,
    pub example: &'static str,
}

/// A value an importer fills in from the ownership map when the file leaves it empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// `service` from the repo named in the given column (repos holding one service).
    ServiceFromRepo(&'static str),
    /// `team` from the owner of the service named in the given column.
    TeamFromService(&'static str),
    /// `team` from the owner of the repo named in the given column.
    TeamFromRepo(&'static str),
    /// `team` from the Jira board named in the given column.
    TeamFromBoard(&'static str),
    /// Incident `status` from its timestamps: resolved, else acknowledged, else triggered.
    IncidentStatus,
}

impl Derivation {
    /// The column this derivation fills.
    pub fn target(self) -> &'static str {
        match self {
            Derivation::ServiceFromRepo(_) => "service",
            Derivation::TeamFromService(_)
            | Derivation::TeamFromRepo(_)
            | Derivation::TeamFromBoard(_) => "team",
            Derivation::IncidentStatus => "status",
        }
    }

    pub fn describe(self) -> String {
        match self {
            Derivation::ServiceFromRepo(c) => {
                format!("`service` from the config's repo → service map, by `{c}`")
            }
            Derivation::TeamFromService(c) => {
                format!("`team` from the config's service owners, by `{c}`")
            }
            Derivation::TeamFromRepo(c) => {
                format!("`team` from the config's repo owners, by `{c}`")
            }
            Derivation::TeamFromBoard(c) => {
                format!("`team` from the config's board owners, by `{c}`")
            }
            Derivation::IncidentStatus => "`status`: `resolved` when `resolved_at` is set, else \
                 `acknowledged` when `acknowledged_at` is set, else `triggered`"
                .into(),
        }
    }
}

/// The import view of one entity table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    pub table: &'static str,
    pub doc: &'static str,
    pub external_id_example: &'static str,
    /// Columns whose values, joined with `/`, make the external id when the file has no
    /// `external_id`; empty when `external_id` is required.
    pub external_id_from: &'static [&'static str],
    pub columns: &'static [ColumnSpec],
    /// Applied in order, each only when its target column is empty.
    pub derive: &'static [Derivation],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns written to the database for this table, in write order (provenance aside).
    pub fn db_columns(&self) -> Vec<&'static str> {
        let mut out = Vec::with_capacity(self.columns.len() + 1);
        for c in self.columns {
            if c.ty == ColumnType::Severity {
                out.push("severity");
                out.push("severity_original");
            } else {
                out.push(c.name);
            }
        }
        out
    }
}

/// The spec of an entity table by name.
pub fn spec(table: &str) -> Option<&'static TableSpec> {
    SPECS.iter().find(|s| s.table == table)
}

mod specs;
pub use specs::SPECS;

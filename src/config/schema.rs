//! The config file's shape. Every table denies unknown keys; every key has a default except
//! the names and kinds that identify an entry. Checks that need more than one value (unique
//! names, references, kind-specific keys) live in `validate`.

use super::duration::HumanDuration;
use super::keys::KeyBinding;
use super::scalars::{self, Pattern, ReleaseWindow, ReportYear, SeverityMap};
use crate::model::{BudgetingMethod, Severity, SloWindow, Timestamp};
use chrono::{NaiveTime, Weekday};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sources: Vec<SourceConfig>,
    pub teams: Vec<TeamConfig>,
    pub environments: EnvironmentsConfig,
    pub severity: SeverityConfig,
    #[serde(deserialize_with = "scalars::severity_keyed")]
    pub sla: BTreeMap<Severity, SlaTarget>,
    pub metrics: MetricsConfig,
    pub slos: Vec<SloConfig>,
    pub ui: UiConfig,
    pub retention: RetentionConfig,
    pub privacy: PrivacyConfig,
    pub access: AccessConfig,
}

/// The tools plumb can read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Github,
    Gitlab,
    Jira,
    Pagerduty,
    Opsgenie,
    Datadog,
    Prometheus,
}

impl SourceKind {
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::Jira,
        SourceKind::Pagerduty,
        SourceKind::Opsgenie,
        SourceKind::Datadog,
        SourceKind::Prometheus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Github => "github",
            SourceKind::Gitlab => "gitlab",
            SourceKind::Jira => "jira",
            SourceKind::Pagerduty => "pagerduty",
            SourceKind::Opsgenie => "opsgenie",
            SourceKind::Datadog => "datadog",
            SourceKind::Prometheus => "prometheus",
        }
    }

    /// The public SaaS API, for kinds that have one; Jira and Prometheus need a `base_url`.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            SourceKind::Github => Some("https://api.github.com"),
            SourceKind::Gitlab => Some("https://gitlab.com"),
            SourceKind::Pagerduty => Some("https://api.pagerduty.com"),
            SourceKind::Opsgenie => Some("https://api.opsgenie.com"),
            SourceKind::Datadog => Some("https://api.datadoghq.com"),
            SourceKind::Jira | SourceKind::Prometheus => None,
        }
    }

    /// The scope keys only this kind accepts.
    pub fn scope_keys(self) -> &'static [&'static str] {
        match self {
            SourceKind::Github => &["repos", "incident_labels", "deploy_signal", "environments"],
            SourceKind::Gitlab => &["projects"],
            SourceKind::Jira => &["jql", "boards", "email_env", "action_item_labels"],
            SourceKind::Pagerduty => &["services"],
            SourceKind::Opsgenie => &["teams"],
            SourceKind::Datadog => &["slos", "site", "app_key_env"],
            SourceKind::Prometheus => &["queries"],
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What counts as a deployment on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploySignal {
    /// The Deployments API (deployments and their statuses).
    #[default]
    Deployments,
    /// Published releases.
    Releases,
}

/// One `[[sources]]` entry. Scope keys are valid only for their kind (see
/// [`SourceKind::scope_keys`]); `validate` rejects the others.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_command: Option<String>,
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    #[serde(default = "default_history")]
    pub history: HumanDuration,
    // github
    #[serde(default)]
    pub repos: Vec<String>,
    #[serde(default = "default_incident_labels")]
    pub incident_labels: Vec<String>,
    #[serde(default)]
    pub deploy_signal: DeploySignal,
    #[serde(default)]
    pub environments: Vec<String>,
    // gitlab
    #[serde(default)]
    pub projects: Vec<String>,
    // jira
    #[serde(default)]
    pub jql: Option<String>,
    #[serde(default)]
    pub boards: Vec<u64>,
    #[serde(default)]
    pub email_env: Option<String>,
    #[serde(default = "default_action_item_labels")]
    pub action_item_labels: Vec<String>,
    // pagerduty
    #[serde(default)]
    pub services: Vec<String>,
    // opsgenie
    #[serde(default)]
    pub teams: Vec<String>,
    // datadog
    #[serde(default)]
    pub slos: Vec<String>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub app_key_env: Option<String>,
    // prometheus
    #[serde(default)]
    pub queries: Vec<PromQuery>,
}

fn default_concurrency() -> u32 {
    4
}
fn default_timeout_seconds() -> u64 {
    30
}
fn default_history() -> HumanDuration {
    HumanDuration::from_days(365)
}
fn default_incident_labels() -> Vec<String> {
    vec!["incident".into()]
}
fn default_action_item_labels() -> Vec<String> {
    vec!["postmortem-action".into()]
}

impl SourceConfig {
    /// A source entry with defaults for everything but its name and kind.
    pub fn new(name: impl Into<String>, kind: SourceKind) -> Self {
        Self {
            name: name.into(),
            kind,
            base_url: None,
            token_env: None,
            token_command: None,
            concurrency: default_concurrency(),
            timeout_seconds: default_timeout_seconds(),
            history: default_history(),
            repos: Vec::new(),
            incident_labels: default_incident_labels(),
            deploy_signal: DeploySignal::default(),
            environments: Vec::new(),
            projects: Vec::new(),
            jql: None,
            boards: Vec::new(),
            email_env: None,
            action_item_labels: default_action_item_labels(),
            services: Vec::new(),
            teams: Vec::new(),
            slos: Vec::new(),
            site: None,
            app_key_env: None,
            queries: Vec::new(),
        }
    }

    /// The API root to call: `base_url`, else the kind's public API (Datadog honours `site`).
    pub fn api_base_url(&self) -> Option<String> {
        if let Some(url) = &self.base_url {
            return Some(url.trim_end_matches('/').to_string());
        }
        if let (SourceKind::Datadog, Some(site)) = (self.kind, &self.site) {
            return Some(format!("https://api.{site}"));
        }
        self.kind.default_base_url().map(str::to_string)
    }

    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_seconds)
    }
}

/// One Prometheus SLI: good and total event counts for the SLO named `slo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromQuery {
    pub slo: String,
    pub good: String,
    pub total: String,
    #[serde(default = "default_step")]
    pub step: HumanDuration,
}

fn default_step() -> HumanDuration {
    HumanDuration::from_secs(300)
}

/// One `[[teams]]` entry and what it owns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// IANA name, checked against the tz database when loaded.
    #[serde(default, deserialize_with = "scalars::opt_timezone")]
    pub timezone: Option<String>,
    #[serde(default)]
    pub repos: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub boards: Vec<u64>,
    #[serde(default)]
    pub production: Option<Pattern>,
    #[serde(default)]
    pub release_window: Option<ReleaseWindow>,
}

impl TeamConfig {
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

/// `[environments]`: which deployment environments count as production.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentsConfig {
    /// `None` means [`DEFAULT_PRODUCTION_PATTERN`], which `Ownership` applies built in.
    pub production: Option<Pattern>,
}

/// Matches `prod` and `production` in any case.
pub const DEFAULT_PRODUCTION_PATTERN: &str = "^(?i)(prod|production)$";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityConfig {
    pub default: SeverityMap,
    /// Source name → that source's own table, applied before `default`.
    pub sources: BTreeMap<String, SeverityMap>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    #[serde(default)]
    pub acknowledge: Option<HumanDuration>,
    #[serde(default)]
    pub resolve: Option<HumanDuration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub report_year: ReportYear,
    pub incident_window: HumanDuration,
    pub repeat_incident_window: HumanDuration,
    pub off_hours: OffHours,
    #[serde(deserialize_with = "scalars::severity_keyed")]
    pub action_due: BTreeMap<Severity, HumanDuration>,
    pub flaky_rerun: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            report_year: ReportYear::default(),
            incident_window: HumanDuration::from_secs(24 * 3_600),
            repeat_incident_window: HumanDuration::from_days(7),
            off_hours: OffHours::default(),
            action_due: BTreeMap::from([
                (Severity::Sev1, HumanDuration::from_days(30)),
                (Severity::Sev2, HumanDuration::from_days(60)),
                (Severity::Sev3, HumanDuration::from_days(90)),
            ]),
            flaky_rerun: true,
        }
    }
}

/// Outside working hours, in each team's time zone; `start` after `end` wraps past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffHours {
    #[serde(deserialize_with = "scalars::clock")]
    pub start: NaiveTime,
    #[serde(deserialize_with = "scalars::clock")]
    pub end: NaiveTime,
    pub weekends: bool,
}

impl Default for OffHours {
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            weekends: true,
        }
    }
}

impl From<OffHours> for crate::metrics::incidents::OffHoursRule {
    fn from(o: OffHours) -> Self {
        Self {
            start: o.start,
            end: o.end,
            weekends: o.weekends,
        }
    }
}

/// One `[[slos]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    pub name: String,
    pub service: String,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A fraction strictly between 0 and 1, e.g. 0.999.
    pub target: f64,
    #[serde(deserialize_with = "scalars::slo_window")]
    pub window: SloWindow,
    #[serde(
        default = "default_budgeting_method",
        deserialize_with = "scalars::budgeting_method"
    )]
    pub method: BudgetingMethod,
    #[serde(default)]
    pub timeslice: Option<HumanDuration>,
    #[serde(default)]
    pub timeslice_target: Option<f64>,
    #[serde(default)]
    pub source: Option<String>,
    /// For Prometheus sources: which `queries` entry (by its `slo`) feeds this SLO; defaults
    /// to this SLO's name.
    #[serde(default)]
    pub query: Option<String>,
    /// For Datadog sources: the Datadog SLO id.
    #[serde(default)]
    pub slo_id: Option<String>,
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    #[serde(default)]
    pub peaks: Vec<Peak>,
}

fn default_budgeting_method() -> BudgetingMethod {
    BudgetingMethod::Occurrences
}

/// How often a recurring exclusion repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recurrence {
    Day,
    Week,
}

/// A window taken out of an SLO's budget: one-off (`start`, `end`) or recurring (`every`,
/// `weekday` for weekly, `at`, `duration`). Written flat so a mistake is reported on its key;
/// `validate` checks that exactly one form is complete. Use [`Exclusion::rule`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    #[serde(default, deserialize_with = "scalars::opt_timestamp")]
    pub start: Option<Timestamp>,
    #[serde(default, deserialize_with = "scalars::opt_timestamp")]
    pub end: Option<Timestamp>,
    #[serde(default)]
    pub every: Option<Recurrence>,
    #[serde(default, deserialize_with = "scalars::opt_weekday")]
    pub weekday: Option<Weekday>,
    #[serde(default, deserialize_with = "scalars::opt_clock")]
    pub at: Option<NaiveTime>,
    #[serde(default)]
    pub duration: Option<HumanDuration>,
    pub reason: String,
}

/// A validated exclusion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExclusionRule {
    Once {
        start: Timestamp,
        end: Timestamp,
    },
    Daily {
        at: NaiveTime,
        duration: HumanDuration,
    },
    Weekly {
        weekday: Weekday,
        at: NaiveTime,
        duration: HumanDuration,
    },
}

impl Exclusion {
    /// The rule this entry describes, or `None` when its keys mix or miss a form (which a
    /// loaded config never does: `validate` rejects it).
    pub fn rule(&self) -> Option<ExclusionRule> {
        match (self.start, self.end, self.every, self.at, self.duration) {
            (Some(start), Some(end), None, None, None) if self.weekday.is_none() => {
                Some(ExclusionRule::Once { start, end })
            }
            (None, None, Some(Recurrence::Day), Some(at), Some(duration))
                if self.weekday.is_none() =>
            {
                Some(ExclusionRule::Daily { at, duration })
            }
            (None, None, Some(Recurrence::Week), Some(at), Some(duration)) => {
                Some(ExclusionRule::Weekly {
                    weekday: self.weekday?,
                    at,
                    duration,
                })
            }
            _ => None,
        }
    }
}

/// A planned traffic peak: expected load `factor` times normal between `start` and `end`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peak {
    #[serde(deserialize_with = "scalars::timestamp")]
    pub start: Timestamp,
    #[serde(deserialize_with = "scalars::timestamp")]
    pub end: Timestamp,
    pub reason: String,
    #[serde(default = "default_peak_factor")]
    pub factor: f64,
}

fn default_peak_factor() -> f64 {
    1.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Dark,
    Light,
    #[default]
    Auto,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub theme: Theme,
    pub mouse: bool,
    pub tick_seconds: u64,
    /// Action name (see [`super::UI_ACTIONS`]) → key; overrides the built-in keymap.
    pub keys: BTreeMap<String, KeyBinding>,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: Theme::Auto,
            // Off: capturing the mouse takes away the terminal's own text selection.
            mouse: false,
            tick_seconds: 1,
            keys: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    pub raw_days: u32,
    pub keep_rollups: bool,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            raw_days: 730,
            keep_rollups: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    pub store_names: bool,
    pub redact_emails: bool,
    pub redact_phones: bool,
    pub redact_ips: bool,
    pub redact_patterns: Vec<Pattern>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            store_names: false,
            redact_emails: true,
            redact_phones: true,
            redact_ips: true,
            redact_patterns: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    pub role: String,
    pub sensitive_roles: Vec<String>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            role: "engineer".into(),
            sensitive_roles: vec!["manager".into()],
        }
    }
}

impl AccessConfig {
    /// Whether the current role may see per-person metrics.
    pub fn may_see_sensitive(&self) -> bool {
        self.sensitive_roles.iter().any(|r| r == &self.role)
    }
}

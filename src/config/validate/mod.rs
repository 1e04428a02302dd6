//! Checks that need more than one value, run after the file deserialized: unique names,
//! references between sections, kind-specific keys, ranges. Each problem is located at the
//! offending key or value through the spanned document.

use super::diagnostic::{Diagnostic, describe_place, section_label};
use super::document::{Document, Seg};
use super::keys::{KeyBinding, UI_ACTIONS};
use super::schema::{Config, SourceConfig, SourceKind};
use std::collections::HashMap;

impl From<&str> for Seg {
    fn from(k: &str) -> Self {
        Seg::Key(k.to_string())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

macro_rules! path {
    ($($seg:expr),* $(,)?) => { [$(Seg::from($seg)),*] };
}

mod slo;
use slo::check_slos;

/// Two teams claiming the same repo, service or board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    /// `repos`, `services` or `boards`
    pub list: &'static str,
    pub item: String,
    pub first_team: String,
    pub second_team: String,
    pub team_index: usize,
    pub item_index: usize,
}

/// Every repo, service and board claimed by more than one team.
pub(crate) fn ownership_conflicts(config: &Config) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    let mut owners: HashMap<(&'static str, String), &str> = HashMap::new();
    for (team_index, team) in config.teams.iter().enumerate() {
        let lists: [(&'static str, Vec<String>); 3] = [
            ("repos", team.repos.clone()),
            ("services", team.services.clone()),
            ("boards", team.boards.iter().map(u64::to_string).collect()),
        ];
        for (list, items) in lists {
            for (item_index, item) in items.into_iter().enumerate() {
                match owners.get(&(list, item.clone())) {
                    Some(first) if *first != team.name => conflicts.push(Conflict {
                        list,
                        item,
                        first_team: first.to_string(),
                        second_team: team.name.clone(),
                        team_index,
                        item_index,
                    }),
                    Some(_) => {}
                    None => {
                        owners.insert((list, item), &team.name);
                    }
                }
            }
        }
    }
    conflicts
}

/// Names written in the file, including entries dropped for a structural error.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub sources: Vec<String>,
    pub teams: Vec<String>,
    pub slos: Vec<String>,
}

impl Declared {
    pub(crate) fn read(doc: &Document<'_>) -> Self {
        Self {
            sources: doc.declared_names("sources"),
            teams: doc.declared_names("teams"),
            slos: doc.declared_names("slos"),
        }
    }
}

struct Checker<'d, 'a> {
    doc: &'d Document<'a>,
    declared: &'d Declared,
    found: Vec<Diagnostic>,
}

impl Checker<'_, '_> {
    fn at_value(&mut self, path: &[Seg], message: String, expected: impl Into<String>) {
        let span = self.doc.value_span(path);
        self.found
            .push(self.doc.diagnostic(span.start, message, expected));
    }

    fn at_key(&mut self, path: &[Seg], message: String, expected: impl Into<String>) {
        let span = self.doc.key_span(path);
        self.found
            .push(self.doc.diagnostic(span.start, message, expected));
    }
}

/// Runs every semantic check; returns the problems in file order.
pub(crate) fn validate(
    doc: &Document<'_>,
    config: &Config,
    declared: &Declared,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        doc,
        declared,
        found: Vec::new(),
    };
    check_sources(&mut c, config);
    check_teams(&mut c, config);
    check_severity(&mut c, config);
    check_timing(&mut c, config);
    check_slos(&mut c, config);
    check_ui(&mut c, config);
    if config.retention.raw_days < 30 {
        c.at_value(
            &path!["retention", "raw_days"],
            format!(
                "`raw_days` in [retention] is {}, too short to keep trends",
                config.retention.raw_days
            ),
            "at least 30 (days)",
        );
    }
    if config.access.role.trim().is_empty() {
        c.at_value(
            &path!["access", "role"],
            "`role` in [access] is empty".into(),
            "a role name such as \"engineer\" or \"manager\"",
        );
    }
    let mut found = c.found;
    found.sort_by_key(|d| (d.line, d.column));
    found
}

fn is_env_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `http(s)://host[...]` with no spaces; enough to catch typos without a URL parser.
fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !r.chars().any(char::is_whitespace)
    })
}

fn unique_names<'n>(c: &mut Checker<'_, '_>, section: &str, names: impl Iterator<Item = &'n str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.enumerate() {
        let at = path![section, i, "name"];
        if name.trim().is_empty() {
            c.at_value(
                &at,
                format!("`name` in [[{section}]] is empty"),
                "a short unique name",
            );
        } else if let Some(first) = seen.insert(name, i) {
            c.at_value(
                &at,
                format!(
                    "duplicate name `{name}` in [[{section}]] (entry {} uses it too)",
                    first + 1
                ),
                "a name used by one entry only",
            );
        }
    }
}

fn check_sources(c: &mut Checker<'_, '_>, config: &Config) {
    unique_names(c, "sources", config.sources.iter().map(|s| s.name.as_str()));
    for (i, source) in config.sources.iter().enumerate() {
        check_source(c, i, source);
    }
}

fn check_source(c: &mut Checker<'_, '_>, i: usize, s: &SourceConfig) {
    let here = |k: &str| path!["sources", i, k];
    let who = format!("source `{}`", s.name);
    match &s.base_url {
        Some(url) if !is_http_url(url) => c.at_value(
            &here("base_url"),
            format!("`base_url` of {who} is not an http(s) URL: `{url}`"),
            "a URL such as \"https://jira.example.com\"",
        ),
        None if s.kind.default_base_url().is_none() => c.at_value(
            &path!["sources", i],
            format!("{who} (kind {}) has no `base_url`", s.kind),
            "base_url = \"https://...\" (there is no public default for this kind)",
        ),
        _ => {}
    }
    match (&s.token_env, &s.token_command) {
        (Some(_), Some(_)) => c.at_key(
            &here("token_command"),
            format!("{who} sets both `token_env` and `token_command`"),
            "exactly one of token_env or token_command",
        ),
        (None, None) if s.kind != SourceKind::Prometheus => c.at_value(
            &path!["sources", i],
            format!("{who} has no token (tokens never go in the config file)"),
            "token_env = \"NAME_OF_ENV_VAR\" or token_command = \"a command that prints it\"",
        ),
        _ => {}
    }
    for (k, value) in [
        ("token_env", &s.token_env),
        ("email_env", &s.email_env),
        ("app_key_env", &s.app_key_env),
    ] {
        if let Some(name) = value.as_deref().filter(|n| !is_env_var_name(n)) {
            c.at_value(
                &here(k),
                format!("`{k}` of {who} is not an environment variable name: `{name}`"),
                "letters, digits and underscores, e.g. \"GITHUB_TOKEN\"",
            );
        }
    }
    if s.token_command
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        c.at_value(
            &here("token_command"),
            format!("`token_command` of {who} is empty"),
            "a shell command that prints the token, e.g. \"pass show plumb/github\"",
        );
    }
    if !(1..=16).contains(&s.concurrency) {
        c.at_value(
            &here("concurrency"),
            format!("`concurrency` of {who} is {}", s.concurrency),
            "an integer from 1 to 16",
        );
    }
    if !(1..=600).contains(&s.timeout_seconds) {
        c.at_value(
            &here("timeout_seconds"),
            format!("`timeout_seconds` of {who} is {}", s.timeout_seconds),
            "an integer from 1 to 600",
        );
    }
    if s.history.is_zero() {
        c.at_value(
            &here("history"),
            format!("`history` of {who} is zero"),
            "a duration such as \"365d\"",
        );
    }
    // Scope keys belong to one kind; report each one set on a source of another kind.
    for (key_name, _) in c.doc.keys_at(&path!["sources", i]) {
        let owner = SourceKind::ALL
            .into_iter()
            .find(|k| k.scope_keys().contains(&key_name.as_str()));
        if let Some(owner) = owner.filter(|o| *o != s.kind) {
            let valid = s.kind.scope_keys().join(", ");
            c.at_key(
                &here(&key_name),
                format!(
                    "`{key_name}` is a {owner} key, but {who} is kind {}",
                    s.kind
                ),
                format!("keys for {}: {valid}", s.kind),
            );
        }
    }
    for (j, repo) in s.repos.iter().enumerate() {
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.trim().is_empty()) {
            c.at_value(
                &path!["sources", i, "repos", j],
                format!("repo `{repo}` of {who} is not owner/name"),
                "\"owner/name\", e.g. \"acme/checkout\"",
            );
        }
    }
    if let Some(site) = s
        .site
        .as_deref()
        .filter(|x| x.contains('/') || x.trim().is_empty())
    {
        c.at_value(
            &here("site"),
            format!("`site` of {who} is not a Datadog site: `{site}`"),
            "a site domain such as \"datadoghq.eu\" or \"us5.datadoghq.com\"",
        );
    }
    for (j, q) in s.queries.iter().enumerate() {
        let at = |k: &str| path!["sources", i, "queries", j, k];
        if !c.declared.slos.contains(&q.slo) {
            c.at_value(
                &at("slo"),
                format!(
                    "query of {who} feeds SLO `{}`, which no [[slos]] entry names",
                    q.slo
                ),
                "the name of an [[slos]] entry",
            );
        }
        for (k, expr) in [("good", &q.good), ("total", &q.total)] {
            if expr.trim().is_empty() {
                c.at_value(
                    &at(k),
                    format!("`{k}` query of {who} is empty"),
                    "a PromQL expression counting events",
                );
            }
        }
        if q.step.is_zero() {
            c.at_value(
                &at("step"),
                format!("`step` of {who} is zero"),
                "a duration such as \"5m\"",
            );
        }
    }
}

fn check_teams(c: &mut Checker<'_, '_>, config: &Config) {
    unique_names(c, "teams", config.teams.iter().map(|t| t.name.as_str()));
    for conflict in ownership_conflicts(config) {
        c.at_value(
            &path![
                "teams",
                conflict.team_index,
                conflict.list,
                conflict.item_index
            ],
            format!(
                "`{}` in `{}` of team `{}` is already owned by team `{}`",
                conflict.item, conflict.list, conflict.second_team, conflict.first_team
            ),
            "each repo, service and board owned by one team",
        );
    }
}

fn check_severity(c: &mut Checker<'_, '_>, config: &Config) {
    for name in config.severity.sources.keys() {
        if !c.declared.sources.contains(name) {
            let known = c.declared.sources.clone();
            c.at_key(
                &path!["severity", "sources", name.as_str()],
                format!(
                    "[severity.sources.{name}] names a source that [[sources]] does not define"
                ),
                format!("one of the source names: {}", known.join(", ")),
            );
        }
    }
}

fn check_timing(c: &mut Checker<'_, '_>, config: &Config) {
    for (severity, target) in &config.sla {
        let label = format!("{severity:?}").to_ascii_uppercase();
        let at = |k: &str| path!["sla", label.as_str(), k];
        for (k, d) in [
            ("acknowledge", target.acknowledge),
            ("resolve", target.resolve),
        ] {
            if d.is_some_and(|d| d.is_zero()) {
                c.at_value(
                    &at(k),
                    format!("`{k}` target for {label} is zero"),
                    "a duration such as \"4h\"",
                );
            }
        }
        let ack_after_resolve = match (target.acknowledge, target.resolve) {
            (Some(ack), Some(res)) if ack > res => Some((ack, res)),
            _ => None,
        };
        if let Some((ack, res)) = ack_after_resolve {
            c.at_value(
                &at("acknowledge"),
                format!(
                    "{label} acknowledge target ({ack}) is longer than its resolve target ({res})"
                ),
                "acknowledge no longer than resolve",
            );
        }
    }
    let m = &config.metrics;
    for (k, d) in [
        ("incident_window", m.incident_window),
        ("repeat_incident_window", m.repeat_incident_window),
    ] {
        if d.is_zero() {
            c.at_value(
                &path!["metrics", k],
                format!("`{k}` in [metrics] is zero"),
                "a duration such as \"24h\"",
            );
        }
    }
    for (severity, due) in &m.action_due {
        if due.is_zero() {
            let label = format!("{severity:?}").to_ascii_uppercase();
            c.at_value(
                &path!["metrics", "action_due", label.as_str()],
                format!("action due time for {label} is zero"),
                "a duration such as \"30d\"",
            );
        }
    }
}

fn check_ui(c: &mut Checker<'_, '_>, config: &Config) {
    if !(1..=60).contains(&config.ui.tick_seconds) {
        c.at_value(
            &path!["ui", "tick_seconds"],
            format!("`tick_seconds` in [ui] is {}", config.ui.tick_seconds),
            "an integer from 1 to 60",
        );
    }
    let mut bound: HashMap<KeyBinding, &str> = HashMap::new();
    for (action, binding) in &config.ui.keys {
        let at = path!["ui", "keys", action.as_str()];
        if !UI_ACTIONS.contains(&action.as_str()) {
            c.at_key(
                &at,
                format!(
                    "unknown action `{action}` in {}",
                    section_label(&path!["ui", "keys"])
                ),
                format!("one of: {}", UI_ACTIONS.join(", ")),
            );
            continue;
        }
        if *binding == KeyBinding::Unbound {
            continue;
        }
        if let Some(first) = bound.insert(*binding, action) {
            c.at_value(
                &at,
                format!(
                    "{}: key `{binding}` is already bound to `{first}`",
                    describe_place(&at)
                ),
                "a key used by one action only",
            );
        }
    }
}

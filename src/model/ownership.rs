//! Who owns what, and how each source's severities map onto SEV1..SEV5. Built from config;
//! applied at ingest (import and sync) so every stored row carries its team and service.

use super::Severity;
use regex::Regex;
use std::collections::HashMap;

/// The ownership map and severity table used at ingest.
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    /// service name → team name
    pub service_team: HashMap<String, String>,
    /// repo (`owner/name` or a GitLab path) → team name
    pub repo_team: HashMap<String, String>,
    /// repo → service name, for repos that hold exactly one service
    pub repo_service: HashMap<String, String>,
    /// Jira board → team name
    pub board_team: HashMap<String, String>,
    /// team → production environment pattern (falls back to `default_production`)
    pub production: HashMap<String, Regex>,
    pub default_production: Option<Regex>,
    /// source instance name → (original severity, lower-cased → normalised)
    pub severity_by_source: HashMap<String, HashMap<String, Severity>>,
    /// applies to every source, after the source's own table
    pub severity_default: HashMap<String, Severity>,
}

impl Ownership {
    pub fn team_for_service(&self, service: &str) -> Option<&str> {
        self.service_team.get(service).map(String::as_str)
    }

    pub fn team_for_repo(&self, repo: &str) -> Option<&str> {
        self.repo_team.get(repo).map(String::as_str)
    }

    pub fn service_for_repo(&self, repo: &str) -> Option<&str> {
        self.repo_service.get(repo).map(String::as_str)
    }

    pub fn team_for_board(&self, board: &str) -> Option<&str> {
        self.board_team.get(board).map(String::as_str)
    }

    /// Whether `environment` counts as production for `team`. Without any configured pattern,
    /// `production` and `prod` (any case) are production.
    pub fn is_production(&self, team: Option<&str>, environment: &str) -> bool {
        let pattern = team
            .and_then(|t| self.production.get(t))
            .or(self.default_production.as_ref());
        match pattern {
            Some(re) => re.is_match(environment),
            None => matches!(
                environment.to_ascii_lowercase().as_str(),
                "production" | "prod"
            ),
        }
    }

    /// Maps a source's own severity to SEV1..SEV5: the source's table first, then the default
    /// table, then the built-in spellings (`SEV2`, `P2`, `2`, `critical`, `high`, ...).
    pub fn normalise_severity(&self, source: &str, original: &str) -> Option<Severity> {
        let key = original.trim().to_ascii_lowercase();
        if let Some(s) = self
            .severity_by_source
            .get(source)
            .and_then(|table| table.get(&key))
        {
            return Some(*s);
        }
        if let Some(s) = self.severity_default.get(&key) {
            return Some(*s);
        }
        builtin_severity(&key)
    }
}

/// Common severity spellings: SEVn, Pn (PagerDuty priorities, Opsgenie P1..P5), bare numbers,
/// and words used by Datadog, Jira and status pages.
fn builtin_severity(key: &str) -> Option<Severity> {
    let digit = key
        .strip_prefix("sev")
        .or_else(|| key.strip_prefix('p'))
        .unwrap_or(key)
        .trim_start_matches(['-', ' ']);
    match digit {
        "1" => return Some(Severity::Sev1),
        "2" => return Some(Severity::Sev2),
        "3" => return Some(Severity::Sev3),
        "4" => return Some(Severity::Sev4),
        "5" => return Some(Severity::Sev5),
        _ => {}
    }
    match key {
        "critical" | "blocker" | "highest" => Some(Severity::Sev1),
        "high" | "major" | "error" => Some(Severity::Sev2),
        "medium" | "moderate" | "warning" | "warn" => Some(Severity::Sev3),
        "low" | "minor" => Some(Severity::Sev4),
        "info" | "informational" | "lowest" | "trivial" => Some(Severity::Sev5),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_spellings_map_to_normalised_severities() {
        let o = Ownership::default();
        assert_eq!(o.normalise_severity("x", "SEV2"), Some(Severity::Sev2));
        assert_eq!(o.normalise_severity("x", "P1"), Some(Severity::Sev1));
        assert_eq!(
            o.normalise_severity("x", " critical "),
            Some(Severity::Sev1)
        );
        assert_eq!(o.normalise_severity("x", "sev-4"), Some(Severity::Sev4));
        assert_eq!(o.normalise_severity("x", "whatever"), None);
    }

    #[test]
    fn source_table_wins_over_default_and_builtin() {
        let mut o = Ownership::default();
        o.severity_by_source.insert(
            "eu-pd".into(),
            HashMap::from([("p1".to_string(), Severity::Sev2)]),
        );
        o.severity_default.insert("p1".into(), Severity::Sev3);
        assert_eq!(o.normalise_severity("eu-pd", "P1"), Some(Severity::Sev2));
        assert_eq!(o.normalise_severity("us-pd", "P1"), Some(Severity::Sev3));
    }

    #[test]
    fn production_pattern_per_team_with_default() {
        let mut o = Ownership::default();
        assert!(o.is_production(None, "Production"));
        assert!(!o.is_production(None, "staging"));
        o.production
            .insert("web".into(), Regex::new("^prod-(eu|us)$").expect("regex"));
        assert!(o.is_production(Some("web"), "prod-eu"));
        assert!(!o.is_production(Some("web"), "production"));
        assert!(o.is_production(Some("other"), "production"));
    }
}

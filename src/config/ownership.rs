//! Builds the ingest-time ownership map from `[[teams]]`, `[environments]` and `[severity]`.

use super::schema::Config;
use super::validate::ownership_conflicts;
use crate::model::Ownership;
use std::collections::HashMap;

/// The config claims one item for two teams (a loaded config never does: validation rejects it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{list} entry `{item}` is owned by both team `{first_team}` and team `{second_team}`; keep it in one team"
)]
pub struct OwnershipError {
    pub list: &'static str,
    pub item: String,
    pub first_team: String,
    pub second_team: String,
}

impl Config {
    /// The ownership map used at ingest. A team that lists exactly one service maps each of
    /// its repos to that service; with several services a repo's service is ambiguous and
    /// left unset (connectors may still name it from the payload).
    pub fn ownership(&self) -> Result<Ownership, OwnershipError> {
        if let Some(c) = ownership_conflicts(self).into_iter().next() {
            return Err(OwnershipError {
                list: c.list,
                item: c.item,
                first_team: c.first_team,
                second_team: c.second_team,
            });
        }
        let mut o = Ownership {
            default_production: self
                .environments
                .production
                .as_ref()
                .map(|p| p.regex().clone()),
            ..Ownership::default()
        };
        for team in &self.teams {
            for service in &team.services {
                o.service_team.insert(service.clone(), team.name.clone());
            }
            for repo in &team.repos {
                o.repo_team.insert(repo.clone(), team.name.clone());
                if let [only] = team.services.as_slice() {
                    o.repo_service.insert(repo.clone(), only.clone());
                }
            }
            for board in &team.boards {
                o.board_team.insert(board.to_string(), team.name.clone());
            }
            if let Some(p) = &team.production {
                o.production.insert(team.name.clone(), p.regex().clone());
            }
        }
        let lowered = |map: &super::SeverityMap| {
            map.0
                .iter()
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), *v))
                .collect::<HashMap<_, _>>()
        };
        o.severity_default = lowered(&self.severity.default);
        o.severity_by_source = self
            .severity
            .sources
            .iter()
            .map(|(source, map)| (source.clone(), lowered(map)))
            .collect();
        Ok(o)
    }

    /// The team's time zone; UTC for unknown teams and teams without one.
    pub fn timezone_for(&self, team: &str) -> chrono_tz::Tz {
        self.teams
            .iter()
            .find(|t| t.name == team)
            .and_then(|t| t.timezone.as_deref())
            .and_then(|tz| tz.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }

    /// The zone days and weeks of `team` are counted in: the config's, else the one the store
    /// knows for it (`stored`, e.g. from an import or the demo), else UTC.
    pub fn team_timezone(&self, team: &str, stored: &[crate::model::Team]) -> chrono_tz::Tz {
        if self.team(team).is_some() {
            return self.timezone_for(team);
        }
        stored
            .iter()
            .find(|t| t.name == team)
            .and_then(|t| t.timezone.as_deref())
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }

    pub fn team(&self, name: &str) -> Option<&super::TeamConfig> {
        self.teams.iter().find(|t| t.name == name)
    }

    pub fn source(&self, name: &str) -> Option<&super::SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

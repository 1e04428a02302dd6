//! Which follow-ups a scope (team, service, range) shows: the rule the Actions pane and
//! `plumb report actions` share, so that both count the same items (`docs/metrics.md`).

use crate::metrics::Period;
use crate::model::{ActionItem, Incident};
use std::collections::{HashMap, HashSet};

/// What the follow-up definition reads for one scope.
#[derive(Debug, Clone)]
pub struct ActionInputs {
    /// The scope's follow-ups: open at the period's end whatever their age, plus those closed
    /// in the period.
    pub items: Vec<ActionItem>,
    /// The scope's incidents created from the repeat window before the period to its end (those
    /// in the period are what the prevent or mitigate share is over; the earlier ones are what
    /// they may repeat).
    pub incidents: Vec<Incident>,
    /// Every follow-up of `incidents` created before the period's end, whoever owns it: an
    /// incident has a prevent item even when another team owns it.
    pub incident_items: Vec<ActionItem>,
    /// The incidents of `items` that are not in `incidents` (older, or another team's): their
    /// severity sets the due date of follow-ups without one.
    pub other_incidents: Vec<Incident>,
    pub period: Period,
}

/// Whether `a` was open at `t`: created by then and not completed by then. An item closed
/// without a completion time counts as closed whenever it is asked about.
pub(super) fn is_open_at(a: &ActionItem, t: crate::model::Timestamp) -> bool {
    a.created_at <= t
        && match a.completed_at {
            Some(done) => done > t,
            None => !a.status.is_closed(),
        }
}

/// Whether `a` was closed during `period` (without a completion time: created in it).
fn closed_in(a: &ActionItem, period: Period) -> bool {
    match a.completed_at {
        Some(done) => period.contains(done),
        None => a.status.is_closed() && period.contains(a.created_at),
    }
}

impl ActionInputs {
    /// Picks the scope's follow-ups out of `all` (every follow-up created before the period's
    /// end). `history` are the scope's incidents (team, service) from the repeat window before
    /// the period to its end; `linked` the incidents any of `all` belongs to.
    ///
    /// A follow-up belongs to a team when the team owns it, or, when nobody does, when the
    /// team owns its incident; to a service when its incident is that service's (a follow-up
    /// without an incident has no service).
    pub fn select(
        all: Vec<ActionItem>,
        history: Vec<Incident>,
        linked: Vec<Incident>,
        team: Option<&str>,
        service: Option<&str>,
        period: Period,
    ) -> Self {
        let now = period.end;
        let incident_of: HashMap<i64, &Incident> = linked.iter().map(|i| (i.id, i)).collect();
        let in_history: HashSet<i64> = history.iter().map(|i| i.id).collect();
        let belongs = |a: &ActionItem| {
            let incident = a.incident_id.and_then(|i| incident_of.get(&i));
            let team_ok = team.is_none_or(|t| match &a.team {
                Some(owner) => owner == t,
                None => incident.is_some_and(|i| i.team.as_deref() == Some(t)),
            });
            let service_ok =
                service.is_none_or(|s| incident.is_some_and(|i| i.service.as_deref() == Some(s)));
            team_ok && service_ok
        };
        let mut items = Vec::new();
        let mut incident_items = Vec::new();
        for a in all.into_iter().filter(|a| a.created_at < now) {
            if a.incident_id.is_some_and(|i| in_history.contains(&i)) {
                incident_items.push(a.clone());
            }
            if belongs(&a) && (is_open_at(&a, now) || closed_in(&a, period)) {
                items.push(a);
            }
        }
        let wanted: HashSet<i64> = items
            .iter()
            .filter_map(|a| a.incident_id)
            .filter(|i| !in_history.contains(i))
            .collect();
        let other_incidents = linked
            .into_iter()
            .filter(|i| wanted.contains(&i.id))
            .collect();
        ActionInputs {
            items,
            incidents: history,
            incident_items,
            other_incidents,
            period,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionStatus, Severity, Timestamp};
    use chrono::{TimeZone, Utc};

    fn at(d: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2024, 3, d, 0, 0, 0)
            .single()
            .expect("t")
    }

    fn incident(id: i64, team: &str, service: &str, created: Timestamp) -> Incident {
        Incident {
            id,
            service: Some(service.into()),
            team: Some(team.into()),
            severity: Severity::Sev2,
            severity_original: "P2".into(),
            title: "queue stuck".into(),
            created_at: created,
            acknowledged_at: None,
            resolved_at: None,
            resolved_by: None,
            deployment_id: None,
        }
    }

    fn item(
        id: i64,
        incident: Option<i64>,
        team: Option<&str>,
        created: Timestamp,
        completed: Option<Timestamp>,
    ) -> ActionItem {
        ActionItem {
            id,
            incident_id: incident,
            title: format!("follow-up {id}"),
            category: None,
            team: team.map(str::to_string),
            owner: None,
            priority: None,
            status: if completed.is_some() {
                ActionStatus::Done
            } else {
                ActionStatus::Open
            },
            ticket_key: None,
            created_at: created,
            due_at: None,
            completed_at: completed,
        }
    }

    #[test]
    fn open_items_of_any_age_and_those_closed_in_the_range() {
        let period = Period::new(at(10), at(20));
        let old = incident(1, "pay", "api", at(1));
        let recent = incident(2, "pay", "api", at(12));
        let theirs = incident(3, "search", "index", at(13));
        let all = vec![
            item(11, Some(1), Some("pay"), at(2), None), // open, old: in
            item(12, Some(1), Some("pay"), at(2), Some(at(5))), // closed before: out
            item(13, Some(1), Some("pay"), at(2), Some(at(15))), // closed in range: in
            item(14, Some(2), None, at(12), None),       // no owner, pay's incident: in
            item(15, Some(3), Some("pay"), at(13), None), // pay owns it: in
            item(16, Some(2), Some("search"), at(13), None), // search owns it: out
            item(17, None, Some("pay"), at(14), None),   // no incident: in without --service
            item(18, Some(2), Some("pay"), at(21), None), // created after the end: out
            item(19, Some(1), Some("pay"), at(2), Some(at(25))), // closed after the end: open then
        ];
        let linked = vec![old.clone(), recent.clone(), theirs.clone()];
        let history = vec![recent.clone()];
        let ids = |x: &ActionInputs| x.items.iter().map(|a| a.id).collect::<Vec<_>>();

        let x = ActionInputs::select(
            all.clone(),
            history.clone(),
            linked.clone(),
            Some("pay"),
            None,
            period,
        );
        assert_eq!(ids(&x), [11, 13, 14, 15, 17, 19]);
        // Incident 2's follow-ups, whoever owns them, created before the end.
        let of_incident: Vec<i64> = x.incident_items.iter().map(|a| a.id).collect();
        assert_eq!(of_incident, [14, 16]);
        let mut others: Vec<i64> = x.other_incidents.iter().map(|i| i.id).collect();
        others.sort_unstable();
        assert_eq!(others, [1, 3]);

        // A service narrows to its incidents' follow-ups: no unlinked item, not search's.
        let x = ActionInputs::select(all, history, linked, Some("pay"), Some("api"), period);
        assert_eq!(ids(&x), [11, 13, 14, 19]);
    }
}

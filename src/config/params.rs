//! Config → metric parameters. The one place where configured values become the parameters of
//! metric definitions (and so their versions).

use super::{Config, ExclusionRule, ReportYear};
use crate::metrics::actions::ActionParams;
use crate::metrics::ci::CiParams;
use crate::metrics::dora::{BandYear, DoraParams, ProductionMatcher};
use crate::metrics::incidents::{IncidentParams, SlaTarget};
use crate::metrics::slo::{ExclusionWindow, PlannedPeak, SloParams};
use crate::model::Ownership;
use chrono::Weekday;
use chrono_tz::Tz;

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl Config {
    /// DORA parameters for `team` (its time zone), or for all teams (UTC unless `timezone`).
    pub fn dora_params(&self, ownership: &Ownership, timezone: Tz) -> DoraParams {
        DoraParams {
            incident_window: self.metrics.incident_window.as_chrono(),
            report_year: match self.metrics.report_year {
                ReportYear::Y2021 => BandYear::Y2021,
                ReportYear::Y2023 => BandYear::Y2023,
            },
            timezone,
            production: ProductionMatcher::from_ownership(ownership),
        }
    }

    /// CI parameters. No config key changes them yet; `metrics.flaky_rerun` is not honoured by
    /// the CI definition, which always counts a failed-then-passed re-run as flaky.
    pub fn ci_params(&self) -> CiParams {
        CiParams {
            flaky_rerun: self.metrics.flaky_rerun,
            ..CiParams::default()
        }
    }

    /// Incident parameters in `timezone` (the team's, or UTC for all teams): `[sla]` targets,
    /// `metrics.repeat_incident_window`, and working hours as the complement of
    /// `metrics.off_hours`.
    pub fn incident_params(&self, timezone: Tz) -> IncidentParams {
        IncidentParams {
            timezone,
            sla: self
                .sla
                .iter()
                .map(|(severity, t)| {
                    let seconds =
                        |d: Option<super::HumanDuration>| d.map(|d| d.as_chrono().num_seconds());
                    (
                        *severity,
                        SlaTarget {
                            acknowledge_seconds: seconds(t.acknowledge),
                            resolve_seconds: seconds(t.resolve),
                        },
                    )
                })
                .collect(),
            repeat_window: self.metrics.repeat_incident_window.as_chrono(),
            off_hours: self.metrics.off_hours.into(),
        }
    }

    /// Postmortem action parameters: `metrics.action_due` is the due-date policy per incident
    /// severity; the debt weights keep their documented defaults (no config keys).
    pub fn action_params(&self) -> ActionParams {
        ActionParams {
            policy: self
                .metrics
                .action_due
                .iter()
                .map(|(severity, d)| (*severity, d.as_chrono()))
                .collect(),
            ..ActionParams::default()
        }
    }

    /// SLO parameters for the `[[slos]]` entry named `slo_name` (an SLO not in config, e.g.
    /// synced from Datadog only, gets none of the adjustments), in `timezone` (the SLO team's).
    ///
    /// Exclusions become windows named after their `reason`; a daily one becomes seven weekly
    /// windows of the same name (so a report lists it once after merging by name). A peak of
    /// `factor` times the normal traffic counts its bad events with weight `1 / factor`: the
    /// extra load was planned, so its extra failures do not spend the budget.
    pub fn slo_params(&self, slo_name: &str, timezone: Tz) -> SloParams {
        let Some(slo) = self.slos.iter().find(|s| s.name == slo_name) else {
            return SloParams {
                timezone,
                ..SloParams::default()
            };
        };
        let mut exclusions = Vec::new();
        for e in &slo.exclusions {
            let name = e.reason.clone();
            match e.rule() {
                Some(ExclusionRule::Once { start, end }) => {
                    exclusions.push(ExclusionWindow::OneOff { name, start, end });
                }
                Some(ExclusionRule::Weekly {
                    weekday,
                    at,
                    duration,
                }) => exclusions.push(ExclusionWindow::Weekly {
                    name,
                    weekday,
                    start: at,
                    seconds: duration.as_chrono().num_seconds(),
                }),
                Some(ExclusionRule::Daily { at, duration }) => {
                    for weekday in WEEKDAYS {
                        exclusions.push(ExclusionWindow::Weekly {
                            name: name.clone(),
                            weekday,
                            start: at,
                            seconds: duration.as_chrono().num_seconds(),
                        });
                    }
                }
                // `validate` rejects incomplete exclusions, so a loaded config has none.
                None => {}
            }
        }
        let planned_peaks = slo
            .peaks
            .iter()
            .map(|p| PlannedPeak {
                name: p.reason.clone(),
                start: p.start,
                end: p.end,
                bad_weight: if p.factor > 0.0 { 1.0 / p.factor } else { 1.0 },
            })
            .collect();
        SloParams {
            timezone,
            exclusions,
            planned_peaks,
            ..SloParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_str;
    use crate::model::Severity;
    use chrono::{NaiveTime, TimeZone, Utc};
    use chrono_tz::Tz;
    use std::path::Path;

    const CONFIG: &str = r#"
[sla]
SEV1 = { acknowledge = "5m", resolve = "4h" }
SEV3 = { resolve = "5d" }

[metrics]
repeat_incident_window = "3d"
off_hours = { start = "20:00", end = "07:30", weekends = true }
action_due = { SEV1 = "14d", SEV4 = "120d" }

[[slos]]
name = "search-availability"
service = "search"
target = 0.999
window = "28d"

[[slos.exclusions]]
every = "week"
weekday = "sun"
at = "02:00"
duration = "2h"
reason = "index rebuild"

[[slos.exclusions]]
every = "day"
at = "03:00"
duration = "30m"
reason = "nightly backup"

[[slos.exclusions]]
start = "2025-03-08T22:00:00Z"
end = "2025-03-09T02:00:00Z"
reason = "migration"

[[slos.peaks]]
start = "2025-11-28T00:00:00Z"
end = "2025-12-01T23:59:59Z"
reason = "Black Friday"
factor = 4.0
"#;

    fn config() -> crate::config::Config {
        parse_str(Path::new("params.toml"), CONFIG).expect("config parses")
    }

    #[test]
    fn incident_params_map_sla_repeat_window_and_off_hours() {
        let p = config().incident_params(Tz::Europe__Berlin);
        assert_eq!(p.timezone, Tz::Europe__Berlin);
        let sev1 = p.sla[&Severity::Sev1];
        assert_eq!(sev1.acknowledge_seconds, Some(300));
        assert_eq!(sev1.resolve_seconds, Some(4 * 3600));
        let sev3 = p.sla[&Severity::Sev3];
        assert_eq!(sev3.acknowledge_seconds, None);
        assert_eq!(sev3.resolve_seconds, Some(5 * 86_400));
        assert!(!p.sla.contains_key(&Severity::Sev2));
        assert_eq!(p.repeat_window.num_days(), 3);
        assert_eq!(
            p.off_hours.start,
            NaiveTime::from_hms_opt(20, 0, 0).expect("t")
        );
        assert_eq!(
            p.off_hours.end,
            NaiveTime::from_hms_opt(7, 30, 0).expect("t")
        );
    }

    #[test]
    fn off_hours_within_one_day_and_working_weekends_are_honoured() {
        let text =
            "[metrics]\noff_hours = { start = \"00:00\", end = \"06:00\", weekends = false }\n";
        let c = parse_str(Path::new("p.toml"), text).expect("config parses");
        let p = c.incident_params(Tz::UTC);
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("t");
        assert!(p.off_hours.contains(chrono::Weekday::Tue, t(3, 0)));
        assert!(!p.off_hours.contains(chrono::Weekday::Tue, t(23, 0)));
        assert!(
            !p.off_hours.contains(chrono::Weekday::Sat, t(12, 0)),
            "weekends = false"
        );
    }

    #[test]
    fn action_params_take_the_due_policy_from_config() {
        let p = config().action_params();
        assert_eq!(p.policy.len(), 2);
        assert_eq!(p.policy[&Severity::Sev1].num_days(), 14);
        assert_eq!(p.policy[&Severity::Sev4].num_days(), 120);
        // Debt weights keep their defaults.
        assert_eq!(p.max_share, 0.50);
    }

    #[test]
    fn default_config_gives_the_documented_action_policy() {
        let p = crate::config::Config::default().action_params();
        let days: Vec<i64> = p.policy.values().map(|d| d.num_days()).collect();
        assert_eq!(days, vec![30, 60, 90]);
    }

    #[test]
    fn slo_params_map_exclusions_and_peaks_of_the_named_slo() {
        let p = config().slo_params("search-availability", Tz::Europe__Berlin);
        assert_eq!(p.timezone, Tz::Europe__Berlin);
        // One weekly + seven for the daily one + one one-off.
        assert_eq!(p.exclusions.len(), 9);
        assert!(
            p.exclusions[1..8]
                .iter()
                .all(|e| e.name() == "nightly backup")
        );
        // Sunday 02:30 Berlin (01:30 UTC in winter) is inside the weekly index rebuild.
        let sunday = Utc
            .with_ymd_and_hms(2025, 1, 5, 1, 30, 0)
            .single()
            .expect("t");
        assert!(p.exclusions[0].contains(sunday, Tz::Europe__Berlin));
        // Any day at 03:10 local is in the nightly backup.
        let wednesday = Utc
            .with_ymd_and_hms(2025, 1, 8, 2, 10, 0)
            .single()
            .expect("t");
        assert!(
            p.exclusions
                .iter()
                .any(|e| e.name() == "nightly backup" && e.contains(wednesday, Tz::Europe__Berlin))
        );
        let migration = &p.exclusions[8];
        assert_eq!(migration.name(), "migration");
        assert!(matches!(
            migration,
            crate::metrics::slo::ExclusionWindow::OneOff { .. }
        ));
        assert_eq!(p.planned_peaks.len(), 1);
        assert_eq!(p.planned_peaks[0].name, "Black Friday");
        assert_eq!(p.planned_peaks[0].bad_weight, 0.25);
    }

    #[test]
    fn unknown_slo_gets_no_adjustments() {
        let p = config().slo_params("not-configured", Tz::UTC);
        assert!(p.exclusions.is_empty());
        assert!(p.planned_peaks.is_empty());
        assert_eq!(p.alert_windows.len(), 4);
    }

    #[test]
    fn changed_adjustments_change_the_definition_parameters() {
        let c = config();
        let with = c.slo_params("search-availability", Tz::UTC).definitions();
        let without = c.slo_params("other", Tz::UTC).definitions();
        assert_ne!(with[0].parameters, without[0].parameters);
        assert_eq!(with[1].parameters, without[1].parameters);
    }
}

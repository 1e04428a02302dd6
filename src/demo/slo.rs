//! SLOs and their good / total counts: hourly buckets over the whole history and 5-minute
//! buckets for the last 7 days. Traffic follows daily and weekly rhythms; bad events sit at a
//! fraction of the budget and spike while an incident on the service lasts.

use super::calendar::{DayKind, TeamCalendar};
use super::operations::ServiceOps;
use super::org::{ServiceSpec, TeamSpec};
use super::sampling::{DemoRng, lognormal, normal, stream};
use super::sink::{DATADOG, PROMETHEUS, Sink, Source, Table};
use super::{Ctx, DemoError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sli {
    Availability,
    Latency,
}

#[derive(Debug, Clone, Copy)]
enum Window {
    Rolling(i64),
    CalendarMonth,
}

struct SloSpec {
    service: usize,
    sli: Sli,
    target: f64,
    window: Window,
    /// Timeslices of this many seconds with this per-slice target, else occurrences.
    timeslices: Option<(i64, f64)>,
    source: Source,
}

const fn spec(service: usize, sli: Sli, target: f64, window: Window, source: Source) -> SloSpec {
    SloSpec {
        service,
        sli,
        target,
        window,
        timeslices: None,
        source,
    }
}

fn specs(team: &str) -> Vec<SloSpec> {
    use Sli::*;
    use Window::*;
    match team {
        "payments" => vec![
            spec(0, Availability, 0.999, Rolling(30), DATADOG),
            spec(1, Latency, 0.99, Rolling(30), DATADOG),
            spec(2, Availability, 0.995, CalendarMonth, PROMETHEUS),
        ],
        "search" => vec![
            spec(0, Availability, 0.999, Rolling(30), DATADOG),
            spec(0, Latency, 0.99, Rolling(28), PROMETHEUS),
        ],
        "platform" => vec![
            spec(0, Availability, 0.999, Rolling(30), PROMETHEUS),
            SloSpec {
                timeslices: Some((60, 0.95)),
                ..spec(1, Availability, 0.995, Rolling(30), DATADOG)
            },
        ],
        "billing-legacy" => vec![
            spec(0, Availability, 0.995, Rolling(30), DATADOG),
            spec(1, Latency, 0.99, Rolling(30), PROMETHEUS),
        ],
        _ => vec![
            spec(0, Availability, 0.999, Rolling(30), DATADOG),
            spec(2, Latency, 0.99, Rolling(28), PROMETHEUS),
        ],
    }
}

/// Relative traffic per local hour: quiet nights, a morning ramp, an afternoon peak.
const DAILY: [f64; 24] = [
    0.22, 0.16, 0.13, 0.12, 0.13, 0.18, 0.3, 0.48, 0.68, 0.84, 0.93, 0.97, 0.95, 0.96, 1.0, 0.98,
    0.94, 0.88, 0.8, 0.72, 0.62, 0.5, 0.38, 0.28,
];

pub(crate) fn write_service(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    cal: &TeamCalendar,
    ops: &ServiceOps,
) -> Result<(), DemoError> {
    let mut windows = ops.windows.clone();
    windows.sort_by_key(|w| w.0);
    for (k, s) in specs(&team.name).iter().enumerate() {
        if team
            .services
            .get(s.service)
            .is_none_or(|x| x.name != service.name)
        {
            continue;
        }
        let (id, url) = write_slo(sink, team, service, s)?;
        let mut rng = stream(ctx.seed, &["slo", &service.name, &k.to_string()]);
        let seven_days = (ctx.now - 7 * 86_400).div_euclid(3600) * 3600;
        let end = ctx.now.div_euclid(300) * 300;
        let mut samples = Samples {
            rng: &mut rng,
            cal,
            spec: s,
            peak: service.peak_rph,
            windows: &windows,
            first: 0,
            day: 0,
            ctx,
            slo_id: id,
            url,
        };
        let start = ctx.start.div_euclid(3600) * 3600;
        samples.range(sink, start, seven_days, 3600)?;
        samples.range(sink, seven_days, end, 300)?;
    }
    Ok(())
}

fn write_slo(
    sink: &mut Sink,
    team: &TeamSpec,
    service: &ServiceSpec,
    s: &SloSpec,
) -> Result<(i64, String), DemoError> {
    let (sli, description) = match s.sli {
        Sli::Availability => ("availability", "Share of requests answered without a 5xx"),
        Sli::Latency => ("latency", "Share of requests answered within 300 ms"),
    };
    let name = format!("{} {sli}", service.name);
    let (kind, days, period) = match s.window {
        Window::Rolling(d) => ("rolling", d, None),
        Window::CalendarMonth => ("calendar", 30, Some("month")),
    };
    let (method, slice_s, slice_t) = match s.timeslices {
        Some((secs, t)) => ("timeslices", Some(secs), Some(t)),
        None => ("occurrences", None, None),
    };
    let n = sink.next_id(Table::Slos);
    let url = if s.source.kind == "datadog" {
        sink.prov(format_args!("slo-{n:05}"), format_args!(""));
        format!("https://app.datadog.example/slo?slo_id=slo-{n:05}")
    } else {
        sink.prov(format_args!("{}-{sli}", service.name), format_args!(""));
        format!(
            "https://prometheus.example/graph?slo={}-{sli}",
            service.name
        )
    };
    sink.prov_url(format_args!("{url}"));
    let id = sink.insert(
        Table::Slos,
        s.source,
        &[
            &name,
            &service.name,
            &team.name,
            &description,
            &s.target,
            &kind,
            &days,
            &period,
            &method,
            &slice_s,
            &slice_t,
        ],
    )?;
    Ok((id, url))
}

struct Samples<'a> {
    rng: &'a mut DemoRng,
    cal: &'a TeamCalendar,
    spec: &'a SloSpec,
    peak: f64,
    windows: &'a [(i64, i64, f64)],
    /// Windows before this index ended before the current bucket.
    first: usize,
    /// Calendar day cursor.
    day: usize,
    ctx: &'a Ctx,
    slo_id: i64,
    url: String,
}

impl Samples<'_> {
    fn range(&mut self, sink: &mut Sink, from: i64, to: i64, step: i64) -> Result<(), DemoError> {
        let span = (self.ctx.now - self.ctx.start) as f64;
        let budget = 1.0 - self.spec.target;
        let mut t = from;
        while t < to {
            while self.day + 1 < self.cal.days.len() && self.cal.days[self.day + 1].midnight <= t {
                self.day += 1;
            }
            let day = &self.cal.days[self.day];
            let hour = ((t - day.midnight).max(0) / 3600).min(23) as usize;
            let weekly = match day.kind {
                DayKind::Weekend => 0.62,
                DayKind::Holiday => 0.7,
                _ => 1.0,
            };
            let growth = 0.8 + 0.4 * (t - self.ctx.start) as f64 / span;
            let noise = (1.0 + 0.06 * normal(self.rng)).max(0.5);
            let total =
                (self.peak * DAILY[hour] * weekly * growth * noise * step as f64 / 3600.0).round();
            // Steady state spends about a third of the budget; latency worsens at peak.
            let peak_penalty = if self.spec.sli == Sli::Latency {
                0.5 + DAILY[hour]
            } else {
                1.0
            };
            let mut ratio = budget * lognormal(self.rng, 0.3, 0.5) * peak_penalty;
            ratio += self.incident_ratio(t, t + step);
            let bad = (total * ratio.min(1.0)).round();
            let good = total - bad;
            let slo = self.slo_id;
            let url = &self.url;
            sink.prov(format_args!("slo-{slo:05}@{t}"), format_args!("{url}"));
            sink.insert(
                Table::SloSamples,
                self.spec.source,
                &[&slo, &t, &step, &good, &total],
            )?;
            t += step;
        }
        Ok(())
    }

    /// Error ratio added by incidents overlapping [from, to), weighted by overlap.
    fn incident_ratio(&mut self, from: i64, to: i64) -> f64 {
        const LONGEST: i64 = 3 * 86_400;
        while self.first < self.windows.len() && self.windows[self.first].0 + LONGEST < from {
            self.first += 1;
        }
        let mut ratio = 0.0;
        for &(start, end, r) in &self.windows[self.first..] {
            if start >= to {
                break;
            }
            let overlap = (end.min(to) - start.max(from)).max(0);
            ratio += r * overlap as f64 / (to - from) as f64;
        }
        ratio
    }
}

//! Monitor alerts: one per incident (linked), a background of real but minor alerts, and a
//! few noisy monitors that flap, auto-resolve within minutes and are rarely acknowledged.

use super::operations::{IncidentPlan, human_ack};
use super::org::{ServiceSpec, TeamSpec};
use super::sampling::{DemoRng, between, chance, minutes, poisson, stream};
use super::sink::{DATADOG, Sink, Table};
use super::{Ctx, DemoError};

const MONITORS: [(&str, &str); 4] = [
    ("error_rate", "Error rate above threshold"),
    ("latency_p99", "p99 latency above threshold"),
    ("pod_restarts", "Pods restarting"),
    ("disk_usage", "Disk usage above 85%"),
];

struct Alert<'a> {
    monitor: usize,
    severity: &'a str,
    triggered: i64,
    ack: Option<i64>,
    resolved: Option<i64>,
    resolved_by: Option<&'a str>,
    incident: Option<i64>,
}

pub(crate) fn write_service(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    incidents: &[(i64, IncidentPlan)],
) -> Result<(), DemoError> {
    let mut rng = stream(ctx.seed, &["alerts", &service.name]);
    let mut alerts: Vec<Alert> = Vec::new();
    for (id, p) in incidents {
        alerts.push(Alert {
            monitor: if p.error_ratio < 0.01 { 1 } else { 0 },
            severity: if p.sev <= 2 { "critical" } else { "warning" },
            triggered: p.created - between(&mut rng, 30, 240),
            ack: p.ack,
            resolved: p.resolved,
            resolved_by: p.resolved.map(|_| if p.auto { "auto" } else { "human" }),
            incident: Some(*id),
        });
    }
    let weeks = (ctx.now - ctx.start) as f64 / (7.0 * 86_400.0);
    for monitor in 0..MONITORS.len() {
        if is_noisy(team, service, monitor) {
            noisy(&mut rng, ctx, monitor, weeks, &mut alerts);
        } else {
            background(&mut rng, ctx, monitor, weeks, &mut alerts);
        }
    }
    alerts.retain(|a| a.triggered < ctx.now);
    alerts.sort_by_key(|a| (a.triggered, a.monitor));
    let svc = &service.name;
    for a in &alerts {
        let (key, title) = MONITORS[a.monitor];
        let monitor = format!("{svc}.{key}");
        let title = format!("[{svc}] {title}");
        let (resolved, resolved_by) = match a.resolved {
            Some(r) if r < ctx.now => (Some(r), a.resolved_by),
            _ => (None, None),
        };
        let ack = a.ack.filter(|&t| t < ctx.now);
        let n = sink.next_id(Table::Alerts);
        let monitor_id = 880_000 + a.monitor as i64;
        sink.prov(
            format_args!("{}", 7_000_000_000_000_000_000 + n as u64),
            format_args!("https://app.datadog.example/monitors/{monitor_id}?event_id={n}"),
        );
        sink.insert(
            Table::Alerts,
            DATADOG,
            &[
                &monitor,
                svc,
                &team.name,
                &a.severity,
                &title,
                &a.triggered,
                &ack,
                &resolved,
                &resolved_by,
                &a.incident,
            ],
        )?;
    }
    Ok(())
}

/// The second service of every team has flapping pod restarts; billing's monolith also has a
/// disk monitor whose threshold is too tight.
fn is_noisy(team: &TeamSpec, service: &ServiceSpec, monitor: usize) -> bool {
    let second = team.services.get(1).is_some_and(|s| s.name == service.name);
    (second && monitor == 2) || (service.name == "billing-monolith" && monitor == 3)
}

fn noisy(rng: &mut DemoRng, ctx: &Ctx, monitor: usize, weeks: f64, out: &mut Vec<Alert>) {
    let bursts = poisson(rng, 4.0 * weeks);
    for _ in 0..bursts {
        let mut t = between(rng, ctx.start, ctx.now);
        for _ in 0..between(rng, 1, 5) {
            let resolved = t + between(rng, 45, 6 * 60);
            let ack = chance(rng, 0.04).then(|| t + between(rng, 60, 600));
            out.push(Alert {
                monitor,
                severity: "warning",
                triggered: t,
                ack,
                resolved: Some(resolved),
                resolved_by: Some("auto"),
                incident: None,
            });
            t = resolved + between(rng, 3 * 60, 20 * 60);
        }
    }
}

fn background(rng: &mut DemoRng, ctx: &Ctx, monitor: usize, weeks: f64, out: &mut Vec<Alert>) {
    let n = poisson(rng, 0.5 * weeks);
    for _ in 0..n {
        let t = between(rng, ctx.start, ctx.now);
        let (ack, resolved, by) = if chance(rng, 0.5) {
            (None, t + minutes(rng, 20.0, 0.8), "auto")
        } else if chance(rng, 0.1) {
            (None, t + 24 * 3600, "timeout")
        } else {
            let a = human_ack(rng, t);
            (Some(a), a + minutes(rng, 45.0, 0.8), "human")
        };
        out.push(Alert {
            monitor,
            severity: "warning",
            triggered: t,
            ack,
            resolved: Some(resolved),
            resolved_by: Some(by),
            incident: None,
        });
    }
}

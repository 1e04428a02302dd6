//! Metrics: pure functions over domain types (no I/O, no clock: `now` is a parameter).
//!
//! API summary (stable; every definition is in `docs/metrics.md`):
//! - Versions: `Store::record_definitions(&params.definitions()) -> Versions` records each
//!   metric's parameters in `metric_definitions`; pass the `Versions` to the report function
//!   (`Versions::default()` means version 1 everywhere, for tests and demos).
//! - DORA: `Store::dora_inputs(&Filter, &DoraParams, now) -> DoraInputs`, then
//!   `dora::dora_report(&inputs, &params, &versions) -> DoraReport` with
//!   `deployment_frequency`, `lead_time`, `change_failure_rate`, `recovery_time`,
//!   `time_to_restore`, `rework_rate` (each with `definition`, `band`, and a non-serialised
//!   `explain`), `weekly: Vec<DoraWeek>`, and for drill-down `outcomes` and `attributions`.
//! - SLO: `Store::slo_inputs(&Filter, &SloParams, now) -> Vec<(Slo, Vec<SloSample>)>`, then
//!   `slo::slo_report(&slo, &samples, &params, now, &versions) -> SloReport`.
//! - Incidents: `Store::incidents(&filter, 0)` + `Store::incident_events_for(&ids)`, then
//!   `incidents::incident_report(&incidents, &events, period, now, &params, &versions)`.
//! - Actions: `Store::action_inputs(&filter, period, repeat_window)`, then
//!   `actions::scope_report(&inputs, &budgets_remaining, &incident_params, &params, &versions)`
//!   (the TUI and `plumb report actions` both use it, so they agree).
//! - CI: `Store::pipeline_runs(&filter)`, then `ci::ci_report(&runs, period, &params, &versions)`.
//! - Every result carries `definition: DefinitionRef { metric, version }`; durations are seconds
//!   (`f64`), rates fractions, counts integers, and `None` (JSON `null`) means no data.
//! - `stats`: `median`, `quantile` (linear interpolation), `DurationSummary`;
//!   `period`: `Period`, `weeks_in`, `local_date`, `calendar_period_containing`.

pub mod actions;
pub mod ci;
pub mod definitions;
pub mod dora;
pub mod explain;
pub mod id_map;
pub mod incidents;
pub mod period;
pub mod retro;
pub mod slo;
pub mod stats;

pub use definitions::{DefinitionRef, MetricDefinition, Versions};
pub use explain::Explain;
pub use period::Period;

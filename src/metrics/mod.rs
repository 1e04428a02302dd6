//! Metrics: pure functions over domain types (no I/O, no clock: `now` is a parameter).
//!
//! API summary (stable; see `docs/metrics.md` for every definition):
//! - DORA: load with `Store::dora_inputs(&Filter, &DoraParams, now) -> DoraInputs`, record
//!   versions with `Store::record_definitions(&params.definitions()) -> Versions`, then
//!   `dora::dora_report(&inputs, &params, &versions) -> DoraReport`. The report holds
//!   `deployment_frequency`, `lead_time`, `change_failure_rate`, `recovery_time`,
//!   `time_to_restore`, `rework_rate` (each with `definition`, `band` and a non-serialised
//!   `explain`), `weekly: Vec<DoraWeek>`, and for drill-down `outcomes` (per deployment) and
//!   `attributions` (per incident).
//! - Every result carries `definition: DefinitionRef { metric, version }`; every duration is
//!   in seconds (`f64`), every rate a fraction, and `None` (JSON `null`) means no data.
//! - `stats`: `median`, `quantile` (linear interpolation), `DurationSummary`.
//! - `period`: `Period`, `weeks_in`, `local_date`, `calendar_period_containing`.

pub mod definitions;
pub mod dora;
pub mod explain;
pub mod period;
pub mod slo;
pub mod stats;

pub use definitions::{DefinitionRef, MetricDefinition, Versions};
pub use explain::Explain;
pub use period::Period;

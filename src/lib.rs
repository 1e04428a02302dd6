//! plumb: a terminal dashboard for engineering-team health.
//!
//! Data flows one way: `import` (and later `sources`) read and map → `store` (SQLite) →
//! `metrics` (pure functions) → `tui` panes and `report` outputs. See ARCHITECTURE.md.

pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod import;
mod logging;
pub mod metrics;
pub mod model;
pub mod privacy;
pub mod report;
pub mod sources;
pub mod store;
pub mod sync;
pub mod tui;

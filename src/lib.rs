//! plumb: a terminal dashboard for engineering-team health.
//!
//! Data flows one way: `sources` fetch and map → `store` (SQLite) → `metrics` (pure functions)
//! → `tui` panes and `report` outputs. See ARCHITECTURE.md for the map.

pub mod config;
pub mod demo;
pub mod import;
pub mod metrics;
pub mod model;
pub mod store;

//! Configuration: where plumb keeps its files, the TOML config's shape, loading with
//! diagnostics that point at `path:line:column`, and token resolution for sources.
//!
//! `load` reads and validates; `check` lists every problem; `init` writes the commented
//! example. The example config documents every key.

mod diagnostic;
mod document;
mod duration;
mod keys;
mod load;
mod ownership;
mod params;
mod scalars;
mod schema;
mod token;
mod validate;

pub use diagnostic::{ConfigError, Diagnostic};
pub use duration::{DurationError, HumanDuration};
pub use keys::{Key, KeyBinding, KeyError, UI_ACTIONS};
pub use load::{EXAMPLE, Loaded, Paths, check, init, load, parse_str, with_demo_fallbacks};
pub use ownership::OwnershipError;
pub use scalars::{Pattern, ReleaseWindow, ReportYear, SeverityMap};
pub use schema::*;
pub use token::{Secret, TokenError};

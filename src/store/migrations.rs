//! Forward-only migrations, one numbered `.sql` file each, applied in order on open.
//! `PRAGMA user_version` records how many have been applied. A migration is never edited once
//! released: a schema change is a new file.

use rusqlite_migration::{M, Migrations};

const STEPS: &[&str] = &[include_str!("migrations/0001_unified_schema.sql")];

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}

pub(crate) fn latest_version() -> usize {
    STEPS.len()
}

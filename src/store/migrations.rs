//! Forward-only migrations, one numbered `.sql` file each, applied in order on open.
//! `PRAGMA user_version` records how many have been applied. A migration is never edited once
//! released: a schema change is a new file.

use rusqlite_migration::{M, Migrations};

const STEPS: &[&str] = &[
    include_str!("migrations/0001_unified_schema.sql"),
    include_str!("migrations/0002_changes_merged_index.sql"),
];

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}

pub(crate) fn latest_version() -> usize {
    STEPS.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Applies only the first `version` migrations, as an older plumb would have left the file.
    fn database_at_version(path: &std::path::Path, version: usize) {
        let mut conn = rusqlite::Connection::open(path).expect("open");
        let older = Migrations::new(STEPS[..version].iter().map(|sql| M::up(sql)).collect());
        older.to_latest(&mut conn).expect("older migrations");
    }

    #[test]
    fn every_older_version_upgrades_and_keeps_its_rows() {
        for version in 1..=latest_version() {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("old.db");
            database_at_version(&path, version);
            {
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.execute(
                    "INSERT INTO deployments (service, environment, status, finished_at, source,
                        source_kind, external_id, synced_at, origin)
                     VALUES ('api', 'production', 'success', 1700000000, 'gh', 'github', 'd1', 1700000000, 'api')",
                    [],
                )
                .expect("insert into an old schema");
            }
            let store = Store::open(&path).expect("upgrade");
            assert_eq!(store.schema_version().expect("version"), latest_version());
            let n: i64 = store
                .conn()
                .query_row("SELECT count(*) FROM deployments", [], |r| r.get(0))
                .expect("count");
            assert_eq!(
                n, 1,
                "rows written at version {version} survive the upgrade"
            );
        }
    }

    #[test]
    fn a_database_from_a_newer_plumb_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.db");
        database_at_version(&path, latest_version());
        let future = latest_version() + 5;
        rusqlite::Connection::open(&path)
            .expect("open")
            .pragma_update(None, "user_version", future as i64)
            .expect("bump");
        let err = Store::open(&path).err().expect("refused");
        assert!(
            err.to_string().contains("newer than this plumb knows"),
            "{err}"
        );
        let conn = rusqlite::Connection::open(&path).expect("reopen");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v as usize, future);
    }
}

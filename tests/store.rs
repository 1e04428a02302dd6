//! The store on real files: creation permissions, pragmas, idempotent provenance keys.

use plumb::store::Store;

#[test]
fn a_new_database_is_owner_only_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/plumb.db");
    let store = Store::open(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "database mode is {mode:o}");
    }
    let journal: String = store
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal.to_lowercase(), "wal");
    let fk: i64 = store
        .conn()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    assert_eq!(
        store.schema_version().unwrap(),
        Store::latest_schema_version()
    );
}

#[test]
fn reopening_an_existing_database_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plumb.db");
    {
        let store = Store::open(&path).unwrap();
        store.set_meta("k", "v").unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.meta("k").unwrap().as_deref(), Some("v"));
}

#[test]
fn every_entity_table_has_provenance_and_a_unique_source_key() {
    let store = Store::open_in_memory().unwrap();
    for table in plumb::store::tables::TABLE_NAMES {
        let cols: Vec<String> = store
            .conn()
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for c in [
            "source",
            "source_kind",
            "external_id",
            "url",
            "synced_at",
            "origin",
        ] {
            assert!(cols.iter().any(|x| x == c), "{table} lacks {c}");
        }
        let unique: i64 = store
            .conn()
            .query_row(
                &format!(
                    "SELECT count(*) FROM pragma_index_list('{table}') il
                     WHERE il.[unique] = 1 AND (
                       SELECT group_concat(name, ',') FROM pragma_index_info(il.name)
                     ) = 'source,external_id'"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unique, 1, "{table} lacks UNIQUE (source, external_id)");
    }
}

#[test]
fn opening_a_file_that_is_not_a_database_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        "this is not sqlite, and not empty either ......................",
    )
    .unwrap();
    let err = Store::open(&path).err().expect("refused");
    let chain = format!("{err}");
    assert!(chain.contains("notes.db"), "{chain}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "this is not sqlite, and not empty either ......................"
    );
}

#[test]
fn new_databases_use_16_kib_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("p.db")).unwrap();
    let page: i64 = store
        .conn()
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    assert_eq!(page, 16_384);
}

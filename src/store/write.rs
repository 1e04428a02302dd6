//! The generic idempotent writer: one upsert per row, keyed on `(source, external_id)`, used by
//! file imports and by the sync connectors.
//!
//! A row that is already stored with identical values is left alone (its `synced_at` too), so
//! writing the same data twice changes nothing and reports every row as unchanged.

use super::tables::TABLE_NAMES;
use super::{Result, StoreError};
use crate::model::Origin;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Statement};

/// Provenance of one written row; `synced_at` is epoch seconds.
#[derive(Debug, Clone, Copy)]
pub struct RowProvenance<'a> {
    pub source: &'a str,
    pub source_kind: &'a str,
    pub external_id: &'a str,
    pub url: Option<&'a str>,
    pub synced_at: i64,
    pub origin: Origin,
}

/// What one upsert did; the store id is given whenever the row was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted(i64),
    Updated(i64),
    Unchanged,
}

/// A prepared row shape: one table and a fixed list of entity columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape(usize);

struct Prepared<'conn> {
    table: &'static str,
    columns: Vec<&'static str>,
    insert: Statement<'conn>,
    update: Statement<'conn>,
}

/// Writes rows through statements prepared once per shape.
pub struct Writer<'conn> {
    conn: &'conn Connection,
    shapes: Vec<Prepared<'conn>>,
}

/// Provenance columns, bound after the entity columns in this order.
const PROVENANCE: [&str; 6] = [
    "source",
    "source_kind",
    "external_id",
    "url",
    "synced_at",
    "origin",
];

impl<'conn> Writer<'conn> {
    pub fn new(conn: &'conn Connection) -> Self {
        Writer {
            conn,
            shapes: Vec::new(),
        }
    }

    /// Prepares (once) the statements for `table` with the entity columns `columns`, in the
    /// order their values will be given. `table` must be one of [`TABLE_NAMES`]; the columns
    /// are trusted names from code, never from user input.
    pub fn shape(&mut self, table: &'static str, columns: &[&'static str]) -> Result<Shape> {
        if let Some(i) = self
            .shapes
            .iter()
            .position(|p| p.table == table && p.columns == columns)
        {
            return Ok(Shape(i));
        }
        if !TABLE_NAMES.contains(&table) {
            return Err(StoreError::Sql(rusqlite::Error::InvalidParameterName(
                format!("{table} is not an entity table"),
            )));
        }
        let (insert, update) = upsert_sql(table, columns);
        self.shapes.push(Prepared {
            table,
            columns: columns.to_vec(),
            insert: self.conn.prepare(&insert)?,
            update: self.conn.prepare(&update)?,
        });
        Ok(Shape(self.shapes.len() - 1))
    }

    /// Inserts the row, or updates the stored row with the same `(source, external_id)` when
    /// any value differs, or does nothing. `values` follow the shape's columns.
    ///
    /// An insert that ignores only this conflict, then an update guarded by "a value differs",
    /// both without `RETURNING`, rather than one `INSERT .. ON CONFLICT DO UPDATE .. RETURNING`:
    /// SQLite runs `RETURNING` and an upsert through a statement journal and a temporary
    /// table, which made imports several times slower.
    pub fn upsert(
        &mut self,
        shape: Shape,
        values: &[Value],
        provenance: &RowProvenance<'_>,
    ) -> Result<Outcome> {
        let prepared = &mut self.shapes[shape.0];
        debug_assert_eq!(values.len(), prepared.columns.len());
        if run(&mut prepared.insert, values, provenance)? == 1 {
            return Ok(Outcome::Inserted(self.conn.last_insert_rowid()));
        }
        if run(&mut prepared.update, values, provenance)? == 0 {
            return Ok(Outcome::Unchanged);
        }
        let table = prepared.table;
        let id = self.id_of(table, provenance.source, provenance.external_id)?;
        id.map(Outcome::Updated)
            .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The store id of the row of `table` with this `(source, external_id)`, if stored.
    pub fn id_of(&self, table: &str, source: &str, external_id: &str) -> Result<Option<i64>> {
        if !TABLE_NAMES.contains(&table) {
            return Ok(None);
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id FROM {table} WHERE source = ?1 AND external_id = ?2"
        ))?;
        Ok(stmt
            .query_row([source, external_id], |r| r.get(0))
            .optional()?)
    }
}

/// Binds entity values then provenance (numbered as in [`upsert_sql`]), runs the statement and
/// returns how many rows it changed.
fn run(stmt: &mut Statement<'_>, values: &[Value], p: &RowProvenance<'_>) -> Result<usize> {
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, v)?;
    }
    let n = values.len();
    stmt.raw_bind_parameter(n + 1, p.source)?;
    stmt.raw_bind_parameter(n + 2, p.source_kind)?;
    stmt.raw_bind_parameter(n + 3, p.external_id)?;
    stmt.raw_bind_parameter(n + 4, p.url)?;
    stmt.raw_bind_parameter(n + 5, p.synced_at)?;
    stmt.raw_bind_parameter(n + 6, p.origin.as_str())?;
    Ok(stmt.raw_execute()?)
}

/// The insert (`ON CONFLICT (source, external_id) DO NOTHING`) and the guarded update.
/// Parameters: `?1..?n` the entity columns, then [`PROVENANCE`] in order.
/// `synced_at` is left out of the comparison so an identical row stays untouched.
fn upsert_sql(table: &str, columns: &[&str]) -> (String, String) {
    let all: Vec<&str> = columns.iter().copied().chain(PROVENANCE).collect();
    let marks: Vec<String> = (1..=all.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (source, external_id) DO NOTHING",
        all.join(", "),
        marks.join(", "),
    );
    let param = |c: &str| {
        let i = all.iter().position(|a| *a == c).unwrap_or(0);
        format!("?{}", i + 1)
    };
    let updated: Vec<&str> = all
        .iter()
        .copied()
        .filter(|c| *c != "source" && *c != "external_id")
        .collect();
    let set: Vec<String> = updated
        .iter()
        .map(|c| format!("{c} = {}", param(c)))
        .collect();
    let differs: Vec<String> = updated
        .iter()
        .filter(|c| **c != "synced_at")
        .map(|c| format!("{c} IS NOT {}", param(c)))
        .collect();
    let update = format!(
        "UPDATE {table} SET {} WHERE source = {} AND external_id = {} AND ({})",
        set.join(", "),
        param("source"),
        param("external_id"),
        differs.join(" OR "),
    );
    (insert, update)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn prov(external_id: &str, synced_at: i64) -> RowProvenance<'_> {
        RowProvenance {
            source: "gh",
            source_kind: "github",
            external_id,
            url: None,
            synced_at,
            origin: Origin::Api,
        }
    }

    fn team(name: &str, tz: Option<&str>) -> Vec<Value> {
        vec![
            Value::Text(name.into()),
            tz.map_or(Value::Null, |t| Value::Text(t.into())),
        ]
    }

    #[test]
    fn insert_then_unchanged_then_update() {
        let store = Store::open_in_memory().expect("store");
        let mut w = Writer::new(store.conn());
        let shape = w.shape("teams", &["name", "timezone"]).expect("shape");
        let first = w
            .upsert(shape, &team("web", None), &prov("t1", 100))
            .expect("insert");
        let Outcome::Inserted(id) = first else {
            panic!("expected an insert, got {first:?}");
        };
        let again = w
            .upsert(shape, &team("web", None), &prov("t1", 200))
            .expect("again");
        assert_eq!(again, Outcome::Unchanged);
        let changed = w
            .upsert(shape, &team("web", Some("UTC")), &prov("t1", 300))
            .expect("update");
        assert_eq!(changed, Outcome::Updated(id));
        let second = w
            .upsert(shape, &team("api", None), &prov("t2", 300))
            .expect("insert 2");
        assert!(matches!(second, Outcome::Inserted(i) if i > id));
        let synced: i64 = store
            .conn()
            .query_row("SELECT synced_at FROM teams WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("row");
        assert_eq!(
            synced, 300,
            "an update refreshes synced_at, an unchanged row keeps it"
        );
        assert_eq!(w.id_of("teams", "gh", "t2").expect("id"), second_id(second));
        assert_eq!(w.id_of("teams", "other", "t2").expect("id"), None);
    }

    fn second_id(o: Outcome) -> Option<i64> {
        match o {
            Outcome::Inserted(i) | Outcome::Updated(i) => Some(i),
            Outcome::Unchanged => None,
        }
    }

    #[test]
    fn shapes_are_prepared_once_and_tables_are_checked() {
        let store = Store::open_in_memory().expect("store");
        let mut w = Writer::new(store.conn());
        let a = w.shape("teams", &["name"]).expect("a");
        let b = w.shape("teams", &["name"]).expect("b");
        assert_eq!(a, b);
        assert!(w.shape("sqlite_master", &["name"]).is_err());
    }
}

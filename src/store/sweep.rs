//! Removing rows a complete pass over a resource no longer saw: items deleted upstream.
//!
//! A [`Scope`] says which stored rows a pass would have seen again had they still existed
//! upstream (one table, this source's rows, `origin = 'api'`, narrowed to the repository,
//! board, time range ... the pass read). Rows in the scope whose external id the pass did not
//! write are deleted; their dependants follow the schema's foreign keys (`ON DELETE CASCADE`
//! removes jobs, events, transitions, links; `ON DELETE SET NULL` unlinks incidents, alerts,
//! action items and work items), so no reference is left dangling.

use super::Result;
use super::tables::TABLE_NAMES;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use std::collections::HashSet;

/// One restriction of a [`Scope`]. Column names and SQL fragments come from code, never from
/// user input; values are bound as parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `column = value`.
    Equals(&'static str, Value),
    /// `column` is one of the values (no value: no row).
    OneOf(&'static str, Vec<Value>),
    /// The external id starts with this text (compared exactly: `_` and `%` are not
    /// wildcards, unlike `LIKE`).
    IdPrefix(String),
    /// `column >= epoch seconds` (a row without a time is out of the scope).
    AtOrAfter(&'static str, i64),
    /// `column < epoch seconds`.
    Before(&'static str, i64),
    /// A fixed SQL condition on the row (table columns by their bare name).
    Sql(&'static str),
}

/// Rows of one table that one pass would have seen again.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub table: &'static str,
    /// The table whose seen external ids keep a row: the table itself, or the row that a
    /// derived row shares its external id with (a Jira action item and its issue).
    pub kept_by: &'static str,
    pub conditions: Vec<Condition>,
}

impl Scope {
    /// Rows of `table`, kept by the ids written to `table`.
    pub fn of(table: &'static str, conditions: Vec<Condition>) -> Scope {
        Scope {
            table,
            kept_by: table,
            conditions,
        }
    }
}

/// Deletes the rows of `source` in `scope` (API rows only: imported rows are never touched)
/// whose external id is not in `seen`. Returns how many rows of the scope's table were
/// deleted (dependants removed by the foreign keys are not counted).
pub fn sweep(
    conn: &Connection,
    source: &str,
    scope: &Scope,
    seen: &HashSet<String>,
) -> Result<u64> {
    let table = scope.table;
    if !TABLE_NAMES.contains(&table) {
        return Err(super::StoreError::Sql(
            rusqlite::Error::InvalidParameterName(format!("{table} is not an entity table")),
        ));
    }
    let mut sql =
        format!("SELECT id, external_id FROM {table} WHERE source = ?1 AND origin = 'api'");
    let mut values: Vec<Value> = vec![Value::Text(source.to_string())];
    for condition in &scope.conditions {
        sql.push_str(" AND ");
        sql.push_str(&condition_sql(condition, &mut values));
    }
    let candidates: Vec<(i64, String)> = {
        let mut stmt = conn.prepare(&sql)?;
        stmt.query_map(params_from_iter(values.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut delete = conn.prepare(&format!("DELETE FROM {table} WHERE id = ?1"))?;
    let mut removed = 0;
    for (id, external_id) in candidates {
        if !seen.contains(&external_id) {
            removed += delete.execute([id])? as u64;
        }
    }
    Ok(removed)
}

/// The SQL of one condition; its values are appended to `values` (numbered after them).
fn condition_sql(condition: &Condition, values: &mut Vec<Value>) -> String {
    let mut bind = |v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    match condition {
        Condition::Equals(column, v) => format!("{column} = {}", bind(v.clone())),
        Condition::OneOf(_, list) if list.is_empty() => "0".into(),
        Condition::OneOf(column, list) => {
            let marks: Vec<String> = list.iter().map(|v| bind(v.clone())).collect();
            format!("{column} IN ({})", marks.join(", "))
        }
        Condition::IdPrefix(prefix) => {
            let n = prefix.chars().count() as i64;
            let p = bind(Value::Text(prefix.clone()));
            let n = bind(Value::Integer(n));
            let exact = format!("substr(external_id, 1, {n}) = {p}");
            // The range lets the `(source, external_id)` index find one repository's rows
            // among a source's millions instead of reading them all.
            match prefix_end(prefix) {
                Some(end) => {
                    let end = bind(Value::Text(end));
                    format!("external_id >= {p} AND external_id < {end} AND {exact}")
                }
                None => exact,
            }
        }
        Condition::AtOrAfter(column, t) => format!("{column} >= {}", bind(Value::Integer(*t))),
        Condition::Before(column, t) => format!("{column} < {}", bind(Value::Integer(*t))),
        Condition::Sql(fragment) => format!("({fragment})"),
    }
}

/// The first text after every text starting with `prefix` (in SQLite's binary order, which
/// is code point order for UTF-8): the prefix with its last character's successor.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::store::Store;
    use crate::store::write::{RowProvenance, Writer};

    fn store_with(rows: &[(&str, &str, &str, i64, Origin)]) -> Store {
        let store = Store::open_in_memory().expect("store");
        {
            let mut w = Writer::new(store.conn());
            let shape = w
                .shape("changes", &["repo", "state", "opened_at"])
                .expect("shape");
            for (source, external_id, repo, opened, origin) in rows {
                let values = [
                    Value::Text((*repo).into()),
                    Value::Text("open".into()),
                    Value::Integer(*opened),
                ];
                let p = RowProvenance {
                    source,
                    source_kind: "github",
                    external_id,
                    url: None,
                    synced_at: 1,
                    origin: *origin,
                };
                w.upsert(shape, &values, &p).expect("row");
            }
        }
        store
    }

    fn ids(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn()
            .prepare("SELECT source || ':' || external_id FROM changes ORDER BY 1")
            .expect("query");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("ids")
    }

    #[test]
    fn only_unseen_api_rows_of_the_source_in_scope_are_deleted() {
        let store = store_with(&[
            ("gh", "a_b#1", "a_b", 100, Origin::Api),
            ("gh", "a_b#2", "a_b", 100, Origin::Api),
            ("gh", "a_b#3", "a_b", 10, Origin::Api),
            ("gh", "a_b#4", "a_b", 100, Origin::Manual),
            ("gh", "axb#5", "axb", 100, Origin::Api),
            ("other", "a_b#6", "a_b", 100, Origin::Api),
        ]);
        let scope = Scope::of(
            "changes",
            vec![
                Condition::IdPrefix("a_b#".into()),
                Condition::AtOrAfter("opened_at", 50),
            ],
        );
        let seen: HashSet<String> = ["a_b#1".to_string()].into();
        let removed = sweep(store.conn(), "gh", &scope, &seen).expect("sweep");
        assert_eq!(removed, 1);
        assert_eq!(
            ids(&store),
            [
                "gh:a_b#1",
                "gh:a_b#3",
                "gh:a_b#4",
                "gh:axb#5",
                "other:a_b#6"
            ],
            "#2 unseen in scope; #3 before the range, #4 imported, axb not matched by a \
             literal `_`, other source"
        );
    }

    #[test]
    fn conditions_narrow_by_value_list_and_fragment() {
        let store = store_with(&[
            ("gh", "1", "a", 100, Origin::Api),
            ("gh", "2", "b", 100, Origin::Api),
            ("gh", "3", "c", 100, Origin::Api),
        ]);
        let none = Scope::of("changes", vec![Condition::OneOf("repo", Vec::new())]);
        assert_eq!(
            sweep(store.conn(), "gh", &none, &HashSet::new()).unwrap(),
            0
        );
        let scope = Scope::of(
            "changes",
            vec![
                Condition::OneOf(
                    "repo",
                    vec![Value::Text("a".into()), Value::Text("b".into())],
                ),
                Condition::Sql("repo <> 'b'"),
                Condition::Before("opened_at", 101),
            ],
        );
        assert_eq!(
            sweep(store.conn(), "gh", &scope, &HashSet::new()).unwrap(),
            1
        );
        assert_eq!(ids(&store), ["gh:2", "gh:3"]);
    }

    #[test]
    fn a_prefix_ends_before_the_next_text() {
        assert_eq!(prefix_end("o/r#").as_deref(), Some("o/r$"));
        assert_eq!(prefix_end("o/r/runs/").as_deref(), Some("o/r/runs0"));
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn a_table_outside_the_schema_is_refused() {
        let store = Store::open_in_memory().expect("store");
        let scope = Scope::of("sqlite_master", Vec::new());
        assert!(sweep(store.conn(), "gh", &scope, &HashSet::new()).is_err());
    }
}

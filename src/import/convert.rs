//! Turns the cells of one row into typed database values: parses numbers, timestamps, enums
//! and lists, resolves references, maps severities and fills values from the ownership map.

use super::error::CellProblem;
use super::layout::Layout;
use super::reader::{Cell, Row};
use crate::model::Ownership;
use crate::privacy::Privacy;
use crate::store::StoreError;
use crate::store::tables::{ColumnSpec, ColumnType, Derivation};
use rusqlite::types::Value;

/// Finds the store id of `(table, source, external_id)`.
pub(crate) type Resolve<'r> = dyn FnMut(&str, &str, &str) -> Result<Option<i64>, StoreError> + 'r;

/// Why a row could not be converted.
#[derive(Debug)]
pub(crate) enum RowFailure {
    Cell {
        column: String,
        problem: CellProblem,
    },
    Store(StoreError),
}

pub(crate) struct ConvertedRow {
    /// In the order of [`crate::store::tables::TableSpec::db_columns`].
    pub values: Vec<Value>,
    pub external_id: String,
    pub url: Option<String>,
}

/// Pairs of timestamps of one row where the first may not come after the second, by table:
/// `(table, start, end, strict)`. Strict pairs are periods whose end is exclusive.
const TIME_ORDER: &[(&str, &str, &str, bool)] = &[
    ("deployments", "started_at", "finished_at", false),
    ("changes", "opened_at", "merged_at", false),
    ("pipeline_runs", "queued_at", "started_at", false),
    ("pipeline_runs", "started_at", "finished_at", false),
    ("jobs", "started_at", "finished_at", false),
    ("incidents", "created_at", "acknowledged_at", false),
    ("incidents", "created_at", "resolved_at", false),
    ("alerts", "triggered_at", "acknowledged_at", false),
    ("alerts", "triggered_at", "resolved_at", false),
    ("action_items", "created_at", "completed_at", false),
    ("sprints", "start_at", "end_at", true),
    ("milestones", "start_at", "due_at", false),
    ("milestones", "start_at", "completed_at", false),
    ("work_items", "created_at", "resolved_at", false),
    ("sprint_items", "added_at", "removed_at", false),
    ("support_tickets", "created_at", "resolved_at", false),
    ("costs", "period_start", "period_end", true),
];

/// A [`TIME_ORDER`] pair located among the database values.
struct TimeOrder {
    start: (usize, &'static str),
    end: (usize, &'static str),
    strict: bool,
}

/// A derivation with its columns located among the database values.
struct Plan {
    derivation: Derivation,
    target: usize,
    from: Option<usize>,
}

pub(crate) struct Converter<'a> {
    layout: &'a Layout,
    ownership: &'a Ownership,
    privacy: &'a Privacy,
    source: &'a str,
    plans: Vec<Plan>,
    resolved_at: Option<usize>,
    acknowledged_at: Option<usize>,
    time_order: Vec<TimeOrder>,
}

fn fail(column: &str, problem: CellProblem) -> RowFailure {
    RowFailure::Cell {
        column: column.to_string(),
        problem,
    }
}

impl<'a> Converter<'a> {
    pub fn new(
        layout: &'a Layout,
        ownership: &'a Ownership,
        privacy: &'a Privacy,
        source: &'a str,
    ) -> Self {
        let db = layout.spec.db_columns();
        let at = |name: &str| db.iter().position(|c| *c == name);
        let plans = layout
            .spec
            .derive
            .iter()
            .filter_map(|&derivation| {
                let from = match derivation {
                    Derivation::ServiceFromRepo(c)
                    | Derivation::TeamFromService(c)
                    | Derivation::TeamFromRepo(c)
                    | Derivation::TeamFromBoard(c) => at(c),
                    Derivation::IncidentStatus => None,
                };
                Some(Plan {
                    derivation,
                    target: at(derivation.target())?,
                    from,
                })
            })
            .collect();
        Converter {
            layout,
            ownership,
            privacy,
            source,
            plans,
            resolved_at: at("resolved_at"),
            acknowledged_at: at("acknowledged_at"),
            time_order: TIME_ORDER
                .iter()
                .filter(|(table, ..)| *table == layout.spec.table)
                .filter_map(|&(_, start, end, strict)| {
                    Some(TimeOrder {
                        start: (at(start)?, start),
                        end: (at(end)?, end),
                        strict,
                    })
                })
                .collect(),
        }
    }

    pub fn convert(
        &self,
        row: &dyn Row,
        resolve: &mut Resolve<'_>,
    ) -> Result<ConvertedRow, RowFailure> {
        let spec = self.layout.spec;
        let mut values = Vec::with_capacity(spec.columns.len() + 1);
        for (i, column) in spec.columns.iter().enumerate() {
            let slot = self.layout.column_slots[i];
            let cell = row.cell(slot).map_err(|p| fail(column.name, p))?;
            if column.ty == ColumnType::Severity {
                let (normalised, original) = self.severity(column, cell)?;
                values.push(normalised);
                values.push(original);
                continue;
            }
            let value = match (cell, column.ty) {
                (Cell::Empty, _) => match column.default {
                    _ if column.required => return Err(fail(column.name, CellProblem::Required)),
                    Some(d) => default_value(column.ty, d),
                    None => Value::Null,
                },
                (Cell::Text(text), ColumnType::Reference(table)) => {
                    let source = match self.layout.reference_source_slots[i] {
                        Some(s) => match row.cell(s) {
                            Ok(Cell::Text(t)) => t.into_owned(),
                            _ => self.source.to_string(),
                        },
                        None => self.source.to_string(),
                    };
                    match resolve(table, &source, &text).map_err(RowFailure::Store)? {
                        Some(id) => Value::Integer(id),
                        None => {
                            let problem = CellProblem::UnresolvedReference {
                                table,
                                external_id: text.into_owned(),
                                source_name: source,
                            };
                            return Err(fail(column.name, problem));
                        }
                    }
                }
                (cell, ty) => {
                    let value = typed_value(cell, ty).map_err(|p| fail(column.name, p))?;
                    self.protect(ty, value)
                }
            };
            values.push(value);
        }
        self.check_time_order(&values)?;
        self.derive(&mut values);
        Ok(ConvertedRow {
            values,
            external_id: self.external_id(row)?,
            url: match row.cell(self.layout.url_slot).map_err(|p| fail("url", p))? {
                Cell::Text(t) => Some(t.into_owned()),
                _ => None,
            },
        })
    }

    /// Refuses a start after its end (a deployment finished before it started), which would
    /// give negative durations in every metric built on the pair.
    fn check_time_order(&self, values: &[Value]) -> Result<(), RowFailure> {
        for check in &self.time_order {
            let (Value::Integer(start), Value::Integer(end)) =
                (&values[check.start.0], &values[check.end.0])
            else {
                continue;
            };
            if start > end || (check.strict && start == end) {
                let problem = CellProblem::StartAfterEnd {
                    start: *start,
                    relation: if start > end { "after" } else { "not before" },
                    end_column: check.end.1,
                    end: *end,
                };
                return Err(fail(check.start.1, problem));
            }
        }
        Ok(())
    }

    /// People become pseudonyms and free text loses personal data before anything is stored.
    fn protect(&self, ty: ColumnType, value: Value) -> Value {
        match (ty, value) {
            (ColumnType::Person, Value::Text(t)) => Value::Text(self.privacy.person(&t)),
            (ColumnType::Prose, Value::Text(t)) => {
                Value::Text(self.privacy.redact(&t).into_owned())
            }
            (_, v) => v,
        }
    }

    fn severity(&self, column: &ColumnSpec, cell: Cell<'_>) -> Result<(Value, Value), RowFailure> {
        let raw = match cell {
            Cell::Text(t) => t,
            Cell::Empty => return Err(fail(column.name, CellProblem::Required)),
            Cell::List(_) => return Err(fail(column.name, CellProblem::UnexpectedList)),
        };
        let Some(severity) = self.ownership.normalise_severity(self.source, &raw) else {
            let problem = CellProblem::UnmappedSeverity {
                value: raw.into_owned(),
                source_name: self.source.to_string(),
            };
            return Err(fail(column.name, problem));
        };
        Ok((
            Value::Text(severity.as_str().to_string()),
            Value::Text(raw.into_owned()),
        ))
    }

    fn external_id(&self, row: &dyn Row) -> Result<String, RowFailure> {
        let slot = self.layout.external_id_slot;
        match row.cell(slot).map_err(|p| fail("external_id", p))? {
            Cell::Text(t) => return Ok(t.into_owned()),
            Cell::List(_) => return Err(fail("external_id", CellProblem::UnexpectedList)),
            Cell::Empty => {}
        }
        let from = self.layout.spec.external_id_from;
        if from.is_empty() {
            return Err(fail("external_id", CellProblem::Required));
        }
        let mut parts = Vec::with_capacity(from.len());
        for name in from {
            let slot = self.layout.slot(name).unwrap_or(slot);
            match row.cell(slot).map_err(|p| fail(name, p))? {
                Cell::Text(t) => parts.push(t.into_owned()),
                _ => return Err(fail(name, CellProblem::Required)),
            }
        }
        Ok(parts.join("/"))
    }

    fn derive(&self, values: &mut [Value]) {
        for plan in &self.plans {
            if values[plan.target] != Value::Null {
                continue;
            }
            let from = match plan.from.map(|i| &values[i]) {
                Some(Value::Text(t)) => Some(t.as_str()),
                _ => None,
            };
            let o = self.ownership;
            let derived = match plan.derivation {
                Derivation::ServiceFromRepo(_) => from.and_then(|r| o.service_for_repo(r)),
                Derivation::TeamFromService(_) => from.and_then(|s| o.team_for_service(s)),
                Derivation::TeamFromRepo(_) => from.and_then(|r| o.team_for_repo(r)),
                Derivation::TeamFromBoard(_) => from.and_then(|b| o.team_for_board(b)),
                Derivation::IncidentStatus => {
                    let set = |i: Option<usize>| i.is_some_and(|i| values[i] != Value::Null);
                    Some(if set(self.resolved_at) {
                        "resolved"
                    } else if set(self.acknowledged_at) {
                        "acknowledged"
                    } else {
                        "triggered"
                    })
                }
            };
            if let Some(v) = derived {
                values[plan.target] = Value::Text(v.to_string());
            }
        }
    }
}

/// The stored form of a column default (defaults are written in stored form in the spec).
fn default_value(ty: ColumnType, default: &str) -> Value {
    match ty {
        ColumnType::Integer | ColumnType::Bool => default
            .parse()
            .map_or_else(|_| Value::Text(default.to_string()), Value::Integer),
        ColumnType::Real | ColumnType::Fraction => default
            .parse()
            .map_or_else(|_| Value::Text(default.to_string()), Value::Real),
        _ => Value::Text(default.to_string()),
    }
}

/// Parses a non-empty cell of a plain (not reference, not severity) column.
pub(crate) fn typed_value(cell: Cell<'_>, ty: ColumnType) -> Result<Value, CellProblem> {
    let text = match cell {
        Cell::Empty => return Ok(Value::Null),
        Cell::List(items) if ty == ColumnType::Labels => return Ok(labels_json(items.iter())),
        Cell::List(_) => return Err(CellProblem::UnexpectedList),
        Cell::Text(t) => t,
    };
    Ok(match ty {
        ColumnType::Text
        | ColumnType::Person
        | ColumnType::Prose
        | ColumnType::Reference(_)
        | ColumnType::Severity => Value::Text(text.into_owned()),
        ColumnType::Integer => Value::Integer(
            text.parse()
                .map_err(|_| CellProblem::NotInteger(text.to_string()))?,
        ),
        ColumnType::Real => Value::Real(
            parse_number(&text).ok_or_else(|| CellProblem::NotNumber(text.to_string()))?,
        ),
        ColumnType::Fraction => match parse_number(&text) {
            Some(x) if x > 0.0 && x < 1.0 => Value::Real(x),
            _ => return Err(CellProblem::NotFraction(text.into_owned())),
        },
        ColumnType::Timestamp => Value::Integer(parse_timestamp(&text)?),
        ColumnType::Bool => Value::Integer(match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => 1,
            "false" | "no" | "0" => 0,
            _ => return Err(CellProblem::NotBool(text.into_owned())),
        }),
        ColumnType::Enum(allowed) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(&text)) {
            Some(a) => Value::Text((*a).to_string()),
            None => {
                return Err(CellProblem::NotEnum {
                    value: text.into_owned(),
                    allowed,
                });
            }
        },
        ColumnType::TimeZone => match text.parse::<chrono_tz::Tz>() {
            Ok(tz) => Value::Text(tz.name().to_string()),
            Err(_) => return Err(CellProblem::NotTimeZone(text.into_owned())),
        },
        ColumnType::Labels => labels_json(text.split(';')),
    })
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// RFC 3339 to epoch seconds (fractions of a second are dropped).
pub(crate) fn parse_timestamp(text: &str) -> Result<i64, CellProblem> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| CellProblem::NotTimestamp(text.to_string()))
}

fn labels_json<S: AsRef<str>>(items: impl Iterator<Item = S>) -> Value {
    let labels: Vec<String> = items
        .map(|s| s.as_ref().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Value::Text(serde_json::Value::from(labels).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn text(s: &str) -> Cell<'_> {
        Cell::Text(Cow::Borrowed(s))
    }

    #[test]
    fn timestamps_are_rfc3339_with_any_offset() {
        assert_eq!(parse_timestamp("1970-01-01T00:01:00Z"), Ok(60));
        assert_eq!(parse_timestamp("1970-01-01T01:01:00+01:00"), Ok(60));
        assert_eq!(parse_timestamp("1970-01-01T00:01:00.9Z"), Ok(60));
        assert_eq!(
            parse_timestamp("yesterday"),
            Err(CellProblem::NotTimestamp("yesterday".into()))
        );
        assert!(parse_timestamp("2024-05-02").is_err());
    }

    #[test]
    fn typed_values_parse_or_say_why() {
        assert_eq!(
            typed_value(text("42"), ColumnType::Integer),
            Ok(Value::Integer(42))
        );
        assert_eq!(
            typed_value(text("4.2"), ColumnType::Integer),
            Err(CellProblem::NotInteger("4.2".into()))
        );
        assert_eq!(
            typed_value(text("2.5"), ColumnType::Real),
            Ok(Value::Real(2.5))
        );
        assert!(typed_value(text("NaN"), ColumnType::Real).is_err());
        assert!(typed_value(text("1"), ColumnType::Fraction).is_err());
        assert_eq!(
            typed_value(text("Yes"), ColumnType::Bool),
            Ok(Value::Integer(1))
        );
        assert_eq!(
            typed_value(text("0"), ColumnType::Bool),
            Ok(Value::Integer(0))
        );
        assert!(typed_value(text("maybe"), ColumnType::Bool).is_err());
        assert_eq!(
            typed_value(text("Success"), ColumnType::Enum(&["success", "failure"])),
            Ok(Value::Text("success".into()))
        );
        assert_eq!(
            typed_value(text("Europe/Berlin"), ColumnType::TimeZone),
            Ok(Value::Text("Europe/Berlin".into()))
        );
        assert!(typed_value(text("Mars/Base"), ColumnType::TimeZone).is_err());
    }

    #[test]
    fn labels_from_csv_text_and_json_lists() {
        assert_eq!(
            typed_value(text("a; b;;c"), ColumnType::Labels),
            Ok(Value::Text(r#"["a","b","c"]"#.into()))
        );
        assert_eq!(
            typed_value(Cell::List(vec!["x".into()]), ColumnType::Labels),
            Ok(Value::Text(r#"["x"]"#.into()))
        );
        assert_eq!(
            typed_value(Cell::List(vec![]), ColumnType::Text),
            Err(CellProblem::UnexpectedList)
        );
    }
}

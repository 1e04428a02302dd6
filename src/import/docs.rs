//! Renders `docs/import.md` from the column specs, so the documentation cannot drift from
//! what the importer accepts (a test compares the file with this output).

use super::Kind;
use super::layout::{Layout, Role};
use crate::store::tables::ColumnType;
use std::fmt::Write;

const INTRO: &str = r#"# Importing CSV and JSON Lines

`plumb import` loads rows that no connector fetches (support tickets, finance spend, OKRs,
deployments from an in-house tool, ...) into plumb's store. Imported rows are marked
`origin = manual`, so every number can say how much of it came from files rather than APIs.

```sh
plumb import deployments.csv changes.csv deployment_changes.csv
plumb import --source finance --kind costs spend-2024-05.jsonl
plumb import --dry-run incidents.csv
```

## Files
- **One kind of row per file.** The kind is the file name without its extension
  (`deployments.csv`, `deployment_changes.jsonl`; `-` may stand for `_`), or `--kind` for every
  file of the call. The kinds and their columns are listed below.
- **CSV** (`.csv`): the first line is a header naming the columns, in any order. Values are
  trimmed; an empty value means "no value". Quote values that contain commas. Line numbers in
  messages count the header as line 1.
- **JSON Lines** (`.jsonl` or `.ndjson`): one JSON object per line, keys are column names;
  `null` or a missing key means "no value"; numbers and `true`/`false` are accepted where the
  column type allows. Blank lines are skipped.
- **Columns**: a required column must be present and non-empty in every row. An unknown column
  is an error that lists the known ones (so a typo never silently drops data).
- **Timestamps** are RFC 3339 with an offset, such as `2024-05-02T10:03:00Z` or
  `2024-05-02T12:03:00+02:00`; they are stored as UTC seconds.
- **Lists** (labels): `a;b;c` in CSV, a JSON array of strings in JSON Lines.
- **Enums** accept the listed values in any letter case.
- **References** name another row by its `external_id` (for example `deployment_id` in
  `deployment_changes`). They resolve among rows of the same source; a companion column
  `<column>_source` may name another source for one row. The referenced rows must be stored
  already or be imported in the same call.
- **Time spans**: where a kind has a start and an end (a deployment's `started_at` and
  `finished_at`, an incident's creation and resolution, a sprint's start and end...), the end may
  not come before the start; such a row is refused with its file and line. Sprints and cost
  periods, whose end is exclusive, need the end strictly after the start.
- **Team and service** left empty are filled from the config's ownership map where the kind says
  so (for example a deployment's team from its service's owner).
- **Provenance**: every row gets `source` (`--source`, default `import`), `source_kind = import`,
  its `external_id`, the optional `url`, `synced_at` (the import time) and `origin = manual`.

## Atomicity and idempotence
- All files of one call are imported in **one transaction**, parents before children whatever
  the order given (so `deployment_changes.csv` may come before `deployments.csv`). The first bad
  row stops the import with `file:line: column 'x': why`, and the database is left exactly as it
  was: no file of the call is imported.
- Rows are upserted on `(source, external_id)`. Importing the same file again changes nothing;
  a changed row is updated in place. The report counts rows inserted, updated and unchanged
  per file. A file that repeats an `external_id` updates the row with its later line.
- `--dry-run` checks everything, references included, prints the same report, and writes
  nothing.

## Kinds
"#;

fn required_text(layout: &Layout, slot: usize) -> String {
    let spec = layout.spec;
    match layout.columns[slot].role {
        Role::ExternalId if !spec.external_id_from.is_empty() => format!(
            "no (default: {})",
            spec.external_id_from
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join("/")
        ),
        Role::Column(c) => match (c.required, c.default) {
            (true, _) => "yes".into(),
            (false, Some(d)) => format!("no (default `{d}`)"),
            (false, None) => "no".into(),
        },
        _ if layout.is_required(slot) => "yes".into(),
        _ => "no".into(),
    }
}

/// The Markdown of `docs/import.md`.
pub fn render_docs() -> String {
    let mut out = String::from(INTRO);
    for kind in Kind::all() {
        let spec = kind.spec();
        let layout = Layout::new(spec);
        let _ = write!(out, "\n### {}\n\n{}\n\n", spec.table, spec.doc);
        out.push_str("| column | type | required | example | meaning |\n");
        out.push_str("|---|---|---|---|---|\n");
        for (slot, column) in layout.columns.iter().enumerate() {
            let (ty, example, meaning) = match column.role {
                Role::ExternalId => (
                    "text".to_string(),
                    "",
                    "this row's id in its source; re-imports update the row with the same id",
                ),
                Role::Url => ("text".to_string(), "", "link to the row in its tool"),
                Role::Column(c) => (c.ty.describe(), c.example, c.doc),
                Role::ReferenceSource(_) => (
                    "text".to_string(),
                    "",
                    "source in which the reference resolves (default: the importing source)",
                ),
            };
            let example = match (column.role, example) {
                (Role::ExternalId, _) => format!("`{}`", spec.external_id_example),
                (_, "") => String::new(),
                (_, e) => format!("`{e}`"),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                column.name,
                ty,
                required_text(&layout, slot),
                example,
                meaning
            );
        }
        let severity = spec.columns.iter().any(|c| c.ty == ColumnType::Severity);
        if severity {
            out.push_str(
                "\nThe severity is stored as given (`severity_original`) and as SEV1..SEV5 \
                 (`severity`): the config's `[severity]` table for the source first, then the \
                 built-in spellings (`SEV2`, `P2`, `2`, `critical`, `high`, ...). A severity \
                 that maps to nothing stops the import and says how to map it.\n",
            );
        }
        if !spec.derive.is_empty() {
            out.push_str("\nWhen empty, filled in:\n");
            for d in spec.derive {
                let _ = writeln!(out, "- {}", d.describe());
            }
        }
    }
    out
}

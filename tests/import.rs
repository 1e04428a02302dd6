//! `plumb import`: every kind round-trips from CSV (several from JSON Lines), references
//! resolve, imports are atomic and idempotent, and every failure names file, line and column.

use chrono::{DateTime, TimeZone, Utc};
use plumb::import::{FileReport, ImportError, ImportOptions, Kind, import_files, render_docs};
use plumb::model::{Filter, Ownership, Severity};
use plumb::store::Store;
use plumb::store::tables::{ColumnType, spec};
use rusqlite::types::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(dir)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 10, 12, 0, 0).unwrap()
}

fn ownership() -> Ownership {
    let mut o = Ownership::default();
    o.service_team.insert("checkout".into(), "payments".into());
    o.service_team.insert("search-api".into(), "search".into());
    o.repo_team
        .insert("acme/checkout".into(), "payments".into());
    o.repo_service
        .insert("acme/checkout".into(), "checkout".into());
    o.board_team.insert("PAY".into(), "payments".into());
    o.severity_default.insert("urgent".into(), Severity::Sev1);
    o
}

fn all_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // Reverse order: the importer must put parents first by itself.
    files.sort();
    files.reverse();
    files
}

fn import(store: &mut Store, files: &[PathBuf]) -> Result<Vec<FileReport>, ImportError> {
    import_files(store, files, &ImportOptions::default(), &ownership(), now())
}

fn counts(store: &Store) -> Vec<(&'static str, i64)> {
    store.row_counts().unwrap()
}

/// One file row as column → text (JSON lists joined with `;`, numbers as written).
type FileRow = BTreeMap<String, String>;

fn read_csv(path: &Path) -> Vec<FileRow> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn read_jsonl(path: &Path) -> Vec<FileRow> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(l).unwrap();
            obj.into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().unwrap().to_string())
                            .collect::<Vec<_>>()
                            .join(";"),
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect()
        })
        .collect()
}

fn stored_row(store: &Store, table: &str, external_id: &str) -> HashMap<String, Value> {
    let conn = store.conn();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT * FROM {table} WHERE source = 'import' AND external_id = ?1"
        ))
        .unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    stmt.query_row([external_id], |r| {
        Ok(names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), r.get::<_, Value>(i).unwrap()))
            .collect())
    })
    .unwrap_or_else(|e| panic!("{table} row {external_id}: {e}"))
}

fn id_of(store: &Store, table: &str, external_id: &str) -> i64 {
    store
        .conn()
        .query_row(
            &format!("SELECT id FROM {table} WHERE source = 'import' AND external_id = ?1"),
            [external_id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{table} {external_id}: {e}"))
}

/// Checks every value the file gave against the stored row, interpreting it independently of
/// the importer (chrono for timestamps, a lookup for references).
fn assert_rows_match_file(store: &Store, table: &str, rows: &[FileRow]) {
    let spec = spec(table).unwrap();
    for row in rows {
        let external_id = match row.get("external_id").filter(|s| !s.is_empty()) {
            Some(id) => id.clone(),
            None => spec
                .external_id_from
                .iter()
                .map(|c| row[*c].clone())
                .collect::<Vec<_>>()
                .join("/"),
        };
        let stored = stored_row(store, table, &external_id);
        let at = |c: &str| format!("{table} {external_id} column {c}");
        assert_eq!(
            stored["origin"],
            Value::Text("manual".into()),
            "{}",
            at("origin")
        );
        assert_eq!(stored["source_kind"], Value::Text("import".into()));
        assert_eq!(stored["synced_at"], Value::Integer(now().timestamp()));
        let url = row.get("url").filter(|u| !u.is_empty());
        assert_eq!(
            stored["url"],
            url.map_or(Value::Null, |u| Value::Text(u.clone())),
            "{}",
            at("url")
        );
        for column in spec.columns {
            let cell = row.get(column.name).map(String::as_str).unwrap_or("");
            let derived = spec.derive.iter().any(|d| d.target() == column.name);
            let expected = match (cell, column.ty) {
                ("", _) if derived => continue,
                ("", _) => match column.default {
                    Some(d) => match stored[column.name] {
                        Value::Integer(_) => Value::Integer(d.parse().unwrap()),
                        _ => Value::Text(d.into()),
                    },
                    None => Value::Null,
                },
                (c, ColumnType::Timestamp) => {
                    Value::Integer(DateTime::parse_from_rfc3339(c).unwrap().timestamp())
                }
                (c, ColumnType::Integer) => Value::Integer(c.parse().unwrap()),
                (c, ColumnType::Real | ColumnType::Fraction) => Value::Real(c.parse().unwrap()),
                (c, ColumnType::Enum(_)) => Value::Text(c.to_lowercase()),
                (c, ColumnType::Labels) => {
                    Value::Text(serde_json::to_string(&c.split(';').collect::<Vec<_>>()).unwrap())
                }
                (c, ColumnType::Reference(parent)) => Value::Integer(id_of(store, parent, c)),
                (c, ColumnType::Person) => Value::Text(privacy(store).person(c)),
                (c, ColumnType::Prose) => Value::Text(privacy(store).redact(c).into_owned()),
                (c, ColumnType::Severity) => {
                    assert_eq!(stored["severity_original"], Value::Text(c.into()));
                    continue;
                }
                (c, _) => Value::Text(c.into()),
            };
            assert_eq!(stored[column.name], expected, "{}", at(column.name));
        }
    }
}

#[test]
fn every_kind_round_trips_from_csv() {
    let mut store = Store::open_in_memory().unwrap();
    let reports = import(&mut store, &all_files("csv")).unwrap();
    assert_eq!(reports.len(), Kind::all().count(), "one fixture per kind");
    let order: Vec<&str> = reports.iter().map(|r| r.kind.name()).collect();
    assert_eq!(order, Kind::names(), "parents are imported first");
    for report in &reports {
        let rows = read_csv(&report.path);
        assert!(!rows.is_empty(), "{} has rows", report.path.display());
        assert_eq!(report.rows, rows.len() as u64);
        assert_eq!(report.inserted, report.rows, "{}", report.kind);
        assert_rows_match_file(&store, report.kind.name(), &rows);
    }
    let counted: HashMap<_, _> = counts(&store).into_iter().collect();
    for report in &reports {
        assert_eq!(counted[report.kind.name()], report.rows as i64);
    }
}

#[test]
fn several_kinds_round_trip_from_json_lines() {
    let mut store = Store::open_in_memory().unwrap();
    let reports = import(&mut store, &all_files("jsonl")).unwrap();
    assert_eq!(reports.len(), 6);
    for report in &reports {
        let rows = read_jsonl(&report.path);
        assert_eq!(report.rows, rows.len() as u64);
        assert_rows_match_file(&store, report.kind.name(), &rows);
    }
    let incidents = store.incidents(&Filter::default(), 0).unwrap();
    assert_eq!(
        incidents[0].severity,
        Severity::Sev1,
        "a JSON number maps like its text"
    );
    assert_eq!(incidents[0].severity_original, "1");
    let deployments = store.deployments(&Filter::default(), 0).unwrap();
    assert_eq!(incidents[0].deployment_id, Some(deployments[1].id));
}

#[test]
fn store_reads_see_imported_rows_with_ownership_filled_in() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &all_files("csv")).unwrap();
    let all = Filter::default();

    let deployments = store.deployments(&all, 0).unwrap();
    let d1 = deployments
        .iter()
        .find(|d| d.commit_sha.as_deref() == Some("aaa111"))
        .unwrap();
    assert_eq!(
        d1.team.as_deref(),
        Some("payments"),
        "team from the service's owner"
    );
    assert_eq!(
        d1.finished_at,
        Utc.with_ymd_and_hms(2024, 5, 2, 10, 3, 0).unwrap()
    );
    let d2 = deployments
        .iter()
        .find(|d| d.commit_sha.as_deref() == Some("bbb222"))
        .unwrap();
    assert_eq!(
        d2.started_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 3, 7, 58, 0).unwrap())
    );
    assert_eq!(
        d2.finished_at,
        Utc.with_ymd_and_hms(2024, 5, 3, 8, 5, 0).unwrap(),
        "offsets are converted before start and end are compared"
    );

    let changes = store.changes(&all, 0).unwrap();
    let pr1 = changes
        .iter()
        .find(|c| c.merge_sha.as_deref() == Some("aaa111"))
        .unwrap();
    assert_eq!(
        pr1.service.as_deref(),
        Some("checkout"),
        "service from the repo map"
    );
    assert_eq!(pr1.team.as_deref(), Some("payments"));
    assert_eq!(pr1.title.as_deref(), Some("Retry captures, safely"));

    let links = store
        .deployment_changes_for(&deployments.iter().map(|d| d.id).collect::<Vec<_>>())
        .unwrap();
    assert!(
        links
            .iter()
            .any(|l| l.deployment_id == d1.id && l.change_id == pr1.id)
    );
    assert_eq!(links.len(), 2);
    let link = stored_row(&store, "deployment_changes", "dep-1/pr-1");
    assert_eq!(link["deployment_id"], Value::Integer(d1.id));

    let incidents = store.incidents(&all, 0).unwrap();
    let by_title = |t: &str| incidents.iter().find(|i| i.title == t).unwrap();
    assert_eq!(by_title("Checkout errors").severity, Severity::Sev2);
    assert_eq!(by_title("Checkout errors").severity_original, "P2");
    assert_eq!(by_title("Checkout errors").deployment_id, Some(d1.id));
    assert_eq!(by_title("Search down").severity, Severity::Sev1);
    assert_eq!(by_title("Search down").team.as_deref(), Some("search"));
    assert_eq!(
        by_title("Unknown blip").severity,
        Severity::Sev1,
        "config [severity]"
    );
    assert_eq!(by_title("Unknown blip").team, None);
    let status = |t: &str| stored_row(&store, "incidents", t)["status"].clone();
    assert_eq!(status("inc-1"), Value::Text("resolved".into()));
    assert_eq!(status("inc-2"), Value::Text("acknowledged".into()));
    assert_eq!(status("inc-3"), Value::Text("triggered".into()));
    assert_eq!(store.open_incidents(&all).unwrap().len(), 2);

    let slos = store.slos(&all).unwrap();
    let slo1 = slos
        .iter()
        .find(|s| s.name == "checkout availability")
        .unwrap();
    assert_eq!(slo1.target, 0.999);
    let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let samples = store.slo_samples(slo1.id, from, to).unwrap();
    assert_eq!(samples.len(), 2, "slo_samples resolve to their SLO");
    assert_eq!((samples[0].good, samples[0].total), (99870.0, 100000.0));

    let actions = store.action_items(&all).unwrap();
    let inc1 = id_of(&store, "incidents", "inc-1");
    assert_eq!(
        actions[0].incident_id,
        Some(inc1),
        "action_items resolve to incidents"
    );
    assert_eq!(actions[1].incident_id, None);

    let kr = stored_row(&store, "key_results", "kr-1");
    assert_eq!(
        kr["objective_id"],
        Value::Integer(id_of(&store, "objectives", "okr-1"))
    );
    let wi = stored_row(&store, "work_items", "PAY-812");
    assert_eq!(
        wi["sprint_id"],
        Value::Integer(id_of(&store, "sprints", "sprint-1"))
    );
    assert_eq!(
        wi["labels"],
        Value::Text(r#"["postmortem","alerts"]"#.into())
    );
    let sprint = stored_row(&store, "sprints", "sprint-1");
    assert_eq!(
        sprint["team"],
        Value::Text("payments".into()),
        "team from the board"
    );

    let teams = store.teams().unwrap();
    assert_eq!(teams[0].timezone.as_deref(), Some("Europe/Berlin"));
    let services = store.services().unwrap();
    assert_eq!(services[0].team.as_deref(), Some("payments"));
}

#[test]
fn reimporting_changes_nothing_and_counts_unchanged() {
    let mut store = Store::open_in_memory().unwrap();
    let files = all_files("csv");
    import(&mut store, &files).unwrap();
    let before = counts(&store);
    let later = now() + chrono::Duration::days(1);
    let reports = import_files(
        &mut store,
        &files,
        &ImportOptions::default(),
        &ownership(),
        later,
    )
    .unwrap();
    assert_eq!(counts(&store), before);
    for r in &reports {
        assert_eq!(
            (r.inserted, r.updated, r.unchanged),
            (0, 0, r.rows),
            "{}",
            r.kind
        );
    }
    let synced: i64 = store
        .conn()
        .query_row("SELECT max(synced_at) FROM deployments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(synced, now().timestamp(), "unchanged rows are not touched");
}

#[test]
fn a_changed_row_is_updated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deployments.csv");
    let header = "external_id,service,environment,status,finished_at\n";
    std::fs::write(&path, format!("{header}d1,web,production,success,2024-05-02T10:00:00Z\nd2,web,production,success,2024-05-02T11:00:00Z\n")).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, std::slice::from_ref(&path)).unwrap();
    let id = id_of(&store, "deployments", "d1");
    std::fs::write(&path, format!("{header}d1,web,production,failure,2024-05-02T10:00:00Z\nd2,web,production,success,2024-05-02T11:00:00Z\nd3,web,production,success,2024-05-02T12:00:00Z\n")).unwrap();
    let r = &import(&mut store, std::slice::from_ref(&path)).unwrap()[0];
    assert_eq!((r.rows, r.inserted, r.updated, r.unchanged), (3, 1, 1, 1));
    assert_eq!(id_of(&store, "deployments", "d1"), id);
    assert_eq!(
        stored_row(&store, "deployments", "d1")["status"],
        Value::Text("failure".into())
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const DEPLOY_HEADER: &str =
    "external_id,service,environment,status,started_at,finished_at,commit_sha\n";

fn deployments_csv(rows: usize, bad_line: Option<usize>) -> String {
    let mut text = String::from(DEPLOY_HEADER);
    for i in 0..rows {
        let line = i + 2;
        let finished = if Some(line) == bad_line {
            "yesterday".to_string()
        } else {
            format!("2024-05-{:02}T10:00:00Z", 1 + i % 28)
        };
        text.push_str(&format!(
            "dep-{i},checkout,production,success,2024-05-01T09:00:00Z,{finished},sha{i}\n"
        ));
    }
    text
}

#[test]
fn a_bad_line_refuses_the_whole_file_and_keeps_the_earlier_import() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &all_files("csv")).unwrap();
    let before = counts(&store);
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "deployments.csv",
        &deployments_csv(100, Some(57)),
    );
    let err = import(&mut store, std::slice::from_ref(&path)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("deployments.csv:57: column 'finished_at'"),
        "{message}"
    );
    assert!(message.contains("\"yesterday\""), "{message}");
    assert_eq!(counts(&store), before, "no row of the file is stored");
    assert!(
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM deployments WHERE external_id = 'dep-0'",
                [],
                |r| r.get::<_, i64>(0)
            )
            .unwrap()
            == 0
    );
}

#[test]
fn a_bad_second_file_rolls_back_the_first() {
    let mut store = Store::open_in_memory().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "deployments.csv", &deployments_csv(10, None));
    let bad = write(
        dir.path(),
        "changes.csv",
        "external_id,repo,merged_at\npr-1,acme/x,soon\n",
    );
    let err = import(&mut store, &[good, bad]).unwrap_err();
    assert!(
        err.to_string()
            .contains("changes.csv:2: column 'merged_at'"),
        "{err}"
    );
    assert!(counts(&store).iter().all(|(_, n)| *n == 0));
}

#[test]
fn dry_run_validates_references_and_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let opts = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let files = all_files("csv");
    let reports = import_files(&mut store, &files, &opts, &ownership(), now()).unwrap();
    assert!(reports.iter().all(|r| r.inserted == r.rows && r.rows > 0));
    assert!(
        counts(&store).iter().all(|(_, n)| *n == 0),
        "{:?}",
        counts(&store)
    );

    let dir = tempfile::tempdir().unwrap();
    let links = write(
        dir.path(),
        "deployment_changes.csv",
        "deployment_id,change_id\nnope,pr-1\n",
    );
    let err = import_files(&mut store, &[links], &opts, &ownership(), now()).unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
}

#[test]
fn rows_carry_the_given_source_and_references_resolve_within_it() {
    let mut store = Store::open_in_memory().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let deploys = write(dir.path(), "deployments.csv", &deployments_csv(2, None));
    let finance = ImportOptions {
        source: "finance".into(),
        ..ImportOptions::default()
    };
    import_files(&mut store, &[deploys], &finance, &ownership(), now()).unwrap();
    let (source, origin, kind): (String, String, String) = store
        .conn()
        .query_row(
            "SELECT source, origin, source_kind FROM deployments LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (source.as_str(), origin.as_str(), kind.as_str()),
        ("finance", "manual", "import")
    );

    let incidents = write(
        dir.path(),
        "incidents.csv",
        "external_id,service,severity,title,created_at,deployment_id\n\
         i1,checkout,P1,Down,2024-05-02T11:00:00Z,dep-1\n",
    );
    let err = import(&mut store, std::slice::from_ref(&incidents)).unwrap_err();
    assert!(
        err.to_string().contains("column 'deployment_id': no deployments row has external id \"dep-1\" in source \"import\""),
        "{err}"
    );
    let other_source = write(
        dir.path(),
        "incidents.csv",
        "external_id,service,severity,title,created_at,deployment_id,deployment_id_source\n\
         i1,checkout,P1,Down,2024-05-02T11:00:00Z,dep-1,finance\n",
    );
    import(&mut store, &[other_source]).unwrap();
    let attributed: Option<i64> = store
        .conn()
        .query_row("SELECT deployment_id FROM incidents", [], |r| r.get(0))
        .unwrap();
    assert!(attributed.is_some());
}

/// Imports one file named `name` with `text` into an empty store and returns the message.
fn failure(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    let mut store = Store::open_in_memory().unwrap();
    let err = import(&mut store, &[path]).unwrap_err();
    assert!(counts(&store).iter().all(|(_, n)| *n == 0));
    err.to_string()
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

#[test]
fn unknown_kind_from_file_name_lists_kinds_and_mentions_kind_flag() {
    let m = failure("deploys.csv", "a\n1\n");
    assert_contains(
        &m,
        &[
            "deploys.csv",
            "'deploys'",
            "--kind",
            "deployments",
            "work_item_transitions",
        ],
    );
    assert_eq!(
        "deployment-changes".parse::<Kind>().unwrap().name(),
        "deployment_changes"
    );
    let e = "nope".parse::<Kind>().unwrap_err().to_string();
    assert_contains(&e, &["nope", "support_tickets"]);
}

#[test]
fn the_kind_flag_overrides_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "export-2024.csv", &deployments_csv(3, None));
    let mut store = Store::open_in_memory().unwrap();
    let opts = ImportOptions {
        kind: Some("deployments".parse().unwrap()),
        ..ImportOptions::default()
    };
    let r = import_files(&mut store, &[path], &opts, &ownership(), now()).unwrap();
    assert_eq!(r[0].inserted, 3);
}

#[test]
fn unknown_column_names_it_and_lists_the_known_ones() {
    let m = failure(
        "deployments.csv",
        "external_id,service,environment,status,finshed_at\n",
    );
    assert_contains(
        &m,
        &[
            "deployments.csv:1:",
            "'finshed_at'",
            "known columns",
            "finished_at",
            "commit_sha",
        ],
    );
}

#[test]
fn missing_required_column_in_header() {
    let m = failure(
        "deployments.csv",
        "external_id,service,environment,status\nd,s,p,success\n",
    );
    assert_contains(&m, &["deployments.csv:1:", "required column 'finished_at'"]);
}

#[test]
fn empty_required_value() {
    let m = failure(
        "deployments.csv",
        &format!("{DEPLOY_HEADER}d1,,production,success,,2024-05-02T10:00:00Z,\n"),
    );
    assert_contains(
        &m,
        &["deployments.csv:2: column 'service': a value is required"],
    );
}

#[test]
fn bad_timestamp_bad_enum_bad_number() {
    let m = failure(
        "deployments.csv",
        &format!("{DEPLOY_HEADER}d1,web,production,success,2024-05-02,2024-05-02T10:00:00Z,\n"),
    );
    assert_contains(
        &m,
        &[":2: column 'started_at': not an RFC 3339 timestamp: \"2024-05-02\""],
    );
    let m = failure(
        "deployments.csv",
        &format!("{DEPLOY_HEADER}d1,web,production,ok,,2024-05-02T10:00:00Z,\n"),
    );
    assert_contains(
        &m,
        &["column 'status': \"ok\" is not one of: success, failure"],
    );
    let m = failure(
        "changes.csv",
        "external_id,repo,additions\npr-1,acme/x,12\npr-2,acme/x,lots\n",
    );
    assert_contains(
        &m,
        &["changes.csv:3: column 'additions': not an integer: \"lots\""],
    );
    let m = failure("slos.csv", "external_id,name,target\ns1,avail,99.9\n");
    assert_contains(&m, &["column 'target'", "between 0 and 1", "\"99.9\""]);
    let m = failure(
        "costs.csv",
        "external_id,period_start,period_end,amount,cost_source\nc,2024-05-01T00:00:00Z,2024-06-01T00:00:00Z,12k,finance\n",
    );
    assert_contains(&m, &["column 'amount': not a number: \"12k\""]);
}

#[test]
fn unresolved_reference_names_the_missing_external_id() {
    let m = failure(
        "slo_samples.csv",
        "slo_id,bucket_start,bucket_seconds,good,total\nslo-x,2024-05-02T11:00:00Z,60,1,1\n",
    );
    assert_contains(
        &m,
        &["slo_samples.csv:2: column 'slo_id'", "\"slo-x\"", "slos"],
    );
}

#[test]
fn malformed_json_lines() {
    let m = failure("incidents.jsonl", "{\"external_id\": \"i1\",\n");
    assert_contains(&m, &["incidents.jsonl:1:", "not valid JSON"]);
    let m = failure("incidents.jsonl", "\n[1, 2]\n");
    assert_contains(&m, &["incidents.jsonl:2:", "one JSON object"]);
    let m = failure(
        "incidents.jsonl",
        "{\"external_id\": \"i1\", \"title\": \"x\", \"severity\": \"P1\", \"created_at\": \"2024-05-02T11:00:00Z\", \"colour\": \"red\"}\n",
    );
    assert_contains(&m, &["incidents.jsonl:1:", "unknown column 'colour'"]);
    let m = failure(
        "support_tickets.jsonl",
        "{\"external_id\": \"t\", \"created_at\": \"2024-05-02T11:00:00Z\", \"title\": [\"a\"]}\n",
    );
    assert_contains(
        &m,
        &["column 'title': a list is allowed only in a labels column"],
    );
}

#[test]
fn csv_with_wrong_field_count() {
    let m = failure(
        "deployments.csv",
        &format!(
            "{DEPLOY_HEADER}d1,web,production,success,,2024-05-02T10:00:00Z,abc\nd2,web,production\n"
        ),
    );
    assert_contains(&m, &["deployments.csv:3:", "3 fields", "header has 7"]);
}

#[test]
fn empty_files_and_missing_files() {
    assert_contains(
        &failure("deployments.csv", ""),
        &["deployments.csv", "empty"],
    );
    assert_contains(
        &failure("deployments.jsonl", "\n\n"),
        &["deployments.jsonl", "empty"],
    );
    let mut store = Store::open_in_memory().unwrap();
    let err = import(&mut store, &[PathBuf::from("/nonexistent/deployments.csv")]).unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }));
    assert_contains(
        &err.to_string(),
        &["/nonexistent/deployments.csv", "cannot read"],
    );
    let err = import(&mut store, &[PathBuf::from("deployments.xlsx")]).unwrap_err();
    assert_contains(&err.to_string(), &[".csv", ".jsonl"]);
}

#[test]
fn unmappable_severity_says_how_to_map_it() {
    let m = failure(
        "incidents.csv",
        "external_id,service,severity,title,created_at,acknowledged_at,resolved_at\n\
         i1,checkout,Sev-Orange,Down,2024-05-02T11:00:00Z,,\n",
    );
    assert_contains(
        &m,
        &[
            "incidents.csv:2: column 'severity'",
            "\"Sev-Orange\"",
            "[severity]",
            "SEV2",
        ],
    );
}

#[test]
fn database_constraints_become_line_errors_and_roll_back_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let slos = write(
        dir.path(),
        "slos.csv",
        "external_id,name,target\ns1,avail,0.99\n",
    );
    let samples = write(
        dir.path(),
        "slo_samples.csv",
        "slo_id,bucket_start,bucket_seconds,good,total\ns1,2024-05-02T11:00:00Z,60,-1,1\n",
    );
    let mut store = Store::open_in_memory().unwrap();
    let err = import(&mut store, &[samples, slos]).unwrap_err();
    assert_contains(&err.to_string(), &["slo_samples.csv:2:", "refused", "good"]);
    assert!(counts(&store).iter().all(|(_, n)| *n == 0));
}

#[test]
fn a_header_only_csv_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "deployments.csv", DEPLOY_HEADER);
    let mut store = Store::open_in_memory().unwrap();
    let r = import(&mut store, &[path]).unwrap();
    assert_eq!((r[0].rows, r[0].inserted), (0, 0));
}

#[test]
fn docs_match_the_column_specs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import.md");
    let rendered = render_docs();
    if std::env::var_os("PLUMB_WRITE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/import.md differs from the column specs; regenerate it with \
         PLUMB_WRITE_DOCS=1 cargo test --test import docs_match_the_column_specs"
    );
    for kind in Kind::all() {
        assert!(
            rendered.contains(&format!("### {kind}\n")),
            "{kind} documented"
        );
    }
}

fn privacy(store: &Store) -> plumb::privacy::Privacy {
    plumb::privacy::Privacy::for_store(store, &plumb::config::PrivacyConfig::default()).unwrap()
}

#[test]
fn people_are_pseudonymised_and_personal_data_redacted_before_storage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changes.csv");
    std::fs::write(
        &path,
        "external_id,repo,title,author,merged_at\n\
         pr-9,acme/api,Fix login for ada@example.com from 10.1.2.3,Ada Lovelace,2026-01-02T03:04:05Z\n",
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &[path]).unwrap();
    let (title, author): (String, String) = store
        .conn()
        .query_row("SELECT title, author FROM changes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(title, "Fix login for [email] from [ip]");
    assert!(author.starts_with("person-"), "{author}");
    assert_eq!(author, privacy(&store).person("Ada Lovelace"));
    let everything: String = store
        .conn()
        .query_row("SELECT group_concat(value) FROM meta", [], |r| r.get(0))
        .unwrap_or_default();
    assert!(!everything.contains("Ada"));
}

/// Imports `bytes` written as `name` and returns the message.
fn failure_of_bytes(name: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &[path]).unwrap_err().to_string()
}

#[test]
fn a_file_that_is_not_utf8_names_its_line_and_the_fix() {
    // "café" in Latin-1, as spreadsheets save it by default.
    let mut csv = DEPLOY_HEADER.as_bytes().to_vec();
    csv.extend_from_slice(b"d1,caf\xe9,production,success,,2024-05-02T10:00:00Z,abc\n");
    let m = failure_of_bytes("deployments.csv", &csv);
    assert_contains(
        &m,
        &[
            "deployments.csv:2:",
            "not valid UTF-8",
            "save the file as UTF-8",
        ],
    );
    assert!(!m.contains("Position"), "{m}");
    let m = failure_of_bytes("deployments.csv", b"external_id,s\xe9rvice\n");
    assert_contains(&m, &["deployments.csv:1:", "not valid UTF-8"]);
    let mut jsonl = br#"{"external_id":"d1","service":"web","environment":"production","status":"success","finished_at":"2024-05-02T10:00:00Z"}"#.to_vec();
    jsonl.extend_from_slice(b"\n{\"external_id\":\"d2\",\"service\":\"caf\xe9\"}\n");
    let m = failure_of_bytes("deployments.jsonl", &jsonl);
    assert_contains(&m, &["deployments.jsonl:2:", "not valid UTF-8"]);
}

#[test]
fn an_unclosed_quote_is_named_where_it_opens() {
    let m = failure(
        "deployments.csv",
        &format!(
            "{DEPLOY_HEADER}d1,web,production,success,,2024-05-02T10:00:00Z,abc\n\
             \"d2,web,production,success,,2024-05-02T10:00:00Z,abc\n\
             d3,web,production,success,,2024-05-02T10:00:00Z,abc\n"
        ),
    );
    assert_contains(&m, &["deployments.csv:3:", "never closed"]);
    assert!(!m.contains("fields but the header"), "{m}");
    // A quoted value over two lines, correctly closed, is not mistaken for one.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "deployments.csv",
        &format!("{DEPLOY_HEADER}d1,web,production,success,,2024-05-02T10:00:00Z,\"abc\ndef\"\n"),
    );
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(import(&mut store, &[path]).unwrap()[0].rows, 1);
}

#[test]
fn a_start_after_its_end_is_refused_in_every_kind_that_has_both() {
    let m = failure(
        "deployments.csv",
        &format!(
            "{DEPLOY_HEADER}d1,web,production,success,2024-05-02T11:00:00Z,2024-05-02T10:00:00Z,abc\n"
        ),
    );
    assert_contains(
        &m,
        &[
            "deployments.csv:2: column 'started_at':",
            "2024-05-02T11:00:00Z is after finished_at (2024-05-02T10:00:00Z)",
        ],
    );
    let m = failure(
        "incidents.csv",
        "external_id,service,title,severity,created_at,resolved_at\n\
         i1,web,Down,urgent,2024-05-02T12:00:00Z,2024-05-02T11:00:00Z\n",
    );
    assert_contains(
        &m,
        &["incidents.csv:2: column 'created_at':", "after resolved_at"],
    );
    let m = failure(
        "pipeline_runs.csv",
        "external_id,repo,workflow,started_at,finished_at\n\
         r1,acme/api,ci,2024-05-02T12:00:00Z,2024-05-02T11:59:00Z\n",
    );
    assert_contains(&m, &["pipeline_runs.csv:2: column 'started_at':"]);
    let m = failure(
        "sprints.csv",
        "external_id,board,name,start_at,end_at\n\
         s1,PAY,Sprint 1,2024-05-10T17:00:00Z,2024-05-10T17:00:00Z\n",
    );
    assert_contains(
        &m,
        &["sprints.csv:2: column 'start_at':", "is not before end_at"],
    );
}

#[test]
fn a_start_equal_to_its_end_is_fine_where_the_end_is_inclusive() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "deployments.csv",
        &format!(
            "{DEPLOY_HEADER}d1,web,production,success,2024-05-02T10:00:00Z,2024-05-02T10:00:00Z,abc\n"
        ),
    );
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(import(&mut store, &[path]).unwrap()[0].inserted, 1);
}

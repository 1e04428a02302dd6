//! The demo dataset: a realistic, seeded history of a small engineering organisation, so
//! `plumb demo` shows every pane with stories worth looking at and no tokens.
//!
//! Four team archetypes (elite, high, medium, struggling) differ in deploy cadence, lead time,
//! change size and failure rate; incidents follow risky deployments, SLO samples dip during
//! incidents, and sprints, OKRs and costs sit on top. Everything is derived from one seed and
//! an anchor ("now"), through independent random streams per team and purpose, so the same
//! seed, scale and anchor give the same rows, byte for byte.

mod alerts;
mod business;
mod calendar;
mod changes;
mod ci;
mod delivery;
mod operations;
mod org;
mod planning;
mod sampling;
mod sink;
mod slo;

use crate::store::Store;
use crate::store::tables::TABLE_NAMES;
use chrono::{DateTime, Utc};
use sink::Sink;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How much data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 4 teams, 16 services, 18 months: the dataset `plumb demo` opens.
    Small,
    /// Dozens of teams over 3 years (about a million changes), for benchmarks.
    Large,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Large => "large",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "small" => Some(Scale::Small),
            "large" => Some(Scale::Large),
            _ => None,
        }
    }

    fn history_days(self) -> i64 {
        match self {
            Scale::Small => 548,
            Scale::Large => 1096,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub scale: Scale,
    /// The dataset's "now": history ends here, open incidents and active sprints are open at it.
    pub anchor: DateTime<Utc>,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub rows: u64,
    /// Rows per entity table, in the store's table order.
    pub per_table: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
}

#[derive(Debug, Error)]
pub enum DemoError {
    #[error(
        "the database already has rows in table {table}; the demo dataset needs an empty database (use a new file)"
    )]
    NotEmpty { table: &'static str },
    #[error("cannot check whether the database is empty ({table})")]
    Check {
        table: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot write the demo dataset ({what}); nothing was written")]
    Write {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the anchor {anchor} is outside the range the demo dataset supports")]
    Anchor { anchor: DateTime<Utc> },
    #[error(
        "the demo database records an anchor {anchor:?} that is not an RFC 3339 date-time; \
         regenerate it with `plumb demo --force`"
    )]
    BadAnchor { anchor: String },
    #[error("cannot read the demo anchor")]
    Read(#[source] crate::store::StoreError),
}

impl DemoError {
    fn write(what: &'static str) -> impl FnOnce(rusqlite::Error) -> DemoError {
        move |source| DemoError::Write { what, source }
    }
}

/// The anchor (the "now") of a database `plumb demo` generated; `None` for any other database.
/// The dashboard and `plumb report` both count from it, so they agree on a demo database.
pub fn recorded_anchor(store: &Store) -> Result<Option<DateTime<Utc>>, DemoError> {
    let Some(anchor) = store.meta("demo.anchor").map_err(DemoError::Read)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&anchor)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| DemoError::BadAnchor { anchor })
}

/// Everything a generator needs to know about the run.
pub(crate) struct Ctx {
    pub seed: u64,
    pub scale: Scale,
    /// Epoch seconds of the anchor.
    pub now: i64,
    /// Epoch seconds where history starts (UTC midnight).
    pub start: i64,
}

/// Fills an empty store with the demo dataset, in one transaction.
pub fn generate(store: &mut Store, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let began = Instant::now();
    for &table in TABLE_NAMES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        let any: bool = store
            .conn()
            .query_row(&sql, [], |r| r.get(0))
            .map_err(|source| DemoError::Check { table, source })?;
        if any {
            return Err(DemoError::NotEmpty { table });
        }
    }
    let now = opts.anchor.timestamp();
    let days = opts.scale.history_days();
    let start = (now - days * 86_400).div_euclid(86_400) * 86_400;
    if start < 0 || now > 32_503_680_000 {
        return Err(DemoError::Anchor {
            anchor: opts.anchor,
        });
    }
    let ctx = Ctx {
        seed: opts.seed,
        scale: opts.scale,
        now,
        start,
    };

    // New database files already have 16 KiB pages (see `Store::open`).
    let conn = store.conn_mut();
    let saved = Pragmas::save(conn).map_err(DemoError::write("pragmas"))?;
    Pragmas::bulk(conn).map_err(DemoError::write("pragmas"))?;
    // Negative means KiB: 1 GiB keeps the indexes that grow in random order in memory.
    conn.pragma_update(None, "cache_size", -1_048_576)
        .map_err(DemoError::write("pragmas"))?;
    let result = write_all(conn, &ctx, opts);
    let restored = saved.restore(conn).map_err(DemoError::write("pragmas"));
    let per_table = result?;
    restored?;

    let rows = per_table.iter().map(|(_, n)| n).sum();
    Ok(DemoSummary {
        rows,
        per_table,
        elapsed: began.elapsed(),
    })
}

fn write_all(
    conn: &mut rusqlite::Connection,
    ctx: &Ctx,
    opts: &DemoOptions,
) -> Result<Vec<(&'static str, u64)>, DemoError> {
    conn.set_prepared_statement_cache_capacity(64);
    let tx = conn.transaction().map_err(DemoError::write("begin"))?;
    let per_table = {
        let mut sink = Sink::new(&tx, ctx.now)?;
        let teams = org::teams(ctx);
        org::write(&mut sink, ctx, &teams)?;
        for team in &teams {
            let cal = calendar::TeamCalendar::new(team.tz, ctx);
            for service in &team.services {
                let log = delivery::write_service(&mut sink, ctx, team, service, &cal)?;
                let ops = operations::write_service(&mut sink, ctx, team, service, &cal, &log)?;
                slo::write_service(&mut sink, ctx, team, service, &cal, &ops)?;
            }
            planning::write_team(&mut sink, ctx, team, &cal)?;
            business::write_team(&mut sink, ctx, team)?;
        }
        business::write_annotations(&mut sink, ctx, &teams)?;
        sink.finish()?
    };
    let anchor = opts.anchor.to_rfc3339();
    for (key, value) in [
        ("demo.seed", opts.seed.to_string()),
        ("demo.scale", opts.scale.as_str().to_string()),
        ("demo.anchor", anchor),
    ] {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value.as_str()],
        )
        .map_err(DemoError::write("meta"))?;
    }
    tx.commit().map_err(DemoError::write("commit"))?;
    Ok(per_table)
}

/// Connection settings changed for the bulk write and put back afterwards.
///
/// * A rollback journal instead of WAL: new pages go straight to the database file once,
///   instead of to the WAL and again at the checkpoint; rollback still undoes everything.
/// * Foreign keys are checked by construction (the generator assigns every id itself) and by
///   the tests, so they are off while writing; `PRAGMA foreign_keys` cannot change inside a
///   transaction.
struct Pragmas {
    journal_mode: String,
    synchronous: i64,
    cache_size: i64,
    foreign_keys: i64,
}

impl Pragmas {
    fn save(conn: &rusqlite::Connection) -> rusqlite::Result<Self> {
        let get = |name: &str| conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0));
        Ok(Pragmas {
            journal_mode: conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
            synchronous: get("synchronous")?,
            cache_size: get("cache_size")?,
            foreign_keys: get("foreign_keys")?,
        })
    }

    fn bulk(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        if is_wal(conn)? {
            // Fails harmlessly (stays WAL) when another connection has the file open.
            let _: String =
                conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
        }
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "foreign_keys", "OFF")
    }

    fn restore(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let _: String =
            conn.pragma_update_and_check(None, "journal_mode", &self.journal_mode, |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", self.synchronous)?;
        conn.pragma_update(None, "cache_size", self.cache_size)?;
        conn.pragma_update(None, "foreign_keys", self.foreign_keys)
    }
}

fn is_wal(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    Ok(mode.eq_ignore_ascii_case("wal"))
}

/// Dated turns in the dataset's story, shared by the generators and the decision log.
pub(crate) mod story {
    /// Payments moved to trunk-based development this many days before the anchor: smaller
    /// PRs and faster reviews from then on.
    pub const TRUNK_BASED_TEAM: &str = "payments";
    pub const TRUNK_BASED_DAYS_AGO: i64 = 365;
    /// Search moved CI to larger runners: builds take half as long from then on.
    pub const CI_RUNNERS_TEAM: &str = "search";
    pub const CI_RUNNERS_DAYS_AGO: i64 = 180;
}

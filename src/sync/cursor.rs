//! The resume point of one (source instance, resource), kept in `sync_state`.
//!
//! A *pass* reads a resource from a lower bound up to now, page by page. Each page is committed
//! together with the pass's next request, so an interrupted pass resumes at the page it stopped
//! at. When a pass ends, the watermark moves to the pass's start (less a margin for clock skew),
//! or back to the oldest item still open (a running deployment or CI run, an unresolved
//! incident), so the next pass re-reads exactly what may still change.

use crate::model::{Timestamp, ts};
use chrono::Duration;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// Clock skew allowed between plumb and the source's servers.
pub const SKEW_MARGIN: Duration = Duration::minutes(10);

/// An unfinished pass over a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    pub started_at: Timestamp,
    /// Items before this are not read by this pass.
    pub lower_bound: Timestamp,
    /// The next request (a path under the base URL or a `Link` URL); `None` before the first.
    pub next: Option<String>,
    /// End of the time window being walked (sources that filter by a window).
    #[serde(default)]
    pub window_end: Option<Timestamp>,
    /// The oldest item of this pass that may still change.
    #[serde(default)]
    pub oldest_open: Option<Timestamp>,
}

impl Pass {
    pub fn new(started_at: Timestamp, lower_bound: Timestamp) -> Self {
        Pass {
            started_at,
            lower_bound,
            next: None,
            window_end: None,
            oldest_open: None,
        }
    }

    /// Notes an item that may still change (so the next pass reads it again).
    pub fn saw_open(&mut self, at: Timestamp) {
        self.oldest_open = Some(self.oldest_open.map_or(at, |o| o.min(at)));
    }
}

/// The stored state of one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// Everything before this was read by a finished pass.
    pub watermark: Option<Timestamp>,
    pub pass: Option<Pass>,
    /// When the cursor last moved.
    pub advanced_at: Option<Timestamp>,
    /// The last removal of rows deleted upstream, after a pass that read the resource whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swept: Option<Swept>,
}

/// When a pass that read its resource whole last removed what it no longer saw, and how
/// many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swept {
    pub at: Timestamp,
    pub removed: u64,
}

impl SyncCursor {
    /// Ends the current pass: the watermark moves to where the next pass must start.
    pub fn finish_pass(&mut self) {
        if let Some(pass) = self.pass.take() {
            let done = pass.started_at - SKEW_MARGIN;
            self.watermark = Some(pass.oldest_open.map_or(done, |o| o.min(done)));
        }
    }
}

/// One row of `sync_state`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CursorRow {
    pub cursor: SyncCursor,
    pub etag: Option<String>,
    pub last_ok_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

pub fn load(conn: &Connection, source: &str, resource: &str) -> rusqlite::Result<CursorRow> {
    let row = conn
        .query_row(
            "SELECT cursor, etag, last_ok_at, last_error, last_error_at FROM sync_state
             WHERE source = ?1 AND resource = ?2",
            [source, resource],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(
        row.map_or_else(CursorRow::default, |(c, etag, ok, err, err_at)| CursorRow {
            // A cursor this version cannot read restarts the resource from its lower bound;
            // upserts make the re-read harmless.
            cursor: c
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default(),
            etag,
            last_ok_at: ok.and_then(ts),
            last_error: err,
            last_error_at: err_at.and_then(ts),
        }),
    )
}

/// Stores the cursor (and the first page's ETag) of a resource.
pub fn save(
    conn: &Connection,
    source: &str,
    resource: &str,
    cursor: &SyncCursor,
    etag: Option<&str>,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(cursor)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute(
        "INSERT INTO sync_state (source, resource, cursor, etag) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source, resource) DO UPDATE SET cursor = excluded.cursor,
             etag = excluded.etag",
        params![source, resource, json, etag],
    )?;
    Ok(())
}

/// Marks a resource up to date at `at` and clears its last error.
pub fn record_ok(
    conn: &Connection,
    source: &str,
    resource: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (source, resource, last_ok_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (source, resource) DO UPDATE SET last_ok_at = excluded.last_ok_at,
             last_error = NULL, last_error_at = NULL",
        params![source, resource, at.timestamp()],
    )?;
    Ok(())
}

/// Records why a resource's sync failed; its cursor and rows stay as they were.
pub fn record_error(
    conn: &Connection,
    source: &str,
    resource: &str,
    message: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (source, resource, last_error, last_error_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source, resource) DO UPDATE SET last_error = excluded.last_error,
             last_error_at = excluded.last_error_at",
        params![source, resource, message, at.timestamp()],
    )?;
    Ok(())
}

/// The resource name under which errors of a whole source are kept (a token that cannot be
/// read, a kind plumb does not sync), so that `plumb sync status` lists the source.
pub const SOURCE_WIDE: &str = "all";

/// Removes the source-wide error row of `source`: its resources are being read again.
pub fn clear_source_wide(conn: &Connection, source: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM sync_state WHERE source = ?1 AND resource = ?2",
        params![source, SOURCE_WIDE],
    )?;
    Ok(())
}

/// Every resource's state, by source then resource.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<(String, String, CursorRow)>> {
    let mut stmt =
        conn.prepare("SELECT source, resource FROM sync_state ORDER BY source, resource")?;
    let keys: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    keys.into_iter()
        .map(|(s, r)| load(conn, &s, &r).map(|row| (s, r, row)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use chrono::TimeZone;

    fn at(h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2024, 5, 2, h, 0, 0).unwrap()
    }

    #[test]
    fn a_finished_pass_moves_the_watermark_to_its_start_or_the_oldest_open_item() {
        let mut c = SyncCursor {
            pass: Some(Pass::new(at(12), at(0))),
            ..SyncCursor::default()
        };
        c.finish_pass();
        assert_eq!(c.watermark, Some(at(12) - SKEW_MARGIN));
        let mut pass = Pass::new(at(12), at(0));
        pass.saw_open(at(9));
        pass.saw_open(at(7));
        let mut c = SyncCursor {
            pass: Some(pass),
            ..SyncCursor::default()
        };
        c.finish_pass();
        assert_eq!(c.watermark, Some(at(7)));
    }

    #[test]
    fn cursor_etag_success_and_error_round_trip() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.conn();
        assert_eq!(load(conn, "gh", "a/b:pulls").unwrap(), CursorRow::default());
        let mut pass = Pass::new(at(12), at(0));
        pass.next = Some("/repos/a/b/pulls?page=2".into());
        let cursor = SyncCursor {
            watermark: Some(at(1)),
            pass: Some(pass),
            advanced_at: Some(at(12)),
            swept: Some(Swept {
                at: at(11),
                removed: 2,
            }),
        };
        save(conn, "gh", "a/b:pulls", &cursor, Some("W/\"abc\"")).unwrap();
        record_error(conn, "gh", "a/b:pulls", "boom", at(13)).unwrap();
        let row = load(conn, "gh", "a/b:pulls").unwrap();
        assert_eq!(row.cursor, cursor);
        assert_eq!(row.etag.as_deref(), Some("W/\"abc\""));
        assert_eq!(row.last_error.as_deref(), Some("boom"));
        record_ok(conn, "gh", "a/b:pulls", at(14)).unwrap();
        let row = load(conn, "gh", "a/b:pulls").unwrap();
        assert_eq!((row.last_ok_at, row.last_error), (Some(at(14)), None));
        assert_eq!(all(conn).unwrap().len(), 1);
    }

    #[test]
    fn a_cursor_written_before_removals_were_noted_still_reads() {
        let json = r#"{"watermark":"2024-05-02T01:00:00Z","pass":null,"advanced_at":null}"#;
        let cursor: SyncCursor = serde_json::from_str(json).unwrap();
        assert_eq!((cursor.watermark, cursor.swept), (Some(at(1)), None));
        assert!(!serde_json::to_string(&cursor).unwrap().contains("swept"));
    }

    #[test]
    fn a_source_wide_error_is_cleared_without_touching_resources() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.conn();
        record_error(conn, "gh", SOURCE_WIDE, "GH_TOKEN is not set", at(1)).unwrap();
        record_ok(conn, "gh", "a/b:pulls", at(2)).unwrap();
        record_error(conn, "gl", SOURCE_WIDE, "GL_TOKEN is not set", at(1)).unwrap();
        clear_source_wide(conn, "gh").unwrap();
        let keys: Vec<(String, String)> = all(conn)
            .unwrap()
            .into_iter()
            .map(|(s, r, _)| (s, r))
            .collect();
        assert_eq!(
            keys,
            [
                ("gh".to_string(), "a/b:pulls".to_string()),
                ("gl".to_string(), SOURCE_WIDE.to_string())
            ]
        );
    }
}

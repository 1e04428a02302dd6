//! The local SQLite cache: opening (WAL, foreign keys, owner-only permissions), forward-only
//! migrations, and queries that return domain types from [`crate::model`].
//!
//! The store never formats anything and never computes a metric: it reads and writes rows.

pub mod inputs;
mod migrations;
pub mod planning;
pub mod read;
mod runs;
pub mod sweep;
pub mod tables;
pub mod write;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot create the folder {path} for the database")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot set owner-only permissions on {path}")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot upgrade the database {path} to schema version {target}; the file is left as it was"
    )]
    Migrate {
        path: PathBuf,
        target: usize,
        #[source]
        source: rusqlite_migration::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this plumb knows ({known}); upgrade plumb"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Page size of databases plumb creates.
const PAGE_SIZE: i64 = 16_384;

/// An open plumb database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applying pending migrations.
    /// A new file is created with owner-only permissions (0600 on Unix).
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let existed = path.exists();
        if !existed {
            create_private_file(path)?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        if !existed {
            // 16 KiB pages: shallower B-trees for tables of millions of rows (faster bulk
            // writes and range scans). Only takes effect before the first table exists.
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(|source| StoreError::Open {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
        };
        store.configure(true).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database read-only, without migrating (for the UI's query workers).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Store {
            conn,
            path: Some(path.to_path_buf()),
        };
        store.configure(false).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let found = store.schema_version()?;
        if found > migrations::latest_version() {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known: migrations::latest_version(),
            });
        }
        Ok(store)
    }

    /// A private in-memory database with the full schema, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, path: None };
        store.configure(true)?;
        store.migrate()?;
        Ok(store)
    }

    fn configure(&self, writable: bool) -> rusqlite::Result<()> {
        if writable {
            self.conn.pragma_update(None, "journal_mode", "WAL")?;
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        let known = migrations::latest_version();
        let path = self
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(":memory:"));
        if found > known {
            return Err(StoreError::TooNew { path, found, known });
        }
        migrations::migrations()
            .to_latest(&mut self.conn)
            .map_err(|source| StoreError::Migrate {
                path,
                target: known,
                source,
            })
    }

    /// The schema version recorded in the database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(usize::try_from(v).unwrap_or(0))
    }

    /// The schema version this build of plumb writes.
    pub fn latest_schema_version() -> usize {
        migrations::latest_version()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying connection, for the store's own modules and for tests.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Reads a value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Writes a value to the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Creates an empty file readable and writable by its owner only, before SQLite opens it,
/// so there is no moment at which the database is readable by others.
fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Permissions {
            path: path.to_path_buf(),
            source,
        }),
    }
}

//! Where plumb's files live, and reading, checking and writing the config file.

use super::diagnostic::{ConfigError, Diagnostic};
use super::document::Document;
use super::schema::Config;
use super::validate::{Declared, validate};
use directories::ProjectDirs;
use std::path::{Path, PathBuf};

/// The fully commented example config, written by `plumb config init`.
pub const EXAMPLE: &str = include_str!("../../config.example.toml");

/// Default locations of plumb's files (XDG on Linux, the platform's conventions elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub database: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// `~/.config/plumb/config.toml`, `~/.local/share/plumb/plumb.db` and
    /// `~/.local/state/plumb` on Linux. Platforms without a state dir log under the data dir.
    pub fn default_locations() -> Result<Self, ConfigError> {
        let dirs = ProjectDirs::from("", "", "plumb").ok_or(ConfigError::NoHome)?;
        let log_dir = dirs
            .state_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dirs.data_dir().join("logs"));
        Ok(Self {
            config_file: dirs.config_dir().join("config.toml"),
            database: dirs.data_dir().join("plumb.db"),
            log_dir,
        })
    }
}

/// A loaded config and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// `None` when no file existed at the default path and defaults apply.
    pub path: Option<PathBuf>,
}

/// Loads the config: from `explicit` (which must exist), else from the default path (where a
/// missing file means defaults). Any problem in the file is an error listing them.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let default = Paths::default_locations()?.config_file;
            if !default.exists() {
                return Ok(Loaded {
                    config: Config::default(),
                    path: None,
                });
            }
            default
        }
    };
    let text = read(&path)?;
    let (config, diagnostics) = parse_and_validate(&path, &text);
    match config {
        Some(config) if diagnostics.is_empty() => Ok(Loaded {
            config,
            path: Some(path),
        }),
        _ => Err(ConfigError::Invalid { diagnostics }),
    }
}

/// What a demo database is shown with when the user's config leaves it out: the documented
/// example's SLA targets, so the SLA columns have something to judge.
pub fn with_demo_fallbacks(config: &mut Config) -> Result<(), ConfigError> {
    if config.sla.is_empty() {
        config.sla = parse_str(Path::new("config.example.toml"), EXAMPLE)?.sla;
    }
    Ok(())
}

/// Parses config text as if read from `path` (which only labels diagnostics).
pub fn parse_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
    match parse_and_validate(path, text) {
        (Some(config), d) if d.is_empty() => Ok(config),
        (_, diagnostics) => Err(ConfigError::Invalid { diagnostics }),
    }
}

/// Every problem in the file at `path`: a TOML syntax error alone, otherwise every unknown
/// key, wrong type and bad value, in file order. An empty list means the file is valid.
pub fn check(path: &Path) -> Result<Vec<Diagnostic>, ConfigError> {
    let text = read(path)?;
    Ok(parse_and_validate(path, &text).1)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ConfigError::Read {
            path: path.to_path_buf(),
            source,
        },
    })
}

fn parse_and_validate(path: &Path, text: &str) -> (Option<Config>, Vec<Diagnostic>) {
    let mut doc = match Document::parse(path, text) {
        Ok(doc) => doc,
        Err(syntax) => return (None, vec![syntax]),
    };
    let declared = Declared::read(&doc);
    let mut diagnostics = Vec::new();
    let config = doc.deserialize_all(&mut diagnostics);
    if let Some(config) = &config {
        diagnostics.extend(validate(&doc, config, &declared));
    }
    diagnostics.sort_by_key(|d| (d.line, d.column));
    (config, diagnostics)
}

/// Writes [`EXAMPLE`] to `path`, creating parent directories; an existing file is kept
/// unless `force`.
pub fn init(path: &Path, force: bool) -> Result<(), ConfigError> {
    if path.exists() && !force {
        return Err(ConfigError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let write_error = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(write_error)?;
    }
    std::fs::write(path, EXAMPLE).map_err(write_error)
}

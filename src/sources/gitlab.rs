//! Gitlab: being written.

use super::http::HttpClient;
use crate::config::SourceConfig;
use crate::sync::{Session, SyncError};

/// The resources of a Gitlab source.
pub fn resources(_source: &SourceConfig) -> Vec<String> {
    Vec::new()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    _session: &mut Session<'_>,
    _client: &HttpClient,
    _resource: &str,
) -> Result<(), SyncError> {
    Ok(())
}

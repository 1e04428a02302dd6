use super::Timestamp;
use serde::Serialize;

/// What every metric and list can be narrowed by. The filter is echoed back in reports so a
/// reader always knows which rows a number covers. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Filter {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub team: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
}

impl Filter {
    /// True when `t` falls in `[since, until)`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

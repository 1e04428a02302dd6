//! Pagination styles: GitHub's `Link` header (RFC 8288) and PagerDuty's `offset`/`limit`
//! with `more`.

use serde::Deserialize;

/// The `rel="next"` target of a `Link` header, if any.
pub fn link_next(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let url = target.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        is_next.then(|| url.to_string())
    })
}

/// The paging fields of a PagerDuty list response. Some published examples (log entries)
/// carry none of them: a missing `more` means the list is complete.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct OffsetPage {
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub more: Option<bool>,
}

impl OffsetPage {
    /// The offset of the next page, given how many items this page held.
    pub fn next_offset(&self, requested_offset: u64, items: usize) -> Option<u64> {
        if self.more != Some(true) || items == 0 {
            return None;
        }
        let offset = self.offset.unwrap_or(requested_offset);
        Some(offset + self.limit.unwrap_or(items as u64).max(items as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_from_the_github_spec() {
        // The example of `#/components/headers/link` in GitHub's REST description.
        let h = "<https://api.github.com/resource?page=2>; rel=\"next\", \
                 <https://api.github.com/resource?page=5>; rel=\"last\"";
        assert_eq!(
            link_next(h).as_deref(),
            Some("https://api.github.com/resource?page=2")
        );
        assert_eq!(
            link_next("<https://x/r?page=1>; rel=\"prev\", <https://x/r?page=1>; rel=\"first\""),
            None
        );
        assert_eq!(link_next(""), None);
    }

    #[test]
    fn offset_pages_end_when_more_is_false_or_missing() {
        let p = OffsetPage {
            offset: Some(0),
            limit: Some(25),
            more: Some(true),
        };
        assert_eq!(p.next_offset(0, 25), Some(25));
        assert_eq!(OffsetPage::default().next_offset(0, 3), None);
        let last = OffsetPage {
            more: Some(false),
            ..p
        };
        assert_eq!(last.next_offset(25, 25), None);
        assert_eq!(p.next_offset(0, 0), None, "an empty page never loops");
    }
}

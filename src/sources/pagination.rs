//! Pagination styles: GitHub's `Link` header (RFC 8288) and PagerDuty's `offset`/`limit`
//! with `more`; and the query-string helpers the body-paged APIs build their next requests
//! with.

use serde::Deserialize;

/// The `rel="next"` target of a `Link` header, if any.
pub fn link_next(header: &str) -> Option<String> {
    link_rel(header, "next")
}

/// The pages from `next` to `last` (both included) when both links number their page with a
/// `page` query parameter and differ in nothing else, as GitHub's do; empty otherwise.
pub fn numbered_pages(next: &str, last: &str) -> Vec<String> {
    let (Some((next_at, first)), Some((last_at, end))) = (page_param(next), page_param(last))
    else {
        return Vec::new();
    };
    let (next_rest, last_rest) = (&next[next_at..], &last[last_at..]);
    let tail = |rest: &str| {
        rest.find('&')
            .map_or(String::new(), |i| rest[i..].to_string())
    };
    if next[..next_at] != last[..last_at] || tail(next_rest) != tail(last_rest) || end < first {
        return Vec::new();
    }
    let (head, tail) = (&next[..next_at], tail(next_rest));
    (first..=end).map(|n| format!("{head}{n}{tail}")).collect()
}

/// Where the value of the `page` query parameter starts, and the page number.
fn page_param(url: &str) -> Option<(usize, u64)> {
    let query = url.find('?')?;
    let mut at = query + 1;
    for pair in url[query + 1..].split('&') {
        if let Some(value) = pair.strip_prefix("page=") {
            return value.parse().ok().map(|n| (at + "page=".len(), n));
        }
        at += pair.len() + 1;
    }
    None
}

/// The target of a `Link` header's relation `rel`, if any.
pub fn link_rel(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let url = target.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == rel))
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

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `target` with the query parameter `name` set to the already encoded `value`.
pub(crate) fn with_param(target: &str, name: &str, value: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let prefix = format!("{name}=");
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    pairs.push(format!("{name}={value}"));
    format!("{path}?{}", pairs.join("&"))
}

/// The value of query parameter `name` in `target`, as sent (still encoded).
pub(crate) fn param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
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
    fn numbered_pages_run_from_next_to_last() {
        let next = "https://api.github.com/repos/o/r/pulls?state=all&per_page=100&page=2";
        let last = "https://api.github.com/repos/o/r/pulls?state=all&per_page=100&page=4";
        assert_eq!(
            numbered_pages(next, last),
            [
                next.to_string(),
                next.replace("page=2", "page=3"),
                last.to_string()
            ]
        );
        let mid = "https://x/r?page=3&per_page=100";
        assert_eq!(
            numbered_pages(mid, "https://x/r?page=5&per_page=100").len(),
            3
        );
        assert!(
            numbered_pages(
                next,
                "https://api.github.com/repos/o/r/pulls?state=open&per_page=100&page=4"
            )
            .is_empty()
        );
        assert!(numbered_pages("https://x/r?cursor=abc", "https://x/r?cursor=def").is_empty());
        assert!(numbered_pages(last, next).is_empty(), "last before next");
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

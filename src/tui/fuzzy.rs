//! Fuzzy matching for the pickers and the command palette: the query's characters must appear
//! in order in the candidate (case-insensitive), as in fzf; matches at word starts and runs of
//! consecutive characters rank higher, so `pay` puts `payments` before `legacy-pay-api`.

/// The score of `candidate` for `query` (higher is better), or `None` when it does not match.
/// An empty query matches everything with score 0.
pub fn score(query: &str, candidate: &str) -> Option<i64> {
    let query: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if query.is_empty() {
        return Some(0);
    }
    let chars: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    let mut total = 0i64;
    let mut next = 0usize;
    let mut previous: Option<usize> = None;
    for q in query {
        let found = (next..chars.len()).find(|&i| chars[i] == q)?;
        let word_start = found == 0 || !chars[found - 1].is_alphanumeric();
        total += 1;
        if word_start {
            total += 8;
        }
        if previous.is_some_and(|p| p + 1 == found) {
            total += 5;
        }
        // Characters skipped cost a little, so tighter matches win ties.
        total -= (found - next) as i64;
        previous = Some(found);
        next = found + 1;
    }
    Some(total)
}

/// Indices of the `candidates` that match `query`, best first (ties keep their order).
pub fn rank<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut scored: Vec<(i64, usize)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| score(query, c).map(|s| (s, i)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_must_appear_in_order() {
        assert!(score("pmt", "payments").is_some());
        assert!(score("tmp", "payments").is_none());
        assert!(score("PAY", "payments").is_some());
        assert!(score("", "anything") == Some(0));
        assert!(score("x", "").is_none());
    }

    #[test]
    fn word_starts_and_runs_rank_first() {
        let names = ["legacy-pay-api", "payments", "spay"];
        assert_eq!(rank("pay", names), vec![1, 0, 2]);
        let names = ["checkout-api", "search-indexer", "catalog"];
        assert_eq!(rank("ca", names), vec![2, 0]);
    }

    #[test]
    fn spaces_in_the_query_are_ignored() {
        assert_eq!(rank("team pay", ["team payments", "range 30d"]), vec![0]);
    }
}

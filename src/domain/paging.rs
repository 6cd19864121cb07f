//! How long lists are counted. Counting every row of a table with a
//! million tokens costs more than showing a page of it, so, as GitLab does
//! (it leaves out `X-Total`, `X-Total-Pages` and the last-page link above
//! 10,000 records), a list is counted up to [`COUNT_LIMIT`] and beyond that
//! known only to hold "more than 10,000".

/// Lists are counted exactly up to this many items.
pub const COUNT_LIMIT: i64 = 10_000;

/// Whether a list's `total` is exact (else it is a lower bound: at least
/// that many, more than [`COUNT_LIMIT`]).
pub fn is_exact(total: i64) -> bool {
    total <= COUNT_LIMIT
}

/// What a page knows of its list: the count if counted, else a lower
/// bound from the count's limit and the rows seen up to this page
/// (`offset`, then `fetched` rows, one more than a page when a next page
/// exists).
pub fn total_of(counted: i64, offset: i64, fetched: i64) -> i64 {
    if is_exact(counted) {
        counted
    } else {
        counted.max(offset.saturating_add(fetched))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_up_to_the_limit_and_lower_bounds_beyond() {
        assert_eq!(total_of(42, 40, 2), 42);
        assert!(is_exact(total_of(COUNT_LIMIT, 0, 21)));
        // More than the limit: a deep page that saw a next row knows there
        // is at least one more page.
        let t = total_of(COUNT_LIMIT + 1, 50_000, 21);
        assert_eq!(t, 50_021);
        assert!(!is_exact(t));
        // The first page of a huge list: the limit's bound.
        assert_eq!(total_of(COUNT_LIMIT + 1, 0, 21), COUNT_LIMIT + 1);
    }
}

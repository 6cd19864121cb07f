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

/// At most this many nodes in one page of a GraphQL connection, and the
/// page when a query asks for neither `first` nor `last` (GitLab's
/// `default_max_page_size`).
pub const MAX_PAGE_SIZE: usize = 100;

/// A page of a GraphQL connection, as positions in its list: `start`
/// inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
}

impl Window {
    /// Relay's algorithm on positions: the nodes after position `after` and
    /// before position `before` (the cursors'), then the `first` or the
    /// `last` of them; counts above [`MAX_PAGE_SIZE`] are read as it, and
    /// neither means the first [`MAX_PAGE_SIZE`]. `total` is the list's
    /// length.
    pub fn of(
        after: Option<usize>,
        before: Option<usize>,
        first: Option<usize>,
        last: Option<usize>,
        total: usize,
    ) -> Self {
        let start = after.map_or(0, |a| a.saturating_add(1)).min(total);
        let mut end = before.map_or(total, |b| b.min(total)).max(start);
        let mut start = start;
        let first = match (first, last) {
            (None, None) => Some(MAX_PAGE_SIZE),
            (first, _) => first.map(|f| f.min(MAX_PAGE_SIZE)),
        };
        if let Some(first) = first {
            end = end.min(start.saturating_add(first));
        }
        if let Some(last) = last.map(|l| l.min(MAX_PAGE_SIZE)) {
            start = start.max(end.saturating_sub(last));
        }
        Self { start, end }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_windows_follow_relays_algorithm() {
        let w = |after, before, first, last| Window::of(after, before, first, last, 250);
        // Neither first nor last: the first hundred.
        assert_eq!(w(None, None, None, None), Window { start: 0, end: 100 });
        assert_eq!(w(None, None, Some(2), None), Window { start: 0, end: 2 });
        // After position 1: from position 2.
        assert_eq!(w(Some(1), None, Some(2), None), Window { start: 2, end: 4 });
        assert_eq!(
            w(None, None, None, Some(3)),
            Window {
                start: 247,
                end: 250
            }
        );
        assert_eq!(
            w(None, Some(10), None, Some(3)),
            Window { start: 7, end: 10 }
        );
        assert_eq!(
            w(Some(4), Some(10), None, None),
            Window { start: 5, end: 10 }
        );
        // Counts are capped; cursors past the end give an empty page.
        assert_eq!(
            w(None, None, Some(1_000), None),
            Window { start: 0, end: 100 }
        );
        assert_eq!(
            w(None, None, None, Some(1_000)),
            Window {
                start: 150,
                end: 250
            }
        );
        assert!(w(Some(400), None, Some(5), None).is_empty());
        assert!(w(None, None, Some(0), None).is_empty());
        // A `before` ahead of `after` is empty, never inverted.
        assert!(w(Some(9), Some(3), None, None).is_empty());
    }

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

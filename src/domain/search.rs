//! What a `search` parameter matches, as GitLab's fuzzy search reads it
//! (`Gitlab::SQL::Pattern`): the query is split into words (a word in
//! double quotes may hold spaces), and a name matches when it contains
//! every word of at least three characters, in any case. A query without
//! such a word matches names equal to it as a whole, in any case.
//!
//! Words of three characters or more are also what a trigram index can
//! look up, so every substring search is an indexed one.

/// Words shorter than this are not searched for as substrings.
pub const MIN_WORD_CHARS: usize = 3;

/// A parsed `search` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSearch {
    /// Names containing every word (lowercased), in any case.
    Words(Vec<String>),
    /// Names equal to this (lowercased, spaces squeezed), in any case.
    Whole(String),
}

impl NameSearch {
    /// The search `query` asks for, or `None` for a blank one (no filter).
    pub fn parse(query: &str) -> Option<Self> {
        let squished = query.split_whitespace().collect::<Vec<_>>().join(" ");
        if squished.is_empty() {
            return None;
        }
        let lower = squished.to_lowercase();
        let (quoted, rest) = quoted_words(&lower);
        let words: Vec<String> = rest
            .split_whitespace()
            .map(str::to_owned)
            .chain(quoted)
            .filter(|w| w.chars().count() >= MIN_WORD_CHARS)
            .collect();
        Some(if words.is_empty() {
            Self::Whole(lower)
        } else {
            Self::Words(words)
        })
    }
}

/// The `"double quoted"` words of `query` (each standing alone between
/// spaces or the ends, without its quotes) and what is left without them.
fn quoted_words(query: &str) -> (Vec<String>, String) {
    let bytes = query.as_bytes();
    let mut quoted = Vec::new();
    let mut rest = String::with_capacity(query.len());
    // `query[..copied]` is already in `rest` or `quoted`.
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = query[from..].find('"') {
        let open = from + found;
        let stands_alone = open == 0 || bytes[open - 1] == b' ';
        let close = query[open + 1..].find('"').map(|c| open + 1 + c);
        match close {
            Some(close)
                if stands_alone
                    && close > open + 1
                    && (close + 1 == query.len() || bytes[close + 1] == b' ') =>
            {
                rest.push_str(&query[copied..open]);
                quoted.push(query[open + 1..close].to_owned());
                copied = close + 1;
                from = close + 1;
            }
            _ => from = open + 1,
        }
    }
    rest.push_str(&query[copied..]);
    (quoted, rest)
}

#[cfg(test)]
mod tests {
    use super::NameSearch::{self, Whole, Words};

    fn words(list: &[&str]) -> NameSearch {
        Words(list.iter().map(|w| (*w).to_owned()).collect())
    }

    #[test]
    fn words_of_three_characters_or_more_are_searched_for_each() {
        assert_eq!(NameSearch::parse("Deploy"), Some(words(&["deploy"])));
        assert_eq!(
            NameSearch::parse("  ci   DEPLOY key-1 "),
            Some(words(&["deploy", "key-1"]))
        );
    }

    #[test]
    fn a_query_without_such_a_word_matches_the_whole_name() {
        assert_eq!(NameSearch::parse("ci"), Some(Whole("ci".into())));
        assert_eq!(NameSearch::parse(" A  b "), Some(Whole("a b".into())));
    }

    #[test]
    fn a_blank_query_filters_nothing() {
        assert_eq!(NameSearch::parse(""), None);
        assert_eq!(NameSearch::parse(" \t "), None);
    }

    #[test]
    fn quoted_words_keep_their_spaces() {
        assert_eq!(
            NameSearch::parse(r#"prod "deploy key" ci"#),
            Some(words(&["prod", "deploy key"]))
        );
        assert_eq!(
            NameSearch::parse(r#""deploy key""#),
            Some(words(&["deploy key"]))
        );
    }

    #[test]
    fn quotes_inside_a_word_are_plain_characters() {
        // GitLab's quoted word stands alone between spaces.
        assert_eq!(
            NameSearch::parse(r#"say"hello" x"#),
            Some(words(&[r#"say"hello""#]))
        );
        assert_eq!(
            NameSearch::parse(r#""unclosed word"#),
            Some(words(&[r#""unclosed"#, "word"]))
        );
        assert_eq!(
            NameSearch::parse(r#""ab""cd" "x y""#),
            Some(words(&[r#""ab""cd""#, "x y"]))
        );
    }
}

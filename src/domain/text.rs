//! Rules for free text people type (token and project names): no
//! characters that hide or reorder what is shown.

/// Whether `c` is a control character or a Unicode bidirectional
/// formatting character (the "Trojan Source" ones: embeddings, overrides,
/// isolates and directional marks), which can make a name read as another.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `text` holds any character `is_unsafe_char` refuses.
pub fn has_unsafe_chars(text: &str) -> bool {
    text.chars().any(is_unsafe_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_overrides_and_controls_are_unsafe() {
        for bad in [
            "deploy\u{202E}yek",
            "a\u{2066}b",
            "a\u{200F}",
            "tab\there",
            "nul\0",
            "\u{061C}x",
        ] {
            assert!(has_unsafe_chars(bad), "{bad:?}");
        }
        for good in ["CI token", "Überweisung", "日本語", "emoji 🔑", "שלום"] {
            assert!(!has_unsafe_chars(good), "{good:?}");
        }
    }
}

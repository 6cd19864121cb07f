//! How server functions' answers travel: JSON, read in the browser with
//! `serde_json::from_str`, the reader the page's hydration data already
//! goes through (leptos' resources). server_fn's own `Json` reads bytes
//! with `from_slice`, a second reader: every answer type would then be
//! compiled into the WebAssembly twice (12 KB of the main file, brotli).

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON read as text (see the module's documentation).
pub struct JsonText;

/// A server function's answer as [`JsonText`] in a `POST` response:
/// `#[server(…, output = Json)]`.
pub type Json = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| <serde_json::Error as serde::de::Error>::custom("not UTF-8"))?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_bytes_are_an_error() {
        let value = vec![("a".to_owned(), 1_i64)];
        let bytes = <JsonText as Encodes<_>>::encode(&value).unwrap();
        let back: Vec<(String, i64)> = <JsonText as Decodes<_>>::decode(bytes).unwrap();
        assert_eq!(back, value);
        let bad = <JsonText as Decodes<Vec<i64>>>::decode(Bytes::from_static(b"[\xff]"));
        assert!(bad.is_err());
    }
}

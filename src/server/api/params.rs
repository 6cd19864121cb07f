//! Request parameters the way GitLab reads them: from the query string and
//! from a JSON or form body alike; `name[]` is the same as `name`.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::Value;
use std::collections::HashMap;
use time::Date;

#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, Vec<String>>);

impl Params {
    fn add(&mut self, key: &str, value: String) {
        let key = key.strip_suffix("[]").unwrap_or(key);
        self.0.entry(key.to_owned()).or_default().push(value);
    }

    pub fn from_query(query: Option<&str>) -> Self {
        let mut params = Self::default();
        if let Some(query) = query {
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                params.add(&k, v.into_owned());
            }
        }
        params
    }

    fn add_json(&mut self, body: &[u8]) -> Result<(), ApiError> {
        let Value::Object(map) =
            serde_json::from_slice::<Value>(body).map_err(|_| ApiError::invalid("body"))?
        else {
            return Err(ApiError::invalid("body"));
        };
        for (k, v) in map {
            match v {
                Value::Array(items) => {
                    for item in items {
                        self.add(&k, scalar(item));
                    }
                }
                Value::Null => {}
                other => self.add(&k, scalar(other)),
            }
        }
        Ok(())
    }

    /// Every parameter, sorted by name.
    pub fn entries(&self) -> Vec<(&str, &[String])> {
        let mut all: Vec<(&str, &[String])> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        all.sort_by_key(|(k, _)| *k);
        all
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first value of `name`, even blank ([`Self::get`] reads a blank
    /// value as none).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value given for `name`, as given.
    pub fn values(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// Every value given for `name`; a single value may list several
    /// separated by commas (`scopes=api,read_user`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| v.parse().map_err(|_| ApiError::invalid(name)))
            .transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|v| match v {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ApiError::invalid(name)),
            })
            .transpose()
    }

    /// The date of a date or date-time (as [`Self::instant`] reads it), as
    /// the unix seconds of its midnight (UTC).
    pub fn date(&self, name: &str) -> Result<Option<i64>, ApiError> {
        Ok(self.instant(name)?.map(|t| {
            crate::domain::instant::date_of(t)
                .midnight()
                .assume_utc()
                .unix_timestamp()
        }))
    }

    /// A date or date-time (`2026-01-31`, `2026-01-31T12:00:00Z`, or
    /// without a zone, `2026-01-31T12:00:00`, read as UTC as GitLab does),
    /// as unix seconds.
    pub fn instant(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        if let Ok(t) =
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        {
            return Ok(Some(t.unix_timestamp()));
        }
        let local = time::macros::format_description!(
            version = 2,
            "[year]-[month]-[day][first [T] [ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        if let Ok(t) = time::PrimitiveDateTime::parse(v, local) {
            return Ok(Some(t.assume_utc().unix_timestamp()));
        }
        Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
            .map(|d| Some(d.midnight().assume_utc().unix_timestamp()))
            .map_err(|_| ApiError::invalid(name))
    }
}

fn scalar(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mut params = Params::from_query(req.uri().query());
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::invalid("body"))?;
        if body.is_empty() {
            return Ok(params);
        }
        if content_type.starts_with("application/json") {
            params.add_json(&body)?;
        } else {
            for (k, v) in url::form_urlencoded::parse(&body) {
                params.add(&k, v.into_owned());
            }
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_form_and_json_read_alike() {
        let q = Params::from_query(Some("scopes[]=api&scopes[]=read_user&page=2&name="));
        assert_eq!(q.list("scopes"), ["api", "read_user"]);
        assert_eq!(q.int("page"), Ok(Some(2)));
        assert_eq!(q.get("name"), None);
        assert_eq!(q.required("name"), Err(ApiError::missing("name")));
        let mut j = Params::default();
        j.add_json(br#"{"scopes":["api","read_api"],"name":"x","admin":true,"n":3}"#)
            .unwrap();
        assert_eq!(j.list("scopes"), ["api", "read_api"]);
        assert_eq!(j.get("name"), Some("x"));
        assert_eq!(j.bool("admin"), Ok(Some(true)));
        assert_eq!(j.int("n"), Ok(Some(3)));
        assert!(j.add_json(b"[1]").is_err());
        let c = Params::from_query(Some("scopes=api,read_user"));
        assert_eq!(c.list("scopes"), ["api", "read_user"]);
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let q = Params::from_query(Some("page=two&revoked=maybe&created_after=yesterday"));
        assert_eq!(q.int("page"), Err(ApiError::invalid("page")));
        assert_eq!(q.bool("revoked"), Err(ApiError::invalid("revoked")));
        assert_eq!(
            q.instant("created_after"),
            Err(ApiError::invalid("created_after"))
        );
        let ok = Params::from_query(Some("a=2026-01-02&b=2026-01-02T00:00:10Z"));
        assert_eq!(ok.instant("a"), Ok(Some(1_767_312_000)));
        assert_eq!(ok.instant("b"), Ok(Some(1_767_312_010)));
        // Without a zone: UTC, as GitLab reads `2022-01-01T00:00:00`.
        let local = Params::from_query(Some(
            "c=2026-01-02T00:00:10&d=2026-01-02%2000:00:10&e=2026-01-02T00:00:10.500&f=2026-01-02T25:00:00",
        ));
        assert_eq!(local.instant("c"), Ok(Some(1_767_312_010)));
        assert_eq!(local.instant("d"), Ok(Some(1_767_312_010)));
        assert_eq!(local.instant("e"), Ok(Some(1_767_312_010)));
        assert_eq!(local.instant("f"), Err(ApiError::invalid("f")));
    }
}

//! Lenient query strings: repeated keys, and the Python SDK's malformed
//! `?filterBaseImage=true?limit=50&offset=0` (a second `?` inside a value).

use std::collections::HashMap;

use crate::error::ApiError;

/// All values of each query key, in order.
#[derive(Debug, Default)]
pub struct Query(HashMap<String, Vec<String>>);

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Query {
        let mut q = Query::default();
        // A '?' inside the query starts more pairs: treat it like '&'.
        let raw = raw.unwrap_or("").replace('?', "&");
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            q.0.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        q
    }

    /// The last value of `key`, if non-empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .and_then(|v| v.last())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Every non-empty value of `key` (comma-separated values split).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A boolean (`true`/`1`); absent is false.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ApiError::BadRequest(format!(
                    "{key}: expected true or false"
                ))),
            },
        }
    }

    /// A non-negative integer.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("{key}: expected a non-negative integer"))
                }),
        }
    }

    /// True when the caller asked for a page (`offset` or `limit` present).
    pub fn paginates(&self) -> bool {
        self.get("offset").is_some() || self.get("limit").is_some()
    }

    /// `offset` and `limit` (default and maximum 50, as Prisma caps pages).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        let offset = self.int("offset")?.unwrap_or(0);
        let limit = match self.int("limit")? {
            None | Some(0) => MAX_PAGE,
            Some(n) => n.min(MAX_PAGE),
        };
        Ok((offset, limit))
    }
}

/// Largest page.
pub const MAX_PAGE: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_malformed_query_is_understood() {
        let q = Query::parse(Some("filterBaseImage=true?limit=50&offset=100"));
        assert!(q.flag("filterBaseImage").unwrap());
        assert_eq!(q.page().unwrap(), (100, 50));
    }

    #[test]
    fn limit_is_capped_and_repeats_are_kept() {
        let q = Query::parse(Some("limit=500&name=a&name=b,c"));
        assert_eq!(q.page().unwrap(), (0, 50));
        assert_eq!(q.all("name"), ["a", "b", "c"]);
        assert!(Query::parse(Some("offset=-1")).page().is_err());
    }
}

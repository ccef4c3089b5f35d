//! CVSS sources: NVD API 2.0 pages and CVE JSON 5 records (cvelistV5).

use serde::Deserialize;

use crate::model::CvssInfo;
use crate::FeedError;

/// Scores a CVSS v3 vector with the `cvss` crate; `None` if it does not parse.
pub fn score_v3(vector: &str) -> Option<f64> {
    vector
        .parse::<cvss::v3::Base>()
        .ok()
        .map(|b| b.score().value())
}

#[derive(Deserialize)]
struct NvdPage {
    #[serde(default)]
    vulnerabilities: Vec<NvdItem>,
}

#[derive(Deserialize)]
struct NvdItem {
    cve: NvdCve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdCve {
    id: String,
    #[serde(default)]
    descriptions: Vec<Lang>,
    #[serde(default)]
    metrics: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Lang {
    lang: String,
    value: String,
}

/// Parses one page of the NVD CVE API 2.0 (`{"vulnerabilities":[{"cve":...}]}`).
///
/// Takes the `Primary` CVSS v3.1 metric (else v3.0, else the first secondary one).
pub fn parse_nvd_page(data: &[u8]) -> Result<Vec<(String, CvssInfo)>, FeedError> {
    let page: NvdPage = serde_json::from_slice(data)
        .map_err(|e| FeedError::new("nvd", format!("not an NVD API 2.0 page: {e}")))?;
    let mut out = Vec::new();
    for item in page.vulnerabilities {
        let c = item.cve;
        let mut best: Option<(u8, String, f64)> = None;
        for (key, rank) in [("cvssMetricV31", 2u8), ("cvssMetricV30", 1)] {
            for m in c
                .metrics
                .get(key)
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let primary = m.get("type").and_then(|t| t.as_str()) == Some("Primary");
                let data = m.get("cvssData");
                let vector = data
                    .and_then(|d| d.get("vectorString"))
                    .and_then(|v| v.as_str());
                let score = data
                    .and_then(|d| d.get("baseScore"))
                    .and_then(|v| v.as_f64());
                if let (Some(v), Some(s)) = (vector, score) {
                    let r = rank * 2 + u8::from(primary);
                    if best.as_ref().is_none_or(|b| r > b.0) {
                        best = Some((r, v.to_string(), s));
                    }
                }
            }
        }
        if let Some((_, vector, score)) = best {
            let description = c
                .descriptions
                .iter()
                .find(|d| d.lang == "en")
                .map(|d| d.value.clone());
            out.push((
                c.id,
                CvssInfo {
                    vector,
                    score,
                    source: "nvd".into(),
                    description,
                },
            ));
        }
    }
    Ok(out)
}

/// Parses one CVE JSON 5 record; takes a CVSS v3.x metric from the CNA, else from an ADP.
pub fn parse_cve5(data: &[u8]) -> Result<Option<(String, CvssInfo)>, FeedError> {
    let v: serde_json::Value = serde_json::from_slice(data)
        .map_err(|e| FeedError::new("cve5", format!("not JSON: {e}")))?;
    let Some(id) = v.pointer("/cveMetadata/cveId").and_then(|x| x.as_str()) else {
        return Err(FeedError::new("cve5", "no cveMetadata.cveId"));
    };
    let mut containers: Vec<&serde_json::Value> = Vec::new();
    if let Some(cna) = v.pointer("/containers/cna") {
        containers.push(cna);
    }
    if let Some(adps) = v.pointer("/containers/adp").and_then(|a| a.as_array()) {
        containers.extend(adps);
    }
    let description = v
        .pointer("/containers/cna/descriptions")
        .and_then(|d| d.as_array())
        .and_then(|d| {
            d.iter().find(|x| {
                x.get("lang")
                    .and_then(|l| l.as_str())
                    .is_some_and(|l| l.starts_with("en"))
            })
        })
        .and_then(|d| d.get("value"))
        .and_then(|x| x.as_str())
        .map(str::to_string);
    for c in containers {
        for m in c
            .get("metrics")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
        {
            for key in ["cvssV3_1", "cvssV3_0"] {
                if let Some(x) = m.get(key) {
                    let vector = x.get("vectorString").and_then(|s| s.as_str());
                    let score = x
                        .get("baseScore")
                        .and_then(|s| s.as_f64())
                        .or_else(|| vector.and_then(score_v3));
                    if let (Some(vector), Some(score)) = (vector, score) {
                        return Ok(Some((
                            id.to_string(),
                            CvssInfo {
                                vector: vector.to_string(),
                                score,
                                source: "cve5".into(),
                                description,
                            },
                        )));
                    }
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_primary_v31() {
        let p = br#"{"vulnerabilities":[{"cve":{"id":"CVE-2020-1967","descriptions":[{"lang":"en","value":"d"}],"metrics":{"cvssMetricV31":[{"type":"Secondary","cvssData":{"vectorString":"CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L","baseScore":4.0}},{"type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H","baseScore":7.5}}]}}}]}"#;
        let v = parse_nvd_page(p).unwrap();
        assert_eq!(v[0].1.score, 7.5);
        assert_eq!(
            score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
            Some(7.5)
        );
    }
}

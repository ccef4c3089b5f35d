//! One parser per upstream format. Each takes bytes and returns records; none does I/O.

pub mod alpine;
pub mod cvss;
pub mod debian;
pub mod osv;
pub mod oval;

/// An advisory with the namespace it belongs to (`debian:12`, `alpine:v3.10`).
pub type Record = (String, crate::model::Advisory);

/// What one feed file yields.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Advisories with their namespace.
    pub records: Vec<Record>,
    /// CVSS the records carry themselves (keyed by advisory id).
    pub cvss: Vec<(String, crate::model::CvssInfo)>,
    /// Notes (skipped entries, GIT ranges ignored, unsupported ecosystems...).
    pub warnings: Vec<String>,
}

impl From<(Vec<Record>, Vec<String>)> for Parsed {
    fn from((records, warnings): (Vec<Record>, Vec<String>)) -> Self {
        Parsed {
            records,
            cvss: Vec::new(),
            warnings,
        }
    }
}

/// Debian release codename to the version number used in namespaces (`bookworm` -> `12`).
pub fn debian_release_number(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        _ => return None,
    })
}

/// Namespace for a Debian release given by codename; `sid` and unknown names keep their name.
pub fn debian_namespace(codename: &str) -> String {
    match debian_release_number(codename) {
        Some(n) => format!("debian:{n}"),
        None => format!("debian:{codename}"),
    }
}

/// Namespace of records that apply to every Debian release without a release-specific record.
pub const DEBIAN_ALL_RELEASES: &str = "debian:*";

//! Report rendering: a table for people, JSON for programs.

use std::io::Write;

use drydock_scan::ScanReport;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Human-readable table.
    Table,
    /// The full report as one JSON document.
    Json,
}

fn trunc(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn print(r: &ScanReport, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, r)?;
            writeln!(out)?;
        }
        Format::Table => {
            let os =
                r.os.as_ref()
                    .map(|o| format!("{} {}", o.id, o.version_id))
                    .unwrap_or_else(|| "unknown OS".into());
            writeln!(out, "{} ({os}) {}", r.reference, r.manifest_digest)?;
            let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
            for f in &r.findings {
                *by.entry(f.severity.as_str()).or_default() += 1;
            }
            let summary: Vec<String> = by.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            writeln!(
                out,
                "packages: {}, vulnerabilities: {} ({})",
                r.packages.len(),
                r.findings.len(),
                summary.join(", ")
            )?;
            if r.findings.is_empty() {
                return Ok(());
            }
            let rows: Vec<[String; 6]> = r
                .findings
                .iter()
                .map(|f| {
                    [
                        f.package.clone(),
                        f.installed_version.clone(),
                        f.fixed_version
                            .clone()
                            .unwrap_or_else(|| format!("no fix ({})", f.status.replace('_', " "))),
                        f.id.clone(),
                        f.severity.as_str().to_string(),
                        trunc(f.title.as_deref().unwrap_or(""), 60),
                    ]
                })
                .collect();
            let head = [
                "PACKAGE",
                "INSTALLED",
                "FIXED",
                "VULNERABILITY",
                "SEVERITY",
                "TITLE",
            ];
            let mut w = head.map(|h| h.chars().count());
            for row in &rows {
                for (i, c) in row.iter().enumerate() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
            let line = |cells: &[String]| -> String {
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c:<width$}", width = w[i]))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(&head.map(String::from)))?;
            for row in &rows {
                writeln!(out, "{}", line(row))?;
            }
        }
    }
    Ok(())
}

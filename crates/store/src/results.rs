//! Scan results: one report per image digest, and the registry images (tags)
//! pointing at reports. List queries with optional filters are built with sea-query.

use sea_query::{Alias, Cond, Expr, Func, JoinType, Order, Query, SelectStatement};
use sea_query_binder::SqlxBinder;
use sqlx::Row;

use crate::{corrupt, Result, Store};

/// A finished report of one image digest.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Platform manifest digest.
    pub digest: String,
    /// Image id (config digest).
    pub image_id: String,
    /// Scan that produced it.
    pub scan_id: i64,
    /// When (ms).
    pub scan_time: i64,
    /// Findings per severity: critical, high, medium, low, total.
    pub counts: [i64; 5],
    /// Risk score used for sorting.
    pub risk_score: i64,
    /// The report document (compressed by the caller).
    pub report: Vec<u8>,
}

/// One registry image (repository tag) and the report it points at.
#[derive(Debug, Clone)]
pub struct ImageRow {
    /// Registry address.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag.
    pub tag: String,
    /// Full name `registry/repo:tag`.
    pub name: String,
    /// Platform manifest digest (the report key).
    pub digest: String,
    /// Index or manifest-list digest the tag points at, if any.
    pub index_digest: String,
    /// Last scanned by an on-demand scan.
    pub on_demand: bool,
    /// Last scan.
    pub scan_id: i64,
    /// Last scan time (ms).
    pub scan_time: i64,
    /// First scan time (ms).
    pub first_scan_time: i64,
}

/// Filters for listing images; empty lists do not filter.
#[derive(Debug, Clone, Default)]
pub struct ImageFilter {
    /// Full names.
    pub names: Vec<String>,
    /// Registries.
    pub registries: Vec<String>,
    /// Repositories.
    pub repositories: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Manifest or index digests.
    pub digests: Vec<String>,
    /// Image ids (config digests) or full names.
    pub ids: Vec<String>,
    /// Substring of the name or image id.
    pub search: Option<String>,
}

/// Columns an image list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Full name (default: results are alphabetical).
    #[default]
    Name,
    /// Registry.
    Registry,
    /// Repository.
    Repo,
    /// Tag.
    Tag,
    /// Last scan time.
    ScanTime,
    /// Number of vulnerabilities.
    Vulnerabilities,
    /// Risk score.
    RiskScore,
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

const IMAGE_COLS: [&str; 10] = [
    "registry",
    "repo",
    "tag",
    "name",
    "digest",
    "index_digest",
    "on_demand",
    "scan_id",
    "scan_time",
    "first_scan_time",
];

impl ImageFilter {
    fn apply(&self, q: &mut SelectStatement) {
        let i = || t("i");
        let list = |q: &mut SelectStatement, col: &str, v: &[String]| {
            if !v.is_empty() {
                q.and_where(Expr::col((i(), t(col))).is_in(v.iter().cloned()));
            }
        };
        list(q, "name", &self.names);
        list(q, "registry", &self.registries);
        list(q, "repo", &self.repositories);
        list(q, "tag", &self.tags);
        if !self.digests.is_empty() {
            q.cond_where(
                Cond::any()
                    .add(Expr::col((i(), t("digest"))).is_in(self.digests.iter().cloned()))
                    .add(Expr::col((i(), t("index_digest"))).is_in(self.digests.iter().cloned())),
            );
        }
        if !self.ids.is_empty() {
            q.cond_where(
                Cond::any()
                    .add(Expr::col((t("r"), t("image_id"))).is_in(self.ids.iter().cloned()))
                    .add(Expr::col((i(), t("name"))).is_in(self.ids.iter().cloned())),
            );
        }
        if let Some(s) = self.search.as_deref().filter(|s| !s.is_empty()) {
            let pat = format!("%{}%", s.to_lowercase());
            q.cond_where(
                Cond::any()
                    .add(Expr::expr(Func::lower(Expr::col((i(), t("name"))))).like(pat.clone()))
                    .add(Expr::expr(Func::lower(Expr::col((t("r"), t("image_id"))))).like(pat)),
            );
        }
    }
}

fn base() -> SelectStatement {
    let mut q = Query::select();
    q.from_as(t("images"), t("i")).join_as(
        JoinType::InnerJoin,
        t("reports"),
        t("r"),
        Expr::col((t("r"), t("digest"))).equals((t("i"), t("digest"))),
    );
    q
}

impl Store {
    /// Stores (or replaces) the report of a digest.
    pub async fn put_report(&self, r: &ReportRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO reports (digest, image_id, scan_id, scan_time, critical, high, medium, low, total, risk_score, report)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (digest) DO UPDATE SET image_id = excluded.image_id, scan_id = excluded.scan_id,
                 scan_time = excluded.scan_time, critical = excluded.critical, high = excluded.high,
                 medium = excluded.medium, low = excluded.low, total = excluded.total,
                 risk_score = excluded.risk_score, report = excluded.report",
        )
        .bind(&r.digest)
        .bind(&r.image_id)
        .bind(r.scan_id)
        .bind(r.scan_time)
        .bind(r.counts[0])
        .bind(r.counts[1])
        .bind(r.counts[2])
        .bind(r.counts[3])
        .bind(r.counts[4])
        .bind(r.risk_score)
        .bind(r.report.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The (compressed) report of a digest.
    pub async fn report(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        let r = sqlx::query("SELECT report FROM reports WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => Some(r.try_get("report")?),
            None => None,
        })
    }

    /// Points a registry tag at a report (keeps its first scan time).
    pub async fn upsert_image(&self, i: &ImageRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO images (registry, repo, tag, name, digest, index_digest, on_demand, scan_id, scan_time, first_scan_time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (registry, repo, tag) DO UPDATE SET name = excluded.name, digest = excluded.digest,
                 index_digest = excluded.index_digest, on_demand = excluded.on_demand,
                 scan_id = excluded.scan_id, scan_time = excluded.scan_time",
        )
        .bind(&i.registry)
        .bind(&i.repo)
        .bind(&i.tag)
        .bind(&i.name)
        .bind(&i.digest)
        .bind(&i.index_digest)
        .bind(i.on_demand as i64)
        .bind(i.scan_id)
        .bind(i.scan_time)
        .bind(i.first_scan_time)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a registry tag from the results.
    pub async fn delete_image(&self, registry: &str, repo: &str, tag: &str) -> Result<()> {
        sqlx::query("DELETE FROM images WHERE registry = $1 AND repo = $2 AND tag = $3")
            .bind(registry)
            .bind(repo)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every stored image of a registry: (repo, tag, last scan id, on-demand).
    pub async fn images_of_registry(
        &self,
        registry: &str,
    ) -> Result<Vec<(String, String, i64, bool)>> {
        let rows =
            sqlx::query("SELECT repo, tag, scan_id, on_demand FROM images WHERE registry = $1")
                .bind(registry)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("repo")?,
                    r.try_get("tag")?,
                    r.try_get("scan_id")?,
                    r.try_get::<i64, _>("on_demand")? != 0,
                ))
            })
            .collect()
    }

    /// Tags of the same repository pointing at the same digest.
    pub async fn tags_of(&self, registry: &str, repo: &str, digest: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT tag FROM images WHERE registry = $1 AND repo = $2 AND digest = $3 ORDER BY tag",
        )
        .bind(registry)
        .bind(repo)
        .bind(digest)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("tag")?)).collect()
    }

    /// Lists images matching `f`: the true total and one page.
    pub async fn list_images(
        &self,
        f: &ImageFilter,
        sort: SortKey,
        reverse: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ImageRow>)> {
        let builder = self.builder();
        let mut count = base();
        count.expr_as(Expr::col((t("i"), t("name"))).count(), t("n"));
        f.apply(&mut count);
        let (sql, values) = count.build_any_sqlx(&*builder);
        let total: i64 = sqlx::query_with(&sql, values)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;

        let mut q = base();
        for c in IMAGE_COLS {
            q.expr_as(Expr::col((t("i"), t(c))), t(c));
        }
        f.apply(&mut q);
        let (table, col) = match sort {
            SortKey::Name => ("i", "name"),
            SortKey::Registry => ("i", "registry"),
            SortKey::Repo => ("i", "repo"),
            SortKey::Tag => ("i", "tag"),
            SortKey::ScanTime => ("i", "scan_time"),
            SortKey::Vulnerabilities => ("r", "total"),
            SortKey::RiskScore => ("r", "risk_score"),
        };
        let order = if reverse { Order::Desc } else { Order::Asc };
        q.order_by((t(table), t(col)), order.clone());
        q.order_by((t("i"), t("name")), order);
        q.limit(limit.max(0) as u64).offset(offset.max(0) as u64);
        let (sql, values) = q.build_any_sqlx(&*builder);
        let rows = sqlx::query_with(&sql, values).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ImageRow {
                registry: r.try_get("registry")?,
                repo: r.try_get("repo")?,
                tag: r.try_get("tag")?,
                name: r.try_get("name")?,
                digest: r.try_get("digest")?,
                index_digest: r.try_get("index_digest")?,
                on_demand: r.try_get::<i64, _>("on_demand")? != 0,
                scan_id: r.try_get("scan_id")?,
                scan_time: r.try_get("scan_time")?,
                first_scan_time: r.try_get("first_scan_time")?,
            });
        }
        Ok((total, out))
    }

    /// Decodes a stored JSON document.
    pub fn decode<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T> {
        serde_json::from_str(doc).map_err(|e| corrupt(what, e))
    }
}

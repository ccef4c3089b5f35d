//! Scan jobs as rows: a scan, its specifications' discovery counters and one
//! row per image tag. Workers claim a scan's discovery, or all tags of one
//! image digest, with a lease (`lease_owner`, `lease_until`); a worker that
//! dies simply lets its lease run out and another picks the work up.
//!
//! States: a scan is `queued` -> `discovering` -> `scanning` -> `done`, or
//! `stopped` / `failed` (`active` is 1 exactly while it is not finished).
//! An image row is `pending` -> `running` -> `done` | `failed` | `cancelled`.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, Store};

/// What kind of scan.
pub const REGULAR: &str = "regular";
/// On-demand scans of one image: run beside regular scans, cannot be stopped.
pub const ON_DEMAND: &str = "ondemand";

/// A scan to create.
#[derive(Debug, Clone, Default)]
pub struct NewScan {
    /// [`REGULAR`] or [`ON_DEMAND`].
    pub kind: String,
    /// One image: its registry, repository, tag and/or digest (empty for a full scan).
    pub registry: String,
    /// Repository of the one image.
    pub repo: String,
    /// Tag of the one image.
    pub tag: String,
    /// Digest of the one image.
    pub digest: String,
    /// The registry specifications in force, as a JSON array (a snapshot: later
    /// settings changes do not alter a running scan).
    pub specs_json: String,
    /// (spec id, registry) per specification, in the order of `specs_json`.
    pub specs: Vec<(String, String)>,
}

/// A scan as stored.
#[derive(Debug, Clone)]
pub struct ScanRow {
    /// Scan id (the API's `scanID`).
    pub id: i64,
    /// [`REGULAR`] or [`ON_DEMAND`].
    pub kind: String,
    /// queued, discovering, scanning, done, stopped, failed.
    pub state: String,
    /// True until the scan finished one way or another.
    pub active: bool,
    /// One-image scans: registry.
    pub registry: String,
    /// One-image scans: repository.
    pub repo: String,
    /// One-image scans: tag.
    pub tag: String,
    /// One-image scans: digest.
    pub digest: String,
    /// The specifications snapshot (JSON array).
    pub specs_json: String,
    /// Created (ms).
    pub created_at: i64,
    /// First claimed by a worker (ms, 0 before).
    pub started_at: i64,
    /// Finished (ms, 0 before).
    pub finished_at: i64,
    /// How often work of this scan was taken over after its worker stopped.
    pub resumed: i64,
    /// On-demand: its finished progress has been read once.
    pub progress_read: bool,
    /// Why the scan failed as a whole.
    pub error: String,
}

/// Discovery and image counters of one specification of a scan.
#[derive(Debug, Clone)]
pub struct SpecProgress {
    /// Position in the scan's specifications.
    pub idx: i64,
    /// The specification's id.
    pub spec_id: String,
    /// Its registry.
    pub registry: String,
    /// Repositories to discover tags in.
    pub repos_total: i64,
    /// Repositories whose tags are discovered.
    pub repos_done: i64,
    /// Stopped with `/registry/stop/{id}`.
    pub stopped: bool,
    /// When its discovery started (ms).
    pub started_at: i64,
    /// Discovery error, if any.
    pub error: String,
    /// Image tags found.
    pub images_total: i64,
    /// Image tags finished (scanned or failed).
    pub images_done: i64,
}

/// One image to scan: every tag of one digest in one scan.
#[derive(Debug, Clone)]
pub struct ImageJob {
    /// The scan.
    pub scan_id: i64,
    /// Platform manifest digest.
    pub digest: String,
    /// Every tag pointing at it.
    pub tags: Vec<JobTag>,
}

/// One tag of an [`ImageJob`].
#[derive(Debug, Clone)]
pub struct JobTag {
    /// Index of the specification that found it.
    pub spec_idx: i64,
    /// Registry.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag (empty when scanned by digest).
    pub tag: String,
    /// Index or manifest-list digest the tag points at, if any.
    pub index_digest: String,
}

/// A tag found by discovery.
#[derive(Debug, Clone)]
pub struct FoundImage {
    /// Registry.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag.
    pub tag: String,
    /// Platform manifest digest.
    pub digest: String,
    /// Index or manifest-list digest, if the tag points at one.
    pub index_digest: String,
}

const SCAN_COLS: &str = "id, kind, state, active, registry, repo, tag, digest, specs, created_at, \
     started_at, finished_at, resumed, progress_read, error";

fn scan_row(r: &AnyRow) -> Result<ScanRow> {
    Ok(ScanRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        state: r.try_get("state")?,
        active: r.try_get::<i64, _>("active")? != 0,
        registry: r.try_get("registry")?,
        repo: r.try_get("repo")?,
        tag: r.try_get("tag")?,
        digest: r.try_get("digest")?,
        specs_json: r.try_get("specs")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        resumed: r.try_get("resumed")?,
        progress_read: r.try_get::<i64, _>("progress_read")? != 0,
        error: r.try_get("error")?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

impl Store {
    /// Creates a scan. `None` when it is a regular scan and one is already running.
    pub async fn create_scan(&self, s: &NewScan, now: i64) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO scans (kind, state, active, registry, repo, tag, digest, specs, created_at)
             VALUES ($1, 'queued', 1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&s.kind)
        .bind(&s.registry)
        .bind(&s.repo)
        .bind(&s.tag)
        .bind(&s.digest)
        .bind(&s.specs_json)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match row {
            Ok(r) => r.try_get("id")?,
            Err(e) if is_unique_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        for (idx, (spec_id, registry)) in s.specs.iter().enumerate() {
            sqlx::query(
                "INSERT INTO scan_specs (scan_id, idx, spec_id, registry) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(idx as i64)
            .bind(spec_id)
            .bind(registry)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// One scan.
    pub async fn scan(&self, id: i64) -> Result<Option<ScanRow>> {
        let r = sqlx::query(&format!("SELECT {SCAN_COLS} FROM scans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(scan_row).transpose()
    }

    /// The most recent scan of a kind.
    pub async fn latest_scan(&self, kind: &str) -> Result<Option<ScanRow>> {
        let r = sqlx::query(&format!(
            "SELECT {SCAN_COLS} FROM scans WHERE kind = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(scan_row).transpose()
    }

    /// The most recent on-demand scan of one image (by tag or by digest).
    pub async fn latest_on_demand(
        &self,
        registry: &str,
        repo: &str,
        tag: &str,
        digest: &str,
    ) -> Result<Option<ScanRow>> {
        let r = sqlx::query(&format!(
            "SELECT {SCAN_COLS} FROM scans WHERE kind = 'ondemand' AND registry = $1 AND repo = $2
               AND tag = $3 AND digest = $4 ORDER BY id DESC LIMIT 1"
        ))
        .bind(registry)
        .bind(repo)
        .bind(tag)
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(scan_row).transpose()
    }

    /// Marks an on-demand scan's finished progress as read.
    pub async fn mark_progress_read(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE scans SET progress_read = 1 WHERE id = $1 AND active = 0")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Claims a scan whose discovery is due (new, or its discoverer's lease ran out).
    pub async fn claim_discovery(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<ScanRow>> {
        let r = sqlx::query(&format!(
            "UPDATE scans SET
                 resumed = resumed + CASE WHEN state = 'discovering' THEN 1 ELSE 0 END,
                 state = 'discovering', lease_owner = $1, lease_until = $2,
                 started_at = CASE WHEN started_at = 0 THEN $3 ELSE started_at END
             WHERE id = (SELECT id FROM scans WHERE active = 1 AND state IN ('queued', 'discovering')
                           AND lease_until < $3 ORDER BY kind = 'regular', id LIMIT 1)
               AND active = 1 AND state IN ('queued', 'discovering') AND lease_until < $3
             RETURNING {SCAN_COLS}"
        ))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(scan_row).transpose()
    }

    /// Extends a discovery lease; false when the lease was lost or the scan ended.
    pub async fn renew_discovery(&self, id: i64, owner: &str, until: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE scans SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND active = 1
               AND state = 'discovering'",
        )
        .bind(until)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Records how many repositories a specification's discovery covers.
    pub async fn set_repos_total(&self, id: i64, idx: i64, total: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE scan_specs SET repos_total = $1, repos_done = 0,
                 started_at = CASE WHEN started_at = 0 THEN $2 ELSE started_at END
             WHERE scan_id = $3 AND idx = $4",
        )
        .bind(total)
        .bind(now)
        .bind(id)
        .bind(idx)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds the tags found in one repository and counts the repository as
    /// discovered, if `owner` still holds the discovery (false when the scan was
    /// stopped or taken over meanwhile: nothing is written then).
    pub async fn add_discovered(
        &self,
        id: i64,
        idx: i64,
        owner: &str,
        found: &[FoundImage],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE scan_specs SET repos_done = repos_done + 1 WHERE scan_id = $1 AND idx = $2 AND stopped = 0
               AND EXISTS (SELECT 1 FROM scans WHERE id = $1 AND active = 1 AND lease_owner = $3)",
        )
        .bind(id)
        .bind(idx)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for f in found {
            sqlx::query(
                "INSERT INTO scan_images (scan_id, spec_idx, registry, repo, tag, digest, index_digest, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')
                 ON CONFLICT (scan_id, registry, repo, tag) DO NOTHING",
            )
            .bind(id)
            .bind(idx)
            .bind(&f.registry)
            .bind(&f.repo)
            .bind(&f.tag)
            .bind(&f.digest)
            .bind(&f.index_digest)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records a discovery error of one specification.
    pub async fn set_spec_error(&self, id: i64, idx: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE scan_specs SET error = $1 WHERE scan_id = $2 AND idx = $3")
            .bind(error)
            .bind(id)
            .bind(idx)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends discovery: the scan moves to `scanning` (and to `done` if nothing is left).
    pub async fn finish_discovery(&self, id: i64, owner: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE scans SET state = 'scanning', lease_owner = '', lease_until = 0
             WHERE id = $1 AND lease_owner = $2 AND state = 'discovering' AND active = 1",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        self.try_finish(id, now).await?;
        Ok(())
    }

    /// Fails a scan as a whole.
    pub async fn fail_scan(&self, id: i64, error: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE scans SET state = 'failed', active = 0, finished_at = $1, error = $2,
                 lease_owner = '', lease_until = 0 WHERE id = $3 AND active = 1",
        )
        .bind(now)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE scan_images SET state = 'cancelled' WHERE scan_id = $1 AND state IN ('pending', 'running')")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the scan done when discovery has ended and no image is left; true if it did.
    pub async fn try_finish(&self, id: i64, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE scans SET state = 'done', active = 0, finished_at = $1
             WHERE id = $2 AND active = 1 AND state = 'scanning'
               AND NOT EXISTS (SELECT 1 FROM scan_images WHERE scan_id = $2 AND state IN ('pending', 'running'))",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Claims every pending tag of one image digest (on-demand scans first).
    pub async fn claim_image(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<ImageJob>> {
        for _ in 0..8 {
            let cand = sqlx::query(
                "SELECT i.scan_id AS scan_id, i.digest AS digest, i.state AS state
                 FROM scan_images i JOIN scans s ON s.id = i.scan_id
                 WHERE s.active = 1 AND (i.state = 'pending' OR (i.state = 'running' AND i.lease_until < $1))
                 ORDER BY CASE WHEN s.kind = 'ondemand' THEN 0 ELSE 1 END, i.id LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            let Some(c) = cand else { return Ok(None) };
            let scan_id: i64 = c.try_get("scan_id")?;
            let digest: String = c.try_get("digest")?;
            let was: String = c.try_get("state")?;
            let rows = sqlx::query(
                "UPDATE scan_images SET state = 'running', lease_owner = $1, lease_until = $2
                 WHERE scan_id = $3 AND digest = $4
                   AND (state = 'pending' OR (state = 'running' AND lease_until < $5))
                 RETURNING spec_idx, registry, repo, tag, index_digest",
            )
            .bind(owner)
            .bind(now + lease_ms)
            .bind(scan_id)
            .bind(&digest)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                continue; // another worker was faster
            }
            if was == "running" {
                sqlx::query("UPDATE scans SET resumed = resumed + 1 WHERE id = $1")
                    .bind(scan_id)
                    .execute(&self.pool)
                    .await?;
            }
            let mut tags = Vec::with_capacity(rows.len());
            for r in &rows {
                tags.push(JobTag {
                    spec_idx: r.try_get("spec_idx")?,
                    registry: r.try_get("registry")?,
                    repo: r.try_get("repo")?,
                    tag: r.try_get("tag")?,
                    index_digest: r.try_get("index_digest")?,
                });
            }
            return Ok(Some(ImageJob {
                scan_id,
                digest,
                tags,
            }));
        }
        Ok(None)
    }

    /// Extends the lease on an image; false when lost (stopped, or taken over).
    pub async fn renew_image(&self, job: &ImageJob, owner: &str, until: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE scan_images SET lease_until = $1
             WHERE scan_id = $2 AND digest = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(until)
        .bind(job.scan_id)
        .bind(&job.digest)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Records the outcome of an image (`error` empty = scanned) and finishes the
    /// scan if it was the last; false when the claim had been lost meanwhile.
    pub async fn complete_image(
        &self,
        job: &ImageJob,
        owner: &str,
        error: &str,
        now: i64,
    ) -> Result<bool> {
        let state = if error.is_empty() { "done" } else { "failed" };
        let r = sqlx::query(
            "UPDATE scan_images SET state = $1, error = $2, lease_owner = '', lease_until = 0
             WHERE scan_id = $3 AND digest = $4 AND lease_owner = $5 AND state = 'running'",
        )
        .bind(state)
        .bind(error)
        .bind(job.scan_id)
        .bind(&job.digest)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        self.try_finish(job.scan_id, now).await?;
        Ok(r.rows_affected() > 0)
    }

    /// Stops the running regular scan: unscanned images are cancelled, results
    /// already stored stay. Returns the stopped scan's id.
    pub async fn stop_regular(&self, now: i64) -> Result<Option<i64>> {
        let r = sqlx::query(
            "UPDATE scans SET state = 'stopped', active = 0, finished_at = $1, lease_owner = '', lease_until = 0
             WHERE kind = 'regular' AND active = 1 RETURNING id",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let id: i64 = r.try_get("id")?;
        sqlx::query(
            "UPDATE scan_images SET state = 'cancelled', lease_owner = '', lease_until = 0
             WHERE scan_id = $1 AND state IN ('pending', 'running')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(Some(id))
    }

    /// Stops one specification's part of the running regular scan; true if there was one.
    pub async fn stop_spec(&self, spec_id: &str, now: i64) -> Result<bool> {
        let Some(scan) = self.latest_scan(crate::jobs::REGULAR).await? else {
            return Ok(false);
        };
        if !scan.active {
            return Ok(false);
        }
        let r =
            sqlx::query("UPDATE scan_specs SET stopped = 1 WHERE scan_id = $1 AND spec_id = $2")
                .bind(scan.id)
                .bind(spec_id)
                .execute(&self.pool)
                .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE scan_images SET state = 'cancelled', lease_owner = '', lease_until = 0
             WHERE scan_id = $1 AND state IN ('pending', 'running')
               AND spec_idx IN (SELECT idx FROM scan_specs WHERE scan_id = $1 AND stopped = 1)",
        )
        .bind(scan.id)
        .execute(&self.pool)
        .await?;
        self.try_finish(scan.id, now).await?;
        Ok(true)
    }

    /// True when discovery of this specification was stopped.
    pub async fn spec_stopped(&self, id: i64, idx: i64) -> Result<bool> {
        let r = sqlx::query("SELECT stopped FROM scan_specs WHERE scan_id = $1 AND idx = $2")
            .bind(id)
            .bind(idx)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => r.try_get::<i64, _>("stopped")? != 0,
            None => true,
        })
    }

    /// Per-specification counters of a scan.
    pub async fn spec_progress(&self, id: i64) -> Result<Vec<SpecProgress>> {
        let rows = sqlx::query(
            "SELECT p.idx AS idx, p.spec_id AS spec_id, p.registry AS registry,
                    p.repos_total AS repos_total, p.repos_done AS repos_done, p.stopped AS stopped,
                    p.started_at AS started_at, p.error AS error,
                    (SELECT COUNT(*) FROM scan_images i WHERE i.scan_id = p.scan_id AND i.spec_idx = p.idx) AS images_total,
                    (SELECT COUNT(*) FROM scan_images i WHERE i.scan_id = p.scan_id AND i.spec_idx = p.idx
                        AND i.state IN ('done', 'failed')) AS images_done
             FROM scan_specs p WHERE p.scan_id = $1 ORDER BY p.idx",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SpecProgress {
                    idx: r.try_get("idx")?,
                    spec_id: r.try_get("spec_id")?,
                    registry: r.try_get("registry")?,
                    repos_total: r.try_get("repos_total")?,
                    repos_done: r.try_get("repos_done")?,
                    stopped: r.try_get::<i64, _>("stopped")? != 0,
                    started_at: r.try_get("started_at")?,
                    error: r.try_get("error")?,
                    images_total: r.try_get("images_total")?,
                    images_done: r.try_get("images_done")?,
                })
            })
            .collect()
    }

    /// The images of a scan and their states: (registry, repo, tag, digest, state, error).
    pub async fn scan_images(
        &self,
        id: i64,
    ) -> Result<Vec<(String, String, String, String, String, String)>> {
        let rows = sqlx::query(
            "SELECT registry, repo, tag, digest, state, error FROM scan_images WHERE scan_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("registry")?,
                    r.try_get("repo")?,
                    r.try_get("tag")?,
                    r.try_get("digest")?,
                    r.try_get("state")?,
                    r.try_get("error")?,
                ))
            })
            .collect()
    }

    /// The scan's most recent distinct errors (at most `limit`).
    pub async fn scan_errors(&self, id: i64, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT error FROM (
                 SELECT error, MAX(id) AS last FROM scan_images WHERE scan_id = $1 AND error <> '' GROUP BY error
             ) e ORDER BY last DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<String> = Vec::new();
        let scan = self.scan(id).await?;
        if let Some(s) = scan.filter(|s| !s.error.is_empty()) {
            out.push(s.error);
        }
        for p in self.spec_progress(id).await? {
            if !p.error.is_empty() {
                out.push(p.error);
            }
        }
        for r in rows {
            out.push(r.try_get("error")?);
        }
        out.truncate(limit.max(0) as usize);
        Ok(out)
    }

    /// Lets every lease lapse now. Used at start-up of a single-process (SQLite)
    /// service, whose previous incarnation cannot still be working.
    pub async fn expire_all_leases(&self) -> Result<u64> {
        let a =
            sqlx::query("UPDATE scans SET lease_until = 0 WHERE active = 1 AND lease_until > 0")
                .execute(&self.pool)
                .await?;
        let b = sqlx::query("UPDATE scan_images SET lease_until = 0 WHERE state = 'running'")
            .execute(&self.pool)
            .await?;
        Ok(a.rows_affected() + b.rows_affected())
    }

    /// Records that a worker process is alive.
    pub async fn heartbeat(&self, worker: &str, hostname: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO workers (id, hostname, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(worker)
        .bind(hostname)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Workers seen since `since` (ms).
    pub async fn live_workers(&self, since: i64) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM workers WHERE seen_at >= $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }

    /// Removes a worker's heartbeat (clean shutdown).
    pub async fn remove_worker(&self, worker: &str) -> Result<()> {
        sqlx::query("DELETE FROM workers WHERE id = $1")
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

//! Scan jobs and results on both databases: the same statements must behave the same.

use drydock_store::jobs::{FoundImage, NewScan, ON_DEMAND, REGULAR};
use drydock_store::results::{ImageFilter, ImageRow, ReportRow, SortKey};
use drydock_store::testing::TestDb;
use drydock_store::Store;

fn new_scan(kind: &str) -> NewScan {
    NewScan {
        kind: kind.into(),
        specs_json: "[]".into(),
        specs: vec![("spec-a".into(), "r.example".into())],
        ..Default::default()
    }
}

fn found(repo: &str, tag: &str, digest: &str) -> FoundImage {
    FoundImage {
        registry: "r.example".into(),
        repo: repo.into(),
        tag: tag.into(),
        digest: digest.into(),
        index_digest: String::new(),
    }
}

async fn jobs_lifecycle(db: &TestDb) {
    let s = Store::open(&db.url).await.expect(db.backend);
    let t0 = 1_000_000;
    // One regular scan at a time, whoever asks; on-demand scans beside it.
    let id = s
        .create_scan(&new_scan(REGULAR), t0)
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.create_scan(&new_scan(REGULAR), t0)
            .await
            .unwrap()
            .is_none(),
        "{}",
        db.backend
    );
    let od = s
        .create_scan(&new_scan(ON_DEMAND), t0)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(id, od);

    // Discovery is claimed by one worker; on-demand scans go first.
    let a = s.claim_discovery("w1", t0, 10_000).await.unwrap().unwrap();
    assert_eq!(a.id, od);
    let b = s.claim_discovery("w2", t0, 10_000).await.unwrap().unwrap();
    assert_eq!(b.id, id);
    assert!(
        s.claim_discovery("w3", t0, 10_000).await.unwrap().is_none(),
        "both leased"
    );
    s.fail_scan(od, "gone", t0).await.unwrap();

    s.set_repos_total(id, 0, 1, t0).await.unwrap();
    // Two tags of one digest, one of another.
    let imgs = [
        found("app", "1", "sha256:aa"),
        found("app", "latest", "sha256:aa"),
        found("app", "2", "sha256:bb"),
    ];
    assert!(
        !s.add_discovered(id, 0, "intruder", &imgs).await.unwrap(),
        "only the lease holder writes"
    );
    assert!(s.add_discovered(id, 0, "w2", &imgs).await.unwrap());
    s.finish_discovery(id, "w2", t0).await.unwrap();

    // A digest is claimed with all its tags: scanned once.
    let j1 = s.claim_image("w1", t0, 1_000).await.unwrap().unwrap();
    assert_eq!(j1.digest, "sha256:aa");
    assert_eq!(j1.tags.len(), 2);
    let j2 = s.claim_image("w2", t0, 1_000).await.unwrap().unwrap();
    assert_eq!(j2.digest, "sha256:bb");
    assert!(s.claim_image("w3", t0, 1_000).await.unwrap().is_none());
    // w1 dies: after its lease another worker takes the digest over, and the scan says it resumed.
    let j1b = s
        .claim_image("w3", t0 + 5_000, 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j1b.digest, "sha256:aa");
    assert!(
        !s.complete_image(&j1, "w1", "", t0 + 6_000).await.unwrap(),
        "the old claim is void"
    );
    assert!(s.complete_image(&j1b, "w3", "", t0 + 6_000).await.unwrap());
    assert_eq!(s.scan(id).await.unwrap().unwrap().resumed, 1);
    let p = s.spec_progress(id).await.unwrap();
    assert_eq!(
        (
            p[0].repos_done,
            p[0].repos_total,
            p[0].images_done,
            p[0].images_total
        ),
        (1, 1, 2, 3)
    );
    assert!(s
        .complete_image(&j2, "w2", "Failed to scan: boom", t0 + 7_000)
        .await
        .unwrap());
    let done = s.scan(id).await.unwrap().unwrap();
    assert_eq!((done.state.as_str(), done.active), ("done", false));
    assert_eq!(
        s.scan_errors(id, 10).await.unwrap(),
        ["Failed to scan: boom"]
    );

    // Stop: pending work is cancelled and the scan is inactive at once.
    let id2 = s
        .create_scan(&new_scan(REGULAR), t0)
        .await
        .unwrap()
        .unwrap();
    s.claim_discovery("w1", t0, 10_000).await.unwrap().unwrap();
    s.add_discovered(id2, 0, "w1", &imgs).await.unwrap();
    assert_eq!(s.stop_regular(t0).await.unwrap(), Some(id2));
    assert!(s.claim_image("w1", t0, 1_000).await.unwrap().is_none());
    assert!(
        !s.add_discovered(id2, 0, "w1", &imgs).await.unwrap(),
        "a stopped scan takes no more images"
    );
    s.close().await;
}

async fn results_listing(db: &TestDb) {
    let s = Store::open(&db.url).await.expect(db.backend);
    for (i, (digest, total)) in [("sha256:aa", 5), ("sha256:bb", 1)].into_iter().enumerate() {
        s.put_report(&ReportRow {
            digest: digest.into(),
            image_id: format!("sha256:cfg{i}"),
            scan_id: 1,
            scan_time: 10,
            counts: [0, 0, 0, 0, total],
            risk_score: total,
            report: vec![1, 2, 3],
        })
        .await
        .unwrap();
    }
    for (repo, tag, digest) in [
        ("b/app", "1", "sha256:aa"),
        ("a/app", "1", "sha256:bb"),
        ("a/app", "2", "sha256:aa"),
    ] {
        let name = format!("r.example/{repo}:{tag}");
        s.upsert_image(&ImageRow {
            registry: "r.example".into(),
            repo: repo.into(),
            tag: tag.into(),
            name,
            digest: digest.into(),
            index_digest: String::new(),
            on_demand: false,
            scan_id: 1,
            scan_time: 10,
            first_scan_time: 10,
        })
        .await
        .unwrap();
    }
    let all = ImageFilter::default();
    let (n, rows) = s
        .list_images(&all, SortKey::Name, false, 0, 50)
        .await
        .unwrap();
    assert_eq!(n, 3);
    let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "r.example/a/app:1",
            "r.example/a/app:2",
            "r.example/b/app:1"
        ]
    );
    let (n, rows) = s
        .list_images(&all, SortKey::Vulnerabilities, true, 1, 1)
        .await
        .unwrap();
    assert_eq!(
        (n, rows.len()),
        (3, 1),
        "total is the whole set, the page is one"
    );
    assert_eq!(rows[0].digest, "sha256:aa");
    let f = ImageFilter {
        repositories: vec!["a/app".into()],
        search: Some("APP:2".into()),
        ..Default::default()
    };
    let (n, rows) = s
        .list_images(&f, SortKey::Name, false, 0, 50)
        .await
        .unwrap();
    assert_eq!((n, rows[0].tag.as_str()), (1, "2"), "{}", db.backend);
    let f = ImageFilter {
        ids: vec!["sha256:cfg0".into()],
        ..Default::default()
    };
    assert_eq!(
        s.list_images(&f, SortKey::Name, false, 0, 50)
            .await
            .unwrap()
            .0,
        2
    );
    assert_eq!(
        s.tags_of("r.example", "a/app", "sha256:aa").await.unwrap(),
        ["2"]
    );
    // Layer cache: first writer wins.
    s.put_layer("v3/sha256:l", b"one", 1).await.unwrap();
    s.put_layer("v3/sha256:l", b"two", 2).await.unwrap();
    assert_eq!(s.layer("v3/sha256:l").await.unwrap().unwrap(), b"one");
    s.close().await;
}

#[tokio::test]
async fn sqlite_jobs_and_results() {
    let db = TestDb::sqlite();
    jobs_lifecycle(&db).await;
    let db = TestDb::sqlite();
    results_listing(&db).await;
}

#[tokio::test]
async fn postgres_jobs_and_results() {
    let db = TestDb::postgres()
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (trust auth) is needed");
    jobs_lifecycle(&db).await;
    let db2 = TestDb::postgres().await.unwrap();
    results_listing(&db2).await;
}

//! The API in process, on SQLite and on PostgreSQL, with a clock the test moves.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use drydock_server::{build_state, AppState, Config, ManualClock};
use drydock_store::testing::TestDb;
use drydock_store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

const USER: &str = "admin";
const PASS: &str = "s3cret-Pass";

async fn state(db: &TestDb, clock: &ManualClock, ttl_minutes: u64) -> AppState {
    let store = Store::open(&db.url).await.expect(db.backend);
    let config = Config {
        token_ttl: Duration::from_secs(ttl_minutes * 60),
        scan_interval: None,
        ..Default::default()
    };
    build_state(
        store,
        Arc::new(clock.clone()),
        config,
        [7u8; 32],
        Some((USER.into(), PASS.into())),
    )
    .await
    .unwrap()
}

async fn call(
    st: &AppState,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap();
    let resp = drydock_server::app::<Body>(st.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn token(st: &AppState) -> String {
    let (s, v) = call(
        st,
        "POST",
        "/api/v1/authenticate",
        None,
        Some(json!({"username": USER, "password": PASS})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    format!("Bearer {}", v["token"].as_str().unwrap())
}

async fn token_expiry(db: &TestDb) {
    let clock = ManualClock::at(1_800_000_000_000);
    let st = state(db, &clock, 30).await;
    let t = token(&st).await;
    let get = |auth: String| {
        let st = st.clone();
        async move {
            call(&st, "GET", "/api/v1/settings/registry", Some(&auth), None)
                .await
                .0
        }
    };
    assert_eq!(get(t.clone()).await, StatusCode::OK);
    clock.advance(29 * 60_000);
    assert_eq!(
        get(t.clone()).await,
        StatusCode::OK,
        "valid for 30 minutes ({})",
        db.backend
    );
    clock.advance(61_000);
    assert_eq!(
        get(t.clone()).await,
        StatusCode::UNAUTHORIZED,
        "expired after 30 minutes ({})",
        db.backend
    );
    assert_eq!(
        get(token(&st).await).await,
        StatusCode::OK,
        "a new login works"
    );
    // Basic auth on every call, no token needed.
    let basic = format!("Basic {}", base64_encode(&format!("{USER}:{PASS}")));
    assert_eq!(get(basic).await, StatusCode::OK);
    let wrong = format!("Basic {}", base64_encode(&format!("{USER}:nope")));
    assert_eq!(get(wrong).await, StatusCode::UNAUTHORIZED);

    // A configurable lifetime.
    let st5 = state(db, &clock, 5).await;
    let t5 = token(&st5).await;
    clock.advance(5 * 60_000 + 1);
    assert_eq!(
        call(&st5, "GET", "/api/v1/statuses/registry", Some(&t5), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    st.store.close().await;
    st5.store.close().await;
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn credentials_and_settings(db: &TestDb) {
    let clock = ManualClock::at(1_800_000_000_000);
    let st = state(db, &clock, 30).await;
    let t = token(&st).await;
    let cred = json!({"_id": "reg", "type": "basic", "accountID": "bob", "secret": {"plain": "hunter2-secret"}});
    assert_eq!(
        call(&st, "POST", "/api/v1/credentials", Some(&t), Some(cred))
            .await
            .0,
        StatusCode::OK
    );
    let (s, list) = call(&st, "GET", "/api/v34.04/credentials", Some(&t), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !list.to_string().contains("hunter2"),
        "plain secret never returned: {list}"
    );
    assert!(!list[0]["secret"]["encrypted"].as_str().unwrap().is_empty());
    let row = st.store.credential("reg").await.unwrap().unwrap();
    assert!(!row.doc.contains("hunter2"));
    assert_eq!(
        st.secrets
            .open(row.sealed_secret.as_deref().unwrap())
            .as_deref(),
        Some("hunter2-secret")
    );
    // Bad input is a 400 with a message, not a crash.
    for body in [
        json!({"type": "basic"}),
        json!({"_id": "x", "type": "carrier-pigeon"}),
        json!([1, 2]),
    ] {
        assert_eq!(
            call(&st, "POST", "/api/v1/credentials", Some(&t), Some(body))
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
    }
    let spec = json!({"specifications": [{"registry": "r.example", "repository": "x/*", "credentialID": "missing"}]});
    assert_eq!(
        call(
            &st,
            "PUT",
            "/api/v1/settings/registry?scanLater=true",
            Some(&t),
            Some(spec)
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let spec = json!({"specifications": [{"registry": "r.example", "repository": "x/*", "credentialID": "reg", "hostname": ""}]});
    assert_eq!(
        call(
            &st,
            "PUT",
            "/api/v1/settings/registry?scanLater=true",
            Some(&t),
            Some(spec)
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, settings) = call(&st, "GET", "/api/v1/settings/registry", Some(&t), None).await;
    let saved = &settings["specifications"][0];
    assert!(
        !saved["id"].as_str().unwrap().is_empty(),
        "an id is assigned"
    );
    assert_eq!(saved["version"], "2");
    assert_eq!(
        call(&st, "DELETE", "/api/v1/credentials/reg", Some(&t), None)
            .await
            .0,
        StatusCode::BAD_REQUEST,
        "in use"
    );
    let (_, usages) = call(&st, "GET", "/api/v1/credentials/reg/usages", Some(&t), None).await;
    assert_eq!(usages[0]["type"], "Registry Scan");
    assert_eq!(
        call(
            &st,
            "POST",
            "/api/v1/settings/registry?scanLater=true",
            Some(&t),
            Some(json!({"registry": "two.example"}))
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, settings) = call(&st, "GET", "/api/v1/settings/registry", Some(&t), None).await;
    assert_eq!(
        settings["specifications"].as_array().unwrap().len(),
        2,
        "POST appends"
    );
    assert_eq!(
        call(&st, "PUT", "/api/v1/settings/registry", Some(&t), None)
            .await
            .0,
        StatusCode::OK
    );
    let (_, settings) = call(&st, "GET", "/api/v1/settings/registry", Some(&t), None).await;
    assert_eq!(settings["specifications"], json!([]), "an empty PUT erases");
    assert_eq!(
        call(&st, "DELETE", "/api/v1/credentials/reg", Some(&t), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &st,
            "POST",
            "/api/v1/registry/scan",
            Some(&t),
            Some(json!({}))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST,
        "nothing to scan"
    );
    st.store.close().await;
}

#[tokio::test]
async fn sqlite_tokens_expire_on_the_injected_clock() {
    token_expiry(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_tokens_expire_on_the_injected_clock() {
    token_expiry(
        &TestDb::postgres()
            .await
            .expect("PostgreSQL on 127.0.0.1:5432"),
    )
    .await;
}

#[tokio::test]
async fn sqlite_credentials_stay_secret_and_settings_persist() {
    credentials_and_settings(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_credentials_stay_secret_and_settings_persist() {
    credentials_and_settings(
        &TestDb::postgres()
            .await
            .expect("PostgreSQL on 127.0.0.1:5432"),
    )
    .await;
}

#[tokio::test]
async fn openapi_document_is_served_without_auth_and_lists_the_registry_api() {
    let db = TestDb::sqlite();
    let st = state(&db, &ManualClock::at(1), 30).await;
    let (s, doc) = call(&st, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/api/v1/registry",
        "/api/v1/registry/progress",
        "/api/v1/registry/scan",
        "/api/v1/settings/registry",
        "/api/v1/authenticate",
    ] {
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]
        .get("ImageScanResult")
        .is_some());
    assert_eq!(
        call(&st, "GET", "/api/v1/_ping", None, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&st, "GET", "/api/v1/nothing", None, None).await.0,
        StatusCode::NOT_FOUND
    );
}

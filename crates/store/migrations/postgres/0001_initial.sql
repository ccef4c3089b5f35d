-- drydock service schema (PostgreSQL). Times are Unix milliseconds; flags are 0/1.
-- Keep in step with ../sqlite/0001_initial.sql: the store issues the same SQL to both.

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
);

CREATE TABLE credentials (
    id          TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    secret      BYTEA,
    created_at  BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);

CREATE TABLE scans (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    active        BIGINT NOT NULL,
    registry      TEXT NOT NULL DEFAULT '',
    repo          TEXT NOT NULL DEFAULT '',
    tag           TEXT NOT NULL DEFAULT '',
    digest        TEXT NOT NULL DEFAULT '',
    specs         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT NOT NULL DEFAULT 0,
    finished_at   BIGINT NOT NULL DEFAULT 0,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   BIGINT NOT NULL DEFAULT 0,
    resumed       BIGINT NOT NULL DEFAULT 0,
    progress_read BIGINT NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT ''
);
-- At most one regular scan runs at a time, whichever process asks.
CREATE UNIQUE INDEX scans_one_regular ON scans (kind) WHERE active = 1 AND kind = 'regular';
CREATE INDEX scans_active ON scans (active, state);

CREATE TABLE scan_specs (
    scan_id     BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    spec_id     TEXT NOT NULL,
    registry    TEXT NOT NULL,
    repos_total BIGINT NOT NULL DEFAULT 0,
    repos_done  BIGINT NOT NULL DEFAULT 0,
    stopped     BIGINT NOT NULL DEFAULT 0,
    started_at  BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scan_id, idx)
);

CREATE TABLE scan_images (
    id          BIGSERIAL PRIMARY KEY,
    scan_id     BIGINT NOT NULL,
    spec_idx    BIGINT NOT NULL,
    registry    TEXT NOT NULL,
    repo        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    digest      TEXT NOT NULL,
    index_digest TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (scan_id, registry, repo, tag)
);
CREATE INDEX scan_images_state ON scan_images (scan_id, state, digest);

CREATE TABLE reports (
    digest     TEXT PRIMARY KEY,
    image_id   TEXT NOT NULL,
    scan_id    BIGINT NOT NULL,
    scan_time  BIGINT NOT NULL,
    critical   BIGINT NOT NULL,
    high       BIGINT NOT NULL,
    medium     BIGINT NOT NULL,
    low        BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    risk_score BIGINT NOT NULL,
    report     BYTEA NOT NULL
);

CREATE TABLE images (
    registry        TEXT NOT NULL,
    repo            TEXT NOT NULL,
    tag             TEXT NOT NULL,
    name            TEXT NOT NULL,
    digest          TEXT NOT NULL,
    index_digest    TEXT NOT NULL DEFAULT '',
    on_demand       BIGINT NOT NULL DEFAULT 0,
    scan_id         BIGINT NOT NULL,
    scan_time       BIGINT NOT NULL,
    first_scan_time BIGINT NOT NULL,
    PRIMARY KEY (registry, repo, tag)
);
CREATE INDEX images_digest ON images (digest);
CREATE INDEX images_name ON images (name);

CREATE TABLE layer_cache (
    digest     TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE workers (
    id       TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    seen_at  BIGINT NOT NULL
);

//! HTTP tests: the real router on a random port, a fresh database per test.
//! They run on SQLite by default, and on PostgreSQL as well when
//! `LYCEUM_TEST_POSTGRES_URL` is set (each test gets its own database,
//! dropped afterwards). One test binary, so the link step happens once.

mod auth;
mod breaches;
mod consents;
mod erasure;
mod export;
mod helpers;
mod jobs;
mod learning;
mod ledger;
mod library;
mod network;
mod notice;
mod oidc;
mod ops;
mod pages;
mod password_reset;
mod privacy;
mod providers;
mod robustness;

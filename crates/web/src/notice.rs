//! The privacy notice's versions and the privacy changelog.
//!
//! What the notice says is reduced to lines ([`snapshot`]): every personal
//! field of the data map with its purpose, basis, retention and erasure;
//! every recipient in effect; the retention settings. When those lines
//! change, a new version is recorded. A recipient the operator adds with a
//! future `from` date is announced before it takes effect: on the
//! changelog, on the notice, and in a banner on every page for people who
//! are signed in, and the ledger refuses to send it anything until then.
//! A retention change announced ahead (`[retention.upcoming]`) is shown
//! the same way, and the scrubber applies it only from its date.

use crate::AppState;
use crate::error::{AppError, PageError};
use crate::pages::{Layout, erase_words, page, retention_words};
use crate::session::Ctx;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use lyceum_store::notice::{NoticeSnapshot, NoticeVersion};

/// What the notice says at `now`, line by line.
pub fn snapshot(state: &AppState, now: DateTime<Utc>) -> NoticeSnapshot {
    let retention = state.retention.at(now);
    let days = retention.closed_account_days;
    let mut fields: Vec<String> = lyceum_store::datamap::registry()
        .flat_map(|t| {
            t.personal_fields().map(move |(column, f)| {
                format!(
                    "{} — {}; {}; kept: {}; on erasure: {}",
                    crate::pages::field_words(t.about, column),
                    f.purpose,
                    f.basis.label(),
                    retention_words(retention.effective(t.table, &f), days),
                    erase_words(f.erase)
                )
            })
        })
        .collect();
    fields.sort();
    let mut recipients: Vec<String> = state
        .recipients
        .iter()
        .filter(|r| r.is_in_effect(now))
        .map(|r| format!("{} ({}): {}", r.name, r.country, r.purpose))
        .collect();
    recipients.sort();
    NoticeSnapshot {
        fields,
        recipients,
        retention: std::iter::once(format!("Closed accounts are erased within {days} days"))
            .chain(
                lyceum_store::retention::AGED
                    .iter()
                    .filter_map(|(category, _, _)| {
                        let d = retention.days_for(*category)?;
                        Some(format!(
                            "{}: deleted {d} days after it was written",
                            category.label()
                        ))
                    }),
            )
            .collect(),
    }
}

/// Changes announced but not yet in effect: (date, what).
pub fn upcoming(state: &AppState, now: DateTime<Utc>) -> Vec<(String, String)> {
    let mut out: Vec<(DateTime<Utc>, String)> = state
        .recipients
        .iter()
        .filter_map(|r| {
            let from = r.from.filter(|f| *f > now)?;
            Some((
                from,
                format!(
                    "{} ({}) will receive personal data: {}. Until then nothing is sent to them",
                    r.name, r.country, r.purpose
                ),
            ))
        })
        .collect();
    if let Some((from, lines)) = state.retention.announced(now) {
        out.extend(
            lines
                .into_iter()
                .map(|line| (from, format!("{line}. Until then the current rule applies"))),
        );
    }
    out.sort();
    out.into_iter()
        .map(|(d, what)| (d.format("%-d %B %Y").to_string(), what))
        .collect()
}

/// The earliest announced change, for the banner.
pub fn next_change(state: &AppState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    state
        .recipients
        .iter()
        .filter_map(|r| r.from.filter(|f| *f > now))
        .chain(state.retention.announced(now).map(|(from, _)| from))
        .min()
}

/// The version for what the notice says now (recorded if new).
pub async fn current(state: &AppState) -> Result<NoticeVersion, AppError> {
    let now = state.store.clock.now();
    Ok(state.store.publish_notice(&snapshot(state, now)).await?)
}

struct VersionView {
    version: i32,
    since: String,
    added: Vec<String>,
    removed: Vec<String>,
}

#[derive(Template)]
#[template(path = "privacy_changes.html")]
struct ChangesPage {
    layout: Layout,
    upcoming: Vec<(String, String)>,
    versions: Vec<VersionView>,
}

fn lines(s: &NoticeSnapshot) -> Vec<&String> {
    s.retention
        .iter()
        .chain(s.recipients.iter())
        .chain(s.fields.iter())
        .collect()
}

/// `/privacy/changes`: announced changes, then every version with what it
/// added and removed.
pub async fn changes(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    current(&state).await?;
    let versions = state.store.notice_versions().await?;
    let mut views = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let now_lines = lines(&v.snapshot);
        let (added, removed) = match versions.get(i + 1) {
            Some(prev) => {
                let before = lines(&prev.snapshot);
                (
                    now_lines
                        .iter()
                        .filter(|l| !before.contains(l))
                        .map(|l| (*l).clone())
                        .collect(),
                    before
                        .iter()
                        .filter(|l| !now_lines.contains(l))
                        .map(|l| (*l).clone())
                        .collect(),
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        views.push(VersionView {
            version: v.version,
            since: v.published_at.format("%-d %B %Y %H:%M UTC").to_string(),
            added,
            removed,
        });
    }
    Ok(page(
        StatusCode::OK,
        &ChangesPage {
            layout: Layout::new("Privacy changelog", &ctx, "privacy"),
            upcoming: upcoming(&state, state.store.clock.now()),
            versions: views,
        },
    ))
}

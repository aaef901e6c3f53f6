//! The export archive (GDPR Art. 15 and 20): machine-readable JSON and an
//! `index.html` a person can read offline, built from what
//! [`lyceum_store::export::collect`] finds through the data map.

use crate::AppState;
use crate::error::AppError;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::Category;
use lyceum_store::accounts::Member;
use lyceum_store::guests::Guest;
use lyceum_store::learning::Learner;
use lyceum_store::libraries::Library;
use lyceum_store::network::ExportedConnection;
use lyceum_store::zip::ZipWriter;
use serde_json::{Value, json};

struct TableView {
    table: &'static str,
    about: &'static str,
    rows: Vec<Vec<(String, String, &'static str)>>,
}

#[derive(Template)]
#[template(path = "export_index.html")]
struct IndexPage {
    generated: String,
    tables: Vec<TableView>,
    connections: usize,
    consents: Vec<(String, &'static str, &'static str, &'static str)>,
    disclosures: Vec<(String, String, String, String)>,
    /// Course suggestions from the person's learning: title and reason.
    /// Empty when they did not turn personalised recommendations on.
    inferences: Vec<(String, String)>,
    personalised: bool,
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(empty)".into(),
        Value::Object(o) if o.contains_key("file") => {
            format!("the file {}", o["file"].as_str().unwrap_or_default())
        }
        other => other.to_string(),
    }
}

/// Whose archive it is.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// A member account.
    Member(&'a Member),
    /// A guest learner and their library.
    Guest(&'a Guest, &'a Library),
}

/// Builds the archive for a member or a guest learner.
///
/// `base` is the instance's address, for the profile links in
/// `connections.csv`.
pub async fn archive(state: &AppState, owner: Owner<'_>, base: &str) -> Result<Vec<u8>, AppError> {
    let now = state.store.clock.now();
    let (subject, account) = match owner {
        Owner::Member(member) => (
            SubjectId::from(member.id),
            json!({
                "id": member.id.0,
                "email": member.email.as_str(),
                "display_name": member.display_name.as_str(),
                "role": member.role.as_str(),
                "created_at": member.created_at,
                "exported_at": now,
            }),
        ),
        Owner::Guest(guest, library) => (
            SubjectId::from(guest.id),
            json!({
                "guest_learner_id": guest.id.0,
                "library": library.name,
                "first_signed_in_at": guest.created_at,
                "last_signed_in_at": guest.last_seen_at,
                "kept_until_unless_you_return": guest.kept_until(library),
                "not_kept": ["your library card number", "your PIN", "your name", "your email address"],
                "exported_at": now,
            }),
        ),
    };
    let tables = lyceum_store::export::collect(&state.store, subject).await?;
    let consents = state.store.consents().history(subject).await?;

    let mut zip = ZipWriter::new();
    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    zip.add("account.json", &pretty(&account));
    let mut views = Vec::new();
    for t in &tables {
        let fields: serde_json::Map<String, Value> = t
            .decl
            .personal_fields()
            .map(|(name, f)| {
                (
                    name.trim_end_matches("_ciphertext").to_owned(),
                    serde_json::to_value(f).unwrap_or(Value::Null),
                )
            })
            .collect();
        let doc = json!({ "table": t.decl.table, "about": t.decl.about, "fields": fields, "rows": t.rows });
        zip.add(&format!("data/{}.json", t.decl.table), &pretty(&doc));
        for (name, bytes) in &t.files {
            zip.add(name, bytes);
        }
        let purpose_of = |col: &str| {
            t.decl
                .personal_fields()
                .find(|(n, _)| n.trim_end_matches("_ciphertext") == col)
                .map(|(_, f)| f.purpose)
                .unwrap_or("Links the record to you")
        };
        views.push(TableView {
            table: t.decl.table,
            about: t.decl.about,
            rows: t
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|(k, v)| (k.replace('_', " "), shown(v), purpose_of(k)))
                        .collect()
                })
                .collect(),
        });
    }
    // The same rows again, one file per category of data (identity,
    // contact, learning…): each record keeps only that category's fields.
    for category in Category::ALL {
        let records: Vec<Value> = tables
            .iter()
            .filter_map(|t| {
                let fields: Vec<&str> = t
                    .decl
                    .personal_fields()
                    .filter(|(_, f)| f.category == category)
                    .map(|(n, _)| n.trim_end_matches("_ciphertext"))
                    .collect();
                if fields.is_empty() {
                    return None;
                }
                let rows: Vec<serde_json::Map<String, Value>> = t
                    .rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .filter(|(k, _)| fields.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .collect();
                Some(json!({"table": t.decl.table, "about": t.decl.about, "rows": rows}))
            })
            .collect();
        if !records.is_empty() {
            let doc =
                json!({"category": category.key(), "label": category.label(), "records": records});
            zip.add(
                &format!("categories/{}.json", category.key()),
                &pretty(&doc),
            );
        }
    }
    let consent_json: Vec<Value> = consents
        .iter()
        .map(|c| json!({"purpose": c.purpose.key(), "granted": c.granted, "wording_version": c.wording_version, "wording": c.purpose.wording(), "at": c.at}))
        .collect();
    zip.add("consents.json", &pretty(&Value::Array(consent_json)));
    let connections = match owner {
        Owner::Member(member) => state.store.network().connections_export(member.id).await?,
        Owner::Guest(..) => Vec::new(),
    };
    if !connections.is_empty() {
        zip.add("connections.csv", &connections_csv(&connections, base));
    }
    // What the service infers from the person's data: today, the course
    // suggestions and their reasons, computed only with their consent.
    let learner = match owner {
        Owner::Member(member) => crate::learning_pages::member_learner(state, member.id).await?,
        Owner::Guest(_, library) => Learner::new(subject, Some(library.id)),
    };
    let learning = state.store.learning();
    let allowed = learning.allowed_providers(Some(&learner)).await?;
    let suggestions = learning
        .recommendations(Some(&learner), 10, allowed.as_deref())
        .await?;
    let inferences: Vec<Value> = if suggestions.personalised {
        suggestions
            .items
            .iter()
            .map(|r| json!({"course": r.card.slug, "title": r.card.title, "reason": r.reason, "reason_text": r.reason.text()}))
            .collect()
    } else {
        Vec::new()
    };
    zip.add(
        "inferences.json",
        &pretty(&json!({
            "about": "What Lyceum infers from your data. Course suggestions are computed from your own learning only while you turn on personalised recommendations, and are not stored: this is what they were when you downloaded this file.",
            "personalised_recommendations": suggestions.personalised,
            "course_suggestions": inferences,
        })),
    );
    let ledger = crate::api::disclosures(state, subject).await?;
    zip.add(
        "recipients.json",
        &pretty(&serde_json::to_value(&ledger).unwrap_or(Value::Null)),
    );
    let index = IndexPage {
        disclosures: ledger
            .iter()
            .map(|d| {
                (
                    d.at.format("%-d %B %Y %H:%M UTC").to_string(),
                    d.recipient_name.clone(),
                    d.purpose.clone(),
                    d.categories.join(", "),
                )
            })
            .collect(),
        generated: now.format("%-d %B %Y at %H:%M UTC").to_string(),
        tables: views,
        connections: connections.len(),
        personalised: suggestions.personalised,
        inferences: if suggestions.personalised {
            suggestions
                .items
                .iter()
                .map(|r| (r.card.title.clone(), r.reason.text()))
                .collect()
        } else {
            Vec::new()
        },
        consents: consents
            .iter()
            .map(|c| {
                (
                    c.at.format("%-d %B %Y %H:%M UTC").to_string(),
                    c.purpose.title(),
                    if c.granted { "On" } else { "Off" },
                    c.purpose.wording(),
                )
            })
            .collect(),
    };
    let html = index
        .render()
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    zip.add("index.html", html.as_bytes());
    Ok(zip.finish())
}

/// A member's connections as CSV, the format people open in a spreadsheet.
/// The email column is empty for everyone who did not allow connections to
/// download their address (invariant 11). Cells that a spreadsheet would
/// run as a formula are prefixed with an apostrophe.
pub fn connections_csv(connections: &[ExportedConnection], base: &str) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cell = |s: &str| -> String {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_owned()
        }
    };
    // Writing to memory cannot fail; a row that somehow does is left out
    // rather than ending the download.
    let _ = w.write_record([
        "Name",
        "Handle",
        "Profile",
        "Headline",
        "Email address",
        "Connected on",
    ]);
    for c in connections {
        let _ = w.write_record([
            cell(&c.name),
            c.handle.clone(),
            format!("{base}/people/{}", c.handle),
            cell(c.headline.as_deref().unwrap_or("")),
            c.email.clone().unwrap_or_default(),
            c.connected_at.format("%Y-%m-%d").to_string(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// The signed-in member's connections as a CSV download (the page and
/// the API answer the same).
pub async fn connections_response(
    state: &AppState,
    member: lyceum_core::domain::MemberId,
    headers: &axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let list = state.store.network().connections_export(member).await?;
    Ok(attachment(
        connections_csv(&list, &state.base_url(headers)),
        "text/csv; charset=utf-8",
        "lyceum-connections",
        "csv",
        state.store.clock.now(),
    ))
}

/// The archive as a download that no cache keeps.
pub fn download(bytes: Vec<u8>, now: chrono::DateTime<chrono::Utc>) -> Response {
    attachment(bytes, "application/zip", "lyceum-export", "zip", now)
}

/// A file to save, dated, that no cache keeps.
fn attachment(
    bytes: Vec<u8>,
    content_type: &'static str,
    name: &str,
    extension: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!(
        "attachment; filename=\"{name}-{}.{extension}\"",
        now.format("%Y-%m-%d")
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

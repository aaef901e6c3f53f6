//! The export archive (GDPR Art. 15 and 20): machine-readable JSON and an
//! `index.html` a person can read offline, built from what
//! [`lyceum_store::export`] finds through the data map.
//!
//! The archive streams: the response starts with the first file while the
//! rest is still being read, one table at a time, and the bytes go out in
//! pieces of about 64 KiB, so a person with hundreds of thousands of rows
//! gets their download at once and the server holds only a piece of it.
//! Each table is read once for `data/`, again for each kind of data it
//! holds (`categories/`), and, when it has more rows than `index.html`
//! shows, once more for its pages (`pages/`).

use crate::AppState;
use crate::error::AppError;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::{Category, TableDecl};
use lyceum_store::accounts::Member;
use lyceum_store::export::{Export, ExportRow, FileRef};
use lyceum_store::guests::Guest;
use lyceum_store::learning::Learner;
use lyceum_store::libraries::Library;
use lyceum_store::network::ExportedConnection;
use lyceum_store::zip::ZipWriter;
use lyceum_store::{Store, StoreError};
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;

/// Records of a table shown in `index.html` itself; a table with more gets
/// pages of its own.
const SHOWN_IN_INDEX: usize = 50;
/// Records per page in `pages/`.
const PER_PAGE: usize = 500;
/// Bytes gathered before they are sent.
const PIECE: usize = 64 * 1024;
/// How long a download may stall before it is given up (the rows being
/// read hold a database connection meanwhile).
const STALL: Duration = Duration::from_secs(60);

/// Archives reading the database at once, on this node. Each holds a
/// connection while its download is slow, so a few people downloading on
/// slow lines (or someone opening many downloads) cannot take the pool
/// from everyone else; the others start at once with `account.json` and
/// wait their turn for the rest.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// One record as the pages show it: field, value, why we hold it.
type RecordView = Vec<(String, String, &'static str)>;

struct TableView {
    table: &'static str,
    about: &'static str,
    count: usize,
    rows: Vec<RecordView>,
    pages: Vec<usize>,
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

/// One page of a long table's records, beside `index.html`: one row per
/// record, with what each field is and why we hold it said once above.
#[derive(Template)]
#[template(path = "export_page.html")]
struct RecordsPage<'a> {
    about: &'static str,
    table: &'static str,
    first: usize,
    last: usize,
    count: usize,
    page: usize,
    pages: usize,
    /// Field names and why we hold each.
    columns: &'a [(String, &'static str)],
    rows: &'a [Vec<String>],
}

fn purpose_of(decl: &TableDecl, col: &str) -> &'static str {
    decl.personal_fields()
        .find(|(n, _)| n.trim_end_matches("_ciphertext") == col)
        .map(|(_, f)| f.purpose)
        .unwrap_or("Links the record to you")
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

fn record_view(decl: &TableDecl, row: &ExportRow) -> RecordView {
    row.values
        .iter()
        .map(|(k, v)| (k.replace('_', " "), shown(v), purpose_of(decl, k)))
        .collect()
}

/// Whose archive it is.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// A member account.
    Member(&'a Member),
    /// A guest learner and their library.
    Guest(&'a Guest, &'a Library),
}

/// The small parts of the archive, gathered before it starts.
struct Parts {
    subject: SubjectId,
    account: Value,
    consents: Value,
    connections_csv: Option<Vec<u8>>,
    inferences: Value,
    recipients: Value,
    index: IndexPage,
}

/// Why an archive stopped part way.
#[derive(Debug, thiserror::Error)]
enum Stopped {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the archive: {0}")]
    Zip(#[from] std::io::Error),
    #[error("writing the archive: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rendering a page: {0}")]
    Page(#[from] askama::Error),
    #[error("the download was closed")]
    Gone,
    #[error("the download stalled for {0:?}")]
    Stalled(Duration),
}

/// The archive being written, and where its bytes go.
struct Sink {
    zip: ZipWriter,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Sink {
    /// Sends what has been written once there is a piece's worth (or at
    /// once with `now`), waiting while the person's download catches up.
    async fn send(&mut self, now: bool) -> Result<(), Stopped> {
        if self.zip.pending() == 0 || (!now && self.zip.pending() < PIECE) {
            return Ok(());
        }
        let piece = Bytes::from(self.zip.take());
        self.piece(piece).await
    }

    async fn piece(&self, piece: Bytes) -> Result<(), Stopped> {
        match tokio::time::timeout(STALL, self.tx.send(Ok(piece))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stopped::Gone),
            Err(_) => Err(Stopped::Stalled(STALL)),
        }
    }

    fn json(&mut self, name: &str, v: &Value) -> Result<(), Stopped> {
        self.zip.start(name)?;
        serde_json::to_writer_pretty(&mut self.zip, v)?;
        Ok(self.zip.end()?)
    }
}

/// The archive for a member or a guest learner, as a download that starts
/// at once and streams.
///
/// `base` is the instance's address, for the profile links in
/// `connections.csv`.
pub async fn archive(state: &AppState, owner: Owner<'_>, base: &str) -> Result<Response, AppError> {
    let now = state.store.clock.now();
    let parts = parts(state, owner, base).await?;
    let (tx, rx) = mpsc::channel(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut sink = Sink {
            zip: ZipWriter::new(),
            tx,
        };
        match write(&store, parts, &mut sink).await {
            Ok(()) | Err(Stopped::Gone) => {}
            Err(e) => {
                tracing::warn!(error = %e, "an export stopped part way");
                // The download ends in an error instead of looking complete.
                let _ = sink
                    .tx
                    .send(Err(std::io::Error::other(e.to_string())))
                    .await;
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    }));
    Ok(attachment(
        body,
        "application/zip",
        "lyceum-export",
        "zip",
        now,
    ))
}

/// Everything but the tables: the account, choices, connections,
/// inferences and the recipients ledger (all small), and the index page
/// the tables are added to.
async fn parts(state: &AppState, owner: Owner<'_>, base: &str) -> Result<Parts, AppError> {
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
    let consents = state.store.consents().history(subject).await?;
    let consent_json: Vec<Value> = consents
        .iter()
        .map(|c| json!({"purpose": c.purpose.key(), "granted": c.granted, "wording_version": c.wording_version, "wording": c.purpose.wording(), "at": c.at}))
        .collect();
    let connections = match owner {
        Owner::Member(member) => state.store.network().connections_export(member.id).await?,
        Owner::Guest(..) => Vec::new(),
    };
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
    let ledger = crate::api::disclosures(state, subject).await?;
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
        tables: Vec::new(),
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
    Ok(Parts {
        subject,
        account,
        consents: Value::Array(consent_json),
        connections_csv: (!connections.is_empty()).then(|| connections_csv(&connections, base)),
        inferences: json!({
            "about": "What Lyceum infers from your data. Course suggestions are computed from your own learning only while you turn on personalised recommendations, and are not stored: this is what they were when you downloaded this file.",
            "personalised_recommendations": suggestions.personalised,
            "course_suggestions": inferences,
        }),
        recipients: serde_json::to_value(&ledger).unwrap_or(Value::Null),
        index,
    })
}

/// Writes the archive: the account first (so the download starts at once),
/// then every table about the person, their files, and the small parts.
async fn write(store: &Store, mut parts: Parts, sink: &mut Sink) -> Result<(), Stopped> {
    sink.json("account.json", &parts.account)?;
    sink.send(true).await?;
    let _turn = READING
        .acquire()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let export = Export::new(store, parts.subject).await;
    let mut held = Vec::new();
    let mut files = Vec::new();
    for decl in lyceum_store::export::tables() {
        if let Some(view) = table(&export, decl, sink, &mut files).await? {
            held.push(decl);
            parts.index.tables.push(view);
        }
    }
    for category in Category::ALL {
        by_category(&export, category, &held, sink).await?;
    }
    for f in files {
        if let Some(bytes) = export.file(&f).await? {
            sink.zip.add(&f.name, &bytes)?;
            sink.send(false).await?;
        }
    }
    sink.json("consents.json", &parts.consents)?;
    if let Some(csv) = &parts.connections_csv {
        sink.zip.add("connections.csv", csv)?;
    }
    sink.json("inferences.json", &parts.inferences)?;
    sink.json("recipients.json", &parts.recipients)?;
    sink.zip
        .add("index.html", parts.index.render()?.as_bytes())?;
    let rest = std::mem::take(&mut sink.zip).finish()?;
    sink.piece(Bytes::from(rest)).await
}

/// Writes `data/{table}.json` with every row of the table about the person
/// (and, for a long table, its pages); returns what `index.html` shows of
/// it, or `None` when it holds nothing about them. Pictures the rows name
/// are added to `files`.
async fn table(
    export: &Export<'_>,
    decl: &'static TableDecl,
    sink: &mut Sink,
    files: &mut Vec<FileRef>,
) -> Result<Option<TableView>, Stopped> {
    let mut rows = export.rows(decl).await?;
    let mut view = TableView {
        table: decl.table,
        about: decl.about,
        count: 0,
        rows: Vec::new(),
        pages: Vec::new(),
    };
    while let Some(row) = rows.next().await {
        let row = row?;
        if view.count == 0 {
            let fields: serde_json::Map<String, Value> = decl
                .personal_fields()
                .map(|(name, f)| {
                    (
                        name.trim_end_matches("_ciphertext").to_owned(),
                        serde_json::to_value(f).unwrap_or(Value::Null),
                    )
                })
                .collect();
            sink.zip.start(&format!("data/{}.json", decl.table))?;
            write!(
                sink.zip,
                "{{\n\"table\": {},\n\"about\": {},\n\"fields\": {},\n\"rows\": [\n",
                json!(decl.table),
                json!(decl.about),
                serde_json::to_string_pretty(&fields)?
            )?;
        } else {
            sink.zip.write_all(b",\n")?;
        }
        serde_json::to_writer_pretty(&mut sink.zip, &row.values)?;
        if view.count < SHOWN_IN_INDEX {
            view.rows.push(record_view(decl, &row));
        }
        files.extend(row.files);
        view.count += 1;
        sink.send(false).await?;
    }
    drop(rows);
    if view.count == 0 {
        return Ok(None);
    }
    sink.zip.write_all(b"\n]\n}\n")?;
    sink.zip.end()?;
    if view.count > SHOWN_IN_INDEX {
        view.pages = (1..=view.count.div_ceil(PER_PAGE)).collect();
        pages(export, decl, view.count, sink).await?;
    }
    Ok(Some(view))
}

/// Writes `pages/{table}-{n}.html`, the table's records [`PER_PAGE`] at a time.
async fn pages(
    export: &Export<'_>,
    decl: &'static TableDecl,
    count: usize,
    sink: &mut Sink,
) -> Result<(), Stopped> {
    let pages = count.div_ceil(PER_PAGE);
    let mut rows = export.rows(decl).await?;
    let mut batch = Vec::with_capacity(PER_PAGE);
    let mut columns: Vec<(String, &'static str)> = Vec::new();
    let (mut page, mut first) = (1, 1);
    loop {
        let next = rows.next().await.transpose()?;
        if let Some(row) = &next {
            if columns.is_empty() {
                columns = row
                    .values
                    .keys()
                    .map(|k| (k.clone(), purpose_of(decl, k)))
                    .collect();
            }
            batch.push(
                columns
                    .iter()
                    .map(|(k, _)| row.values.get(k).map(shown).unwrap_or_default())
                    .collect(),
            );
        }
        // A row added since the count goes on the last page.
        let full = batch.len() == PER_PAGE && page < pages;
        if full || (next.is_none() && !batch.is_empty()) {
            let last = first + batch.len() - 1;
            let html = RecordsPage {
                about: decl.about,
                table: decl.table,
                first,
                last,
                count: count.max(last),
                page,
                pages,
                columns: &columns,
                rows: &batch,
            }
            .render()?;
            sink.zip.add(
                &format!("pages/{}-{page}.html", decl.table),
                html.as_bytes(),
            )?;
            sink.send(false).await?;
            first = last + 1;
            page += 1;
            batch.clear();
        }
        if next.is_none() {
            return Ok(());
        }
    }
}

/// Writes `categories/{category}.json`: the rows of every table with
/// fields of that kind, each keeping only those fields.
async fn by_category(
    export: &Export<'_>,
    category: Category,
    held: &[&'static TableDecl],
    sink: &mut Sink,
) -> Result<(), Stopped> {
    let mut started = false;
    for decl in held {
        let fields: Vec<&str> = decl
            .personal_fields()
            .filter(|(_, f)| f.category == category)
            .map(|(n, _)| n.trim_end_matches("_ciphertext"))
            .collect();
        if fields.is_empty() {
            continue;
        }
        let mut rows = export.rows(decl).await?;
        let mut first_row = true;
        while let Some(row) = rows.next().await {
            let row = row?;
            if !started {
                sink.zip
                    .start(&format!("categories/{}.json", category.key()))?;
                write!(
                    sink.zip,
                    "{{\n\"category\": {},\n\"label\": {},\n\"records\": [\n",
                    json!(category.key()),
                    json!(category.label())
                )?;
                started = true;
            } else if first_row {
                sink.zip.write_all(b",\n")?;
            }
            if first_row {
                write!(
                    sink.zip,
                    "{{\n\"table\": {},\n\"about\": {},\n\"rows\": [\n",
                    json!(decl.table),
                    json!(decl.about)
                )?;
                first_row = false;
            } else {
                sink.zip.write_all(b",\n")?;
            }
            let kept: serde_json::Map<String, Value> = row
                .values
                .into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect();
            serde_json::to_writer_pretty(&mut sink.zip, &kept)?;
            sink.send(false).await?;
        }
        if !first_row {
            sink.zip.write_all(b"\n]\n}")?;
        }
    }
    if started {
        sink.zip.write_all(b"\n]\n}\n")?;
        sink.zip.end()?;
    }
    Ok(())
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
        Body::from(connections_csv(&list, &state.base_url(headers))),
        "text/csv; charset=utf-8",
        "lyceum-connections",
        "csv",
        state.store.clock.now(),
    ))
}

/// A file to save, dated, that no cache keeps.
fn attachment(
    body: Body,
    content_type: &'static str,
    name: &str,
    extension: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
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

//! Export (GDPR Art. 15 and 20), driven by the data map: every row of every
//! table whose data map names a subject column, with each declared personal
//! field and the subject column, decrypted where it is encrypted. No
//! feature writes its own export code; a new table appears in exports as
//! soon as it declares its subject column.
//!
//! Binary values that are not encrypted fields (keyed hashes, password
//! hashes) are described, not copied: they mean nothing to a person and a
//! password hash is better kept out of a file that gets emailed around.
//!
//! Rows are read as a stream, one table at a time ([`Export::rows`]), so
//! an account with hundreds of thousands of rows is exported in bounded
//! memory; encrypted binary values (pictures) are named in the row and read
//! again one by one when the archive gets to them ([`Export::file`]).

use crate::crypto::DataKey;
use crate::datamap::MAIN;
use crate::{Store, StoreError, from_ms};
use futures::{Stream, StreamExt};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::{ColumnUse, TableDecl};
use sea_orm::{ConnectionTrait, QueryResult, StreamTrait};
use serde_json::{Map, Value, json};

/// One row about the subject, ready for the archive.
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// Column name (without `_ciphertext`) to value.
    pub values: Map<String, Value>,
    /// Encrypted binary values (pictures) the row names as files.
    pub files: Vec<FileRef>,
}

/// An encrypted binary value to put in the archive as a file of its own.
#[derive(Debug, Clone)]
pub struct FileRef {
    /// Its path in the archive, as the row names it.
    pub name: String,
    table: &'static str,
    column: &'static str,
    id: Value,
}

/// The tables that hold rows about a person: those whose data map names a
/// subject column.
pub fn tables() -> impl Iterator<Item = &'static TableDecl> {
    MAIN.iter().filter(|d| d.subject_condition().is_some())
}

/// The decryption context of an encrypted column: its table and its name
/// without the `_ciphertext` suffix (`members.email`).
pub fn encryption_context(table: &str, column: &str) -> String {
    format!("{table}.{}", column.trim_end_matches("_ciphertext"))
}

fn read_value(row: &QueryResult, column: &str) -> Value {
    // SQLite stores flags as integers and will hand any integer out as a
    // bool, so flags are recognised by name: booleans read as questions
    // (`is_shared_device`), and a consent is `granted`.
    let is_flag = column.starts_with("is_") || column.starts_with("has_") || column == "granted";
    if is_flag && let Ok(v) = row.try_get::<Option<bool>>("", column) {
        return v.map_or(Value::Null, Value::Bool);
    }
    if let Ok(v) = row.try_get::<Option<i64>>("", column) {
        return v.map_or(Value::Null, |n| {
            if column.ends_with("_at") {
                json!(from_ms(n).to_rfc3339())
            } else {
                json!(n)
            }
        });
    }
    if let Ok(v) = row.try_get::<Option<bool>>("", column) {
        return v.map_or(Value::Null, Value::Bool);
    }
    if let Ok(v) = row.try_get::<Option<String>>("", column) {
        return v.map_or(Value::Null, Value::String);
    }
    if let Ok(v) = row.try_get::<Option<uuid::Uuid>>("", column) {
        return v.map_or(Value::Null, |u| json!(u.to_string()));
    }
    if let Ok(v) = row.try_get::<Option<i32>>("", column) {
        return v.map_or(Value::Null, |n| json!(n));
    }
    Value::Null
}

/// Reads what is stored about one subject.
pub struct Export<'s> {
    store: &'s Store,
    subject: SubjectId,
    key: Option<DataKey>,
}

impl std::fmt::Debug for Export<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl<'s> Export<'s> {
    /// Ready to read the subject's rows (with their key, unless it has been
    /// destroyed: then encrypted values say they are unreadable).
    pub async fn new(store: &'s Store, subject: SubjectId) -> Self {
        let key = store.keyring.get(subject).await.ok();
        Self {
            store,
            subject,
            key,
        }
    }

    /// The subject's rows of one table, as a stream read from the database
    /// while it is consumed (one connection, held until the stream ends).
    pub async fn rows(
        &self,
        decl: &'static TableDecl,
    ) -> Result<impl Stream<Item = Result<ExportRow, StoreError>> + Send + '_, StoreError> {
        let condition = decl.subject_condition().unwrap_or_else(|| "FALSE".into());
        let stmt = crate::network::statement(
            self.store.backend(),
            &format!("SELECT * FROM {} WHERE {condition}", decl.table),
            vec![self.subject.0.into()],
        );
        let rows = self.store.db.stream_raw(stmt).await?;
        Ok(rows.enumerate().map(move |(n, row)| {
            row.map_err(StoreError::from)
                .and_then(|row| self.row(decl, &row, n))
        }))
    }

    fn row(
        &self,
        decl: &'static TableDecl,
        row: &QueryResult,
        n: usize,
    ) -> Result<ExportRow, StoreError> {
        let mut values = Map::new();
        let mut files = Vec::new();
        for col in decl.columns {
            let value = match col.usage {
                ColumnUse::NotPersonal { .. } => continue,
                ColumnUse::Subject => read_value(row, col.name),
                ColumnUse::Personal(f) if f.is_encrypted => {
                    let bytes: Vec<u8> = row.try_get("", col.name)?;
                    match self
                        .key
                        .as_ref()
                        .map(|k| k.decrypt(&encryption_context(decl.table, col.name), &bytes))
                    {
                        Some(Ok(plain)) => match String::from_utf8(plain) {
                            Ok(text) => Value::String(text),
                            Err(binary) => {
                                // Named by the row's id where it has one, so
                                // the name stays the same when read again.
                                let id = read_value(row, "id");
                                let stem = match &id {
                                    Value::String(s) => s.clone(),
                                    _ => (n + 1).to_string(),
                                };
                                let name = format!(
                                    "files/{}/{stem}-{}.{}",
                                    decl.table,
                                    col.name.trim_end_matches("_ciphertext"),
                                    extension(binary.as_bytes())
                                );
                                files.push(FileRef {
                                    name: name.clone(),
                                    table: decl.table,
                                    column: col.name,
                                    id,
                                });
                                json!({ "file": name })
                            }
                        },
                        _ => {
                            json!({"unreadable": "the key that encrypted this value has been destroyed"})
                        }
                    }
                }
                ColumnUse::Personal(_) => match row.try_get::<Option<Vec<u8>>>("", col.name) {
                    // Text, numbers and flags are copied; binary values are described.
                    Ok(Some(_)) if !is_text_like(row, col.name) => json!({
                        "not_included": "a keyed hash or secret derived from your data, not readable by people"
                    }),
                    _ => read_value(row, col.name),
                },
            };
            values.insert(col.name.trim_end_matches("_ciphertext").to_owned(), value);
        }
        Ok(ExportRow { values, files })
    }

    /// The decrypted bytes of a file a row named, read again on its own;
    /// `None` if it has gone since (or its row has no id to find it by).
    pub async fn file(&self, f: &FileRef) -> Result<Option<Vec<u8>>, StoreError> {
        let Value::String(id) = &f.id else {
            return Ok(None);
        };
        let Ok(id) = uuid::Uuid::parse_str(id) else {
            return Ok(None);
        };
        let stmt = crate::network::statement(
            self.store.backend(),
            &format!("SELECT {} FROM {} WHERE id = $1", f.column, f.table),
            vec![id.into()],
        );
        let Some(row) = self.store.db.query_one_raw(stmt).await? else {
            return Ok(None);
        };
        let bytes: Vec<u8> = row.try_get("", f.column)?;
        Ok(self.key.as_ref().and_then(|k| {
            k.decrypt(&encryption_context(f.table, f.column), &bytes)
                .ok()
        }))
    }
}

/// Whether a column decodes as something other than raw bytes (SQLite will
/// hand out any value as bytes, so bytes alone prove nothing there).
fn is_text_like(row: &QueryResult, column: &str) -> bool {
    row.try_get::<Option<i64>>("", column).is_ok()
        || row.try_get::<Option<bool>>("", column).is_ok()
        || row.try_get::<Option<String>>("", column).is_ok()
}

/// A file name extension for exported bytes, from their first bytes.
fn extension(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "jpg"
    } else if bytes.starts_with(b"\x89PNG") {
        "png"
    } else {
        "bin"
    }
}

//! Export (GDPR Art. 15 and 20), driven by the data map: every row of every
//! table whose data map names a subject column, with each declared personal
//! field and the subject column, decrypted where it is encrypted. No
//! feature writes its own export code; a new table appears in exports as
//! soon as it declares its subject column.
//!
//! Binary values that are not encrypted fields (keyed hashes, password
//! hashes) are described, not copied: they mean nothing to a person and a
//! password hash is better kept out of a file that gets emailed around.

use crate::datamap::MAIN;
use crate::{Store, StoreError, from_ms};
use lyceum_core::domain::SubjectId;
use lyceum_core::domain::datamap::{ColumnUse, TableDecl};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};
use serde_json::{Map, Value, json};

/// One table's rows about the subject.
#[derive(Debug, Clone)]
pub struct ExportTable {
    /// The table's declaration.
    pub decl: &'static TableDecl,
    /// The rows, column name to value.
    pub rows: Vec<Map<String, Value>>,
    /// Encrypted binary values (pictures), as files: the path the row's
    /// value names, and the bytes.
    pub files: Vec<(String, Vec<u8>)>,
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

/// Everything stored about a subject, table by table.
pub async fn collect(store: &Store, subject: SubjectId) -> Result<Vec<ExportTable>, StoreError> {
    let backend = store.backend();
    let key = store.keyring.get(subject).await.ok();
    let mut out = Vec::new();
    for decl in MAIN {
        let Some(condition) = decl.subject_condition() else {
            continue;
        };
        let mut sql = format!("SELECT * FROM {} WHERE {condition}", decl.table);
        if backend == DbBackend::Sqlite {
            sql = sql.replace('$', "?");
        }
        let rows = store
            .db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [subject.0.into()],
            ))
            .await?;
        let mut exported = Vec::new();
        let mut files = Vec::new();
        for (n, row) in rows.into_iter().enumerate() {
            let mut map = Map::new();
            for col in decl.columns {
                let value = match col.usage {
                    ColumnUse::NotPersonal { .. } => continue,
                    ColumnUse::Subject => read_value(&row, col.name),
                    ColumnUse::Personal(f) if f.is_encrypted => {
                        let bytes: Vec<u8> = row.try_get("", col.name)?;
                        match key
                            .as_ref()
                            .map(|k| k.decrypt(&encryption_context(decl.table, col.name), &bytes))
                        {
                            Some(Ok(plain)) => match String::from_utf8(plain) {
                                Ok(text) => Value::String(text),
                                Err(binary) => {
                                    let bytes = binary.into_bytes();
                                    let name = format!(
                                        "files/{}/{}-{}.{}",
                                        decl.table,
                                        n + 1,
                                        col.name.trim_end_matches("_ciphertext"),
                                        extension(&bytes)
                                    );
                                    files.push((name.clone(), bytes));
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
                        Ok(Some(_)) if !is_text_like(&row, col.name) => json!({
                            "not_included": "a keyed hash or secret derived from your data, not readable by people"
                        }),
                        _ => read_value(&row, col.name),
                    },
                };
                map.insert(col.name.trim_end_matches("_ciphertext").to_owned(), value);
            }
            exported.push(map);
        }
        if !exported.is_empty() {
            out.push(ExportTable {
                decl,
                rows: exported,
                files,
            });
        }
    }
    Ok(out)
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

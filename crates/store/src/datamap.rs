//! The data map registry: every table's declaration, collected, plus the
//! schema introspection that proves the declarations cover every column.

use crate::StoreError;
use crate::entity::{
    block, breach, breach_subject, collection, collection_course, comment, connection,
    connection_request, consent_event, course, course_instructor, course_review, course_section,
    course_skill, credential, digest_setting, disclosure, enrolment, follow, guest, guest_link,
    instructor, instructor_follow, issued_credential, job, lesson, lesson_progress, library,
    library_audit, library_provider, library_staff, member, message, moderation_action,
    notice_version, notification, notification_setting, objection_event, oidc_login,
    password_reset, post, post_image, post_tag, profile, profile_certificate, profile_entry,
    provider, provider_staff, qa_image, qa_post, qa_report, qa_vote, quiz_question, reaction,
    report, review_report, seat_use, session, signing_key, static_patron, subject_key, timeline,
    usage_count,
};
use lyceum_core::domain::datamap::{ColumnDecl, SchemaGap, TableDecl, TombstoneDecl, check_schema};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

const MIGRATIONS: TableDecl = TableDecl {
    table: "seaql_migrations",
    about: "Which schema migrations have run",
    columns: &[
        ColumnDecl::not_personal("version", "migration name"),
        ColumnDecl::not_personal("applied_at", "when the migration ran"),
    ],
};

const CACHE_GENERATIONS: TableDecl = TableDecl {
    table: "cache_generations",
    about: "Counters that tell each server when what it keeps in memory is out of date",
    columns: &[
        ColumnDecl::not_personal("name", "what kind of data the counter counts changes to"),
        ColumnDecl::not_personal("generation", "how many changes there have been"),
    ],
};

const KEYRING_MIGRATIONS: TableDecl = TableDecl {
    table: "keyring_migrations",
    about: "Which keyring schema migrations have run",
    columns: MIGRATIONS.columns,
};

/// Every table of the main database.
pub const MAIN: &[TableDecl] = &[
    member::DATA_MAP,
    credential::DATA_MAP,
    session::DATA_MAP,
    job::DATA_MAP,
    consent_event::DATA_MAP,
    disclosure::DATA_MAP,
    library::DATA_MAP,
    library_staff::DATA_MAP,
    library_audit::DATA_MAP,
    guest::DATA_MAP,
    guest_link::DATA_MAP,
    static_patron::DATA_MAP,
    seat_use::DATA_MAP,
    usage_count::DATA_MAP,
    oidc_login::DATA_MAP,
    password_reset::DATA_MAP,
    notice_version::DATA_MAP,
    CACHE_GENERATIONS,
    objection_event::DATA_MAP,
    breach::DATA_MAP,
    breach_subject::DATA_MAP,
    provider::DATA_MAP,
    instructor::DATA_MAP,
    course::DATA_MAP,
    course_skill::DATA_MAP,
    course_instructor::DATA_MAP,
    course_section::DATA_MAP,
    lesson::DATA_MAP,
    quiz_question::DATA_MAP,
    enrolment::DATA_MAP,
    lesson_progress::DATA_MAP,
    issued_credential::DATA_MAP,
    signing_key::DATA_MAP,
    provider_staff::DATA_MAP,
    library_provider::DATA_MAP,
    course_review::DATA_MAP,
    review_report::DATA_MAP,
    profile::DATA_MAP,
    profile_entry::DATA_MAP,
    profile_certificate::DATA_MAP,
    connection_request::DATA_MAP,
    connection::DATA_MAP,
    follow::DATA_MAP,
    block::DATA_MAP,
    post::DATA_MAP,
    post_image::DATA_MAP,
    post_tag::DATA_MAP,
    timeline::DATA_MAP,
    comment::DATA_MAP,
    reaction::DATA_MAP,
    notification::DATA_MAP,
    notification_setting::DATA_MAP,
    digest_setting::DATA_MAP,
    instructor_follow::DATA_MAP,
    qa_post::DATA_MAP,
    qa_image::DATA_MAP,
    qa_vote::DATA_MAP,
    qa_report::DATA_MAP,
    collection::DATA_MAP,
    collection_course::DATA_MAP,
    message::DATA_MAP,
    report::DATA_MAP,
    moderation_action::DATA_MAP,
    MIGRATIONS,
];

/// The tables whose rows others replied to stay as tombstones when their
/// author is erased (erasure empties them instead of deleting them).
pub const TOMBSTONES: &[TombstoneDecl] = &[comment::TOMBSTONE, post::TOMBSTONE, qa_post::TOMBSTONE];

/// Every table of the keyring database.
pub const KEYRING: &[TableDecl] = &[subject_key::DATA_MAP, KEYRING_MIGRATIONS];

/// Every declaration, for the privacy notice, export and erasure.
pub fn registry() -> impl Iterator<Item = &'static TableDecl> {
    MAIN.iter().chain(KEYRING.iter())
}

/// The tables and columns of a migrated database, as the engine reports them.
pub async fn schema_of(db: &DatabaseConnection) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let backend = db.get_database_backend();
    let rows = match backend {
        DbBackend::Sqlite => {
            db.query_all_raw(Statement::from_string(
                backend,
                "SELECT m.name AS table_name, p.name AS column_name \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            ))
            .await?
        }
        _ => {
            db.query_all_raw(Statement::from_string(
                backend,
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 ORDER BY table_name, ordinal_position",
            ))
            .await?
        }
    };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows {
        let table: String = row.try_get("", "table_name")?;
        let column: String = row.try_get("", "column_name")?;
        match out.last_mut() {
            Some((t, cols)) if *t == table => cols.push(column),
            _ => out.push((table, vec![column])),
        }
    }
    Ok(out)
}

/// References with `ON DELETE CASCADE` whose column no index starts with,
/// as `table.column`: deleting a parent row then scans the whole child
/// table (once per deleted row), which an erasure of a heavy account
/// cannot afford. Composite references are not used.
pub async fn unindexed_cascades(db: &DatabaseConnection) -> Result<Vec<String>, StoreError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT m.name AS table_name, f.\"from\" AS column_name \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND f.on_delete = 'CASCADE' \
             AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) i \
               JOIN pragma_index_info(i.name) c ON c.seqno = 0 WHERE c.name = f.\"from\") \
             ORDER BY 1, 2"
        }
        _ => {
            "SELECT c.conrelid::regclass::text AS table_name, a.attname::text AS column_name \
             FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND c.confdeltype = 'c' \
             AND c.connamespace = current_schema()::regnamespace \
             AND NOT EXISTS (SELECT 1 FROM pg_index i \
               WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]) \
             ORDER BY 1, 2"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.iter()
        .map(|r| {
            let table: String = r.try_get("", "table_name")?;
            let column: String = r.try_get("", "column_name")?;
            Ok(format!("{table}.{column}"))
        })
        .collect()
}

/// Compares both databases with the registry. Each is checked against the
/// whole registry, because a small PostgreSQL install may keep the keyring
/// tables in the main database.
pub async fn check(
    main: &DatabaseConnection,
    keyring: &DatabaseConnection,
) -> Result<Vec<SchemaGap>, StoreError> {
    let all: Vec<TableDecl> = registry().copied().collect();
    let mut gaps = check_schema(&all, &schema_of(main).await?);
    for gap in check_schema(&all, &schema_of(keyring).await?) {
        if !gaps.contains(&gap) {
            gaps.push(gap);
        }
    }
    Ok(gaps)
}

/// One kind of personal data held about a subject right now.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The table's description.
    pub about: &'static str,
    /// The column.
    pub column: &'static str,
    /// Its declaration.
    pub field: lyceum_core::domain::datamap::PersonalField,
    /// How many rows hold a value in it.
    pub rows: i64,
    /// When the last of those rows expires, for fields kept until expiry.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// What is held about a subject, field by field, worked out from the data
/// map and the rows that name the subject. The privacy dashboard shows it.
///
/// `retention` is the operator's (with an announced change once its date
/// has come): for a category they keep for less time,
/// each field says so, and `until` is when the oldest row goes.
pub async fn holdings(
    store: &crate::Store,
    subject: lyceum_core::domain::SubjectId,
    retention: &crate::retention::RetentionConfig,
) -> Result<Vec<Holding>, StoreError> {
    let retention = &retention.at(store.clock.now());
    let backend = store.backend();
    let mut out = Vec::new();
    for table in MAIN {
        let Some(condition) = table.subject_condition() else {
            continue;
        };
        let has_expiry = table.columns.iter().any(|c| c.name == "expires_at");
        // A category the operator keeps for less time: the oldest row is
        // the next to go.
        let aged = crate::retention::AGED
            .iter()
            .find(|(_, t, _)| *t == table.table)
            .and_then(|(c, _, column)| Some((retention.days_for(*c)?, *column)));
        let expiry = match (has_expiry, aged) {
            (true, _) => "MAX(expires_at)".to_owned(),
            (false, Some((_, column))) => format!("MIN({column})"),
            (false, None) => "NULL".to_owned(),
        };
        let fields: Vec<_> = table.personal_fields().collect();
        // COUNT(column) counts the rows where the column holds a value: a
        // field that is empty for this person is not "held".
        let counts: String = fields
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!(", COUNT({name}) AS c{i}"))
            .collect();
        let mut sql = format!(
            "SELECT COUNT(*) AS n{counts}, {expiry} AS until FROM {} WHERE {condition}",
            table.table
        );
        if backend == DbBackend::Sqlite {
            sql = sql.replace('$', "?");
        }
        let stmt = Statement::from_sql_and_values(backend, sql, [subject.0.into()]);
        let Some(row) = store.db.query_one_raw(stmt).await? else {
            continue;
        };
        let rows: i64 = row.try_get("", "n")?;
        if rows == 0 {
            continue;
        }
        let until: Option<i64> = match (has_expiry, aged) {
            (true, _) => row.try_get("", "until")?,
            (false, Some((days, _))) => row
                .try_get::<Option<i64>>("", "until")?
                .map(|oldest| oldest + i64::from(days) * 24 * 3600 * 1000),
            (false, None) => None,
        };
        for (i, (name, mut field)) in fields.into_iter().enumerate() {
            let with_value: i64 = row.try_get("", &format!("c{i}"))?;
            field.retention = retention.effective(table.table, &field);
            if with_value > 0 {
                out.push(Holding {
                    about: table.about,
                    column: name,
                    field,
                    rows: with_value,
                    until: until.map(crate::from_ms),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyceum_core::domain::datamap::EraseAction;

    fn has_column(table: &str, column: &str) -> bool {
        MAIN.iter()
            .find(|t| t.table == table)
            .is_some_and(|t| t.columns.iter().any(|c| c.name == column))
    }

    #[test]
    fn every_tombstone_names_real_columns_and_the_map_says_anonymised() {
        // A tombstone declaration that drifts from the schema would leave
        // words behind or delete others' replies: each name must be real.
        for t in TOMBSTONES {
            let decl = MAIN.iter().find(|d| d.table == t.table).expect(t.table);
            assert!(decl.subject_column().is_some(), "{}: no subject", t.table);
            assert!(has_column(t.replies, t.reply_to), "{}", t.table);
            assert!(has_column(t.replies, t.reply_author), "{}", t.table);
            for (column, _) in t.blank {
                assert!(
                    decl.personal_fields().any(|(c, _)| c == *column),
                    "{}.{column} is not a personal column",
                    t.table
                );
            }
            for (table, column) in t.with {
                assert!(has_column(table, column), "{table}.{column}");
            }
        }
        // The notice and the dashboard say "anonymised" for exactly the
        // tables that keep tombstones, and every encrypted text of those
        // tables is emptied on the tombstone.
        for decl in MAIN {
            let tombstone = TOMBSTONES.iter().find(|t| t.table == decl.table);
            for (column, field) in decl.personal_fields() {
                assert_eq!(
                    field.erase == EraseAction::Anonymise,
                    tombstone.is_some(),
                    "{}.{column}",
                    decl.table
                );
                if let Some(t) = tombstone
                    && field.is_encrypted
                {
                    assert!(
                        t.blank.iter().any(|(c, _)| c == &column),
                        "{}.{column} is encrypted text the tombstone keeps",
                        decl.table
                    );
                }
            }
        }
    }
}

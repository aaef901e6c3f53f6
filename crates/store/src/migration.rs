//! Migrations for the main database and for the keyring. They run on start
//! and with `lyceum migrate`; they only ever add, never lose data.
//! Downgrades are not supported: restore a backup instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The main database's migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Foundation),
            Box::new(M0002Consents),
            Box::new(M0003Disclosures),
            Box::new(M0004Restriction),
            Box::new(M0005Libraries),
            Box::new(M0006GuestLinks),
            Box::new(M0007Oidc),
            Box::new(M0008LibraryLogo),
            Box::new(M0009NoticeVersions),
            Box::new(M0010Objections),
            Box::new(M0011Breaches),
            Box::new(M0012Learning),
            Box::new(M0013Providers),
            Box::new(M0014LessonMedia),
            Box::new(M0015Reviews),
            Box::new(M0016CoursesUpdated),
            Box::new(M0017Network),
            Box::new(M0018PostImages),
            Box::new(M0019EmailDigests),
            Box::new(M0020InstructorFollows),
            Box::new(M0021CourseQuestions),
            Box::new(M0022Collections),
            Box::new(M0023QaImages),
            Box::new(M0024CacheGenerations),
            Box::new(M0025ForeignKeyIndexes),
        ]
    }
}

/// The keyring database's migrations. Their bookkeeping table has its own
/// name so the keyring may share a PostgreSQL database with the data in a
/// small install without either migrator tripping over the other's rows.
#[derive(Debug)]
pub struct KeyringMigrator;

#[async_trait::async_trait]
impl MigratorTrait for KeyringMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(K0001Keys)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("keyring_migrations").into_iden()
    }
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

struct M0001Foundation;

impl MigrationName for M0001Foundation {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Foundation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("members"))
                .col(pk_uuid(t("id")))
                .col(blob(t("email_index")).unique_key())
                .col(blob(t("email_ciphertext")))
                .col(blob(t("display_name_ciphertext")))
                .col(string_len(t("role"), 16))
                .col(string_len(t("status"), 16))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("closed_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("credentials"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("member_id")))
                .col(string_len(t("kind"), 16))
                .col(blob(t("secret")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("last_used_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("credentials"), t("member_id"))
                        .to(t("members"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("credentials_member")
                .table(t("credentials"))
                .col(t("member_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("sessions"))
                .col(blob(t("token_hash")).primary_key())
                .col(uuid_null(t("member_id")))
                .col(string_len(t("csrf_token"), 64))
                .col(boolean(t("is_shared_device")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("last_seen_at")))
                .col(big_integer(t("expires_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("sessions"), t("member_id"))
                        .to(t("members"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_member")
                .table(t("sessions"))
                .col(t("member_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_expiry")
                .table(t("sessions"))
                .col(t("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("jobs"))
                .col(pk_uuid(t("id")))
                .col(string_len(t("kind"), 64))
                .col(text(t("payload")))
                .col(string_len_null(t("unique_key"), 128).unique_key())
                .col(string_len(t("status"), 16))
                .col(big_integer(t("run_at")))
                .col(big_integer(t("locked_until")))
                .col(integer(t("attempts")))
                .col(integer(t("max_attempts")))
                .col(text_null(t("last_error")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("jobs_due")
                .table(t("jobs"))
                .col(t("status"))
                .col(t("run_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct M0002Consents;

impl MigrationName for M0002Consents {
    fn name(&self) -> &str {
        "m0002_consents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Consents {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("consent_events"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("subject_id")))
                .col(string_len(t("purpose"), 64))
                .col(boolean(t("granted")))
                .col(integer(t("wording_version")))
                .col(big_integer(t("at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("consent_events_subject")
                .table(t("consent_events"))
                .col(t("subject_id"))
                .col(t("purpose"))
                .to_owned(),
        )
        .await
    }
}

struct M0003Disclosures;

impl MigrationName for M0003Disclosures {
    fn name(&self) -> &str {
        "m0003_disclosures"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Disclosures {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("disclosures"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("subject_id")))
                .col(string_len(t("recipient"), 64))
                .col(text(t("purpose")))
                .col(text(t("categories")))
                .col(big_integer(t("at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("disclosures_subject")
                .table(t("disclosures"))
                .col(t("subject_id"))
                .to_owned(),
        )
        .await
    }
}

struct M0004Restriction;

impl MigrationName for M0004Restriction {
    fn name(&self) -> &str {
        "m0004_restriction"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Restriction {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(t("members"))
                .add_column(big_integer_null(t("processing_paused_at")))
                .to_owned(),
        )
        .await
    }
}

struct M0005Libraries;

impl MigrationName for M0005Libraries {
    fn name(&self) -> &str {
        "m0005_libraries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Libraries {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("libraries"))
                .col(pk_uuid(t("id")))
                .col(string_len(t("slug"), 40).unique_key())
                .col(text(t("name")))
                .col(text_null(t("town")))
                .col(text(t("contact")))
                .col(string_len(t("brand_colour"), 7))
                .col(integer_null(t("seats_per_month")))
                .col(text_null(t("consortium")))
                .col(string_len(t("auth_method"), 16))
                .col(text_null(t("sip2_settings")))
                .col(blob_null(t("sip2_password")))
                .col(boolean(t("shared_computer_default")))
                .col(integer(t("idle_minutes")))
                .col(integer(t("guest_retention_days")))
                .col(blob(t("pseudonym_secret")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("library_staff"))
                .col(uuid(t("library_id")))
                .col(uuid(t("member_id")))
                .col(string_len(t("role"), 16))
                .col(big_integer(t("added_at")))
                .primary_key(Index::create().col(t("library_id")).col(t("member_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("library_staff"), t("library_id"))
                        .to(t("libraries"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("library_staff_member")
                .table(t("library_staff"))
                .col(t("member_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("library_audit"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("library_id")))
                .col(uuid(t("actor_id")))
                .col(text(t("action")))
                .col(big_integer(t("at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("library_audit_library")
                .table(t("library_audit"))
                .col(t("library_id"))
                .col(t("at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("guests"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("library_id")))
                .col(blob(t("pseudonym")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("last_seen_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("guests"), t("library_id"))
                        .to(t("libraries"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("guests_pseudonym")
                .table(t("guests"))
                .col(t("library_id"))
                .col(t("pseudonym"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("guests_last_seen")
                .table(t("guests"))
                .col(t("last_seen_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("static_patrons"))
                .col(uuid(t("library_id")))
                .col(blob(t("pseudonym")))
                .col(text(t("pin_hash")))
                .primary_key(Index::create().col(t("library_id")).col(t("pseudonym")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("static_patrons"), t("library_id"))
                        .to(t("libraries"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("seat_uses"))
                .col(uuid(t("library_id")))
                .col(integer(t("month")))
                .col(uuid(t("guest_id")))
                .col(big_integer(t("expires_at")))
                .primary_key(
                    Index::create()
                        .col(t("library_id"))
                        .col(t("month"))
                        .col(t("guest_id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("seat_uses_guest")
                .table(t("seat_uses"))
                .col(t("guest_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("usage_counts"))
                .col(uuid(t("library_id")))
                .col(integer(t("month")))
                .col(string_len(t("metric"), 32))
                .col(string_len(t("dimension"), 128))
                .col(big_integer(t("count")))
                .primary_key(
                    Index::create()
                        .col(t("library_id"))
                        .col(t("month"))
                        .col(t("metric"))
                        .col(t("dimension")),
                )
                .to_owned(),
        )
        .await?;
        // Sessions of guests: the guest link, and the idle limit of a
        // shared computer. No foreign key: SQLite cannot add one to an
        // existing table, and erasure removes a guest's sessions through
        // the data map like every other row of theirs.
        m.alter_table(
            Table::alter()
                .table(t("sessions"))
                .add_column(uuid_null(t("guest_id")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(t("sessions"))
                .add_column(big_integer_null(t("idle_timeout_ms")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_guest")
                .table(t("sessions"))
                .col(t("guest_id"))
                .to_owned(),
        )
        .await
    }
}

struct M0006GuestLinks;

impl MigrationName for M0006GuestLinks {
    fn name(&self) -> &str {
        "m0006_guest_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006GuestLinks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("guest_links"))
                .col(pk_uuid(t("guest_id")))
                .col(uuid(t("member_id")))
                .col(big_integer(t("linked_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("guest_links"), t("guest_id"))
                        .to(t("guests"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(t("guest_links"), t("member_id"))
                        .to(t("members"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("guest_links_member")
                .table(t("guest_links"))
                .col(t("member_id"))
                .to_owned(),
        )
        .await
    }
}

struct M0007Oidc;

impl MigrationName for M0007Oidc {
    fn name(&self) -> &str {
        "m0007_oidc"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007Oidc {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(t("libraries"))
                .add_column(text_null(t("oidc_settings")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(t("libraries"))
                .add_column(blob_null(t("oidc_client_secret")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("oidc_logins"))
                .col(blob(t("state_hash")).primary_key())
                .col(uuid(t("library_id")))
                .col(blob(t("verifier")))
                .col(text(t("nonce")))
                .col(boolean(t("is_shared_device")))
                .col(big_integer(t("expires_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("oidc_logins_expiry")
                .table(t("oidc_logins"))
                .col(t("expires_at"))
                .to_owned(),
        )
        .await
    }
}

struct M0008LibraryLogo;

impl MigrationName for M0008LibraryLogo {
    fn name(&self) -> &str {
        "m0008_library_logo"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008LibraryLogo {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(t("libraries"))
                .add_column(blob_null(t("logo")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(t("libraries"))
                .add_column(string_len_null(t("logo_type"), 16))
                .to_owned(),
        )
        .await
    }
}

struct M0009NoticeVersions;

impl MigrationName for M0009NoticeVersions {
    fn name(&self) -> &str {
        "m0009_notice_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009NoticeVersions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("notice_versions"))
                .col(integer(t("version")).primary_key())
                .col(blob(t("fingerprint")))
                .col(text(t("snapshot")))
                .col(big_integer(t("published_at")))
                .to_owned(),
        )
        .await
    }
}

struct M0010Objections;

impl MigrationName for M0010Objections {
    fn name(&self) -> &str {
        "m0010_objections"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0010Objections {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("objection_events"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("subject_id")))
                .col(string_len(t("ground"), 64))
                .col(boolean(t("objected")))
                .col(big_integer(t("at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("objection_events_subject")
                .table(t("objection_events"))
                .col(t("subject_id"))
                .col(t("ground"))
                .to_owned(),
        )
        .await
    }
}

struct M0011Breaches;

impl MigrationName for M0011Breaches {
    fn name(&self) -> &str {
        "m0011_breaches"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0011Breaches {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("breaches"))
                .col(pk_uuid(t("id")))
                .col(text(t("title")))
                .col(text(t("description")))
                .col(text(t("categories")))
                .col(text(t("affected_counts")))
                .col(text(t("consequences")))
                .col(text(t("measures")))
                .col(big_integer(t("detected_at")))
                .col(big_integer_null(t("authority_notified_at")))
                .col(big_integer_null(t("people_notified_at")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("breach_subjects"))
                .col(uuid(t("breach_id")))
                .col(uuid(t("subject_id")))
                .primary_key(Index::create().col(t("breach_id")).col(t("subject_id")))
                .foreign_key(
                    ForeignKey::create()
                        .from(t("breach_subjects"), t("breach_id"))
                        .to(t("breaches"), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("breach_subjects_subject")
                .table(t("breach_subjects"))
                .col(t("subject_id"))
                .to_owned(),
        )
        .await
    }
}

struct M0012Learning;

impl MigrationName for M0012Learning {
    fn name(&self) -> &str {
        "m0012_learning"
    }
}

fn cascade(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(t(from), t(col))
        .to(t(to), t("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0012Learning {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("providers"))
                .col(pk_uuid(t("id")))
                .col(string_len_uniq(t("slug"), 60))
                .col(text(t("name")))
                .col(text_null(t("website")))
                .col(text(t("description")))
                .col(boolean(t("is_partner")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("instructors"))
                .col(pk_uuid(t("id")))
                .col(string_len_uniq(t("slug"), 80))
                .col(text(t("name")))
                .col(text(t("bio")))
                .col(uuid_null(t("provider_id")))
                .col(uuid_null(t("member_id")))
                .col(big_integer(t("created_at")))
                .foreign_key(&mut cascade("instructors", "provider_id", "providers"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("courses"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("provider_id")))
                .col(string_len_null(t("external_id"), 200))
                .col(string_len_uniq(t("slug"), 80))
                .col(text(t("title")))
                .col(text(t("summary")))
                .col(text(t("description")))
                .col(string_len(t("level"), 20))
                .col(string_len(t("language"), 35))
                .col(integer(t("duration_minutes")))
                .col(string_len(t("status"), 20))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("updated_at")))
                .col(big_integer_null(t("published_at")))
                .foreign_key(&mut cascade("courses", "provider_id", "providers"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("courses_provider_external")
                .table(t("courses"))
                .col(t("provider_id"))
                .col(t("external_id"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("courses_published")
                .table(t("courses"))
                .col(t("status"))
                .col(t("published_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("course_skills"))
                .col(uuid(t("course_id")))
                .col(string_len(t("skill"), 120))
                .primary_key(Index::create().col(t("course_id")).col(t("skill")))
                .foreign_key(&mut cascade("course_skills", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("course_skills_skill")
                .table(t("course_skills"))
                .col(t("skill"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("course_instructors"))
                .col(uuid(t("course_id")))
                .col(uuid(t("instructor_id")))
                .col(integer(t("position")))
                .primary_key(Index::create().col(t("course_id")).col(t("instructor_id")))
                .foreign_key(&mut cascade("course_instructors", "course_id", "courses"))
                .foreign_key(&mut cascade(
                    "course_instructors",
                    "instructor_id",
                    "instructors",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("course_instructors_instructor")
                .table(t("course_instructors"))
                .col(t("instructor_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("course_sections"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("course_id")))
                .col(integer(t("position")))
                .col(text(t("title")))
                .foreign_key(&mut cascade("course_sections", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("course_sections_course")
                .table(t("course_sections"))
                .col(t("course_id"))
                .col(t("position"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("lessons"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("course_id")))
                .col(uuid(t("section_id")))
                .col(integer(t("position")))
                .col(text(t("title")))
                .col(string_len(t("kind"), 20))
                .col(text(t("body")))
                .col(text_null(t("captions")))
                .col(integer(t("duration_minutes")))
                .col(integer_null(t("pass_percent")))
                .foreign_key(&mut cascade("lessons", "course_id", "courses"))
                .foreign_key(&mut cascade("lessons", "section_id", "course_sections"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("lessons_course")
                .table(t("lessons"))
                .col(t("course_id"))
                .col(t("position"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("quiz_questions"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("lesson_id")))
                .col(integer(t("position")))
                .col(text(t("prompt")))
                .col(text(t("choices")))
                .col(integer(t("answer")))
                .col(text(t("explanation")))
                .foreign_key(&mut cascade("quiz_questions", "lesson_id", "lessons"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("quiz_questions_lesson")
                .table(t("quiz_questions"))
                .col(t("lesson_id"))
                .col(t("position"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("enrolments"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("course_id")))
                .col(uuid(t("subject_id")))
                .col(uuid_null(t("library_id")))
                .col(big_integer(t("enrolled_at")))
                .col(uuid_null(t("last_lesson_id")))
                .col(big_integer(t("last_active_at")))
                .col(big_integer_null(t("completed_at")))
                .foreign_key(&mut cascade("enrolments", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("enrolments_subject_course")
                .table(t("enrolments"))
                .col(t("subject_id"))
                .col(t("course_id"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("enrolments_course")
                .table(t("enrolments"))
                .col(t("course_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("lesson_progress"))
                .col(uuid(t("enrolment_id")))
                .col(uuid(t("lesson_id")))
                .col(uuid(t("subject_id")))
                .col(big_integer_null(t("completed_at")))
                .col(integer_null(t("score")))
                .col(integer(t("attempts")))
                .col(big_integer(t("updated_at")))
                .primary_key(Index::create().col(t("enrolment_id")).col(t("lesson_id")))
                .foreign_key(&mut cascade(
                    "lesson_progress",
                    "enrolment_id",
                    "enrolments",
                ))
                .foreign_key(&mut cascade("lesson_progress", "lesson_id", "lessons"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("lesson_progress_subject")
                .table(t("lesson_progress"))
                .col(t("subject_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("signing_keys"))
                .col(pk_uuid(t("id")))
                .col(blob(t("public_key")).unique_key())
                .col(blob(t("sealed_secret")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("retired_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("issued_credentials"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("subject_id")))
                .col(uuid(t("course_id")))
                .col(big_integer(t("issued_at")))
                .col(uuid(t("signing_key_id")))
                .col(text(t("document")))
                .foreign_key(&mut cascade("issued_credentials", "course_id", "courses"))
                .foreign_key(&mut cascade(
                    "issued_credentials",
                    "signing_key_id",
                    "signing_keys",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("issued_credentials_subject_course")
                .table(t("issued_credentials"))
                .col(t("subject_id"))
                .col(t("course_id"))
                .unique()
                .to_owned(),
        )
        .await
    }
}

struct M0013Providers;

impl MigrationName for M0013Providers {
    fn name(&self) -> &str {
        "m0013_providers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013Providers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("provider_staff"))
                .col(uuid(t("provider_id")))
                .col(uuid(t("member_id")))
                .col(big_integer(t("added_at")))
                .primary_key(Index::create().col(t("provider_id")).col(t("member_id")))
                .foreign_key(&mut cascade("provider_staff", "provider_id", "providers"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("provider_staff_member")
                .table(t("provider_staff"))
                .col(t("member_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("library_providers"))
                .col(uuid(t("library_id")))
                .col(uuid(t("provider_id")))
                .col(big_integer(t("added_at")))
                .primary_key(Index::create().col(t("library_id")).col(t("provider_id")))
                .foreign_key(&mut cascade("library_providers", "library_id", "libraries"))
                .foreign_key(&mut cascade(
                    "library_providers",
                    "provider_id",
                    "providers",
                ))
                .to_owned(),
        )
        .await
    }
}

struct M0014LessonMedia;

impl MigrationName for M0014LessonMedia {
    fn name(&self) -> &str {
        "m0014_lesson_media"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0014LessonMedia {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(t("media_key")).text().null().to_owned(),
            ColumnDef::new(t("media_type"))
                .string_len(40)
                .null()
                .to_owned(),
            ColumnDef::new(t("media_bytes"))
                .big_integer()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(t("lessons"))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

struct M0015Reviews;

impl MigrationName for M0015Reviews {
    fn name(&self) -> &str {
        "m0015_reviews"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0015Reviews {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("course_reviews"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("course_id")))
                .col(uuid(t("subject_id")))
                .col(integer(t("rating")))
                .col(blob(t("body_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("updated_at")))
                .col(integer(t("reports")).default(0))
                .foreign_key(&mut cascade("course_reviews", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("course_reviews_course_subject")
                .table(t("course_reviews"))
                .col(t("course_id"))
                .col(t("subject_id"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("course_reviews_subject")
                .table(t("course_reviews"))
                .col(t("subject_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("review_reports"))
                .col(uuid(t("review_id")))
                .col(uuid(t("subject_id")))
                .col(big_integer(t("at")))
                .primary_key(Index::create().col(t("review_id")).col(t("subject_id")))
                .foreign_key(&mut cascade(
                    "review_reports",
                    "review_id",
                    "course_reviews",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("review_reports_subject")
                .table(t("review_reports"))
                .col(t("subject_id"))
                .to_owned(),
        )
        .await
    }
}

struct M0016CoursesUpdated;

impl MigrationName for M0016CoursesUpdated {
    fn name(&self) -> &str {
        "m0016_courses_updated"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016CoursesUpdated {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Search indexes ask every second for courses changed since they
        // last looked.
        m.create_index(
            Index::create()
                .name("courses_updated")
                .table(t("courses"))
                .col(t("updated_at"))
                .to_owned(),
        )
        .await
    }
}

struct M0017Network;

impl MigrationName for M0017Network {
    fn name(&self) -> &str {
        "m0017_network"
    }
}

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(t(table));
    for c in cols {
        i.col(t(c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0017Network {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("profiles"))
                .col(pk_uuid(t("member_id")))
                .col(string_len_uniq(t("handle"), 30))
                .col(blob(t("headline_ciphertext")))
                .col(blob(t("about_ciphertext")))
                .col(blob(t("skills_ciphertext")))
                .col(string_len(t("vis_headline"), 16))
                .col(string_len(t("vis_about"), 16))
                .col(string_len(t("vis_experience"), 16))
                .col(string_len(t("vis_education"), 16))
                .col(string_len(t("vis_skills"), 16))
                .col(string_len(t("vis_certificates"), 16))
                .col(string_len(t("vis_connections"), 16))
                .col(boolean(t("is_public_page")))
                .col(boolean(t("is_indexable")))
                .col(boolean(t("is_discoverable")))
                .col(boolean(t("allow_message_requests")))
                .col(boolean(t("allow_email_download")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("updated_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("profile_entries"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("member_id")))
                .col(string_len(t("kind"), 16))
                .col(blob(t("title_ciphertext")))
                .col(blob(t("organisation_ciphertext")))
                .col(blob(t("description_ciphertext")))
                .col(integer_null(t("start_year")))
                .col(integer_null(t("end_year")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "profile_entries_member",
            "profile_entries",
            &["member_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(t("profile_certificates"))
                .col(uuid(t("member_id")))
                .col(uuid(t("course_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("member_id")).col(t("course_id")))
                .foreign_key(&mut cascade("profile_certificates", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("connection_requests"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("from_id")))
                .col(uuid(t("to_id")))
                .col(blob(t("note_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("ignored_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "connection_requests_pair",
                "connection_requests",
                &["from_id", "to_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "connection_requests_to",
            "connection_requests",
            &["to_id", "created_at"],
        ))
        .await?;
        // Each connection is two rows, one per side, so "my connections"
        // and "are these two connected" are both one index lookup.
        m.create_table(
            Table::create()
                .table(t("connections"))
                .col(uuid(t("member_id")))
                .col(uuid(t("other_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("member_id")).col(t("other_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("connections_other", "connections", &["other_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("follows"))
                .col(uuid(t("follower_id")))
                .col(uuid(t("followee_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("follower_id")).col(t("followee_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("follows_followee", "follows", &["followee_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("blocks"))
                .col(uuid(t("blocker_id")))
                .col(uuid(t("blocked_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("blocker_id")).col(t("blocked_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("blocks_blocked", "blocks", &["blocked_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("posts"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("author_id")))
                .col(string_len(t("audience"), 16))
                .col(blob(t("body_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("edited_at")))
                .col(big_integer_null(t("removed_at")))
                .col(integer(t("like_count")).default(0))
                .col(integer(t("celebrate_count")).default(0))
                .col(integer(t("love_count")).default(0))
                .col(integer(t("insightful_count")).default(0))
                .col(integer(t("curious_count")).default(0))
                .col(integer(t("comment_count")).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(index("posts_author", "posts", &["author_id", "created_at"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("post_tags"))
                .col(string_len(t("tag"), 60))
                .col(uuid(t("post_id")))
                .col(uuid(t("author_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("tag")).col(t("post_id")))
                .foreign_key(&mut cascade("post_tags", "post_id", "posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "post_tags_recent",
            "post_tags",
            &["tag", "created_at"],
        ))
        .await?;
        // Fan-out on write: a post is copied (by id) into the timeline of
        // its author and of everyone who may see it in their feed.
        m.create_table(
            Table::create()
                .table(t("timeline"))
                .col(uuid(t("member_id")))
                .col(uuid(t("post_id")))
                .col(uuid(t("author_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("member_id")).col(t("post_id")))
                .foreign_key(&mut cascade("timeline", "post_id", "posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "timeline_feed",
            "timeline",
            &["member_id", "created_at", "post_id"],
        ))
        .await?;
        m.create_index(index("timeline_post", "timeline", &["post_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("comments"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("post_id")))
                .col(uuid_null(t("parent_id")))
                .col(uuid(t("author_id")))
                .col(blob(t("body_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("edited_at")))
                .col(big_integer_null(t("removed_at")))
                .col(integer(t("like_count")).default(0))
                .col(integer(t("celebrate_count")).default(0))
                .col(integer(t("love_count")).default(0))
                .col(integer(t("insightful_count")).default(0))
                .col(integer(t("curious_count")).default(0))
                .col(integer(t("reply_count")).default(0))
                .foreign_key(&mut cascade("comments", "post_id", "posts"))
                .foreign_key(&mut cascade("comments", "parent_id", "comments"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "comments_post",
            "comments",
            &["post_id", "created_at"],
        ))
        .await?;
        m.create_index(index("comments_parent", "comments", &["parent_id"]))
            .await?;
        m.create_index(index("comments_author", "comments", &["author_id"]))
            .await?;
        // A reaction's target is a post or a comment; `post_id` is the post
        // either way, so deleting a post takes every reaction under it.
        m.create_table(
            Table::create()
                .table(t("reactions"))
                .col(uuid(t("target_id")))
                .col(uuid(t("member_id")))
                .col(uuid(t("post_id")))
                .col(string_len(t("kind"), 16))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("target_id")).col(t("member_id")))
                .foreign_key(&mut cascade("reactions", "post_id", "posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("reactions_member", "reactions", &["member_id"]))
            .await?;
        m.create_index(index("reactions_post", "reactions", &["post_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("notifications"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("member_id")))
                .col(uuid_null(t("actor_id")))
                .col(string_len(t("kind"), 24))
                .col(uuid_null(t("post_id")))
                .col(uuid_null(t("comment_id")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("read_at")))
                .foreign_key(&mut cascade("notifications", "post_id", "posts"))
                .foreign_key(&mut cascade("notifications", "comment_id", "comments"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notifications_member",
            "notifications",
            &["member_id", "created_at"],
        ))
        .await?;
        m.create_index(index("notifications_actor", "notifications", &["actor_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("notification_settings"))
                .col(uuid(t("member_id")))
                .col(string_len(t("kind"), 24))
                .col(boolean(t("is_enabled")))
                .primary_key(Index::create().col(t("member_id")).col(t("kind")))
                .to_owned(),
        )
        .await?;
        // Each message is stored once per participant, encrypted under that
        // participant's key: erasing one side leaves the other's copy.
        m.create_table(
            Table::create()
                .table(t("messages"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("owner_id")))
                .col(uuid(t("peer_id")))
                .col(boolean(t("is_outgoing")))
                .col(boolean(t("is_request")))
                .col(blob(t("body_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("read_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "messages_conversation",
            "messages",
            &["owner_id", "peer_id", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "messages_owner",
            "messages",
            &["owner_id", "created_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(t("reports"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("reporter_id")))
                .col(uuid(t("owner_id")))
                .col(string_len(t("target_kind"), 16))
                .col(uuid(t("target_id")))
                .col(string_len(t("reason"), 24))
                .col(blob(t("details_ciphertext")))
                .col(blob(t("excerpt_ciphertext")))
                .col(big_integer(t("created_at")))
                .col(string_len(t("status"), 16))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "reports_status",
            "reports",
            &["status", "created_at"],
        ))
        .await?;
        m.create_index(index("reports_target", "reports", &["target_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("moderation_actions"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("owner_id")))
                .col(uuid(t("moderator_id")))
                .col(string_len(t("target_kind"), 16))
                .col(uuid(t("target_id")))
                .col(string_len(t("action"), 16))
                .col(string_len(t("reason"), 24))
                .col(text(t("explanation")))
                .col(big_integer(t("created_at")))
                .col(blob(t("appeal_ciphertext")))
                .col(big_integer_null(t("appealed_at")))
                .col(string_len_null(t("appeal_outcome"), 16))
                .col(big_integer_null(t("decided_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "moderation_actions_recent",
            "moderation_actions",
            &["created_at"],
        ))
        .await?;
        m.create_index(index(
            "moderation_actions_owner",
            "moderation_actions",
            &["owner_id"],
        ))
        .await
    }
}

struct M0018PostImages;

impl MigrationName for M0018PostImages {
    fn name(&self) -> &str {
        "m0018_post_images"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018PostImages {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Pictures are kept beside the post, encrypted under the author's
        // key like the text: erasing the author shreds them in every
        // backup too, and deleting the post deletes them.
        m.create_table(
            Table::create()
                .table(t("post_images"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("post_id")))
                .col(uuid(t("author_id")))
                .col(integer(t("position")))
                .col(blob(t("alt_ciphertext")))
                .col(string_len(t("content_type"), 32))
                .col(integer(t("width")))
                .col(integer(t("height")))
                .col(blob(t("large_ciphertext")))
                .col(integer(t("small_width")))
                .col(integer(t("small_height")))
                .col(blob(t("small_ciphertext")))
                .col(big_integer(t("created_at")))
                .foreign_key(&mut cascade("post_images", "post_id", "posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "post_images_post",
            "post_images",
            &["post_id", "position"],
        ))
        .await?;
        m.create_index(index("post_images_author", "post_images", &["author_id"]))
            .await
    }
}

struct M0019EmailDigests;

impl MigrationName for M0019EmailDigests {
    fn name(&self) -> &str {
        "m0019_email_digests"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0019EmailDigests {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // How often a member who consented to email digests gets one, and
        // when the last went out. Without the consent nothing here is used.
        m.create_table(
            Table::create()
                .table(t("digest_settings"))
                .col(pk_uuid(t("member_id")))
                .col(string_len(t("frequency"), 8))
                .col(big_integer_null(t("last_sent_at")))
                .to_owned(),
        )
        .await
    }
}

struct M0020InstructorFollows;

impl MigrationName for M0020InstructorFollows {
    fn name(&self) -> &str {
        "m0020_instructor_follows"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0020InstructorFollows {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Members following instructors, for a notice when one of them
        // publishes a course. Only the member sees whom they follow; the
        // instructor sees a count.
        m.create_table(
            Table::create()
                .table(t("instructor_follows"))
                .col(uuid(t("member_id")))
                .col(uuid(t("instructor_id")))
                .col(big_integer(t("created_at")))
                .primary_key(Index::create().col(t("member_id")).col(t("instructor_id")))
                .foreign_key(&mut cascade(
                    "instructor_follows",
                    "instructor_id",
                    "instructors",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "instructor_follows_instructor",
            "instructor_follows",
            &["instructor_id"],
        ))
        .await?;
        // A notice may be about a course (a followed instructor's new one).
        m.alter_table(
            Table::alter()
                .table(t("notifications"))
                .add_column(uuid_null(t("course_id")))
                .to_owned(),
        )
        .await
    }
}

struct M0021CourseQuestions;

impl MigrationName for M0021CourseQuestions {
    fn name(&self) -> &str {
        "m0021_course_questions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0021CourseQuestions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Questions and answers on a course (a question may be about one
        // lesson). Words are encrypted under the writer's key; answers go
        // with their question and questions with their course.
        m.create_table(
            Table::create()
                .table(t("qa_posts"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("course_id")))
                .col(uuid_null(t("lesson_id")))
                .col(uuid_null(t("question_id")))
                .col(uuid(t("author_id")))
                .col(blob(t("title_ciphertext")))
                .col(blob(t("body_ciphertext")))
                .col(boolean(t("shows_name")))
                .col(string_len_null(t("role"), 16))
                .col(boolean(t("is_accepted")))
                .col(big_integer(t("created_at")))
                .col(big_integer_null(t("removed_at")))
                .foreign_key(&mut cascade("qa_posts", "course_id", "courses"))
                .foreign_key(&mut cascade("qa_posts", "question_id", "qa_posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "qa_posts_course",
            "qa_posts",
            &["course_id", "question_id", "created_at"],
        ))
        .await?;
        m.create_index(index("qa_posts_question", "qa_posts", &["question_id"]))
            .await?;
        m.create_index(index("qa_posts_author", "qa_posts", &["author_id"]))
            .await?;
        for table in ["qa_votes", "qa_reports"] {
            m.create_table(
                Table::create()
                    .table(t(table))
                    .col(uuid(t("post_id")))
                    .col(uuid(t("subject_id")))
                    .col(big_integer(t("created_at")))
                    .primary_key(Index::create().col(t("post_id")).col(t("subject_id")))
                    .foreign_key(&mut cascade(table, "post_id", "qa_posts"))
                    .to_owned(),
            )
            .await?;
            m.create_index(index(&format!("{table}_subject"), table, &["subject_id"]))
                .await?;
        }
        Ok(())
    }
}

struct M0022Collections;

impl MigrationName for M0022Collections {
    fn name(&self) -> &str {
        "m0022_collections"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0022Collections {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Ordered lists of courses: a library's learning paths (public,
        // curated by its staff) and a learner's own collections (private,
        // titled in words encrypted under their key).
        m.create_table(
            Table::create()
                .table(t("collections"))
                .col(pk_uuid(t("id")))
                .col(uuid_null(t("library_id")))
                .col(uuid_null(t("owner_id")))
                .col(string_len(t("title"), 100))
                .col(blob(t("title_ciphertext")))
                .col(text(t("description")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("updated_at")))
                .foreign_key(&mut cascade("collections", "library_id", "libraries"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("collections_library", "collections", &["library_id"]))
            .await?;
        m.create_index(index("collections_owner", "collections", &["owner_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table(t("collection_courses"))
                .col(uuid(t("collection_id")))
                .col(uuid(t("course_id")))
                .col(uuid_null(t("owner_id")))
                .col(integer(t("position")))
                .col(big_integer(t("added_at")))
                .primary_key(Index::create().col(t("collection_id")).col(t("course_id")))
                .foreign_key(&mut cascade(
                    "collection_courses",
                    "collection_id",
                    "collections",
                ))
                .foreign_key(&mut cascade("collection_courses", "course_id", "courses"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "collection_courses_owner",
            "collection_courses",
            &["owner_id"],
        ))
        .await
    }
}

struct M0023QaImages;

impl MigrationName for M0023QaImages {
    fn name(&self) -> &str {
        "m0023_qa_images"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0023QaImages {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A picture with a question or answer, as for posts: re-encoded
        // without metadata, two sizes, encrypted under the writer's key,
        // going with what it belongs to.
        m.create_table(
            Table::create()
                .table(t("qa_images"))
                .col(pk_uuid(t("id")))
                .col(uuid(t("post_id")))
                .col(uuid(t("author_id")))
                .col(integer(t("position")))
                .col(blob(t("alt_ciphertext")))
                .col(string_len(t("content_type"), 32))
                .col(integer(t("width")))
                .col(integer(t("height")))
                .col(blob(t("large_ciphertext")))
                .col(integer(t("small_width")))
                .col(integer(t("small_height")))
                .col(blob(t("small_ciphertext")))
                .col(big_integer(t("created_at")))
                .foreign_key(&mut cascade("qa_images", "post_id", "qa_posts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("qa_images_post", "qa_images", &["post_id"]))
            .await?;
        m.create_index(index("qa_images_author", "qa_images", &["author_id"]))
            .await
    }
}

struct M0024CacheGenerations;

impl MigrationName for M0024CacheGenerations {
    fn name(&self) -> &str {
        "m0024_cache_generations_and_password_resets"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0024CacheGenerations {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Counters that writes bump so every node knows when what it
        // cached went stale (see `generations`).
        m.create_table(
            Table::create()
                .table(t("cache_generations"))
                .col(string_len(t("name"), 32).primary_key())
                .col(big_integer(t("generation")))
                .to_owned(),
        )
        .await?;
        // Password-reset links: only a hash of each token, an hour's life.
        m.create_table(
            Table::create()
                .table(t("password_resets"))
                .col(blob(t("token_hash")).primary_key())
                .col(uuid(t("member_id")))
                .col(big_integer(t("created_at")))
                .col(big_integer(t("expires_at")))
                .foreign_key(&mut cascade("password_resets", "member_id", "members"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "password_resets_member",
            "password_resets",
            &["member_id"],
        ))
        .await
    }
}

struct M0025ForeignKeyIndexes;

impl MigrationName for M0025ForeignKeyIndexes {
    fn name(&self) -> &str {
        "m0025_foreign_key_indexes"
    }
}

/// Columns that refer to another table with `ON DELETE CASCADE` and had
/// no index starting with them: deleting a parent row scanned the whole
/// child table for its children (erasing an account with 50,000 posts
/// scanned every notification once per post). A test
/// (`every_cascading_reference_is_indexed`) keeps it so.
const M0025_INDEXES: &[(&str, &str, &str)] = &[
    ("notifications_post", "notifications", "post_id"),
    ("notifications_comment", "notifications", "comment_id"),
    ("post_tags_post", "post_tags", "post_id"),
    ("instructors_provider", "instructors", "provider_id"),
    ("lessons_section", "lessons", "section_id"),
    ("lesson_progress_lesson", "lesson_progress", "lesson_id"),
    (
        "issued_credentials_key",
        "issued_credentials",
        "signing_key_id",
    ),
    (
        "issued_credentials_course",
        "issued_credentials",
        "course_id",
    ),
    (
        "library_providers_provider",
        "library_providers",
        "provider_id",
    ),
    (
        "profile_certificates_course",
        "profile_certificates",
        "course_id",
    ),
    (
        "collection_courses_course",
        "collection_courses",
        "course_id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for M0025ForeignKeyIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in M0025_INDEXES {
            m.create_index(index(name, table, &[column])).await?;
        }
        Ok(())
    }
}

struct K0001Keys;

impl MigrationName for K0001Keys {
    fn name(&self) -> &str {
        "k0001_subject_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for K0001Keys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("subject_keys"))
                .col(pk_uuid(t("subject_id")))
                .col(blob(t("wrapped_key")))
                .col(big_integer(t("created_at")))
                .to_owned(),
        )
        .await
    }
}

//! Profiles: a headline, an about section, experience, education, skills
//! and certificates earned here, each with its own visibility. A new
//! profile shows other members only the display name; a page for people
//! who are not signed in exists only when the member turns it on, and
//! search engines are asked not to index it unless they also allow that.

use super::{HEADLINE_CTX, Network, NetworkError, PersonCard, audience, decrypt};
use crate::entity::{connection, enrolment, follow, profile, profile_certificate, profile_entry};
use crate::{StoreError, from_ms};
use chrono::{DateTime, Utc};
use lyceum_core::domain::network::{Audience, Handle, Relation, Text};
use lyceum_core::domain::{MemberId, SubjectId};
use rand::Rng;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

const ABOUT_CTX: &str = "profiles.about";
const SKILLS_CTX: &str = "profiles.skills";
const TITLE_CTX: &str = "profile_entries.title";
const ORG_CTX: &str = "profile_entries.organisation";
const DESC_CTX: &str = "profile_entries.description";

/// The longest headline.
pub const MAX_HEADLINE_CHARS: usize = 220;
/// The longest about section.
pub const MAX_ABOUT_CHARS: usize = 2_600;
/// The most skills a profile lists.
pub const MAX_SKILLS: usize = 50;

/// Who may see each section of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SectionVisibility {
    /// The headline (also shown on cards beside the name).
    pub headline: Audience,
    /// About.
    pub about: Audience,
    /// Experience.
    pub experience: Audience,
    /// Education.
    pub education: Audience,
    /// Skills.
    pub skills: Audience,
    /// Certificates earned on Lyceum that the member chose to show.
    pub certificates: Audience,
    /// The list of connections.
    pub connections: Audience,
}

impl Default for SectionVisibility {
    /// Everything starts at "only me" (privacy invariant 2).
    fn default() -> Self {
        Self {
            headline: Audience::OnlyMe,
            about: Audience::OnlyMe,
            experience: Audience::OnlyMe,
            education: Audience::OnlyMe,
            skills: Audience::OnlyMe,
            certificates: Audience::OnlyMe,
            connections: Audience::OnlyMe,
        }
    }
}

/// What else a member allows. Everything starts off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProfileSwitches {
    /// A profile page for people who are not signed in (showing the
    /// sections set to "anyone").
    pub public_page: bool,
    /// Search engines may index that page.
    pub indexable: bool,
    /// Suggested to members who share connections with you.
    pub discoverable: bool,
    /// Members who are not connections may send one message request.
    pub message_requests: bool,
    /// Connections' exports may include your email address.
    pub email_download: bool,
}

/// One connection in a member's download of their connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedConnection {
    /// Their display name.
    pub name: String,
    /// Their handle.
    pub handle: String,
    /// Their headline, if connections may see it.
    pub headline: Option<String>,
    /// Their email address, only if they allow connections to download it.
    pub email: Option<String>,
    /// When the two connected.
    pub connected_at: DateTime<Utc>,
}

/// A position or a course of study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Id.
    pub id: Uuid,
    /// Role or qualification.
    pub title: String,
    /// Employer or school.
    pub organisation: String,
    /// What it involved.
    pub description: String,
    /// First year.
    pub start_year: Option<i32>,
    /// Last year; none while current.
    pub end_year: Option<i32>,
}

/// Experience or education.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A position.
    Experience,
    /// A course of study.
    Education,
}

impl EntryKind {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            EntryKind::Experience => "experience",
            EntryKind::Education => "education",
        }
    }
}

/// A certificate on a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownCertificate {
    /// The course.
    pub course_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its short name (for the link).
    pub slug: String,
    /// When the member finished it.
    pub completed_at: DateTime<Utc>,
    /// Shown on the profile.
    pub shown: bool,
}

/// The member's own profile, everything included, for editing.
#[derive(Debug, Clone, Serialize)]
pub struct MyProfile {
    /// Name, handle and headline.
    pub card: PersonCard,
    /// The headline (also in the card).
    pub headline: String,
    /// About.
    pub about: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Positions, newest first.
    pub experience: Vec<Entry>,
    /// Studies, newest first.
    pub education: Vec<Entry>,
    /// Every course finished here; `shown` says which are on the profile.
    pub certificates: Vec<ShownCertificate>,
    /// Who sees what.
    pub visibility: SectionVisibility,
    /// What else is allowed.
    pub switches: ProfileSwitches,
}

/// Where the viewer stands on connecting with the profile's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "request_id")]
pub enum ConnectionState {
    /// It is the viewer's own profile, or the viewer is not a member.
    NotApplicable,
    /// Not connected; a request may be sent.
    None,
    /// Connected.
    Connected,
    /// The viewer asked; waiting.
    Sent(Uuid),
    /// The owner asked the viewer.
    Received(Uuid),
}

/// A profile as one viewer may see it: every section is `None` unless its
/// visibility admits the viewer.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    /// Name, handle and (if visible) headline.
    pub card: PersonCard,
    /// How the viewer stands to the owner.
    pub relation: Relation,
    /// About.
    pub about: Option<String>,
    /// Positions.
    pub experience: Option<Vec<Entry>>,
    /// Studies.
    pub education: Option<Vec<Entry>>,
    /// Skills.
    pub skills: Option<Vec<String>>,
    /// Certificates the owner chose to show.
    pub certificates: Option<Vec<ShownCertificate>>,
    /// Connections.
    pub connections: Option<Vec<PersonCard>>,
    /// Connecting.
    pub connection: ConnectionState,
    /// The viewer follows the owner.
    pub following: bool,
    /// Search engines may index the page (only ever true for the public page).
    pub indexable: bool,
}

impl Network<'_> {
    /// [`Network::ensure_profile`] when the row itself is not needed: once
    /// this node has seen the profile, answered from memory.
    pub async fn ensure_profile_exists(&self, member: MemberId) -> Result<(), StoreError> {
        if !self.store.network_cache.has_profile(member.0) {
            self.ensure_profile(member).await?;
            self.store.network_cache.put_profile(member.0);
        }
        Ok(())
    }

    /// The member's profile row, created on first use with every section
    /// private and a handle made from their name.
    pub async fn ensure_profile(&self, member: MemberId) -> Result<profile::Model, StoreError> {
        // Every network request passes here: look on the read pool first,
        // so the common case never waits for SQLite's single writer.
        if let Some(p) = profile::Entity::find_by_id(member.0)
            .one(&self.store.db)
            .await?
        {
            return Ok(p);
        }
        let name = self
            .store
            .accounts()
            .get(member)
            .await?
            .map(|m| m.display_name.as_str().to_owned())
            .unwrap_or_default();
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let now = self.store.now_ms();
        let v = SectionVisibility::default();
        for _ in 0..8 {
            let suffix: String = {
                let mut rng = rand::rng();
                (0..4)
                    .map(|_| {
                        let n = rng.random_range(0..36u8);
                        char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
                    })
                    .collect()
            };
            let handle = Handle::suggest(&name, &suffix);
            let row = profile::ActiveModel {
                member_id: Set(member.0),
                handle: Set(handle.as_str().to_owned()),
                headline_ciphertext: Set(key.encrypt(HEADLINE_CTX, b"")),
                about_ciphertext: Set(key.encrypt(ABOUT_CTX, b"")),
                skills_ciphertext: Set(key.encrypt(SKILLS_CTX, b"")),
                vis_headline: Set(v.headline.key().into()),
                vis_about: Set(v.about.key().into()),
                vis_experience: Set(v.experience.key().into()),
                vis_education: Set(v.education.key().into()),
                vis_skills: Set(v.skills.key().into()),
                vis_certificates: Set(v.certificates.key().into()),
                vis_connections: Set(v.connections.key().into()),
                is_public_page: Set(false),
                is_indexable: Set(false),
                is_discoverable: Set(false),
                allow_message_requests: Set(false),
                allow_email_download: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            };
            let inserted = profile::Entity::insert(row)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(&self.store.writer)
                .await?;
            if inserted == 1 {
                break;
            }
            // Either the member's row appeared meanwhile or the handle is
            // taken: look again, and try another suffix if needed.
            if let Some(p) = profile::Entity::find_by_id(member.0)
                .one(&self.store.writer)
                .await?
            {
                return Ok(p);
            }
        }
        profile::Entity::find_by_id(member.0)
            .one(&self.store.writer)
            .await?
            .ok_or_else(|| StoreError::Corrupt("no free handle after 8 tries".into()))
    }

    /// The member with this handle.
    pub async fn member_by_handle(&self, handle: &str) -> Result<Option<MemberId>, StoreError> {
        let Ok(h) = Handle::parse(handle) else {
            return Ok(None);
        };
        Ok(profile::Entity::find()
            .filter(profile::Column::Handle.eq(h.as_str()))
            .one(&self.store.db)
            .await?
            .map(|p| MemberId(p.member_id)))
    }

    /// Everything on the member's own profile.
    pub async fn my_profile(&self, member: MemberId) -> Result<MyProfile, StoreError> {
        let p = self.ensure_profile(member).await?;
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let card = self
            .card_from(&p, Some(Relation::Myself))
            .await?
            .ok_or(StoreError::KeyDestroyed)?;
        let (experience, education) = self.entries(member).await?;
        Ok(MyProfile {
            card,
            headline: decrypt(&key, HEADLINE_CTX, &p.headline_ciphertext)?,
            about: decrypt(&key, ABOUT_CTX, &p.about_ciphertext)?,
            skills: split_skills(&decrypt(&key, SKILLS_CTX, &p.skills_ciphertext)?),
            experience,
            education,
            certificates: self.certificates(member, false).await?,
            visibility: visibility_of(&p),
            switches: switches_of(&p),
        })
    }

    /// Changes the headline, about section and skills.
    pub async fn update_intro(
        &self,
        member: MemberId,
        headline: &str,
        about: &str,
        skills: &str,
    ) -> Result<(), NetworkError> {
        let headline = optional_text(headline, MAX_HEADLINE_CHARS, "headline")?;
        let about = optional_text(about, MAX_ABOUT_CHARS, "about")?;
        let skills = split_skills(skills);
        if skills.len() > MAX_SKILLS {
            return Err(NetworkError::Invalid(
                "skills",
                format!("List at most {MAX_SKILLS} skills."),
            ));
        }
        if let Some(s) = skills.iter().find(|s| s.chars().count() > 80) {
            return Err(NetworkError::Invalid(
                "skills",
                format!("“{s}” is too long for a skill; keep each under 80 characters."),
            ));
        }
        let p = self.ensure_profile(member).await?;
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let mut a: profile::ActiveModel = p.into();
        a.headline_ciphertext = Set(key.encrypt(HEADLINE_CTX, headline.as_bytes()));
        a.about_ciphertext = Set(key.encrypt(ABOUT_CTX, about.as_bytes()));
        a.skills_ciphertext = Set(key.encrypt(SKILLS_CTX, skills.join("\n").as_bytes()));
        a.updated_at = Set(self.store.now_ms());
        a.update(&self.store.writer).await?;
        self.profile_changed().await?;
        Ok(())
    }

    /// Changes the handle.
    pub async fn set_handle(&self, member: MemberId, raw: &str) -> Result<Handle, NetworkError> {
        let handle =
            Handle::parse(raw).map_err(|e| NetworkError::Invalid("handle", e.to_string()))?;
        let p = self.ensure_profile(member).await?;
        if p.handle == handle.as_str() {
            return Ok(handle);
        }
        if let Some(other) = self.member_by_handle(handle.as_str()).await?
            && other != member
        {
            return Err(NetworkError::Invalid(
                "handle",
                "Another member has that handle; choose another.".into(),
            ));
        }
        let mut a: profile::ActiveModel = p.into();
        a.handle = Set(handle.as_str().to_owned());
        a.updated_at = Set(self.store.now_ms());
        a.update(&self.store.writer).await.map_err(|e| {
            // Two members racing for one handle: the unique index decides.
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                NetworkError::Invalid(
                    "handle",
                    "Another member has that handle; choose another.".into(),
                )
            } else {
                e.into()
            }
        })?;
        self.profile_changed().await?;
        Ok(handle)
    }

    /// Sets who sees each section and what else is allowed. Indexing
    /// needs a public page; turning the page off turns indexing off too.
    pub async fn set_privacy(
        &self,
        member: MemberId,
        v: SectionVisibility,
        mut s: ProfileSwitches,
    ) -> Result<(), StoreError> {
        if !s.public_page {
            s.indexable = false;
        }
        let p = self.ensure_profile(member).await?;
        let mut a: profile::ActiveModel = p.into();
        a.vis_headline = Set(v.headline.key().into());
        a.vis_about = Set(v.about.key().into());
        a.vis_experience = Set(v.experience.key().into());
        a.vis_education = Set(v.education.key().into());
        a.vis_skills = Set(v.skills.key().into());
        a.vis_certificates = Set(v.certificates.key().into());
        a.vis_connections = Set(v.connections.key().into());
        a.is_public_page = Set(s.public_page);
        a.is_indexable = Set(s.indexable);
        a.is_discoverable = Set(s.discoverable);
        a.allow_message_requests = Set(s.message_requests);
        a.allow_email_download = Set(s.email_download);
        a.updated_at = Set(self.store.now_ms());
        a.update(&self.store.writer).await?;
        self.profile_changed().await
    }

    /// Tells every node's card cache that a profile changed.
    async fn profile_changed(&self) -> Result<(), StoreError> {
        self.store
            .bump(crate::generations::Generation::Profiles)
            .await
    }

    /// Adds a position or a course of study.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_entry(
        &self,
        member: MemberId,
        kind: EntryKind,
        title: &str,
        organisation: &str,
        description: &str,
        start_year: Option<i32>,
        end_year: Option<i32>,
    ) -> Result<Uuid, NetworkError> {
        let title = Text::parse(title, 150).map_err(|e| NetworkError::text("title", e))?;
        let organisation =
            Text::parse(organisation, 150).map_err(|e| NetworkError::text("organisation", e))?;
        let description = optional_text(description, 2_000, "description")?;
        let this_year = chrono::Datelike::year(&self.store.clock.now());
        for (field, y) in [("start_year", start_year), ("end_year", end_year)] {
            if let Some(y) = y
                && !(1900..=this_year + 10).contains(&y)
            {
                return Err(NetworkError::Invalid(
                    field,
                    format!("Give a year between 1900 and {}.", this_year + 10),
                ));
            }
        }
        if let (Some(a), Some(b)) = (start_year, end_year)
            && b < a
        {
            return Err(NetworkError::Invalid(
                "end_year",
                "The last year cannot be before the first.".into(),
            ));
        }
        self.ensure_profile_exists(member).await?;
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let id = Uuid::now_v7();
        profile_entry::ActiveModel {
            id: Set(id),
            member_id: Set(member.0),
            kind: Set(kind.key().into()),
            title_ciphertext: Set(key.encrypt(TITLE_CTX, title.as_str().as_bytes())),
            organisation_ciphertext: Set(key.encrypt(ORG_CTX, organisation.as_str().as_bytes())),
            description_ciphertext: Set(key.encrypt(DESC_CTX, description.as_bytes())),
            start_year: Set(start_year),
            end_year: Set(end_year),
            created_at: Set(self.store.now_ms()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(id)
    }

    /// Removes one of the member's entries.
    pub async fn delete_entry(&self, member: MemberId, id: Uuid) -> Result<bool, StoreError> {
        let res = profile_entry::Entity::delete_many()
            .filter(profile_entry::Column::Id.eq(id))
            .filter(profile_entry::Column::MemberId.eq(member.0))
            .exec(&self.store.writer)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Shows or hides a finished course's certificate on the profile.
    pub async fn show_certificate(
        &self,
        member: MemberId,
        course_id: Uuid,
        shown: bool,
    ) -> Result<(), NetworkError> {
        if !shown {
            profile_certificate::Entity::delete_many()
                .filter(profile_certificate::Column::MemberId.eq(member.0))
                .filter(profile_certificate::Column::CourseId.eq(course_id))
                .exec(&self.store.writer)
                .await?;
            return Ok(());
        }
        let finished = self
            .certificates(member, false)
            .await?
            .into_iter()
            .any(|c| c.course_id == course_id);
        if !finished {
            return Err(NetworkError::Conflict(
                "Only courses you finished here can be shown on your profile.".into(),
            ));
        }
        profile_certificate::Entity::insert(profile_certificate::ActiveModel {
            member_id: Set(member.0),
            course_id: Set(course_id),
            created_at: Set(self.store.now_ms()),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&self.store.writer)
        .await?;
        Ok(())
    }

    /// The member's profile as `viewer` may see it, or [`NetworkError::NotFound`]
    /// when they may not see it at all (blocked, or not signed in and the
    /// member has no public page).
    pub async fn profile(
        &self,
        viewer: Option<MemberId>,
        owner: MemberId,
    ) -> Result<ProfileView, NetworkError> {
        let relation = self.relation(viewer, owner.0).await?;
        self.profile_as(viewer, owner, relation).await
    }

    /// The member's own profile as someone with `relation` would see it
    /// (the "view as" preview).
    pub async fn preview(
        &self,
        owner: MemberId,
        relation: Relation,
    ) -> Result<ProfileView, NetworkError> {
        self.profile_as(None, owner, relation).await
    }

    async fn profile_as(
        &self,
        viewer: Option<MemberId>,
        owner: MemberId,
        relation: Relation,
    ) -> Result<ProfileView, NetworkError> {
        let p = profile::Entity::find_by_id(owner.0)
            .one(&self.store.db)
            .await?
            .ok_or(NetworkError::NotFound)?;
        if relation == Relation::Blocked || (relation == Relation::Anyone && !p.is_public_page) {
            return Err(NetworkError::NotFound);
        }
        let card = self
            .card_from(&p, Some(relation))
            .await?
            .ok_or(NetworkError::NotFound)?;
        let v = visibility_of(&p);
        let key = self.store.keyring.get(SubjectId(owner.0)).await?;
        let about = if v.about.admits(relation) {
            Some(decrypt(&key, ABOUT_CTX, &p.about_ciphertext)?).filter(|s| !s.is_empty())
        } else {
            None
        };
        let skills = if v.skills.admits(relation) {
            Some(split_skills(&decrypt(
                &key,
                SKILLS_CTX,
                &p.skills_ciphertext,
            )?))
        } else {
            None
        };
        let (experience, education) =
            if v.experience.admits(relation) || v.education.admits(relation) {
                let (x, e) = self.entries(owner).await?;
                (
                    v.experience.admits(relation).then_some(x),
                    v.education.admits(relation).then_some(e),
                )
            } else {
                (None, None)
            };
        let certificates = if v.certificates.admits(relation) {
            Some(self.certificates(owner, true).await?)
        } else {
            None
        };
        let connections = if v.connections.admits(relation) {
            Some(self.connection_cards(viewer, owner, 500).await?)
        } else {
            None
        };
        let (connection, following) = match viewer {
            Some(v) if v != owner => (
                self.connection_state(v, owner).await?,
                follow::Entity::find_by_id((v.0, owner.0))
                    .one(&self.store.db)
                    .await?
                    .is_some(),
            ),
            _ => (ConnectionState::NotApplicable, false),
        };
        Ok(ProfileView {
            card,
            relation,
            about,
            experience,
            education,
            skills,
            certificates,
            connections,
            connection,
            following,
            indexable: relation == Relation::Anyone && p.is_public_page && p.is_indexable,
        })
    }

    async fn entries(&self, member: MemberId) -> Result<(Vec<Entry>, Vec<Entry>), StoreError> {
        let rows = profile_entry::Entity::find()
            .filter(profile_entry::Column::MemberId.eq(member.0))
            .order_by_desc(profile_entry::Column::StartYear)
            .order_by_desc(profile_entry::Column::CreatedAt)
            .all(&self.store.db)
            .await?;
        if rows.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let key = self.store.keyring.get(SubjectId(member.0)).await?;
        let (mut x, mut e) = (Vec::new(), Vec::new());
        for r in rows {
            let entry = Entry {
                id: r.id,
                title: decrypt(&key, TITLE_CTX, &r.title_ciphertext)?,
                organisation: decrypt(&key, ORG_CTX, &r.organisation_ciphertext)?,
                description: decrypt(&key, DESC_CTX, &r.description_ciphertext)?,
                start_year: r.start_year,
                end_year: r.end_year,
            };
            if r.kind == EntryKind::Education.key() {
                e.push(entry);
            } else {
                x.push(entry);
            }
        }
        Ok((x, e))
    }

    /// Courses the member finished here (under their account or a library
    /// card they linked), newest first; with `shown_only`, only those they
    /// chose to show.
    async fn certificates(
        &self,
        member: MemberId,
        shown_only: bool,
    ) -> Result<Vec<ShownCertificate>, StoreError> {
        let mut subjects = vec![member.0];
        subjects.extend(
            self.store
                .guests()
                .linked_to(member)
                .await?
                .into_iter()
                .map(|(g, _)| g.id.0),
        );
        let done = enrolment::Entity::find()
            .filter(enrolment::Column::SubjectId.is_in(subjects))
            .filter(enrolment::Column::CompletedAt.is_not_null())
            .order_by_desc(enrolment::Column::CompletedAt)
            .all(&self.store.db)
            .await?;
        let shown: Vec<Uuid> = profile_certificate::Entity::find()
            .filter(profile_certificate::Column::MemberId.eq(member.0))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.course_id)
            .collect();
        let ids: Vec<Uuid> = done.iter().map(|e| e.course_id).collect();
        let cards = self.store.learning().cards_for(&ids).await?;
        let mut out = Vec::new();
        for e in done {
            let is_shown = shown.contains(&e.course_id);
            if shown_only && !is_shown {
                continue;
            }
            if out
                .iter()
                .any(|c: &ShownCertificate| c.course_id == e.course_id)
            {
                continue;
            }
            if let Some(c) = cards.iter().find(|c| c.id == e.course_id) {
                out.push(ShownCertificate {
                    course_id: c.id,
                    title: c.title.clone(),
                    slug: c.slug.clone(),
                    completed_at: from_ms(e.completed_at.unwrap_or(e.enrolled_at)),
                    shown: is_shown,
                });
            }
        }
        Ok(out)
    }

    /// The owner's connections as `viewer` sees their cards, by name.
    pub async fn connection_cards(
        &self,
        viewer: Option<MemberId>,
        owner: MemberId,
        limit: u64,
    ) -> Result<Vec<PersonCard>, StoreError> {
        let ids: Vec<Uuid> = connection::Entity::find()
            .filter(connection::Column::MemberId.eq(owner.0))
            .order_by_desc(connection::Column::CreatedAt)
            .limit(limit)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|c| c.other_id)
            .collect();
        let mut cards = self.cards(viewer, &ids).await?;
        let mut out: Vec<PersonCard> = ids.iter().filter_map(|i| cards.remove(i)).collect();
        out.sort_by_key(|c| c.name.to_lowercase());
        Ok(out)
    }

    /// The member's connections for download, oldest first. A connection's
    /// email address is included only if that person allowed it
    /// (invariant 11: default no); their headline only if connections may
    /// see it. Members who have been erased are left out.
    pub async fn connections_export(
        &self,
        member: MemberId,
    ) -> Result<Vec<ExportedConnection>, StoreError> {
        let rows = connection::Entity::find()
            .filter(connection::Column::MemberId.eq(member.0))
            .order_by_asc(connection::Column::CreatedAt)
            .all(&self.store.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|c| c.other_id).collect();
        let profiles: std::collections::HashMap<Uuid, profile::Model> = profile::Entity::find()
            .filter(profile::Column::MemberId.is_in(ids))
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|p| (p.member_id, p))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            let Some(p) = profiles.get(&c.other_id) else {
                continue;
            };
            let Some(card) = self.card_from(p, Some(Relation::Connection)).await? else {
                continue;
            };
            let email = if p.allow_email_download {
                match self.store.accounts().get(MemberId(c.other_id)).await {
                    Ok(Some(m)) => Some(m.email.as_str().to_owned()),
                    Ok(None) | Err(StoreError::KeyDestroyed) => continue,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            out.push(ExportedConnection {
                name: card.name,
                handle: card.handle,
                headline: card.headline,
                email,
                connected_at: from_ms(c.created_at),
            });
        }
        Ok(out)
    }

    /// How many connections a member has.
    pub async fn connection_count(&self, member: MemberId) -> Result<u64, StoreError> {
        Ok(connection::Entity::find()
            .filter(connection::Column::MemberId.eq(member.0))
            .count(&self.store.db)
            .await?)
    }
}

fn visibility_of(p: &profile::Model) -> SectionVisibility {
    SectionVisibility {
        headline: audience(&p.vis_headline),
        about: audience(&p.vis_about),
        experience: audience(&p.vis_experience),
        education: audience(&p.vis_education),
        skills: audience(&p.vis_skills),
        certificates: audience(&p.vis_certificates),
        connections: audience(&p.vis_connections),
    }
}

pub(crate) fn switches_of(p: &profile::Model) -> ProfileSwitches {
    ProfileSwitches {
        public_page: p.is_public_page,
        indexable: p.is_indexable,
        discoverable: p.is_discoverable,
        message_requests: p.allow_message_requests,
        email_download: p.allow_email_download,
    }
}

fn split_skills(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split([',', '\n']) {
        let s = s.trim();
        if !s.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_owned());
        }
    }
    out
}

fn optional_text(raw: &str, max: usize, field: &'static str) -> Result<String, NetworkError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    Ok(Text::parse(raw, max)
        .map_err(|e| NetworkError::text(field, e))?
        .as_str()
        .to_owned())
}

//! Libraries (tenants): their settings, staff, audit log, card lists, and
//! the keyed pseudonym that stands for a patron's card.
//!
//! What must not happen here: a card number or PIN reaching the database.
//! Both arrive as [`CardNumber`] and [`Pin`], which cannot be serialised;
//! the only thing derived from a card that is ever stored is
//! [`Libraries::pseudonym`], an HMAC under the library's own secret.

use crate::entity::{library, library_audit, library_staff, oidc_login, static_patron};
use crate::{Store, StoreError, from_ms};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lyceum_core::domain::library::PatronAuthMethod;
use lyceum_core::domain::{
    BrandColour, CardNumber, LibraryId, LibraryName, LibrarySlug, Licence, MemberId, Pin,
};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How a library's SIP2 server is reached. The account password is kept
/// apart, sealed (see [`Libraries::set_sip2`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sip2Settings {
    /// Host name or address.
    pub host: String,
    /// TCP port (often 6001).
    pub port: u16,
    /// TLS around the connection.
    pub tls: bool,
    /// The SIP2 account (CN).
    pub login_user: String,
    /// Location code (CP), if the server wants one.
    pub location: Option<String>,
    /// Institution id (AO).
    pub institution: String,
    /// Sequence numbers and checksums (AY/AZ).
    pub error_detection: bool,
    /// Whether the server ends messages with CR LF rather than CR.
    pub crlf: bool,
    /// Patron information (63) rather than patron status (23).
    pub use_patron_information: bool,
    /// Per-exchange time limit in milliseconds.
    pub timeout_ms: u32,
}

/// How a library's OpenID Connect provider is reached. The client secret
/// is kept apart, sealed (see [`Libraries::set_oidc`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    /// The issuer URL; discovery is read from
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// The client id Lyceum is registered under.
    pub client_id: String,
}

/// A library as the rest of Lyceum sees it.
#[derive(Debug, Clone)]
pub struct Library {
    /// Id.
    pub id: LibraryId,
    /// Short name.
    pub slug: LibrarySlug,
    /// Name.
    pub name: String,
    /// Town or area.
    pub town: Option<String>,
    /// Public contact line for patrons.
    pub contact: String,
    /// Brand colour (white text on it is readable).
    pub brand_colour: BrandColour,
    /// What the library has bought.
    pub licence: Licence,
    /// Consortium, if any.
    pub consortium: Option<String>,
    /// How patrons sign in.
    pub auth_method: PatronAuthMethod,
    /// SIP2 settings, when configured.
    pub sip2: Option<Sip2Settings>,
    /// Whether a SIP2 password is stored.
    pub has_sip2_password: bool,
    /// OpenID Connect settings, when configured.
    pub oidc: Option<OidcSettings>,
    /// Whether a logo was uploaded.
    pub has_logo: bool,
    /// Whether "shared computer" starts ticked on the sign-in form.
    pub shared_computer_default: bool,
    /// Idle minutes before a shared-computer session ends.
    pub idle_minutes: u32,
    /// Days a guest's data is kept after their last visit.
    pub guest_retention_days: u32,
    /// When the library was added.
    pub created_at: DateTime<Utc>,
    pseudonym_secret: Vec<u8>,
}

impl Library {
    /// The current settings, as changes to start from.
    pub fn as_changes(&self) -> LibraryChanges {
        LibraryChanges {
            // Stored names were checked when they were saved.
            name: LibraryName::parse(&self.name).unwrap_or_else(|_| {
                LibraryName::parse(self.slug.as_str()).expect("a slug is a valid name")
            }),
            town: self.town.clone(),
            contact: self.contact.clone(),
            brand_colour: self.brand_colour,
            licence: self.licence,
            consortium: self.consortium.clone(),
            auth_method: self.auth_method,
            shared_computer_default: self.shared_computer_default,
            idle_minutes: self.idle_minutes,
            guest_retention_days: self.guest_retention_days,
        }
    }
}

/// What a new library starts with.
#[derive(Debug, Clone)]
pub struct NewLibrary {
    /// Short name.
    pub slug: LibrarySlug,
    /// Name.
    pub name: LibraryName,
}

/// Settings library staff can change.
#[derive(Debug, Clone)]
pub struct LibraryChanges {
    /// Name.
    pub name: LibraryName,
    /// Town or area.
    pub town: Option<String>,
    /// Public contact line.
    pub contact: String,
    /// Brand colour.
    pub brand_colour: BrandColour,
    /// Licence.
    pub licence: Licence,
    /// Consortium.
    pub consortium: Option<String>,
    /// Patron sign-in method.
    pub auth_method: PatronAuthMethod,
    /// "Shared computer" ticked by default.
    pub shared_computer_default: bool,
    /// Idle minutes on a shared computer (5–120).
    pub idle_minutes: u32,
    /// Guest retention in days (1–3650).
    pub guest_retention_days: u32,
}

/// One line of a library's audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a member id; staff names are shown by the page).
    pub actor: MemberId,
    /// What.
    pub action: String,
}

/// What the static card list said about a card and PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListVerdict {
    /// Card on the list, PIN right.
    Valid,
    /// Card on the list, PIN wrong.
    WrongPin,
    /// Card not on the list.
    UnknownCard,
}

/// Why a library change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The short name is in use.
    #[error("Another library already uses the short name “{0}”.")]
    SlugTaken(String),
    /// A setting is out of range.
    #[error("{0}")]
    Invalid(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for LibraryError {
    fn from(e: sea_orm::DbErr) -> Self {
        LibraryError::Store(e.into())
    }
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The media type of a PNG, JPEG or WebP image, from its first bytes.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The default days a guest's data is kept after their last visit.
pub const DEFAULT_GUEST_RETENTION_DAYS: u32 = 365;
/// The default idle minutes on a shared computer.
pub const DEFAULT_IDLE_MINUTES: u32 = 15;

fn secret_context(id: LibraryId) -> String {
    format!("libraries.pseudonym_secret/{id}")
}

fn oidc_secret_context(id: LibraryId) -> String {
    format!("libraries.oidc_client_secret/{id}")
}

fn sip2_password_context(id: LibraryId) -> String {
    format!("libraries.sip2_password/{id}")
}

/// Library use cases over the store.
#[derive(Debug)]
pub struct Libraries<'a> {
    store: &'a Store,
}

impl<'a> Libraries<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    fn seal(&self, context: &str, secret: &str) -> Vec<u8> {
        self.store
            .keyring
            .instance_key()
            .seal_secret(context, secret.as_bytes())
    }

    fn unseal(&self, context: &str, sealed: &[u8]) -> Result<String, StoreError> {
        let bytes = self
            .store
            .keyring
            .instance_key()
            .open_secret(context, sealed)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| StoreError::Corrupt(format!("{context} is not UTF-8")))
    }

    fn decode(&self, row: library::Model) -> Result<Library, StoreError> {
        let slug = LibrarySlug::parse(&row.slug)
            .map_err(|_| StoreError::Corrupt(format!("library slug {:?}", row.slug)))?;
        let sip2 = match row.sip2_settings.as_deref() {
            Some(json) => Some(
                serde_json::from_str(json)
                    .map_err(|e| StoreError::Corrupt(format!("sip2 settings: {e}")))?,
            ),
            None => None,
        };
        Ok(Library {
            id: LibraryId(row.id),
            slug,
            name: row.name,
            town: row.town,
            contact: row.contact,
            brand_colour: BrandColour::parse(&row.brand_colour).unwrap_or(BrandColour::DEFAULT),
            licence: match row.seats_per_month {
                Some(n) => Licence::SeatsPerMonth(u32::try_from(n).unwrap_or(0)),
                None => Licence::Unlimited,
            },
            consortium: row.consortium,
            auth_method: PatronAuthMethod::from_name(&row.auth_method)
                .unwrap_or(PatronAuthMethod::Disabled),
            sip2,
            has_sip2_password: row.sip2_password.is_some(),
            has_logo: row.logo.is_some(),
            oidc: row
                .oidc_settings
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            shared_computer_default: row.shared_computer_default,
            idle_minutes: u32::try_from(row.idle_minutes).unwrap_or(DEFAULT_IDLE_MINUTES),
            guest_retention_days: u32::try_from(row.guest_retention_days)
                .unwrap_or(DEFAULT_GUEST_RETENTION_DAYS),
            created_at: from_ms(row.created_at),
            pseudonym_secret: row.pseudonym_secret,
        })
    }

    /// Adds a library. Patron sign-in starts disabled until its method is
    /// configured.
    pub async fn create(
        &self,
        new: NewLibrary,
        actor: Option<MemberId>,
    ) -> Result<Library, LibraryError> {
        let id = LibraryId::new();
        let now = self.store.now_ms();
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let sealed = self
            .store
            .keyring
            .instance_key()
            .seal_secret(&secret_context(id), &secret);
        let row = library::ActiveModel {
            id: Set(id.0),
            slug: Set(new.slug.as_str().to_owned()),
            name: Set(new.name.as_str().to_owned()),
            town: Set(None),
            contact: Set("Ask at your library's front desk.".to_owned()),
            brand_colour: Set(BrandColour::DEFAULT.to_string()),
            seats_per_month: Set(None),
            consortium: Set(None),
            auth_method: Set(PatronAuthMethod::Disabled.as_str().to_owned()),
            sip2_settings: Set(None),
            sip2_password: Set(None),
            oidc_settings: Set(None),
            oidc_client_secret: Set(None),
            logo: Set(None),
            logo_type: Set(None),
            shared_computer_default: Set(false),
            idle_minutes: Set(DEFAULT_IDLE_MINUTES as i32),
            guest_retention_days: Set(DEFAULT_GUEST_RETENTION_DAYS as i32),
            pseudonym_secret: Set(sealed),
            created_at: Set(now),
        };
        let inserted = row
            .insert(&self.store.writer)
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    LibraryError::SlugTaken(new.slug.to_string())
                }
                _ => LibraryError::from(e),
            })?;
        if let Some(actor) = actor {
            self.audit(id, actor, "Added the library").await?;
        }
        Ok(self.decode(inserted)?)
    }

    /// A library by short name.
    pub async fn by_slug(&self, slug: &str) -> Result<Option<Library>, StoreError> {
        let Ok(slug) = LibrarySlug::parse(slug) else {
            return Ok(None);
        };
        library::Entity::find()
            .filter(library::Column::Slug.eq(slug.as_str()))
            .one(&self.store.db)
            .await?
            .map(|r| self.decode(r))
            .transpose()
    }

    /// A library by id.
    pub async fn get(&self, id: LibraryId) -> Result<Option<Library>, StoreError> {
        library::Entity::find_by_id(id.0)
            .one(&self.store.db)
            .await?
            .map(|r| self.decode(r))
            .transpose()
    }

    /// Every library whose name, town, short name or consortium contains
    /// the query (case-insensitive), by name. An instance holds a few
    /// hundred libraries at most, so this filters in memory rather than
    /// asking each engine for its own case-folding `LIKE`.
    pub async fn search(&self, query: &str) -> Result<Vec<Library>, StoreError> {
        let q = query.trim().to_lowercase();
        let rows = library::Entity::find()
            .order_by_asc(library::Column::Name)
            .all(&self.store.db)
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let lib = self.decode(row)?;
            let hit = q.is_empty()
                || [
                    Some(lib.name.as_str()),
                    lib.town.as_deref(),
                    Some(lib.slug.as_str()),
                    lib.consortium.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|field| field.to_lowercase().contains(&q));
            if hit {
                out.push(lib);
            }
        }
        Ok(out)
    }

    /// Changes a library's settings and records who did it.
    pub async fn update(
        &self,
        id: LibraryId,
        changes: LibraryChanges,
        actor: MemberId,
    ) -> Result<Library, LibraryError> {
        if !(5..=120).contains(&changes.idle_minutes) {
            return Err(LibraryError::Invalid(
                "The idle time on a shared computer must be between 5 and 120 minutes.".into(),
            ));
        }
        if !(1..=3650).contains(&changes.guest_retention_days) {
            return Err(LibraryError::Invalid(
                "Guest data must be kept between 1 and 3,650 days after the last visit.".into(),
            ));
        }
        if changes.contact.trim().is_empty() || changes.contact.chars().count() > 300 {
            return Err(LibraryError::Invalid(
                "Give a contact line for patrons (up to 300 characters), such as a phone \
                 number or \"ask at the front desk\"."
                    .into(),
            ));
        }
        let current = self.get(id).await?;
        if changes.auth_method == PatronAuthMethod::Sip2
            && current.as_ref().and_then(|l| l.sip2.as_ref()).is_none()
        {
            return Err(LibraryError::Invalid(
                "Set up the SIP2 connection before choosing SIP2 for patron sign-in.".into(),
            ));
        }
        if changes.auth_method == PatronAuthMethod::Oidc
            && current.as_ref().and_then(|l| l.oidc.as_ref()).is_none()
        {
            return Err(LibraryError::Invalid(
                "Set up the OpenID Connect provider before choosing it for patron sign-in.".into(),
            ));
        }
        let seats = match changes.licence {
            Licence::Unlimited => None,
            Licence::SeatsPerMonth(n) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        };
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        library::ActiveModel {
            id: Set(id.0),
            name: Set(changes.name.as_str().to_owned()),
            town: Set(clean(changes.town)),
            contact: Set(changes.contact.trim().to_owned()),
            brand_colour: Set(changes.brand_colour.to_string()),
            seats_per_month: Set(seats),
            consortium: Set(clean(changes.consortium)),
            auth_method: Set(changes.auth_method.as_str().to_owned()),
            shared_computer_default: Set(changes.shared_computer_default),
            idle_minutes: Set(changes.idle_minutes as i32),
            guest_retention_days: Set(changes.guest_retention_days as i32),
            ..Default::default()
        }
        .update(&self.store.writer)
        .await?;
        self.audit(id, actor, "Changed the library's settings")
            .await?;
        self.get(id)
            .await?
            .ok_or_else(|| LibraryError::Invalid("The library no longer exists.".into()))
    }

    /// Stores the SIP2 connection. A `None` password keeps the stored one.
    pub async fn set_sip2(
        &self,
        id: LibraryId,
        settings: Sip2Settings,
        password: Option<&str>,
        actor: Option<MemberId>,
    ) -> Result<(), LibraryError> {
        if settings.host.trim().is_empty() || settings.institution.trim().is_empty() {
            return Err(LibraryError::Invalid(
                "Give the SIP2 server's host and the institution id.".into(),
            ));
        }
        if settings.port == 0 {
            return Err(LibraryError::Invalid("Give the SIP2 server's port.".into()));
        }
        if !(500..=30_000).contains(&settings.timeout_ms) {
            return Err(LibraryError::Invalid(
                "The SIP2 time limit must be between 500 and 30,000 milliseconds.".into(),
            ));
        }
        let json = serde_json::to_string(&settings)
            .map_err(|e| LibraryError::Invalid(format!("SIP2 settings: {e}")))?;
        let mut row = library::ActiveModel {
            id: Set(id.0),
            sip2_settings: Set(Some(json)),
            ..Default::default()
        };
        if let Some(pw) = password {
            row.sip2_password = Set(Some(self.seal(&sip2_password_context(id), pw)));
        }
        row.update(&self.store.writer).await?;
        if let Some(actor) = actor {
            self.audit(id, actor, "Changed the SIP2 connection").await?;
        }
        Ok(())
    }

    /// Stores the OpenID Connect provider. A `None` secret keeps the stored one.
    pub async fn set_oidc(
        &self,
        id: LibraryId,
        settings: OidcSettings,
        client_secret: Option<&str>,
        actor: Option<MemberId>,
    ) -> Result<(), LibraryError> {
        let issuer = url::Url::parse(settings.issuer.trim()).map_err(|_| {
            LibraryError::Invalid(
                "Give the issuer as a full address, like https://login.example.org.".into(),
            )
        })?;
        let loopback = matches!(issuer.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if issuer.scheme() != "https" && !loopback {
            return Err(LibraryError::Invalid(
                "The issuer must be an https:// address: the sign-in relies on TLS to know it is talking to the right provider."
                    .into(),
            ));
        }
        if settings.client_id.trim().is_empty() {
            return Err(LibraryError::Invalid("Give the client id.".into()));
        }
        let settings = OidcSettings {
            issuer: settings.issuer.trim().trim_end_matches('/').to_owned(),
            client_id: settings.client_id.trim().to_owned(),
        };
        let json = serde_json::to_string(&settings)
            .map_err(|e| LibraryError::Invalid(format!("OpenID Connect settings: {e}")))?;
        let mut row = library::ActiveModel {
            id: Set(id.0),
            oidc_settings: Set(Some(json)),
            ..Default::default()
        };
        if let Some(secret) = client_secret {
            row.oidc_client_secret = Set(Some(self.seal(&oidc_secret_context(id), secret)));
        }
        row.update(&self.store.writer).await?;
        if let Some(actor) = actor {
            self.audit(id, actor, "Changed the OpenID Connect provider")
                .await?;
        }
        Ok(())
    }

    /// The OpenID Connect client secret, unsealed, if one is stored.
    pub async fn oidc_client_secret(&self, id: LibraryId) -> Result<Option<String>, StoreError> {
        let row = library::Entity::find_by_id(id.0)
            .one(&self.store.db)
            .await?;
        row.and_then(|r| r.oidc_client_secret)
            .map(|sealed| self.unseal(&oidc_secret_context(id), &sealed))
            .transpose()
    }

    /// The pseudonym for a subject identifier from the library's identity
    /// provider: the same HMAC as for cards, over a prefixed value so a
    /// provider's subject can never collide with a card number.
    pub fn pseudonym_of_subject(
        &self,
        library: &Library,
        subject: &str,
    ) -> Result<Vec<u8>, StoreError> {
        self.mac(library, &format!("oidc:{subject}"))
    }

    /// Starts an OpenID Connect sign-in: stores the state (hashed), the
    /// sealed PKCE verifier and the nonce for ten minutes.
    pub async fn begin_oidc(
        &self,
        library: LibraryId,
        state: &str,
        verifier: &str,
        nonce: &str,
        shared: bool,
    ) -> Result<(), StoreError> {
        use sha2::Digest;
        oidc_login::ActiveModel {
            state_hash: Set(Sha256::digest(state.as_bytes()).to_vec()),
            library_id: Set(library.0),
            verifier: Set(self.seal("oidc_logins.verifier", verifier)),
            nonce: Set(nonce.to_owned()),
            is_shared_device: Set(shared),
            expires_at: Set(self.store.now_ms() + 10 * 60 * 1000),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Takes (and deletes) a sign-in in progress by its state: the
    /// verifier, the nonce and the shared-computer choice. A state is good
    /// once, for ten minutes, and only for the library that issued it.
    pub async fn finish_oidc(
        &self,
        library: LibraryId,
        state: &str,
    ) -> Result<Option<(String, String, bool)>, StoreError> {
        use sha2::Digest;
        let hash = Sha256::digest(state.as_bytes()).to_vec();
        let Some(row) = oidc_login::Entity::find_by_id(hash.clone())
            .one(&self.store.writer)
            .await?
        else {
            return Ok(None);
        };
        let deleted = oidc_login::Entity::delete_by_id(hash)
            .exec(&self.store.writer)
            .await?
            .rows_affected;
        if deleted == 0 || row.library_id != library.0 || row.expires_at <= self.store.now_ms() {
            return Ok(None);
        }
        let verifier = self.unseal("oidc_logins.verifier", &row.verifier)?;
        Ok(Some((verifier, row.nonce, row.is_shared_device)))
    }

    /// Sets or removes the library's logo. Only PNG, JPEG and WebP of at
    /// most [`MAX_LOGO_BYTES`] are taken, recognised by their first bytes
    /// rather than by what the upload claims; SVG is refused because it can
    /// carry scripts.
    pub async fn set_logo(
        &self,
        id: LibraryId,
        image: Option<&[u8]>,
        actor: MemberId,
    ) -> Result<(), LibraryError> {
        let (logo, kind) = match image {
            None => (None, None),
            Some(bytes) => {
                if bytes.len() > MAX_LOGO_BYTES {
                    return Err(LibraryError::Invalid(format!(
                        "The logo is {} KiB; it can be at most {} KiB.",
                        bytes.len().div_ceil(1024),
                        MAX_LOGO_BYTES / 1024
                    )));
                }
                let kind = image_type(bytes).ok_or_else(|| {
                    LibraryError::Invalid("The logo must be a PNG, JPEG or WebP image.".into())
                })?;
                (Some(bytes.to_vec()), Some(kind.to_owned()))
            }
        };
        let removing = logo.is_none();
        library::ActiveModel {
            id: Set(id.0),
            logo: Set(logo),
            logo_type: Set(kind),
            ..Default::default()
        }
        .update(&self.store.writer)
        .await?;
        let what = if removing {
            "Removed the logo"
        } else {
            "Changed the logo"
        };
        self.audit(id, actor, what).await?;
        Ok(())
    }

    /// The logo and its media type.
    pub async fn logo(&self, slug: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        Ok(library::Entity::find()
            .filter(library::Column::Slug.eq(slug))
            .one(&self.store.db)
            .await?
            .and_then(|r| Some((r.logo?, r.logo_type?))))
    }

    /// The SIP2 account password, unsealed, for the client only.
    pub async fn sip2_password(&self, id: LibraryId) -> Result<Option<String>, StoreError> {
        let row = library::Entity::find_by_id(id.0)
            .one(&self.store.db)
            .await?;
        row.and_then(|r| r.sip2_password)
            .map(|sealed| self.unseal(&sip2_password_context(id), &sealed))
            .transpose()
    }

    /// The pseudonym that stands for a card at this library: HMAC-SHA-256
    /// of the normalised card number under the library's secret. The same
    /// card at another library gives an unrelated value.
    pub fn pseudonym(&self, library: &Library, card: &CardNumber) -> Result<Vec<u8>, StoreError> {
        self.mac(library, card.expose())
    }

    fn mac(&self, library: &Library, value: &str) -> Result<Vec<u8>, StoreError> {
        let secret = self
            .store
            .keyring
            .instance_key()
            .open_secret(&secret_context(library.id), &library.pseudonym_secret)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&secret)
            .map_err(|_| StoreError::Corrupt("pseudonym key".into()))?;
        mac.update(value.as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }

    /// Replaces the library's card list. Each entry is a card number and
    /// an argon2 PHC hash of its PIN; hashes are checked for form here so a
    /// bad line is refused before anything changes.
    pub async fn replace_card_list(
        &self,
        library: &Library,
        entries: Vec<(CardNumber, String)>,
        actor: Option<MemberId>,
    ) -> Result<usize, LibraryError> {
        let mut rows = Vec::with_capacity(entries.len());
        let mut seen = std::collections::HashSet::new();
        for (i, (card, hash)) in entries.into_iter().enumerate() {
            let parsed = argon2::PasswordHash::new(&hash).map_err(|_| {
                LibraryError::Invalid(format!(
                    "Line {}: the PIN must be an argon2 hash such as $argon2id$v=19$….",
                    i + 1
                ))
            })?;
            if !parsed.algorithm.as_str().starts_with("argon2") {
                return Err(LibraryError::Invalid(format!(
                    "Line {}: only argon2 hashes are accepted.",
                    i + 1
                )));
            }
            let pseudonym = self.pseudonym(library, &card)?;
            if !seen.insert(pseudonym.clone()) {
                return Err(LibraryError::Invalid(format!(
                    "Line {}: this card is listed twice.",
                    i + 1
                )));
            }
            rows.push(static_patron::ActiveModel {
                library_id: Set(library.id.0),
                pseudonym: Set(pseudonym),
                pin_hash: Set(hash),
            });
        }
        let n = rows.len();
        let id = library.id.0;
        self.store
            .writer
            .transaction::<_, (), sea_orm::DbErr>(|tx| {
                Box::pin(async move {
                    static_patron::Entity::delete_many()
                        .filter(static_patron::Column::LibraryId.eq(id))
                        .exec(tx)
                        .await?;
                    for chunk in rows.chunks(200) {
                        static_patron::Entity::insert_many(chunk.to_vec())
                            .exec(tx)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(|e| match e {
                sea_orm::TransactionError::Connection(e)
                | sea_orm::TransactionError::Transaction(e) => LibraryError::from(e),
            })?;
        if let Some(actor) = actor {
            self.audit(
                library.id,
                actor,
                &format!("Replaced the card list ({n} cards)"),
            )
            .await?;
        }
        Ok(n)
    }

    /// How many cards the library's list holds.
    pub async fn card_list_len(&self, library: LibraryId) -> Result<u64, StoreError> {
        Ok(static_patron::Entity::find()
            .filter(static_patron::Column::LibraryId.eq(library.0))
            .count(&self.store.db)
            .await?)
    }

    /// Checks a card and PIN against the library's list. An unknown card
    /// costs one argon2 check too, so timing does not tell which cards exist.
    pub async fn check_card_list(
        &self,
        library: &Library,
        card: &CardNumber,
        pin: &Pin,
    ) -> Result<ListVerdict, StoreError> {
        let pseudonym = self.pseudonym(library, card)?;
        let row = static_patron::Entity::find_by_id((library.id.0, pseudonym))
            .one(&self.store.db)
            .await?;
        match row {
            Some(r) => Ok(
                if crate::accounts::verify(pin.expose(), r.pin_hash).await? {
                    ListVerdict::Valid
                } else {
                    ListVerdict::WrongPin
                },
            ),
            None => {
                crate::accounts::verify(pin.expose(), crate::accounts::DUMMY_HASH.clone()).await?;
                Ok(ListVerdict::UnknownCard)
            }
        }
    }

    /// Makes a member staff of a library.
    pub async fn add_staff(
        &self,
        library: LibraryId,
        member: MemberId,
        actor: Option<MemberId>,
    ) -> Result<(), StoreError> {
        let existing = library_staff::Entity::find_by_id((library.0, member.0))
            .one(&self.store.db)
            .await?;
        if existing.is_none() {
            library_staff::ActiveModel {
                library_id: Set(library.0),
                member_id: Set(member.0),
                role: Set("admin".into()),
                added_at: Set(self.store.now_ms()),
            }
            .insert(&self.store.writer)
            .await?;
        }
        if let Some(actor) = actor {
            self.audit(library, actor, "Added a staff member").await?;
        }
        Ok(())
    }

    /// Removes a member from a library's staff.
    pub async fn remove_staff(
        &self,
        library: LibraryId,
        member: MemberId,
        actor: MemberId,
    ) -> Result<(), StoreError> {
        library_staff::Entity::delete_by_id((library.0, member.0))
            .exec(&self.store.writer)
            .await?;
        self.audit(library, actor, "Removed a staff member").await
    }

    /// Whether the member administers the library.
    pub async fn is_staff(&self, library: LibraryId, member: MemberId) -> Result<bool, StoreError> {
        Ok(library_staff::Entity::find_by_id((library.0, member.0))
            .one(&self.store.db)
            .await?
            .is_some())
    }

    /// The staff of a library.
    pub async fn staff(&self, library: LibraryId) -> Result<Vec<MemberId>, StoreError> {
        let ids: Vec<uuid::Uuid> = library_staff::Entity::find()
            .select_only()
            .column(library_staff::Column::MemberId)
            .filter(library_staff::Column::LibraryId.eq(library.0))
            .order_by_asc(library_staff::Column::AddedAt)
            .into_tuple()
            .all(&self.store.db)
            .await?;
        Ok(ids.into_iter().map(MemberId).collect())
    }

    /// The libraries a member administers.
    pub async fn staffed_by(&self, member: MemberId) -> Result<Vec<Library>, StoreError> {
        let ids: Vec<uuid::Uuid> = library_staff::Entity::find()
            .select_only()
            .column(library_staff::Column::LibraryId)
            .filter(library_staff::Column::MemberId.eq(member.0))
            .into_tuple()
            .all(&self.store.db)
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(l) = self.get(LibraryId(id)).await? {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// Records a staff action.
    pub async fn audit(
        &self,
        library: LibraryId,
        actor: MemberId,
        action: &str,
    ) -> Result<(), StoreError> {
        library_audit::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            library_id: Set(library.0),
            actor_id: Set(actor.0),
            action: Set(action.to_owned()),
            at: Set(self.store.now_ms()),
        }
        .insert(&self.store.writer)
        .await?;
        Ok(())
    }

    /// The newest audit entries first.
    pub async fn audit_log(
        &self,
        library: LibraryId,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(library_audit::Entity::find()
            .filter(library_audit::Column::LibraryId.eq(library.0))
            .order_by_desc(library_audit::Column::At)
            .order_by_desc(library_audit::Column::Id)
            .limit(limit)
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|r| AuditEntry {
                at: from_ms(r.at),
                actor: MemberId(r.actor_id),
                action: r.action,
            })
            .collect())
    }
}

/// An argon2id hash of a PIN in PHC form, as a library's card list holds
/// them (for the CLI, the demo and tests).
pub fn hash_pin(pin: &str) -> Result<String, StoreError> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    crate::accounts::hasher()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("argon2: {e}")))
}

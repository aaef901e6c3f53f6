//! Configuration: built-in defaults, then `lyceum.toml` (or `--config`),
//! then `LYCEUM_*` environment variables (`__` for nesting, as in
//! `LYCEUM_WEB__SECURE_COOKIES=true`), then command-line flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use lyceum_store::{InstanceKey, StoreConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Everything the binary reads at start.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Holds the SQLite files, the instance key and (later) media and indexes.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; empty means SQLite in the data dir.
    pub database_url: Option<String>,
    /// The keyring database; defaults to `keyring.db` in the data dir for
    /// SQLite, and to the main database for PostgreSQL.
    pub keyring_url: Option<String>,
    /// The instance key as 64 hex digits; defaults to the file
    /// `instance.key` in the data dir, created on first start.
    pub instance_key: Option<String>,
    /// Database pool size.
    pub max_connections: u32,
    /// Megabytes of the SQLite database each connection reads through a
    /// memory map (0, the default: none). See docs/operations.md.
    pub sqlite_mmap_mb: u64,
    /// Log filter (`info`, `warn`, `lyceum_web=debug`, …).
    pub log: String,
    /// HTTP settings.
    pub web: lyceum_web::WebConfig,
    /// Retention settings.
    pub retention: lyceum_store::retention::RetentionConfig,
    /// Privacy settings: who outside the instance may receive personal data.
    pub privacy: PrivacyConfig,
    /// Outbound email (off unless `mail.smtp_url` is set).
    pub mail: crate::mail::MailConfig,
}

/// The operator's privacy settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PrivacyConfig {
    /// Every recipient of personal data outside the instance (mail relay,
    /// SMS gateway, …), named once here and listed on the privacy notice.
    pub recipients: Vec<lyceum_store::ledger::Recipient>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./lyceum-data"),
            database_url: None,
            keyring_url: None,
            instance_key: None,
            max_connections: 8,
            sqlite_mmap_mb: 0,
            log: "info".into(),
            web: lyceum_web::WebConfig::default(),
            retention: lyceum_store::retention::RetentionConfig::default(),
            privacy: PrivacyConfig::default(),
            mail: crate::mail::MailConfig::default(),
        }
    }
}

/// Flags that override the file and the environment.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the layers in order.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "the configuration file {} does not exist",
                    path.display()
                );
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("lyceum.toml")),
        }
        fig = fig
            .merge(Env::prefixed("LYCEUM_").split("__"))
            .merge(Serialized::defaults(overrides));
        let mut config: Config = fig.extract().context("the configuration is not valid")?;
        config.retention.check().map_err(|e| anyhow::anyhow!(e))?;
        for (i, r) in config.privacy.recipients.iter().enumerate() {
            anyhow::ensure!(
                !r.key.trim().is_empty()
                    && !r.name.trim().is_empty()
                    && !r.country.trim().is_empty()
                    && !r.purpose.trim().is_empty(),
                "privacy.recipients[{i}] needs a key, a name, a country and a purpose: people are told each of them"
            );
            anyhow::ensure!(
                config
                    .privacy
                    .recipients
                    .iter()
                    .filter(|o| o.key == r.key)
                    .count()
                    == 1,
                "privacy.recipients has the key {:?} twice; give each recipient its own key",
                r.key
            );
        }
        if config.database_url.as_deref().is_some_and(str::is_empty) {
            config.database_url = None;
        }
        Ok(config)
    }

    /// Creates the data directory when missing, readable only by the
    /// service's user: it holds the databases and the instance key.
    fn ensure_data_dir(&self) -> anyhow::Result<()> {
        if self.data_dir.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.data_dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| {
                    format!(
                        "cannot restrict the data directory {}",
                        self.data_dir.display()
                    )
                })?;
        }
        Ok(())
    }

    /// Where the data lives and how to reach it.
    pub fn store_config(&self) -> anyhow::Result<StoreConfig> {
        self.ensure_data_dir()?;
        let database_url = match &self.database_url {
            Some(url) => {
                anyhow::ensure!(
                    url.starts_with("postgres://")
                        || url.starts_with("postgresql://")
                        || url.starts_with("sqlite:"),
                    "LYCEUM_DATABASE_URL must start with postgres:// or sqlite: (got something else)"
                );
                url.clone()
            }
            None => lyceum_store::sqlite_url(&self.data_dir.join("lyceum.db")),
        };
        let keyring_url = match &self.keyring_url {
            Some(url) => url.clone(),
            None if database_url.starts_with("sqlite:") => {
                lyceum_store::sqlite_url(&self.data_dir.join("keyring.db"))
            }
            None => database_url.clone(),
        };
        Ok(StoreConfig {
            database_url,
            keyring_url,
            max_connections: self.max_connections.max(1),
            sqlite_mmap_bytes: self.sqlite_mmap_mb.saturating_mul(1 << 20),
        })
    }

    /// Media storage: the `media` directory of the data dir.
    pub fn media(&self) -> anyhow::Result<lyceum_media::Media> {
        self.ensure_data_dir()?;
        lyceum_media::Media::local(&self.data_dir.join("media"))
            .context("cannot open the media directory")
    }

    /// The instance key from config, or from (or into) the data dir.
    pub fn instance_key(&self) -> anyhow::Result<InstanceKey> {
        match &self.instance_key {
            Some(hex) => InstanceKey::from_hex(hex).context("LYCEUM_INSTANCE_KEY is not valid"),
            None => {
                self.ensure_data_dir()?;
                Ok(InstanceKey::load_or_create(
                    &self.data_dir.join("instance.key"),
                )?)
            }
        }
    }
}

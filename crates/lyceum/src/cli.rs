//! Command-line interface.

use crate::config::{Config, Overrides};
use anyhow::Context;
use clap::{Parser, Subcommand};
use lyceum_core::clock::SystemClock;
use lyceum_store::Store;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Lyceum: privacy-first learning and professional network.
#[derive(Debug, Parser)]
#[command(name = "lyceum", version, about)]
struct Cli {
    /// A TOML configuration file (default: ./lyceum.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port) [env: LYCEUM_LISTEN].
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Data directory [env: LYCEUM_DATA_DIR].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the platform (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Delete everything whose retention has passed, now or as of a given time.
    Scrub {
        /// Run as if it were this time (RFC 3339, e.g. 2027-01-01T00:00:00Z).
        #[arg(long)]
        now: Option<String>,
    },
    /// Write a consistent copy of the data (SQLite) while Lyceum runs.
    /// The keyring is copied only with --keyring, so it can be kept apart.
    Backup {
        /// An empty or new directory for the copy.
        #[arg(long)]
        to: PathBuf,
        /// Copy the keyring instead of the data.
        #[arg(long)]
        keyring: bool,
    },
    /// Bring back a backup into the data directory (stop Lyceum first).
    Restore {
        /// A directory written by `lyceum backup`.
        #[arg(long)]
        from: PathBuf,
        /// A directory written by `lyceum backup --keyring`.
        #[arg(long)]
        keyring_from: Option<PathBuf>,
    },
    /// Load a demo into an empty data directory.
    Demo {
        /// The password for every demo account (default: a random one, printed).
        #[arg(long)]
        password: Option<String>,
    },
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Tools for development and demonstrations.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Run a SIP2 test server with the patrons in a TOML file (see
    /// crates/sip2/patrons.example.toml). Prints `listening on HOST:PORT`.
    Sip2Server {
        /// The patrons file.
        #[arg(long)]
        patrons: PathBuf,
        /// Address for the SIP2 server to listen on.
        #[arg(long, default_value = "127.0.0.1:6001")]
        bind: std::net::SocketAddr,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an operator account; the password is read from standard input.
    CreateOperator {
        /// The operator's email address.
        #[arg(long)]
        email: String,
        /// The name shown for the operator.
        #[arg(long, default_value = "Operator")]
        name: String,
    },
    /// Add a library (a tenant). Patron sign-in starts switched off.
    CreateLibrary {
        /// Short name for addresses: lower-case letters, digits and hyphens.
        #[arg(long)]
        slug: String,
        /// The library's name.
        #[arg(long)]
        name: String,
        /// Town or area, for the "choose your library" search.
        #[arg(long)]
        town: Option<String>,
    },
    /// Set a library's SIP2 connection and switch patron sign-in to SIP2.
    /// The SIP2 password is read from standard input.
    SetSip2 {
        /// The library's short name.
        #[arg(long)]
        library: String,
        /// SIP2 server host.
        #[arg(long)]
        host: String,
        /// SIP2 server port.
        #[arg(long)]
        port: u16,
        /// Use TLS.
        #[arg(long)]
        tls: bool,
        /// The SIP2 login user (CN).
        #[arg(long)]
        login_user: String,
        /// Read the SIP2 password (CO) from standard input.
        #[arg(long, required = true)]
        login_password_stdin: bool,
        /// Institution id (AO).
        #[arg(long)]
        institution: String,
        /// Location code (CP).
        #[arg(long)]
        location: Option<String>,
        /// Turn off sequence numbers and checksums (AY/AZ).
        #[arg(long)]
        no_error_detection: bool,
        /// End messages with CR LF instead of CR.
        #[arg(long)]
        crlf: bool,
        /// Ask with patron status (23) instead of patron information (63).
        #[arg(long)]
        patron_status: bool,
        /// Time limit per request in milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u32,
    },
    /// Make an existing member account staff of a library.
    AddStaff {
        /// The library's short name.
        #[arg(long)]
        library: String,
        /// The member's email address.
        #[arg(long)]
        email: String,
    },
    /// Replace a library's card list from a file of `card,argon2-hash`
    /// lines and switch patron sign-in to the list.
    SetCardList {
        /// The library's short name.
        #[arg(long)]
        library: String,
        /// The file.
        #[arg(long)]
        file: PathBuf,
    },
}

pub fn try_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(
        cli.config.as_deref(),
        Overrides {
            listen: cli.listen,
            data_dir: cli.data_dir,
        },
    )?;
    init_logging(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                open_store(&config).await?.close().await?;
                println!("migrations are current");
                Ok(())
            }
            Command::Backup { to, keyring } => backup(&config, &to, keyring).await,
            Command::Restore { from, keyring_from } => {
                restore(&config, &from, keyring_from.as_deref()).await
            }
            Command::Scrub { now } => scrub(&config, now.as_deref()).await,
            Command::Demo { password } => {
                let store = open_store(&config).await?;
                let result = crate::demo::load(&store, &config.media()?, password).await;
                store.close().await?;
                result
            }
            Command::Admin { command } => {
                let store = open_store(&config).await?;
                let result = crate::admin::run(&store, command).await;
                store.close().await?;
                result
            }
            Command::Dev {
                command: DevCommand::Sip2Server { patrons, bind },
            } => sip2_server(&patrons, bind).await,
        }
    });
    // Background tasks (pool maintenance, a connection still closing) get
    // a few seconds, never the power to keep a finished command running.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr: stdout carries only the `listening on` line, which
    // scripts and tests read.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with_clock(config, Arc::new(SystemClock)).await
}

async fn open_store_with_clock(
    config: &Config,
    clock: Arc<dyn lyceum_core::clock::Clock>,
) -> anyhow::Result<Store> {
    let store_config = config.store_config()?;
    let key = config.instance_key()?;
    Store::open(&store_config, key, clock)
        .await
        .context("cannot open the database")
}

fn require_sqlite(config: &Config, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.database_url.is_none() && config.keyring_url.is_none(),
        "lyceum {what} copies SQLite files; with PostgreSQL use pg_dump and pg_restore on the data and keyring databases, \
         on separate schedules (see docs/operations.md)"
    );
    Ok(())
}

async fn backup(config: &Config, to: &std::path::Path, keyring: bool) -> anyhow::Result<()> {
    require_sqlite(config, "backup")?;
    let name = if keyring { "keyring.db" } else { "lyceum.db" };
    let target = to.join(name);
    anyhow::ensure!(
        !target.exists(),
        "{} already exists; back up into a new or empty directory",
        target.display()
    );
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", to.display()))?;
    }
    let store = open_store(config).await?;
    let db = if keyring {
        store.keyring.db()
    } else {
        &store.db
    };
    lyceum_store::sqlite_snapshot(db, &target)
        .await
        .with_context(|| format!("cannot write {}", target.display()))?;
    println!("wrote {}", target.display());
    if !keyring {
        // Media files are written once under new names and never changed,
        // so copying them after the snapshot gives every file the snapshot
        // refers to (and perhaps a few newer ones, which are harmless).
        let media = config.data_dir.join("media");
        if media.is_dir() {
            let n = copy_tree(&media, &to.join("media"))?;
            println!("copied {n} media files to {}", to.join("media").display());
        }
        println!(
            "the keyring is not in this backup: back it up with --keyring, to another place, kept for a shorter time"
        );
    }
    store.close().await?;
    Ok(())
}

/// Copies a directory tree, leaving files that already exist at the
/// destination alone. Returns how many files were copied.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<u64> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut n = 0;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            n += copy_tree(&src, &dst)?;
        } else if !dst.exists() {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

async fn restore(
    config: &Config,
    from: &std::path::Path,
    keyring_from: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    require_sqlite(config, "restore")?;
    let data = from.join("lyceum.db");
    anyhow::ensure!(
        data.is_file(),
        "{} is not there; give --from a directory written by `lyceum backup`",
        data.display()
    );
    let keyring = keyring_from.map(|d| d.join("keyring.db"));
    if let Some(k) = &keyring {
        anyhow::ensure!(
            k.is_file(),
            "{} is not there; give --keyring-from a directory written by `lyceum backup --keyring`",
            k.display()
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let copy = |src: &std::path::Path, name: &str| -> anyhow::Result<()> {
        let dst = config.data_dir.join(name);
        for suffix in ["-wal", "-shm"] {
            let side = config.data_dir.join(format!("{name}{suffix}"));
            if side.exists() {
                std::fs::remove_file(&side)
                    .with_context(|| format!("cannot remove {}", side.display()))?;
            }
        }
        std::fs::copy(src, &dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
        Ok(())
    };
    copy(&data, "lyceum.db")?;
    if let Some(k) = &keyring {
        copy(k, "keyring.db")?;
    }
    if from.join("media").is_dir() {
        copy_tree(&from.join("media"), &config.data_dir.join("media"))?;
    }
    // Opening runs any migrations the backup predates; the scrubber then
    // finishes every erasure that happened after the backup was taken
    // (those accounts' keys are gone) and applies retention.
    let store = open_store(config).await?;
    let report = store.scrub(config.retention).await?;
    println!(
        "restored; {} accounts erased since the backup were removed again, {} expired sessions removed",
        report.erased_accounts, report.expired_sessions
    );
    store.close().await?;
    Ok(())
}

async fn scrub(config: &Config, now: Option<&str>) -> anyhow::Result<()> {
    let clock: Arc<dyn lyceum_core::clock::Clock> = match now {
        Some(t) => {
            let at = chrono::DateTime::parse_from_rfc3339(t).with_context(|| {
                format!("--now {t:?} is not an RFC 3339 time; write it like 2027-01-01T00:00:00Z")
            })?;
            Arc::new(lyceum_core::clock::ManualClock::new(
                at.with_timezone(&chrono::Utc),
            ))
        }
        None => Arc::new(SystemClock),
    };
    let store = open_store_with_clock(config, clock).await?;
    let report = store.scrub(config.retention).await?;
    println!(
        "scrubbed as of {}: {} expired sessions, {} closed accounts erased, {} guest learners erased, {} seat records removed",
        store.clock.now().to_rfc3339(),
        report.expired_sessions,
        report.erased_accounts,
        report.erased_guests,
        report.expired_seats
    );
    store.close().await?;
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another program using it?)",
                config.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker = lyceum_store::jobs::Worker::with_retention(store.clone(), config.retention);
    let mailer = config.mail.mailer(&config.privacy.recipients)?;
    let sends_mail = mailer.is_some();
    if let Some(mailer) = mailer {
        worker = worker.with_mail(lyceum_store::digests::DigestSender {
            mailer: std::sync::Arc::new(mailer),
            recipients: config.privacy.recipients.clone(),
            relay: config.mail.relay.clone(),
            base_url: config
                .web
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}")),
        });
    }
    let worker = tokio::spawn(worker.run(stop_rx));
    let state = lyceum_web::AppState::new(store, config.web.clone())
        .with_mail(sends_mail)
        .with_recipients(config.privacy.recipients.clone())
        .with_retention(config.retention)
        .with_media(config.media()?);
    // Build the catalog's search index before taking requests.
    let started = std::time::Instant::now();
    state
        .search
        .sync(&state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot build the search index: {e}"))?;
    tracing::info!(
        courses = state.search.len(),
        ms = started.elapsed().as_millis() as u64,
        "search index built"
    );
    // Record the notice this configuration gives (a new version if the
    // operator changed retention or recipients since the last start).
    lyceum_web::notice::current(&state)
        .await
        .context("cannot record the privacy notice version")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "serving");
    lyceum_web::serve(listener, state, shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn sip2_server(
    patrons: &std::path::Path,
    listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    use lyceum_sip2::testserver::{TestServer, TestServerConfig};
    let config = TestServerConfig::from_file(patrons)?;
    let n = config.patrons.len();
    let server = TestServer::start(config, listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", server.addr())?;
        out.flush()?;
    }
    tracing::info!(patrons = n, "SIP2 test server running; Ctrl-C stops it");
    shutdown_signal().await;
    server.shutdown().await;
    Ok(())
}

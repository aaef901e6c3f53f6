//! Command-line interface.

use crate::config::{Config, Overrides};
use anyhow::Context;
use clap::{Parser, Subcommand};
use lyceum_core::clock::SystemClock;
use lyceum_core::domain::Role;
use lyceum_store::Store;
use std::io::{BufRead, Write};
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
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an operator account; the password is read from standard input.
    CreateOperator {
        /// The operator's email address.
        #[arg(long)]
        email: String,
        /// The name shown for the operator.
        #[arg(long, default_value = "Operator")]
        name: String,
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
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                open_store(&config).await?;
                println!("migrations are current");
                Ok(())
            }
            Command::Scrub { now } => scrub(&config, now.as_deref()).await,
            Command::Demo { password } => {
                crate::demo::load(&open_store(&config).await?, password).await
            }
            Command::Admin {
                command: AdminCommand::CreateOperator { email, name },
            } => {
                let store = open_store(&config).await?;
                create_operator(&store, &email, &name).await
            }
        }
    })
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
        "scrubbed as of {}: {} expired sessions, {} closed accounts erased",
        store.clock.now().to_rfc3339(),
        report.expired_sessions,
        report.erased_accounts
    );
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
    let worker = tokio::spawn(
        lyceum_store::jobs::Worker::with_retention(store.clone(), config.retention).run(stop_rx),
    );
    let state = lyceum_web::AppState::new(store, config.web.clone());
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

async fn create_operator(store: &Store, email: &str, name: &str) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let input = lyceum_web::auth::SignUpInput {
        email: email.into(),
        display_name: name.into(),
        password: password.into(),
    };
    let new = lyceum_web::auth::parse_sign_up(&input, Role::Operator).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        anyhow::anyhow!("{}", lines.join("; "))
    })?;
    let member = store.accounts().create(new).await?;
    println!("created operator {}", member.id);
    Ok(())
}

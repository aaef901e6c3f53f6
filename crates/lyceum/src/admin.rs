//! `lyceum admin …`: operator tasks from the shell. Each reads what it
//! needs, checks it with the same rules as the pages, and says what to fix
//! when something is wrong. Secrets (passwords) come from standard input,
//! never from the command line, where other users could read them.

use crate::cli::AdminCommand;
use anyhow::Context;
use lyceum_core::domain::library::PatronAuthMethod;
use lyceum_core::domain::{CardNumber, Email, LibraryName, LibrarySlug, Role};
use lyceum_store::Store;
use lyceum_store::libraries::{Library, LibraryChanges, NewLibrary, Sip2Settings};
use std::io::BufRead;

/// Runs one admin command.
pub(crate) async fn run(store: &Store, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateOperator { email, name } => create_operator(store, &email, &name).await,
        AdminCommand::CreateLibrary { slug, name, town } => {
            let slug = LibrarySlug::parse(&slug).map_err(|e| anyhow::anyhow!("--slug: {e}"))?;
            let name = LibraryName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let library = store
                .libraries()
                .create(NewLibrary { slug, name }, None)
                .await?;
            if let Some(town) = town {
                let mut changes = library.as_changes();
                changes.town = Some(town);
                update_as_operator(store, &library, changes).await?;
            }
            println!(
                "created library {} ({}); patron sign-in is off until you run `lyceum admin set-sip2` or `set-card-list`",
                library.slug, library.id
            );
            Ok(())
        }
        AdminCommand::SetSip2 {
            library,
            host,
            port,
            tls,
            login_user,
            login_password_stdin: _,
            institution,
            location,
            no_error_detection,
            crlf,
            patron_status,
            timeout_ms,
        } => {
            let library = find(store, &library).await?;
            let password = read_secret("the SIP2 password")?;
            anyhow::ensure!(
                !password.is_empty(),
                "the SIP2 password on standard input is empty"
            );
            let settings = Sip2Settings {
                host,
                port,
                tls,
                login_user,
                location,
                institution,
                error_detection: !no_error_detection,
                crlf,
                use_patron_information: !patron_status,
                timeout_ms,
            };
            store
                .libraries()
                .set_sip2(library.id, settings, Some(&password), None)
                .await?;
            let library = find(store, library.slug.as_str()).await?;
            let mut changes = library.as_changes();
            changes.auth_method = PatronAuthMethod::Sip2;
            update_as_operator(store, &library, changes).await?;
            println!(
                "library {} now checks cards over SIP2; test it from /libraries/{}/admin",
                library.slug, library.slug
            );
            Ok(())
        }
        AdminCommand::AddStaff { library, email } => {
            let library = find(store, &library).await?;
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let member = store
                .accounts()
                .find_by_email(&email)
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no account uses {}; the person must sign up first",
                        email.as_str()
                    )
                })?;
            store
                .libraries()
                .add_staff(library.id, member, None)
                .await?;
            println!("added staff to {}", library.slug);
            Ok(())
        }
        AdminCommand::SetCardList { library, file } => {
            let library = find(store, &library).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut entries = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (card, hash) = line.split_once(',').ok_or_else(|| {
                    anyhow::anyhow!("{} line {}: write card,argon2-hash", file.display(), i + 1)
                })?;
                let card = CardNumber::parse(card)
                    .map_err(|e| anyhow::anyhow!("{} line {}: {e}", file.display(), i + 1))?;
                entries.push((card, hash.trim().to_owned()));
            }
            let n = store
                .libraries()
                .replace_card_list(&library, entries, None)
                .await?;
            let mut changes = library.as_changes();
            changes.auth_method = PatronAuthMethod::StaticList;
            update_as_operator(store, &library, changes).await?;
            println!(
                "library {} now checks cards against its list of {n}",
                library.slug
            );
            Ok(())
        }
    }
}

async fn find(store: &Store, slug: &str) -> anyhow::Result<Library> {
    store
        .libraries()
        .by_slug(slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no library has the short name {slug:?}"))
}

/// Changes made from the shell are recorded in the library's audit log as
/// the instance's first operator's doing.
async fn update_as_operator(
    store: &Store,
    library: &Library,
    changes: LibraryChanges,
) -> anyhow::Result<()> {
    let actor =
        store.accounts().first_operator().await?.ok_or_else(|| {
            anyhow::anyhow!("create an operator first: lyceum admin create-operator")
        })?;
    store.libraries().update(library.id, changes, actor).await?;
    Ok(())
}

fn read_secret(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn create_operator(store: &Store, email: &str, name: &str) -> anyhow::Result<()> {
    let password = read_secret("the password")?;
    let input = lyceum_web::auth::SignUpInput {
        email: email.into(),
        display_name: name.into(),
        password,
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

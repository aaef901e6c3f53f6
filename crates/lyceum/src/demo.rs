//! `lyceum demo`: fills an empty instance with realistic accounts so a
//! person can explore it. Later capabilities add their own demo data here.

use anyhow::Context;
use lyceum_core::domain::{DisplayName, Email, NewPassword, Role};
use lyceum_store::Store;
use lyceum_store::accounts::NewMember;

/// Demo people: varied names and scripts, as a public library's patrons are.
const PEOPLE: &[(&str, &str, Role)] = &[
    ("Operator", "operator@demo.lyceum.test", Role::Operator),
    ("Amara Okafor", "amara@demo.lyceum.test", Role::Member),
    ("Jonas Lindqvist", "jonas@demo.lyceum.test", Role::Member),
    (
        "María José Fernández",
        "mariajose@demo.lyceum.test",
        Role::Member,
    ),
    ("Nguyễn Thu Hà", "thuha@demo.lyceum.test", Role::Member),
    ("Ravi Subramanian", "ravi@demo.lyceum.test", Role::Member),
    ("Zofia Wiśniewska", "zofia@demo.lyceum.test", Role::Member),
    ("李明", "liming@demo.lyceum.test", Role::Member),
];

/// Loads the demo; refuses to touch an instance that already has accounts.
pub async fn load(store: &Store, password: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        store.accounts().count().await? == 0,
        "this data directory already has accounts; run `lyceum demo` on an empty --data-dir"
    );
    let password = password.unwrap_or_else(|| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!("demo-{}", &id[..16])
    });
    let pw = NewPassword::parse(&password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
    for (name, email, role) in PEOPLE {
        let new = NewMember {
            email: Email::parse(email).context("demo email")?,
            display_name: DisplayName::parse(name).context("demo name")?,
            password: pw.clone(),
            role: *role,
        };
        store.accounts().create(new).await?;
    }
    println!("demo loaded: {} accounts", PEOPLE.len());
    println!(
        "sign in as operator@demo.lyceum.test (or any of the others) with the password: {password}"
    );
    Ok(())
}

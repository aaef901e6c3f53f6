//! `lyceum demo`: fills an empty instance with realistic accounts so a
//! person can explore it: accounts, a library, a course catalog and a
//! professional network. Later capabilities add their own demo data here.

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

/// The PIN of every demo library card.
const DEMO_PIN: &str = "1234";

/// A demo library whose patrons sign in from a card list (no SIP2 server
/// needed), with Amara Okafor as its staff. Returns the card numbers.
async fn library(store: &Store) -> anyhow::Result<Vec<String>> {
    use lyceum_core::domain::library::PatronAuthMethod;
    use lyceum_core::domain::{BrandColour, CardNumber, LibraryName, LibrarySlug, Licence};
    use lyceum_store::libraries::{LibraryChanges, NewLibrary};
    let libs = store.libraries();
    let operator = store
        .accounts()
        .first_operator()
        .await?
        .context("the demo operator exists")?;
    let library = libs
        .create(
            NewLibrary {
                slug: LibrarySlug::parse("riverside").context("slug")?,
                name: LibraryName::parse("Riverside Public Library").context("name")?,
            },
            Some(operator),
        )
        .await?;
    let cards: Vec<String> = (1..=20).map(|i| format!("2900{i:04}")).collect();
    let mut entries = Vec::new();
    for card in &cards {
        entries.push((
            CardNumber::parse(card).context("card")?,
            lyceum_store::libraries::hash_pin(DEMO_PIN)?,
        ));
    }
    libs.replace_card_list(&library, entries, Some(operator))
        .await?;
    libs.update(
        library.id,
        LibraryChanges {
            name: LibraryName::parse("Riverside Public Library").context("name")?,
            town: Some("Riverside".into()),
            contact: "Ask at any desk, or call 01632 960123".into(),
            brand_colour: BrandColour::parse("#1d5e4a").context("colour")?,
            licence: Licence::SeatsPerMonth(500),
            consortium: Some("Valley Libraries".into()),
            auth_method: PatronAuthMethod::StaticList,
            shared_computer_default: true,
            idle_minutes: 15,
            guest_retention_days: 365,
        },
        operator,
    )
    .await?;
    let amara = store
        .accounts()
        .find_by_email(&Email::parse("amara@demo.lyceum.test").context("email")?)
        .await?
        .context("the demo staff member exists")?;
    libs.add_staff(library.id, amara, Some(operator)).await?;
    Ok(cards)
}

/// Loads the demo; refuses to touch an instance that already has accounts.
/// Riverside's learning paths: courses of the demo catalog in order for a
/// goal, as its staff would curate them.
async fn learning_paths(
    store: &Store,
    library: lyceum_core::domain::LibraryId,
) -> anyhow::Result<usize> {
    use lyceum_store::learning::CollectionOwner;
    const PATHS: &[(&str, &str, &[&str])] = &[
        (
            "Looking for work",
            "From a CV that gets read to an interview you are ready for.",
            &[
                "writing-a-cv-that-gets-read",
                "job-interviews-prepare-with-confidence",
            ],
        ),
        (
            "Getting started online",
            "Stay safe on the internet, then make a spreadsheet do your sums.",
            &["staying-safe-online", "spreadsheets-the-first-steps"],
        ),
    ];
    let learning = store.learning();
    let owner = CollectionOwner::Library(library);
    for (title, intro, slugs) in PATHS {
        let id = learning
            .create_collection(&owner, title, intro)
            .await
            .map_err(|e| anyhow::anyhow!("demo path {title}: {e}"))?;
        for slug in *slugs {
            let course = learning
                .course_by_slug(slug)
                .await?
                .with_context(|| format!("the demo course {slug}"))?;
            learning
                .add_to_collection(id, &owner, course.card.id)
                .await
                .map_err(|e| anyhow::anyhow!("demo path {title}: {e}"))?;
        }
    }
    Ok(PATHS.len())
}

pub async fn load(
    store: &Store,
    media: &lyceum_media::Media,
    password: Option<String>,
) -> anyhow::Result<()> {
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
    let cards = library(store).await?;
    let riverside = store
        .libraries()
        .by_slug("riverside")
        .await?
        .context("the demo library exists")?;
    let courses = crate::demo_catalog::load(store, riverside.id).await?;
    let videos = crate::demo_catalog::videos(store, media).await?;
    let (profiles, connections, posts, reactions, comments) =
        crate::demo_network::load(store).await?;
    let paths = learning_paths(store, riverside.id).await?;
    println!(
        "demo loaded: {} accounts, {courses} courses from 3 providers, {videos}",
        PEOPLE.len()
    );
    println!(
        "network: {profiles} profiles, {connections} connections, {posts} posts, {reactions} reactions, {comments} comments"
    );
    println!("learning paths: {paths} at /libraries/riverside/paths");
    println!(
        "library card sign-in: /libraries/riverside with card {} and PIN {DEMO_PIN} (any of {} demo cards)",
        cards[0],
        cards.len()
    );
    println!(
        "sign in as operator@demo.lyceum.test (or any of the others) with the password: {password}"
    );
    Ok(())
}

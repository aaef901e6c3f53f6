//! The demo's professional network: the demo members get profiles (open to
//! other members, so browsing shows something), connections, follows,
//! posts with tags and mentions, reactions of every kind and comments.
//! Everything goes through the same store calls as the pages, so the demo
//! obeys the same rules (audiences, notifications, exact counts).

use anyhow::Context;
use lyceum_core::domain::network::{Audience, ReactionKind};
use lyceum_core::domain::{Email, MemberId};
use lyceum_store::Store;
use lyceum_store::network::{EntryKind, ProfileSwitches, RequestOutcome, SectionVisibility};

/// handle, email, headline, about, skills, (title, organisation, from year)
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str, i32),
);

const PEOPLE: &[Person] = &[
    (
        "amara",
        "amara@demo.lyceum.test",
        "Digital skills librarian at Riverside",
        "I run the Tuesday coding club and help patrons find courses that fit their plans.",
        "Teaching, Python, Information literacy",
        ("Digital skills librarian", "Riverside Public Library", 2019),
    ),
    (
        "jonas",
        "jonas@demo.lyceum.test",
        "Data analyst, learning statistics in the evenings",
        "Spreadsheets by day, R by night. Currently working through the statistics path.",
        "Excel, SQL, Statistics",
        ("Data analyst", "Valley Water Board", 2021),
    ),
    (
        "mariajose",
        "mariajose@demo.lyceum.test",
        "Bookkeeper moving into project management",
        "Fifteen years of small-business accounts; now studying for a project management certificate.",
        "Bookkeeping, Project management, Spanish",
        ("Bookkeeper", "Fernández & Hijos", 2010),
    ),
    (
        "thuha",
        "thuha@demo.lyceum.test",
        "UX designer and accessibility advocate",
        "I design public services that work for everyone, including people using screen readers.",
        "Accessibility, UX research, Figma",
        ("UX designer", "City Council Digital Team", 2020),
    ),
    (
        "ravi",
        "ravi@demo.lyceum.test",
        "Warehouse supervisor, learning forklift safety and leadership",
        "Leading a team of twelve on the night shift.",
        "Logistics, Health and safety, Leadership",
        ("Shift supervisor", "Northgate Distribution", 2018),
    ),
    (
        "zofia",
        "zofia@demo.lyceum.test",
        "Nurse, studying health informatics",
        "Ward nurse for ten years, now learning how data can make care safer.",
        "Nursing, Health informatics, Polish",
        ("Staff nurse", "Riverside General Hospital", 2014),
    ),
    (
        "liming",
        "liming@demo.lyceum.test",
        "Retired engineer, lifelong learner",
        "Forty years of bridges. Now learning photography and helping at the library's repair café.",
        "Civil engineering, Photography, Mentoring",
        ("Structural engineer", "Valley Bridges Ltd", 1982),
    ),
];

/// Who is connected with whom (by handle).
const CONNECTIONS: &[(&str, &str)] = &[
    ("amara", "jonas"),
    ("amara", "mariajose"),
    ("amara", "thuha"),
    ("amara", "ravi"),
    ("amara", "zofia"),
    ("amara", "liming"),
    ("jonas", "thuha"),
    ("jonas", "zofia"),
    ("mariajose", "ravi"),
    ("thuha", "liming"),
    ("zofia", "liming"),
];

/// author, audience, text
const POSTS: &[(&str, Audience, &str)] = &[
    (
        "amara",
        Audience::Members,
        "The Tuesday #codingclub starts a new Python course next week. No experience needed; bring your library card. @jonas has offered to help with the data exercises.",
    ),
    (
        "jonas",
        Audience::Connections,
        "Finished the statistics course today. The chapter on confidence intervals finally made sense once I worked through the quiz twice. #statistics #learning",
    ),
    (
        "thuha",
        Audience::Members,
        "Reminder for anyone building forms: a label you can see and a label a screen reader hears should say the same thing. #accessibility",
    ),
    (
        "mariajose",
        Audience::Connections,
        "Passed my first project management quiz! Thank you @amara for pointing me at the course. #projectmanagement",
    ),
    (
        "ravi",
        Audience::Members,
        "Our night shift went 200 days without an incident. The forklift safety refresher helped the new starters a lot. #safety #leadership",
    ),
    (
        "zofia",
        Audience::Connections,
        "Health informatics, week three: learning how hospitals share records safely. Privacy is the first chapter, not an appendix. #healthinformatics",
    ),
    (
        "liming",
        Audience::Public,
        "The repair café at Riverside fixed 31 items on Saturday: lamps, a sewing machine and one very old radio. Come and learn with us. #repaircafe",
    ),
    (
        "amara",
        Audience::Connections,
        "Librarians: what are your patrons asking to learn this winter? I am seeing lots of interest in spreadsheets and job applications. #libraries",
    ),
];

/// post index, commenter, text
const COMMENTS: &[(usize, &str, &str)] = &[
    (
        0,
        "jonas",
        "Happy to. I'll bring the water usage dataset, it's a good one to start with.",
    ),
    (
        0,
        "thuha",
        "Can I send a few people from the accessibility meetup?",
    ),
    (
        1,
        "amara",
        "Congratulations! The statistics path continues with regression if you want it.",
    ),
    (
        2,
        "liming",
        "Same goes for instructions on machines at the repair café. Good reminder.",
    ),
    (3, "amara", "Well done! Tell me how the next module goes."),
    (
        4,
        "amara",
        "Brilliant. Can we share the refresher with the Valley libraries?",
    ),
    (
        6,
        "thuha",
        "I brought my kettle last time and it works perfectly now.",
    ),
    (
        7,
        "mariajose",
        "Spreadsheets here too, and pension planning.",
    ),
];

async fn id_of(store: &Store, email: &str) -> anyhow::Result<MemberId> {
    store
        .accounts()
        .find_by_email(&Email::parse(email).context("demo email")?)
        .await?
        .with_context(|| format!("the demo member {email} exists"))
}

/// Adds the network to the demo members. Returns (profiles, connections,
/// posts, reactions, comments).
pub async fn load(store: &Store) -> anyhow::Result<(usize, usize, usize, usize, usize)> {
    let net = store.network();
    let mut ids = std::collections::HashMap::new();
    let err = |e: lyceum_store::network::NetworkError| anyhow::anyhow!("demo network: {e}");
    for (handle, email, headline, about, skills, (title, org, from)) in PEOPLE {
        let id = id_of(store, email).await?;
        net.set_handle(id, handle).await.map_err(err)?;
        net.update_intro(id, headline, about, skills)
            .await
            .map_err(err)?;
        net.add_entry(id, EntryKind::Experience, title, org, "", Some(*from), None)
            .await
            .map_err(err)?;
        // Demo members open their profiles to other members, so there is
        // something to browse; real members start with everything private.
        let members = Audience::Members;
        net.set_privacy(
            id,
            SectionVisibility {
                headline: members,
                about: members,
                experience: members,
                education: members,
                skills: members,
                certificates: Audience::OnlyMe,
                connections: Audience::Connections,
            },
            ProfileSwitches {
                discoverable: true,
                ..ProfileSwitches::default()
            },
        )
        .await?;
        ids.insert(*handle, id);
    }
    let id = |h: &str| ids.get(h).copied().context("a demo handle");
    for (a, b) in CONNECTIONS {
        let note = "We met at Riverside library.";
        if let RequestOutcome::Sent(request) = net
            .request_connection(id(a)?, id(b)?, note)
            .await
            .map_err(err)?
        {
            net.accept_request(id(b)?, request).await.map_err(err)?;
        }
    }
    // Two members follow the repair café's organiser without connecting.
    for follower in ["jonas", "ravi"] {
        net.follow(id(follower)?, id("liming")?)
            .await
            .map_err(err)?;
    }
    let mut posts = Vec::new();
    for (author, audience, text) in POSTS {
        posts.push(
            net.create_post(id(author)?, text, *audience, Vec::new())
                .await
                .map_err(err)?,
        );
    }
    // Reactions: each connection of an author reacts, cycling through the
    // five kinds, so every kind appears.
    let mut reactions = 0;
    for (n, ((author, _, _), post)) in POSTS.iter().zip(&posts).enumerate() {
        for (i, (a, b)) in CONNECTIONS.iter().enumerate() {
            let reader = if a == author {
                b
            } else if b == author {
                a
            } else {
                continue;
            };
            let kind = ReactionKind::ALL[(n + i) % ReactionKind::ALL.len()];
            net.react(id(reader)?, *post, kind).await.map_err(err)?;
            reactions += 1;
        }
    }
    for (post, who, text) in COMMENTS {
        net.add_comment(id(who)?, posts[*post], None, text)
            .await
            .map_err(err)?;
    }
    Ok((
        PEOPLE.len(),
        CONNECTIONS.len(),
        posts.len(),
        reactions,
        COMMENTS.len(),
    ))
}

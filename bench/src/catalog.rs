//! A generated course catalog for the in-process search benchmark: the same
//! courses for the same size on every run, with words drawn from a skewed
//! (Zipf-like) vocabulary so that, as in a real catalog, a few subject words
//! are in a large share of courses and most are rare.
//!
//! Course `i` depends only on `i`, so 10,000 courses are the first 10,000
//! of the 100,000.

use lyceum_core::domain::learning::DurationBucket;
use lyceum_search::CourseDoc;
use uuid::Uuid;

/// Subject words, commonest first: word `k` is drawn with a probability
/// falling roughly as `1/sqrt(k)`, so "data" is in about half the courses
/// and the last words in about 3% of them.
pub const SUBJECTS: &[&str] = &[
    "data",
    "learning",
    "design",
    "systems",
    "management",
    "analysis",
    "business",
    "health",
    "programming",
    "communication",
    "science",
    "digital",
    "marketing",
    "writing",
    "finance",
    "history",
    "language",
    "security",
    "teaching",
    "networks",
    "statistics",
    "energy",
    "python",
    "leadership",
    "engineering",
    "psychology",
    "spreadsheets",
    "research",
    "economics",
    "biology",
    "chemistry",
    "physics",
    "music",
    "photography",
    "accounting",
    "nutrition",
    "databases",
    "privacy",
    "ethics",
    "philosophy",
    "geography",
    "climate",
    "ecology",
    "astronomy",
    "poetry",
    "drawing",
    "cooking",
    "gardening",
    "carpentry",
    "welding",
    "electronics",
    "robotics",
    "algebra",
    "geometry",
    "calculus",
    "negotiation",
    "interviewing",
    "careers",
    "parenting",
    "sociology",
    "spanish",
    "french",
    "german",
    "literature",
    "journalism",
    "law",
    "medicine",
    "nursing",
    "pharmacy",
    "architecture",
    "sculpture",
    "painting",
    "animation",
    "film",
    "theatre",
    "dance",
    "fitness",
    "yoga",
    "meditation",
    "mindfulness",
    "entrepreneurship",
    "sales",
    "logistics",
    "manufacturing",
    "agriculture",
    "forestry",
    "oceanography",
    "geology",
    "genetics",
    "neuroscience",
    "immunology",
    "epidemiology",
    "cryptography",
    "compilers",
    "linux",
    "cloud",
    "kubernetes",
    "javascript",
    "rust",
    "excel",
    "budgeting",
    "investing",
    "taxes",
    "insurance",
    "retail",
    "hospitality",
    "tourism",
    "aviation",
    "sailing",
    "plumbing",
    "masonry",
    "sewing",
    "knitting",
    "pottery",
    "chess",
    "rhetoric",
    "debate",
    "mediation",
    "volunteering",
    "fundraising",
];

const AUDIENCES: &[&str] = &[
    "beginners",
    "professionals",
    "managers",
    "teachers",
    "everyone",
    "librarians",
    "nurses",
    "engineers",
    "parents",
    "volunteers",
];

const FIRST_NAMES: &[&str] = &[
    "Ada", "Grace", "Alan", "Maria", "Chen", "Amina", "Lars", "Priya", "Tomás", "Yuki", "Kwame",
    "Elena", "Omar", "Sofia", "Ivan", "Leila", "Noah", "Zara", "Mateo", "Hana",
];

const LAST_NAMES: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Garcia", "Wei", "Diallo", "Nilsson", "Sharma", "Silva",
    "Tanaka", "Mensah", "Popescu", "Haddad", "Rossi", "Petrov", "Karimi", "Fischer", "Okafor",
    "Moreau", "Kowalski",
];

const PLACES: &[&str] = &[
    "Riverside",
    "Northgate",
    "Harbour",
    "Hillcrest",
    "Lakeside",
    "Oakwood",
    "Meadow",
    "Summit",
];

const KINDS: &[&str] = &["Learning Lab", "Academy", "Institute", "College", "School"];

/// The level keys, commonest first.
pub const LEVELS: &[&str] = &["beginner", "intermediate", "advanced"];

/// The language tags, commonest first.
pub const LANGUAGES: &[&str] = &["en", "es", "fr", "de", "pt", "it"];

/// Providers in the catalog.
pub const PROVIDERS: usize = PLACES.len() * KINDS.len();

/// splitmix64, seeded per course.
struct Rng(u64);

impl Rng {
    fn new(i: usize, seed: u64) -> Self {
        Self((i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// An index below `n`, small ones much likelier (`n * u²`).
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((n as f64 * u * u) as usize).min(n - 1)
    }

    fn subject(&mut self) -> &'static str {
        SUBJECTS[self.skewed(SUBJECTS.len())]
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// From `from`, which is commonest first, with the given weights.
    fn weighted<'a>(&mut self, from: &[&'a str], weights: &[u32]) -> &'a str {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (v, w) in from.iter().zip(weights) {
            if r < *w {
                return v;
            }
            r -= w;
        }
        from[0]
    }
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Provider `k`'s id.
pub fn provider_id(k: usize) -> Uuid {
    Uuid::from_u128(0x1000 + k as u128)
}

fn provider_name(k: usize) -> String {
    format!(
        "{} {}",
        PLACES[k % PLACES.len()],
        KINDS[k / PLACES.len() % KINDS.len()]
    )
}

/// Course `i` of the generated catalog.
pub fn course(i: usize) -> CourseDoc {
    let mut r = Rng::new(i, 0x5EED);
    let (a, b, c, d, e) = (
        r.subject(),
        r.subject(),
        r.subject(),
        r.subject(),
        r.subject(),
    );
    let audience = r.pick(AUDIENCES);
    let title = match r.below(6) {
        0 => format!("{} {b}", capitalised(a)),
        1 => format!("Introduction to {a} {b}"),
        2 => format!("{} for {audience}", capitalised(a)),
        3 => format!("Advanced {a} and {b}"),
        4 => format!("Foundations of {a}"),
        _ => format!("Practical {a} {b} {c}"),
    };
    let summary = match r.below(3) {
        0 => format!("Learn {a} and {c} with practical examples."),
        1 => format!("A hands-on guide to {a}, {b} and {d}."),
        _ => format!("Build {a} skills for the workplace, from {c} to {d}."),
    };
    let description = format!(
        "This course covers {a}, {b} and {c}. You will practise {d} through {} exercises and \
         case studies, and see how {e} connects to everyday work. Suitable for {audience} who \
         want to apply {} with confidence.",
        3 + r.below(10),
        r.subject(),
    );
    let mut skills = vec![capitalised(a)];
    for _ in 0..1 + r.below(2) {
        let s = r.subject();
        if r.below(5) == 0 {
            skills.push(format!("{} {}", capitalised(s), r.subject()));
        } else {
            skills.push(capitalised(s));
        }
    }
    let instructors = (0..1 + r.below(2))
        .map(|_| format!("{} {}", r.pick(FIRST_NAMES), r.pick(LAST_NAMES)))
        .collect();
    let provider = r.skewed(PROVIDERS);
    let u = r.unit();
    CourseDoc {
        id: Uuid::from_u128(u128::from(r.next()) << 64 | i as u128),
        title,
        summary,
        description,
        skills,
        instructors,
        provider: provider_id(provider),
        provider_name: provider_name(provider),
        level: r.weighted(LEVELS, &[50, 35, 15]).to_owned(),
        language: r.weighted(LANGUAGES, &[60, 12, 10, 8, 5, 5]).to_owned(),
        duration_minutes: 15 + (u * u * 600.0) as u32,
        // A course a minute from late 2023, a little jittered.
        published_at: 1_700_000_000_000 + i as i64 * 60_000 + r.below(30_000) as i64,
    }
}

/// A course's length bucket key, as the catalog counts it.
pub fn bucket_key(minutes: u32) -> Option<&'static str> {
    DurationBucket::ALL
        .into_iter()
        .find(|b| {
            let (from, to) = b.minutes();
            minutes >= from && minutes < to
        })
        .map(DurationBucket::key)
}

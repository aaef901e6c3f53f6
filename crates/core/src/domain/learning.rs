//! The learning library's values and rules: course levels, lesson kinds,
//! the publishing workflow, skills, languages, short names, and quiz
//! grading. Quizzes are graded here, on the server, from answers the
//! browser sent; the correct answers never leave the server before that.

use serde::{Deserialize, Serialize};

/// How much a course assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No prior knowledge.
    Beginner,
    /// Some practice.
    Intermediate,
    /// Solid practice.
    Advanced,
}

impl Level {
    /// Every level, in order.
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Level::Beginner => "Beginner",
            Level::Intermediate => "Intermediate",
            Level::Advanced => "Advanced",
        }
    }

    /// Reads a key, or a label in any case ("Beginner", "ADVANCED").
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.key() == raw)
    }
}

/// What a lesson is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    /// Text to read (Markdown).
    Article,
    /// A video with optional captions and transcript.
    Video,
    /// Questions graded on the server.
    Quiz,
}

impl LessonKind {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            LessonKind::Article => "article",
            LessonKind::Video => "video",
            LessonKind::Quiz => "quiz",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            LessonKind::Article => "Reading",
            LessonKind::Video => "Video",
            LessonKind::Quiz => "Quiz",
        }
    }

    /// Reads a key.
    pub fn parse(raw: &str) -> Option<Self> {
        [LessonKind::Article, LessonKind::Video, LessonKind::Quiz]
            .into_iter()
            .find(|k| k.key() == raw)
    }
}

/// Where a course is in its publishing workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    /// Being written; only its authors and staff see it.
    Draft,
    /// Submitted; waiting for staff to publish it or send it back.
    Review,
    /// In the catalog.
    Published,
}

impl CourseStatus {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            CourseStatus::Draft => "draft",
            CourseStatus::Review => "review",
            CourseStatus::Published => "published",
        }
    }

    /// Reads a key.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            CourseStatus::Draft,
            CourseStatus::Review,
            CourseStatus::Published,
        ]
        .into_iter()
        .find(|s| s.key() == raw)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            CourseStatus::Draft => "a draft",
            CourseStatus::Review => "in review",
            CourseStatus::Published => "published",
        }
    }

    /// Whether the workflow allows this step: draft → review → published,
    /// review → draft (sent back), published → draft (withdrawn).
    pub fn can_move_to(self, next: CourseStatus) -> bool {
        use CourseStatus::*;
        matches!(
            (self, next),
            (Draft, Review) | (Review, Published) | (Review, Draft) | (Published, Draft)
        )
    }
}

/// A skill a course teaches, as people write it ("Data analysis"). Spaces
/// are collapsed; 1–60 characters; no control characters or commas (the
/// CSV import separates skills with them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Skill(String);

impl Skill {
    /// Parses a skill.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err("a skill is empty".into());
        }
        if s.chars().count() > 60 {
            return Err(format!("the skill \"{s}\" is longer than 60 characters"));
        }
        if s.chars().any(|c| c.is_control() || c == ',' || c == ';') {
            return Err(format!(
                "the skill \"{s}\" contains a comma, semicolon or control character"
            ));
        }
        Ok(Self(s))
    }

    /// The skill.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A course language as a BCP 47 tag ("en", "es", "pt-BR"), normalised to
/// lower-case language and upper-case region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Language(String);

impl Language {
    /// Parses a tag of the form `ll`, `lll`, `ll-RR` or `ll-Ssss`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim().replace('_', "-");
        let mut parts = raw.split('-');
        let lang = parts.next().unwrap_or_default().to_ascii_lowercase();
        if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!(
                "\"{raw}\" is not a language tag; write it like \"en\" or \"pt-BR\""
            ));
        }
        let mut out = lang;
        for part in parts {
            let ok =
                (2..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                return Err(format!(
                    "\"{raw}\" is not a language tag; write it like \"en\" or \"pt-BR\""
                ));
            }
            out.push('-');
            if part.len() == 2 {
                out.push_str(&part.to_ascii_uppercase());
            } else {
                out.push_str(part);
            }
        }
        Ok(Self(out))
    }

    /// English, the default when a catalog names no language.
    pub fn english() -> Self {
        Self("en".into())
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language's English name, for the common ones; otherwise the tag.
    pub fn label(&self) -> String {
        let primary = self.0.split('-').next().unwrap_or_default();
        let name = match primary {
            "en" => "English",
            "es" => "Spanish",
            "fr" => "French",
            "de" => "German",
            "pt" => "Portuguese",
            "it" => "Italian",
            "nl" => "Dutch",
            "pl" => "Polish",
            "zh" => "Chinese",
            "ja" => "Japanese",
            "ar" => "Arabic",
            "ru" => "Russian",
            "uk" => "Ukrainian",
            "vi" => "Vietnamese",
            "ko" => "Korean",
            "hi" => "Hindi",
            "tl" => "Tagalog",
            _ => return self.0.clone(),
        };
        name.to_owned()
    }
}

/// Makes a short name for addresses from a title: lower-case ASCII
/// letters and digits separated by single hyphens, at most 60 characters,
/// cut at a word boundary. Letters with accents lose them where the
/// letter is Latin; anything else is dropped. Never empty.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    let mut pending_hyphen = false;
    for c in title.chars() {
        let mapped = fold_accent(c);
        let lower = mapped.to_ascii_lowercase();
        if lower.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(lower);
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() > 60 {
        let cut = out[..60].rfind('-').unwrap_or(60);
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("course");
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        other => other,
    }
}

/// The share of questions a learner must answer correctly to pass a quiz
/// unless the lesson says otherwise.
pub const DEFAULT_PASS_PERCENT: u8 = 70;

/// One multiple-choice question, with its answer: server-side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizQuestion {
    /// The question.
    pub prompt: String,
    /// The choices, in the order shown.
    pub choices: Vec<String>,
    /// The index of the correct choice.
    pub answer: usize,
    /// Shown after grading: why the answer is right.
    #[serde(default)]
    pub explanation: String,
}

impl QuizQuestion {
    /// Checks a question: a prompt, 2–8 distinct non-empty choices, and an
    /// answer that is one of them.
    pub fn validate(&self) -> Result<(), String> {
        if self.prompt.trim().is_empty() {
            return Err("a question has no text".into());
        }
        if !(2..=8).contains(&self.choices.len()) {
            return Err(format!(
                "the question \"{}\" needs between 2 and 8 choices",
                self.prompt
            ));
        }
        if self.choices.iter().any(|c| c.trim().is_empty()) {
            return Err(format!(
                "the question \"{}\" has an empty choice",
                self.prompt
            ));
        }
        if self.answer >= self.choices.len() {
            return Err(format!(
                "the answer to \"{}\" is not one of its choices",
                self.prompt
            ));
        }
        Ok(())
    }
}

/// How a quiz attempt went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuizResult {
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions in the quiz.
    pub total: usize,
    /// `correct` as a whole percentage, rounded down.
    pub percent: u8,
    /// Whether `percent` reaches the pass mark.
    pub passed: bool,
    /// Per question: whether the answer given was right.
    pub answers: Vec<bool>,
}

/// Grades answers (one per question, `None` when left blank) against the
/// questions. Blank or out-of-range answers count as wrong. A quiz with no
/// questions cannot be passed.
pub fn grade(
    questions: &[QuizQuestion],
    answers: &[Option<usize>],
    pass_percent: u8,
) -> QuizResult {
    let marks: Vec<bool> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| answers.get(i).copied().flatten() == Some(q.answer))
        .collect();
    let correct = marks.iter().filter(|m| **m).count();
    let total = questions.len();
    let percent = (correct * 100)
        .checked_div(total)
        .map_or(0, |p| u8::try_from(p).unwrap_or(100));
    QuizResult {
        correct,
        total,
        percent,
        passed: total > 0 && percent >= pass_percent,
        answers: marks,
    }
}

/// A duration in minutes as people read it: "45 min", "2 h 5 min".
pub fn duration_label(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Duration buckets for the catalog's facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationBucket {
    /// Under an hour.
    Short,
    /// One to three hours.
    Medium,
    /// Over three hours.
    Long,
}

impl DurationBucket {
    /// Every bucket, shortest first.
    pub const ALL: [DurationBucket; 3] = [
        DurationBucket::Short,
        DurationBucket::Medium,
        DurationBucket::Long,
    ];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            DurationBucket::Short => "short",
            DurationBucket::Medium => "medium",
            DurationBucket::Long => "long",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            DurationBucket::Short => "Under 1 hour",
            DurationBucket::Medium => "1 to 3 hours",
            DurationBucket::Long => "Over 3 hours",
        }
    }

    /// Reads a key.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.key() == raw)
    }

    /// The minutes range, half open: `[from, to)`.
    pub fn minutes(self) -> (u32, u32) {
        match self {
            DurationBucket::Short => (0, 60),
            DurationBucket::Medium => (60, 180),
            DurationBucket::Long => (180, u32::MAX),
        }
    }
}

/// An instructor credit in an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructorInput {
    /// The name credited.
    pub name: String,
    /// A short biography.
    pub bio: String,
}

/// A lesson in an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonInput {
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: LessonKind,
    /// Markdown.
    pub body: String,
    /// WebVTT captions.
    pub captions: Option<String>,
    /// Estimated minutes.
    pub duration_minutes: u32,
    /// A quiz's pass mark.
    pub pass_percent: Option<u8>,
    /// A quiz's questions.
    pub questions: Vec<QuizQuestion>,
}

/// A section in an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInput {
    /// Title.
    pub title: String,
    /// Lessons in order.
    pub lessons: Vec<LessonInput>,
}

/// A course in an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseInput {
    /// The provider's own identifier; re-importing it updates the course.
    pub external_id: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// Level.
    pub level: Level,
    /// Language.
    pub language: Language,
    /// Estimated minutes; when 0, the lessons' minutes are added up.
    pub duration_minutes: u32,
    /// Skills taught.
    pub skills: Vec<Skill>,
    /// Instructors in credit order.
    pub instructors: Vec<InstructorInput>,
    /// Sections in order.
    pub sections: Vec<SectionInput>,
    /// Publishing state after the import.
    pub status: CourseStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(answer: usize) -> QuizQuestion {
        QuizQuestion {
            prompt: "Which?".into(),
            choices: vec!["a".into(), "b".into(), "c".into()],
            answer,
            explanation: String::new(),
        }
    }

    #[test]
    fn grading_counts_only_right_answers() {
        let qs = vec![q(0), q(1), q(2)];
        let r = grade(&qs, &[Some(0), Some(1), Some(0)], 70);
        assert_eq!((r.correct, r.total, r.percent, r.passed), (2, 3, 66, false));
        assert_eq!(r.answers, vec![true, true, false]);
        let r = grade(&qs, &[Some(0), Some(1), Some(2)], 70);
        assert!(r.passed);
        let r = grade(&qs, &[None, Some(9)], 0);
        assert_eq!(r.correct, 0);
        assert!(!grade(&[], &[], 0).passed, "an empty quiz is never passed");
    }

    #[test]
    fn questions_are_checked() {
        assert!(q(2).validate().is_ok());
        assert!(q(3).validate().is_err());
        let mut one = q(0);
        one.choices.truncate(1);
        assert!(one.validate().is_err());
    }

    #[test]
    fn workflow_steps() {
        use CourseStatus::*;
        assert!(Draft.can_move_to(Review));
        assert!(Review.can_move_to(Published));
        assert!(!Draft.can_move_to(Published));
        assert!(Published.can_move_to(Draft));
    }

    #[test]
    fn languages_and_skills() {
        assert_eq!(Language::parse("pt_br").map(|l| l.0), Ok("pt-BR".into()));
        assert_eq!(
            Language::parse("EN").map(|l| l.label()),
            Ok("English".into())
        );
        assert!(Language::parse("english language").is_err());
        assert_eq!(
            Skill::parse("  Data   analysis ").map(|s| s.0),
            Ok("Data analysis".into())
        );
        assert!(Skill::parse("a, b").is_err());
        assert_eq!(
            slugify("Écrire un CV: l'essentiel!"),
            "ecrire-un-cv-l-essentiel"
        );
        assert_eq!(slugify("!!!"), "course");
        assert_eq!(duration_label(125), "2 h 5 min");
    }

    proptest! {
        #[test]
        fn slugs_are_address_safe(s in "\\PC{0,120}") {
            let slug = slugify(&s);
            prop_assert!(!slug.is_empty() && slug.len() <= 60);
            prop_assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'));
        }

        #[test]
        fn grades_stay_in_range(answers in proptest::collection::vec(proptest::option::of(0usize..5), 0..10)) {
            let qs = vec![q(0), q(1), q(2), q(0)];
            let r = grade(&qs, &answers, 70);
            prop_assert!(r.percent <= 100 && r.correct <= r.total);
        }
    }
}

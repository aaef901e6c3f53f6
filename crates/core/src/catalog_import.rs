//! Reading a provider's catalog: schema.org `Course` JSON-LD, or CSV.
//!
//! Both readers check everything before anything is imported and report
//! every problem they find (up to [`MAX_PROBLEMS`]) with where it is: the
//! item's position and identifier for JSON-LD, the line for CSV. An import
//! with any problem imports nothing.
//!
//! JSON-LD: a `Course`, an array of them, an `@graph`, or an `ItemList`
//! whose `itemListElement`s hold them. Per course: `identifier` (or
//! `courseCode`, or `@id`), `name`, `abstract` (or the first sentence of
//! `description`), `description`, `educationalLevel`, `inLanguage`,
//! `timeRequired` (ISO 8601, `PT2H30M`), `teaches` or `keywords` (skills),
//! `instructor` (`Person`s with `name` and `description`), and
//! `syllabusSections`: `Syllabus` items with a `name` and `hasPart`
//! lessons (`LearningResource` with `learningResourceType` `article` or
//! `quiz`, `name`, `text` in Markdown, `timeRequired`; a quiz's `hasPart`
//! holds `Question`s with `suggestedAnswer`s and one `acceptedAnswer`).
//! A course without sections gets one "Overview" reading made from its
//! description.
//!
//! CSV: a header row naming the columns `id`, `title`, `summary`,
//! `description`, `level`, `language`, `duration_minutes`, `skills` and
//! `instructors` (the last two separated by `;`), in any order; `id` and
//! `title` are required. Each course gets an "Overview" reading from its
//! description; lessons come through JSON-LD.

use crate::domain::learning::{
    CourseInput, CourseStatus, InstructorInput, Language, LessonInput, LessonKind, Level,
    QuizQuestion, SectionInput, Skill,
};
use serde_json::Value;

/// The most problems one report lists.
pub const MAX_PROBLEMS: usize = 50;
/// The most courses one import takes.
pub const MAX_COURSES: usize = 5_000;

/// One thing wrong with an import, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportProblem {
    /// Where: "line 4", "item 3 (id 6.001)".
    pub at: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Reads a JSON-LD catalog.
pub fn from_json_ld(text: &str) -> Result<Vec<CourseInput>, Vec<ImportProblem>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![ImportProblem {
            at: format!("line {}, column {}", e.line(), e.column()),
            message: format!("this is not valid JSON: {e}"),
        }]
    })?;
    let items = course_items(&doc);
    if items.is_empty() {
        return Err(vec![ImportProblem {
            at: "the document".into(),
            message: "it holds no schema.org Course (give a Course, an array of them, an @graph or an ItemList)".into(),
        }]);
    }
    if items.len() > MAX_COURSES {
        return Err(vec![ImportProblem {
            at: "the document".into(),
            message: format!(
                "it holds {} courses; import at most {MAX_COURSES} at a time",
                items.len()
            ),
        }]);
    }
    let mut courses = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = text_of(item, &["identifier", "courseCode", "@id"]);
        let at = match &id {
            Some(id) => format!("item {} (id {id})", i + 1),
            None => format!("item {}", i + 1),
        };
        match course_from_json(item, id) {
            Ok(c) => courses.push(c),
            Err(messages) => problems.extend(messages.into_iter().map(|message| ImportProblem {
                at: at.clone(),
                message,
            })),
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    duplicates(&courses, &mut problems, |i| format!("item {}", i + 1));
    if problems.is_empty() {
        Ok(courses)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

fn is_type(v: &Value, wanted: &str) -> bool {
    match &v["@type"] {
        Value::String(t) => t == wanted || t == &format!("schema:{wanted}"),
        Value::Array(ts) => ts.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

fn course_items(doc: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    collect(doc, &mut out, 0);
    out
}

fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out, depth + 1)),
        Value::Object(_) if is_type(v, "Course") => out.push(v),
        Value::Object(m) => {
            for key in ["@graph", "itemListElement", "item"] {
                if let Some(inner) = m.get(key) {
                    collect(inner, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// The first text among these properties (a string, a number, or an
/// object's `@value`/`name`).
fn text_of(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match &v[*k] {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o
            .get("@value")
            .or_else(|| o.get("name"))
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned()),
        _ => None,
    })
}

/// A property as a list (one value or an array).
fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// ISO 8601 durations of hours and minutes: `PT1H30M`, `PT45M`, `P1DT2H`.
pub fn parse_duration(raw: &str) -> Option<u32> {
    let s = raw.trim().to_ascii_uppercase();
    let rest = s.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut minutes: u64 = 0;
    let mut number = String::new();
    for (part, units) in [(days, "D"), (time, "HMS")] {
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            if !units.contains(c) || number.is_empty() {
                return None;
            }
            let n: f64 = number.parse().ok()?;
            number.clear();
            minutes += match c {
                'D' => (n * 24.0 * 60.0) as u64,
                'H' => (n * 60.0) as u64,
                'M' => n as u64,
                _ => (n / 60.0).ceil() as u64,
            };
        }
        if !number.is_empty() {
            return None;
        }
    }
    u32::try_from(minutes).ok()
}

fn first_sentence(text: &str) -> String {
    let plain = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = plain
        .find(". ")
        .map(|i| i + 1)
        .unwrap_or(plain.len())
        .min(300);
    let mut cut = end;
    while !plain.is_char_boundary(cut) {
        cut -= 1;
    }
    plain[..cut].to_owned()
}

fn level_of(raw: &str) -> Option<Level> {
    Level::parse(raw).or_else(|| {
        let l = raw.to_ascii_lowercase();
        if l.contains("begin") || l.contains("intro") || l.contains("novice") {
            Some(Level::Beginner)
        } else if l.contains("inter") {
            Some(Level::Intermediate)
        } else if l.contains("adv") || l.contains("expert") {
            Some(Level::Advanced)
        } else {
            None
        }
    })
}

fn skills_of(values: Vec<String>, problems: &mut Vec<String>) -> Vec<Skill> {
    let mut out: Vec<Skill> = Vec::new();
    for raw in values {
        for part in raw.split([',', ';']) {
            if part.trim().is_empty() {
                continue;
            }
            match Skill::parse(part) {
                Ok(s) => {
                    if !out
                        .iter()
                        .any(|k| k.as_str().eq_ignore_ascii_case(s.as_str()))
                    {
                        out.push(s);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
    }
    out
}

fn overview(description: &str) -> Vec<SectionInput> {
    vec![SectionInput {
        title: "Overview".into(),
        lessons: vec![LessonInput {
            title: "About this course".into(),
            kind: LessonKind::Article,
            body: description.to_owned(),
            captions: None,
            duration_minutes: 5,
            pass_percent: None,
            questions: Vec::new(),
        }],
    }]
}

fn course_from_json(item: &Value, id: Option<String>) -> Result<CourseInput, Vec<String>> {
    let mut problems = Vec::new();
    let id = id.unwrap_or_else(|| {
        problems.push("it has no identifier (give identifier, courseCode or @id)".into());
        String::new()
    });
    if id.chars().count() > 200 {
        problems.push("its identifier is longer than 200 characters".into());
    }
    let title = text_of(item, &["name", "headline"]).unwrap_or_else(|| {
        problems.push("it has no name".into());
        String::new()
    });
    if title.chars().count() > 200 {
        problems.push("its name is longer than 200 characters".into());
    }
    let description = text_of(item, &["description"]).unwrap_or_default();
    let summary = text_of(item, &["abstract", "disambiguatingDescription"])
        .unwrap_or_else(|| first_sentence(&description));
    let level = match text_of(item, &["educationalLevel"]) {
        Some(l) => level_of(&l).unwrap_or_else(|| {
            problems.push(format!(
                "educationalLevel \"{l}\" is not beginner, intermediate or advanced"
            ));
            Level::Beginner
        }),
        None => Level::Beginner,
    };
    let language = match text_of(item, &["inLanguage"]) {
        Some(l) => Language::parse(&l).unwrap_or_else(|e| {
            problems.push(format!("inLanguage: {e}"));
            Language::english()
        }),
        None => Language::english(),
    };
    let duration_minutes = match text_of(item, &["timeRequired"]) {
        Some(d) => parse_duration(&d).unwrap_or_else(|| {
            problems.push(format!(
                "timeRequired \"{d}\" is not an ISO 8601 duration such as PT2H30M"
            ));
            0
        }),
        None => 0,
    };
    let mut raw_skills: Vec<String> = Vec::new();
    for key in ["teaches", "keywords", "about"] {
        for v in list(&item[key]) {
            match v {
                Value::String(s) => raw_skills.push(s.clone()),
                Value::Object(_) => {
                    if let Some(n) = text_of(v, &["name"]) {
                        raw_skills.push(n);
                    }
                }
                _ => {}
            }
        }
    }
    let skills = skills_of(raw_skills, &mut problems);
    let instructors = list(&item["instructor"])
        .into_iter()
        .filter_map(|p| match p {
            Value::String(s) => Some(InstructorInput {
                name: s.trim().to_owned(),
                bio: String::new(),
            }),
            Value::Object(_) => text_of(p, &["name"]).map(|name| InstructorInput {
                name,
                bio: text_of(p, &["description"]).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    let mut sections = Vec::new();
    for (si, s) in list(&item["syllabusSections"]).into_iter().enumerate() {
        let title = text_of(s, &["name"]).unwrap_or_else(|| format!("Part {}", si + 1));
        let mut lessons = Vec::new();
        for (li, l) in list(&s["hasPart"]).into_iter().enumerate() {
            let at = format!("section {}, lesson {}", si + 1, li + 1);
            match lesson_from_json(l) {
                Ok(lesson) => lessons.push(lesson),
                Err(e) => problems.push(format!("{at}: {e}")),
            }
        }
        if lessons.is_empty() {
            let body = text_of(s, &["description", "text"]).unwrap_or_default();
            if body.is_empty() {
                problems.push(format!(
                    "section {} has no lessons (hasPart) and no description",
                    si + 1
                ));
            }
            lessons.push(LessonInput {
                title: title.clone(),
                kind: LessonKind::Article,
                body,
                captions: None,
                duration_minutes: text_of(s, &["timeRequired"])
                    .and_then(|d| parse_duration(&d))
                    .unwrap_or(10),
                pass_percent: None,
                questions: Vec::new(),
            });
        }
        sections.push(SectionInput { title, lessons });
    }
    if sections.is_empty() {
        if description.is_empty() {
            problems.push("it has neither syllabusSections nor a description to learn from".into());
        }
        sections = overview(&description);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CourseInput {
        external_id: id,
        title,
        summary,
        description,
        level,
        language,
        duration_minutes,
        skills,
        instructors,
        sections,
        status: CourseStatus::Published,
    })
}

fn lesson_from_json(l: &Value) -> Result<LessonInput, String> {
    let title = text_of(l, &["name", "headline"]).ok_or("it has no name")?;
    let kind_raw = text_of(l, &["learningResourceType"])
        .map(|k| k.to_ascii_lowercase())
        .unwrap_or_else(|| {
            if is_type(l, "Quiz") {
                "quiz".into()
            } else {
                "article".into()
            }
        });
    let kind = match kind_raw.as_str() {
        "article" | "reading" | "text" | "lesson" => LessonKind::Article,
        "quiz" | "assessment" => LessonKind::Quiz,
        "video" => {
            return Err(format!(
                "\"{title}\" is a video; import the course, then upload the video on the course's page"
            ));
        }
        other => {
            return Err(format!(
                "\"{title}\" has learningResourceType \"{other}\"; use article or quiz"
            ));
        }
    };
    let body = text_of(l, &["text", "description"]).unwrap_or_default();
    let duration_minutes = match text_of(l, &["timeRequired"]) {
        Some(d) => parse_duration(&d).ok_or_else(|| {
            format!("\"{title}\": timeRequired \"{d}\" is not an ISO 8601 duration")
        })?,
        None => 10,
    };
    let mut questions = Vec::new();
    if kind == LessonKind::Quiz {
        for (qi, q) in list(&l["hasPart"]).into_iter().enumerate() {
            let prompt = text_of(q, &["name", "text"])
                .ok_or_else(|| format!("\"{title}\", question {}: it has no text", qi + 1))?;
            let mut choices: Vec<String> = list(&q["suggestedAnswer"])
                .into_iter()
                .filter_map(|a| text_of(a, &["text", "name"]))
                .collect();
            let accepted = list(&q["acceptedAnswer"]);
            let [accepted] = accepted.as_slice() else {
                return Err(format!(
                    "\"{title}\", question {}: give exactly one acceptedAnswer",
                    qi + 1
                ));
            };
            let accepted = text_of(accepted, &["text", "name"]).ok_or_else(|| {
                format!(
                    "\"{title}\", question {}: the acceptedAnswer has no text",
                    qi + 1
                )
            })?;
            let answer = match choices.iter().position(|c| *c == accepted) {
                Some(i) => i,
                None => {
                    choices.push(accepted);
                    choices.len() - 1
                }
            };
            let question = QuizQuestion {
                prompt,
                choices,
                answer,
                explanation: text_of(q, &["comment", "answerExplanation"]).unwrap_or_default(),
            };
            question
                .validate()
                .map_err(|e| format!("\"{title}\", question {}: {e}", qi + 1))?;
            questions.push(question);
        }
        if questions.is_empty() {
            return Err(format!("the quiz \"{title}\" has no questions (hasPart)"));
        }
    }
    Ok(LessonInput {
        title,
        kind,
        body,
        captions: None,
        duration_minutes,
        pass_percent: None,
        questions,
    })
}

fn duplicates(
    courses: &[CourseInput],
    problems: &mut Vec<ImportProblem>,
    at: impl Fn(usize) -> String,
) {
    let mut seen = std::collections::HashMap::new();
    for (i, c) in courses.iter().enumerate() {
        if let Some(first) = seen.insert(c.external_id.clone(), i) {
            problems.push(ImportProblem {
                at: at(i),
                message: format!(
                    "the id {} is used twice (also at {}); each course needs its own",
                    c.external_id,
                    at(first)
                ),
            });
        }
    }
}

/// Reads a CSV catalog.
pub fn from_csv(text: &str) -> Result<Vec<CourseInput>, Vec<ImportProblem>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.to_ascii_lowercase()).collect(),
        Err(e) => {
            return Err(vec![ImportProblem {
                at: "line 1".into(),
                message: format!("the header row cannot be read: {e}"),
            }]);
        }
    };
    const KNOWN: [&str; 9] = [
        "id",
        "title",
        "summary",
        "description",
        "level",
        "language",
        "duration_minutes",
        "skills",
        "instructors",
    ];
    let mut problems = Vec::new();
    for h in &headers {
        if !KNOWN.contains(&h.as_str()) {
            problems.push(ImportProblem {
                at: "line 1".into(),
                message: format!(
                    "unknown column \"{h}\"; the columns are {}",
                    KNOWN.join(", ")
                ),
            });
        }
    }
    for required in ["id", "title"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(ImportProblem {
                at: "line 1".into(),
                message: format!("the column \"{required}\" is missing"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut courses = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(ImportProblem {
                    at: format!("line {line}"),
                    message: match e.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                            "it has {len} fields and the header has {expected_len}; quote any field that contains a comma"
                        ),
                        _ => format!("it cannot be read: {e}"),
                    },
                });
                if problems.len() >= MAX_PROBLEMS {
                    break;
                }
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let get = |name: &str| {
            col(name)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        let mut messages = Vec::new();
        let id = get("id");
        if id.is_empty() {
            messages.push("the id is empty".to_owned());
        }
        let title = get("title");
        if title.is_empty() {
            messages.push("the title is empty".to_owned());
        }
        let description = get("description");
        let summary = match get("summary") {
            s if s.is_empty() => first_sentence(&description),
            s => s,
        };
        let level = match get("level") {
            l if l.is_empty() => Level::Beginner,
            l => level_of(&l).unwrap_or_else(|| {
                messages.push(format!(
                    "the level \"{l}\" is not beginner, intermediate or advanced"
                ));
                Level::Beginner
            }),
        };
        let language = match get("language") {
            l if l.is_empty() => Language::english(),
            l => Language::parse(&l).unwrap_or_else(|e| {
                messages.push(e);
                Language::english()
            }),
        };
        let duration_minutes = match get("duration_minutes") {
            d if d.is_empty() => 0,
            d => d.parse::<u32>().unwrap_or_else(|_| {
                messages.push(format!("duration_minutes \"{d}\" is not a whole number"));
                0
            }),
        };
        let skills = skills_of(vec![get("skills")], &mut messages);
        let instructors = get("instructors")
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|name| InstructorInput {
                name: name.to_owned(),
                bio: String::new(),
            })
            .collect();
        if description.is_empty() {
            messages.push("the description is empty; it becomes the course's first reading".into());
        }
        if messages.is_empty() {
            lines.push(line);
            courses.push(CourseInput {
                external_id: id,
                title,
                summary,
                sections: overview(&description),
                description,
                level,
                language,
                duration_minutes,
                skills,
                instructors,
                status: CourseStatus::Published,
            });
        } else {
            problems.extend(messages.into_iter().map(|message| ImportProblem {
                at: format!("line {line}"),
                message,
            }));
        }
        if problems.len() >= MAX_PROBLEMS || courses.len() > MAX_COURSES {
            break;
        }
    }
    if courses.len() > MAX_COURSES {
        problems.push(ImportProblem {
            at: "the file".into(),
            message: format!("import at most {MAX_COURSES} courses at a time"),
        });
    }
    if courses.is_empty() && problems.is_empty() {
        problems.push(ImportProblem {
            at: "the file".into(),
            message: "it has a header row but no courses".into(),
        });
    }
    duplicates(&courses, &mut problems, |i| {
        format!("line {}", lines.get(i).copied().unwrap_or(0))
    });
    if problems.is_empty() {
        Ok(courses)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON_LD: &str = r#"{
      "@context": "https://schema.org",
      "@graph": [
        {
          "@type": "Course",
          "identifier": "py-101",
          "name": "Python for beginners",
          "description": "Write your first programs. Variables, loops and functions.",
          "educationalLevel": "Beginner",
          "inLanguage": "en",
          "timeRequired": "PT2H30M",
          "teaches": ["Python", "Programming"],
          "instructor": [{"@type": "Person", "name": "Grace Example", "description": "Teaches Python."}],
          "syllabusSections": [
            {"@type": "Syllabus", "name": "Basics", "hasPart": [
              {"@type": "LearningResource", "learningResourceType": "article", "name": "Variables", "text": "A variable **names** a value.", "timeRequired": "PT15M"},
              {"@type": "Quiz", "name": "Check", "hasPart": [
                {"@type": "Question", "name": "Which keyword defines a function?",
                 "suggestedAnswer": [{"@type": "Answer", "text": "fun"}, {"@type": "Answer", "text": "def"}],
                 "acceptedAnswer": {"@type": "Answer", "text": "def"}, "comment": "def starts a function."}
              ]}
            ]}
          ]
        },
        {"@type": "Course", "courseCode": "cv-1", "name": "CV writing", "description": "A short course.", "keywords": "CV writing, Job search"}
      ]
    }"#;

    #[test]
    fn a_schema_org_catalog_reads_with_lessons_and_quizzes() {
        let courses = from_json_ld(JSON_LD).expect("reads");
        assert_eq!(courses.len(), 2);
        let py = &courses[0];
        assert_eq!(py.external_id, "py-101");
        assert_eq!(py.summary, "Write your first programs.");
        assert_eq!(py.duration_minutes, 150);
        assert_eq!(py.skills.len(), 2);
        assert_eq!(py.instructors[0].name, "Grace Example");
        let lessons = &py.sections[0].lessons;
        assert_eq!(lessons[0].duration_minutes, 15);
        assert_eq!(lessons[1].kind, LessonKind::Quiz);
        assert_eq!(lessons[1].questions[0].answer, 1);
        assert_eq!(courses[1].sections[0].title, "Overview");
        assert_eq!(courses[1].skills[1].as_str(), "Job search");
    }

    #[test]
    fn json_ld_problems_name_the_item_and_import_nothing() {
        let bad = r#"[{"@type": "Course", "identifier": "a", "name": "A", "description": "x", "educationalLevel": "Wizard"},
                      {"@type": "Course", "name": "No id", "description": "x"},
                      {"@type": "Course", "identifier": "a", "name": "Again", "description": "x"}]"#;
        let problems = from_json_ld(bad).expect_err("refused");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text[0].starts_with("item 1 (id a): educationalLevel \"Wizard\""),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("item 2") && t.contains("no identifier")),
            "{text:?}"
        );
        assert!(from_json_ld("{\"@type\": \"Book\"}").is_err());
        let e = from_json_ld("{ not json").expect_err("refused");
        assert!(e[0].at.starts_with("line 1"), "{e:?}");
    }

    #[test]
    fn a_csv_catalog_reads_and_reports_lines() {
        let csv = "id,title,summary,description,level,language,duration_minutes,skills,instructors\n\
                   c1,Spreadsheets,,\"Rows, columns and formulas. More text.\",beginner,en,45,Spreadsheets;Budgeting,Ann Example\n\
                   c2,Budgets,Plan a month.,Money in and out.,Intermediate,es,60,,\n";
        let courses = from_csv(csv).expect("reads");
        assert_eq!(courses.len(), 2);
        assert_eq!(courses[0].summary, "Rows, columns and formulas.");
        assert_eq!(courses[0].skills.len(), 2);
        assert_eq!(courses[1].language.as_str(), "es");

        let bad =
            "id,title,level,description\nc1,One,wizard,x\nc2,Two,beginner\n,Three,beginner,x\n";
        let problems = from_csv(bad).expect_err("refused");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("line 2") && t.contains("wizard")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("line 3") && t.contains("fields")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("line 4") && t.contains("id is empty")),
            "{text:?}"
        );
        let unknown = from_csv("id,title,price\n1,x,3\n").expect_err("refused");
        assert!(unknown[0].message.contains("price"));
    }

    #[test]
    fn durations_read_as_iso_8601() {
        assert_eq!(parse_duration("PT1H30M"), Some(90));
        assert_eq!(parse_duration("pt45m"), Some(45));
        assert_eq!(parse_duration("P1DT1H"), Some(1500));
        assert_eq!(parse_duration("PT90S"), Some(2));
        assert_eq!(parse_duration("90 minutes"), None);
        assert_eq!(parse_duration("PTM"), None);
    }
}

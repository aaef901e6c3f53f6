//! The demo catalog: a library's own practical courses with written
//! lessons and quizzes, two Spanish-language courses from a second
//! provider, and 808 MIT OpenCourseWare courses as a partner's catalog
//! (their real titles, departments, levels and topics).

use anyhow::Context;
use lyceum_core::domain::learning::{
    CourseStatus, Language, LessonKind, Level, QuizQuestion, Skill,
};
use lyceum_store::Store;
use lyceum_store::learning::{
    CourseInput, InstructorInput, LessonInput, NewProvider, SectionInput,
};
use serde::Deserialize;

fn article(title: &str, minutes: u32, body: &str) -> LessonInput {
    LessonInput {
        title: title.into(),
        kind: LessonKind::Article,
        body: body.trim().into(),
        captions: None,
        duration_minutes: minutes,
        pass_percent: None,
        questions: Vec::new(),
    }
}

fn quiz(title: &str, intro: &str, questions: Vec<QuizQuestion>) -> LessonInput {
    LessonInput {
        title: title.into(),
        kind: LessonKind::Quiz,
        body: intro.into(),
        captions: None,
        duration_minutes: 5,
        pass_percent: None,
        questions,
    }
}

fn q(prompt: &str, choices: &[&str], answer: usize, explanation: &str) -> QuizQuestion {
    QuizQuestion {
        prompt: prompt.into(),
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        answer,
        explanation: explanation.into(),
    }
}

fn section(title: &str, lessons: Vec<LessonInput>) -> SectionInput {
    SectionInput {
        title: title.into(),
        lessons,
    }
}

#[allow(clippy::too_many_arguments)]
fn course(
    id: &str,
    title: &str,
    summary: &str,
    level: Level,
    language: &str,
    skills: &[&str],
    instructor: (&str, &str),
    sections: Vec<SectionInput>,
) -> anyhow::Result<CourseInput> {
    Ok(CourseInput {
        external_id: id.into(),
        title: title.into(),
        summary: summary.into(),
        description: summary.into(),
        level,
        language: Language::parse(language).map_err(anyhow::Error::msg)?,
        duration_minutes: 0,
        skills: skills
            .iter()
            .map(|s| Skill::parse(s).map_err(anyhow::Error::msg))
            .collect::<Result<_, _>>()?,
        instructors: vec![InstructorInput {
            name: instructor.0.into(),
            bio: instructor.1.into(),
        }],
        sections,
        status: CourseStatus::Published,
    })
}

const AMARA: (&str, &str) = (
    "Amara Okafor",
    "Digital skills librarian at Riverside Public Library; runs the library's weekly computer clinic.",
);
const JONAS: (&str, &str) = (
    "Jonas Lindqvist",
    "Careers adviser who has read more than ten thousand CVs and sat on hundreds of interview panels.",
);
const MARIA: (&str, &str) = (
    "María José Fernández",
    "Bibliotecaria y formadora en alfabetización digital para personas adultas.",
);

fn library_courses() -> anyhow::Result<Vec<CourseInput>> {
    Ok(vec![
        course(
            "spreadsheets-first-steps",
            "Spreadsheets: the first steps",
            "Rows, columns, cells and your first formulas, so a household budget or a club's accounts add up by themselves.",
            Level::Beginner,
            "en",
            &["Spreadsheets", "Budgeting", "Computer basics"],
            AMARA,
            vec![
                section(
                    "Finding your way around",
                    vec![
                        article(
                            "Cells, rows and columns",
                            8,
                            r#"
A spreadsheet is a grid. Each **column** has a letter (A, B, C…) and each **row** has a number (1, 2, 3…). Where a column and a row meet is a **cell**, named by its column and row: the top-left cell is **A1**, the one to its right is **B1**, the one below it is **A2**.

You can type three kinds of things into a cell:

- **Text**, such as `Rent` or `Bus pass`.
- **Numbers**, such as `650` or `12.50`. Type them without currency signs at first; you can format them as money later.
- **Formulas**, which always start with `=` and calculate something, such as `=B2+B3`.

Select a cell by clicking it or by moving to it with the arrow keys. Type, then press **Enter** to move down or **Tab** to move right. To change a cell, select it and type again, or press **F2** to edit what is there.

A good habit from the start: put a heading in row 1 of each column (for example `Item` in A1 and `Amount` in B1), and one thing per row below it.
"#,
                        ),
                        article(
                            "Your first formula",
                            10,
                            r#"
Formulas are what make a spreadsheet more than a table. Every formula starts with an equals sign.

Suppose your monthly costs are in cells B2 to B6. In B7, type:

    =SUM(B2:B6)

and press Enter. `B2:B6` means "every cell from B2 to B6". The cell shows the total, and if you change any of the amounts, the total changes by itself.

Other formulas worth knowing on day one:

| Formula | What it does |
|---|---|
| `=B2-B3` | subtracts |
| `=B2*12` | multiplies (a monthly amount into a yearly one) |
| `=B2/4` | divides |
| `=AVERAGE(B2:B6)` | the average of a range |

If a cell shows `#NAME?`, the formula's name is misspelt. If it shows `#####`, the column is too narrow: drag the line between the column letters to widen it.
"#,
                        ),
                    ],
                ),
                section(
                    "Putting it to work",
                    vec![
                        article(
                            "A monthly budget in ten minutes",
                            12,
                            r#"
Make three columns: **Item**, **Planned**, **Actual**.

1. List your income at the top: wages, benefits, anything regular.
2. Below, list each cost: rent, energy, food, transport, phone.
3. Add a row **Total costs** with `=SUM(...)` over the costs, once for Planned and once for Actual.
4. Add a row **Left over** that subtracts total costs from income.

Fill in **Planned** at the start of the month and **Actual** as you go. The difference shows where the money really goes. Many people find that small, frequent costs add up to more than they expected.

Save your file with a clear name, such as `Budget 2026-11`. On a shared library computer, save it to your own email or a USB stick, not to the computer: it is cleared when you sign out.
"#,
                        ),
                        quiz(
                            "Check what you learned",
                            "Three questions. You need 70% to pass, and you can try again as often as you like.",
                            vec![
                                q(
                                    "What is the name of the cell in column C, row 4?",
                                    &["4C", "C4", "R4C3"],
                                    1,
                                    "Cells are named column first, then row: C4.",
                                ),
                                q(
                                    "Which formula adds up the cells B2 to B6?",
                                    &["=SUM(B2:B6)", "SUM B2 to B6", "=ADD(B2,B6)"],
                                    0,
                                    "SUM with a range B2:B6 adds every cell in it.",
                                ),
                                q(
                                    "A cell shows #####. What does it usually mean?",
                                    &[
                                        "The formula is wrong",
                                        "The file is damaged",
                                        "The column is too narrow for the number",
                                    ],
                                    2,
                                    "Widen the column and the number appears.",
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        )?,
        course(
            "cv-that-gets-read",
            "Writing a CV that gets read",
            "What employers look at in the first thirty seconds, and how to make your experience, including gaps and unpaid work, count.",
            Level::Beginner,
            "en",
            &["CV writing", "Job search", "Career planning"],
            JONAS,
            vec![
                section(
                    "The first thirty seconds",
                    vec![
                        article(
                            "What a reader looks for",
                            9,
                            r#"
Most CVs get a first look of well under a minute. In that time the reader wants to answer one question: **could this person do this job?**

Help them answer it quickly:

- Put a two- or three-line **profile** at the top that names the kind of work you do and what you are good at, in the words the job advert uses.
- List **experience** with the most recent first: role, organisation, dates, then three or four lines on what you achieved, not just what you were responsible for.
- Keep it to **two pages** at most. One is fine early in a career.

Use a plain layout with clear headings. Many employers read CVs with software first, and tables, text boxes and pictures confuse it. Save as PDF unless the advert asks for something else.
"#,
                        ),
                        article(
                            "Gaps, volunteering and caring",
                            8,
                            r#"
A gap in employment is common and needs no apology. Name it briefly and honestly: *"2021–2023: full-time carer for a family member."* Then say what you did or learned that an employer would value: organising appointments, managing a budget, dealing with officials.

Volunteering is experience. List it like a job, with the organisation, your role and what you achieved.

Courses count too. The certificates you earn here can go under **Training**, with the course title and the month you finished.
"#,
                        ),
                    ],
                ),
                section(
                    "Making it yours",
                    vec![
                        article(
                            "Tailor it to each advert",
                            7,
                            r#"
Keep a long "master" CV with everything on it. For each application, copy it and cut it down to what matters for that job.

Read the advert and underline the skills and duties it mentions. Make sure each one appears on your CV, with an example, using the advert's own words where they are true of you.

Finally, ask someone to read it for a minute and tell you what job they think you are applying for. If they cannot say, the profile at the top needs work.
"#,
                        ),
                        quiz(
                            "Check what you learned",
                            "Three questions; 70% to pass.",
                            vec![
                                q(
                                    "How long should most CVs be?",
                                    &[
                                        "One or two pages",
                                        "As long as it takes",
                                        "Exactly one paragraph",
                                    ],
                                    0,
                                    "Readers skim: two pages at most.",
                                ),
                                q(
                                    "How should a two-year caring gap be shown?",
                                    &[
                                        "Leave it out and hope",
                                        "Name it briefly and say what you did",
                                        "Write a page explaining it",
                                    ],
                                    1,
                                    "A short, honest line with what you learned works best.",
                                ),
                                q(
                                    "Why avoid tables and text boxes?",
                                    &[
                                        "They print badly",
                                        "Screening software often cannot read them",
                                        "Employers dislike colour",
                                    ],
                                    1,
                                    "Many employers read CVs with software first.",
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        )?,
        course(
            "staying-safe-online",
            "Staying safe online",
            "Spot scam messages, make passwords you can remember and nobody can guess, and keep your accounts yours.",
            Level::Beginner,
            "en",
            &["Online safety", "Computer basics", "Privacy"],
            AMARA,
            vec![
                section(
                    "Scams and how to spot them",
                    vec![article(
                        "The signs of a scam message",
                        8,
                        r#"
Scam emails, texts and calls usually have some of these signs:

- **Urgency**: "your account will be closed today", "a parcel is waiting, pay now".
- **A request for a code, a password or a payment** by an unusual method such as gift cards or a bank transfer to a person.
- **A link** whose address does not match the organisation's real website.
- **Something too good to be true**: a prize, a refund you did not expect.

Real banks and public services never ask for your password or a one-time code. If in doubt, do not use the link or number in the message: look up the organisation's contact details yourself and ask them.
"#,
                    )],
                ),
                section(
                    "Passwords and accounts",
                    vec![
                        article(
                            "Passwords you can remember",
                            7,
                            r#"
A long password is a strong password. Three or four random words joined together, such as `copper-lantern-meadow-spoon`, are easier to remember and harder to guess than `P@ssw0rd1`.

Use a **different password for every important account**, starting with your email: whoever controls your email can reset every other password. A password manager, or a notebook kept at home, can hold them.

Turn on **two-step verification** where it is offered. Then a stolen password alone is not enough to get in.

On a library computer, always **sign out** when you finish and close the browser.
"#,
                        ),
                        quiz(
                            "Check what you learned",
                            "Three questions; 70% to pass.",
                            vec![
                                q(
                                    "A text says your bank account is locked and asks for the code it just sent you. What do you do?",
                                    &[
                                        "Reply with the code",
                                        "Call the number in the text",
                                        "Ignore it and contact the bank using its official number",
                                    ],
                                    2,
                                    "Banks never ask for one-time codes.",
                                ),
                                q(
                                    "Which is the strongest password?",
                                    &["P@ssw0rd1", "copper-lantern-meadow-spoon", "Riverside2026"],
                                    1,
                                    "Length beats complexity; random words are long and memorable.",
                                ),
                                q(
                                    "Which account most needs its own password?",
                                    &["Your email", "A shopping site", "A newspaper"],
                                    0,
                                    "Email can reset every other account's password.",
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        )?,
        course(
            "interviews-with-confidence",
            "Job interviews: prepare with confidence",
            "Research the role, answer with examples using STAR, and ask good questions of your own.",
            Level::Intermediate,
            "en",
            &["Interviewing", "Job search", "Communication"],
            JONAS,
            vec![
                section(
                    "Before the day",
                    vec![
                        article(
                            "Research in an hour",
                            10,
                            r#"
Spend an hour before any interview on three things:

1. **The organisation**: what it does, who it serves, any recent news. Its own website and annual report are the places to start.
2. **The role**: reread the advert and the job description. List the five things they most want.
3. **You**: for each of those five things, pick one real example from your work, study, volunteering or home life.

Plan your journey or test your video call the day before.
"#,
                        ),
                        article(
                            "Answering with STAR",
                            10,
                            r#"
When asked *"Tell me about a time when…"*, answer in four parts:

- **Situation**: where you were, in one sentence.
- **Task**: what needed doing.
- **Action**: what *you* did; say "I", not "we".
- **Result**: what happened, with a number if you can.

For example: *"At the food bank (S) we had twice as many visitors in December (T). I reorganised the rota and set up a booking sheet (A), and waiting times fell from forty minutes to ten (R)."*

Keep each answer under two minutes.
"#,
                        ),
                    ],
                ),
                section(
                    "On the day",
                    vec![quiz(
                        "Check what you learned",
                        "Three questions; 70% to pass.",
                        vec![
                            q(
                                "What does the A in STAR stand for?",
                                &["Ambition", "Action", "Achievement"],
                                1,
                                "Action: what you yourself did.",
                            ),
                            q(
                                "How long should a STAR answer usually be?",
                                &["Under two minutes", "About ten minutes", "One word"],
                                0,
                                "Two minutes keeps the panel with you.",
                            ),
                            q(
                                "Where do you start researching an organisation?",
                                &["Rumours", "Its own website and reports", "Skip it"],
                                1,
                                "Start with what it says about itself.",
                            ),
                        ],
                    )],
                ),
            ],
        )?,
    ])
}

fn spanish_courses() -> anyhow::Result<Vec<CourseInput>> {
    Ok(vec![
        course(
            "correo-electronico-basico",
            "El correo electrónico, paso a paso",
            "Crear una cuenta, escribir y responder mensajes, y adjuntar documentos para trámites y solicitudes de empleo.",
            Level::Beginner,
            "es",
            &["Correo electrónico", "Informática básica"],
            MARIA,
            vec![section(
                "Primeros pasos",
                vec![
                    article(
                        "Escribir un mensaje",
                        8,
                        r#"
Un correo tiene tres partes: **Para** (la dirección de quien lo recibe), **Asunto** (de qué trata, en pocas palabras) y el **mensaje**.

Un buen asunto ayuda a que lo lean: *"Solicitud para el puesto de auxiliar administrativo"* es mejor que *"Hola"*.

Empiece con un saludo, diga lo que necesita en dos o tres frases y despídase con su nombre. Antes de enviar, lea el mensaje otra vez.
"#,
                    ),
                    article(
                        "Adjuntar un documento",
                        6,
                        r#"
Para enviar su currículum u otro documento, pulse **Adjuntar** (a menudo un clip) y elija el archivo. Espere a que termine de cargarse antes de enviar.

Use nombres de archivo claros, como `CV-Maria-Fernandez.pdf`. En un ordenador de la biblioteca, recuerde que los archivos se borran al cerrar la sesión.
"#,
                    ),
                    quiz(
                        "Compruebe lo aprendido",
                        "Dos preguntas; necesita un 70 %.",
                        vec![
                            q(
                                "¿Qué asunto es mejor para una solicitud de empleo?",
                                &[
                                    "Hola",
                                    "Solicitud para el puesto de auxiliar administrativo",
                                    "(vacío)",
                                ],
                                1,
                                "El asunto dice de qué trata el mensaje.",
                            ),
                            q(
                                "¿Cuándo se envía un correo con un archivo adjunto?",
                                &[
                                    "Cuando el archivo termina de cargarse",
                                    "Antes de adjuntarlo",
                                    "Nunca",
                                ],
                                0,
                                "Espere a que se cargue el archivo.",
                            ),
                        ],
                    ),
                ],
            )],
        )?,
        course(
            "presupuesto-familiar",
            "Un presupuesto familiar que funciona",
            "Anotar ingresos y gastos, encontrar dónde se va el dinero y ahorrar un poco cada mes.",
            Level::Beginner,
            "es",
            &["Presupuesto", "Finanzas personales"],
            MARIA,
            vec![section(
                "Ingresos y gastos",
                vec![
                    article(
                        "Anotar durante un mes",
                        8,
                        r#"
Durante un mes, anote **todo** lo que entra y sale: sueldo, ayudas, alquiler, luz, comida, transporte, pequeños gastos.

Al final del mes, sume cada grupo. Muchas familias descubren que los gastos pequeños y frecuentes suman más de lo que pensaban.
"#,
                    ),
                    quiz(
                        "Compruebe lo aprendido",
                        "Dos preguntas; necesita un 70 %.",
                        vec![
                            q(
                                "¿Qué conviene anotar?",
                                &[
                                    "Solo los gastos grandes",
                                    "Todo lo que entra y sale",
                                    "Nada",
                                ],
                                1,
                                "Los gastos pequeños también cuentan.",
                            ),
                            q(
                                "¿Durante cuánto tiempo se anota al principio?",
                                &["Un día", "Un mes", "Diez años"],
                                1,
                                "Un mes muestra el ciclo completo de pagos.",
                            ),
                        ],
                    ),
                ],
            )],
        )?,
    ])
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OcwCourse {
    id: String,
    title: String,
    level: String,
    department: String,
    sem: String,
    #[serde(rename = "sort_as")]
    sort_as: String,
    #[serde(default)]
    topics: Vec<OcwTopic>,
    #[serde(default)]
    complete_video: bool,
    #[serde(default)]
    lecture_notes: bool,
    #[serde(default)]
    exams: bool,
    #[serde(default)]
    assesments_with_solution: bool,
    #[serde(default)]
    online_textbooks: bool,
    #[serde(default)]
    simulations: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OcwTopic {
    sub_cat: String,
    speciality: String,
}

fn department_name(slug: &str) -> String {
    let name = slug.replace('-', " ");
    let mut out = String::new();
    for (i, word) in name.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i > 0 && matches!(word, "and" | "of" | "in" | "for") {
            out.push_str(word);
        } else {
            let mut c = word.chars();
            if let Some(first) = c.next() {
                out.extend(first.to_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    if out == "Resources" {
        "MIT Resources".into()
    } else {
        out
    }
}

fn ocw_courses() -> anyhow::Result<Vec<CourseInput>> {
    let raw: Vec<OcwCourse> = serde_json::from_str(include_str!("../data/mit-ocw-courses.json"))
        .context("the MIT OpenCourseWare catalog reads")?;
    let departments: Vec<String> = {
        let mut d: Vec<String> = raw.iter().map(|c| department_name(&c.department)).collect();
        d.sort();
        d.dedup();
        d
    };
    let mut out = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let department = department_name(&c.department);
        let mut skills: Vec<Skill> = Vec::new();
        for t in &c.topics {
            for s in [&t.speciality, &t.sub_cat] {
                if let Ok(skill) = Skill::parse(s)
                    && !skills
                        .iter()
                        .any(|k| k.as_str().eq_ignore_ascii_case(skill.as_str()))
                {
                    skills.push(skill);
                }
            }
        }
        skills.truncate(6);
        let level = match c.level.as_str() {
            "Graduate" => Level::Advanced,
            "Undergraduate" => Level::Intermediate,
            _ => Level::Beginner,
        };
        let mut materials = Vec::new();
        if c.complete_video {
            materials.push("complete video lectures");
        }
        if c.lecture_notes {
            materials.push("lecture notes");
        }
        if c.exams {
            materials.push("exams");
        }
        if c.assesments_with_solution {
            materials.push("assignments with solutions");
        }
        if c.online_textbooks {
            materials.push("an online textbook");
        }
        if c.simulations {
            materials.push("simulations");
        }
        let topics: Vec<&str> = skills.iter().map(Skill::as_str).collect();
        let topic_text = match topics.as_slice() {
            [] => department.to_lowercase(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        };
        let level_text = match level {
            Level::Advanced => "a graduate-level",
            Level::Intermediate => "an undergraduate",
            Level::Beginner => "a non-credit",
        };
        let summary = format!(
            "{} ({}), {level_text} course from MIT's {department}, covering {topic_text}.",
            c.title, c.sort_as
        );
        let overview = format!(
            "**{}** ({}) was taught at MIT in {} as {level_text} course of the {department}.\n\n\
             It covers {topic_text}. Work through it at your own pace: the lessons here introduce the course, \
             and the full materials are published by MIT OpenCourseWare at \
             ocw.mit.edu/{}.\n\n\
             Catalogue information from MIT OpenCourseWare, licensed CC BY-NC-SA 4.0.",
            c.title, c.sort_as, c.sem, c.id
        );
        let materials_text = if materials.is_empty() {
            "The published materials are a syllabus and reading list.".to_owned()
        } else {
            format!(
                "The published materials include {}.\n\n\
                 A good way to study: read the syllabus first, then take each week in order, \
                 doing the problems before looking at any solution.",
                match materials.as_slice() {
                    [one] => (*one).to_owned(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                    [] => String::new(),
                }
            )
        };
        // A check question whose wrong answers are other real departments.
        let wrong1 = &departments[(i * 7 + 3) % departments.len()];
        let wrong2 = &departments[(i * 13 + 5) % departments.len()];
        let mut choices = vec![department.clone()];
        for w in [wrong1, wrong2] {
            if !choices.contains(w) {
                choices.push(w.clone());
            }
        }
        if choices.len() < 2 {
            choices.push("None of these".into());
        }
        let answer = i % choices.len();
        choices.swap(0, answer);
        let minutes = if c.complete_video {
            1800
        } else if c.lecture_notes {
            600
        } else {
            150
        };
        out.push(CourseInput {
            external_id: c.id.clone(),
            title: c.title.clone(),
            summary,
            description: overview.clone(),
            level,
            language: Language::parse("en").map_err(anyhow::Error::msg)?,
            duration_minutes: minutes,
            skills,
            instructors: Vec::new(),
            sections: vec![section(
                "Getting started",
                vec![
                    article("About this course", 10, &overview),
                    article("What the materials include", 10, &materials_text),
                    quiz(
                        "Check in",
                        "One question to check you have the right course.",
                        vec![q(
                            "Which MIT department teaches this course?",
                            &choices.iter().map(String::as_str).collect::<Vec<_>>(),
                            answer,
                            &format!("{} is taught by the {department}.", c.title),
                        )],
                    ),
                ],
            )],
            status: CourseStatus::Published,
        });
    }
    Ok(out)
}

/// Adds the demo providers and their courses, licenses the partners for
/// the demo library, and makes two demo members provider staff. Returns
/// how many courses.
pub async fn load(store: &Store, library: lyceum_core::domain::LibraryId) -> anyhow::Result<usize> {
    let learning = store.learning();
    let own = learning
        .ensure_provider(NewProvider {
            slug: "riverside-learning".into(),
            name: "Riverside Learning Lab".into(),
            website: None,
            description: "Practical courses written by Riverside Public Library's staff.".into(),
            is_partner: false,
        })
        .await?;
    let abierta = learning
        .ensure_provider(NewProvider {
            slug: "biblioteca-abierta".into(),
            name: "Biblioteca Abierta".into(),
            website: None,
            description: "Cursos prácticos en español para personas adultas.".into(),
            is_partner: true,
        })
        .await?;
    let mit = learning
        .ensure_provider(NewProvider {
            slug: "mit-ocw".into(),
            name: "MIT OpenCourseWare".into(),
            website: Some("https://ocw.mit.edu".into()),
            description: "Course materials from MIT, shared openly (CC BY-NC-SA 4.0).".into(),
            is_partner: true,
        })
        .await?;
    let mut n = 0;
    for (provider, courses) in [
        (&own, library_courses()?),
        (&abierta, spanish_courses()?),
        (&mit, ocw_courses()?),
    ] {
        for c in &courses {
            for l in c.sections.iter().flat_map(|s| &s.lessons) {
                for question in &l.questions {
                    question.validate().map_err(anyhow::Error::msg)?;
                }
            }
        }
        n += learning.import(provider, &courses).await?.created;
    }
    learning
        .set_licensed_providers(library, &[abierta.id, mit.id])
        .await?;
    for (email, provider) in [
        ("amara@demo.lyceum.test", &own),
        ("ravi@demo.lyceum.test", &mit),
    ] {
        let member = store
            .accounts()
            .find_by_email(&lyceum_core::domain::Email::parse(email).map_err(anyhow::Error::msg)?)
            .await?
            .context("the demo member exists")?;
        learning.add_provider_staff(provider.id, member).await?;
    }
    Ok(n)
}

/// Demo video lessons: course, section (from 0), title, minutes, text,
/// captions, and the ffmpeg test source to draw.
const VIDEOS: &[(&str, usize, &str, u32, &str, &str, &str)] = &[
    (
        "spreadsheets-the-first-steps",
        0,
        "Watch: typing into cells",
        1,
        "A short demonstration. The captions and the transcript below say what happens on screen.",
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nClick a cell, or move to it with the arrow keys.\n\n00:00:03.000 --> 00:00:06.000\nType, then press Enter to move down or Tab to move right.\n",
        "testsrc=duration=6:size=320x240:rate=15",
    ),
    (
        "staying-safe-online",
        0,
        "Watch: checking where a link goes",
        1,
        "A short demonstration of checking a link's real address before opening it.",
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nBefore you open a link, look at the address it really goes to.\n\n00:00:03.000 --> 00:00:06.000\nIf it is not the organisation's own website, do not open it.\n",
        "smptebars=duration=6:size=320x240:rate=15",
    ),
];

/// Adds short test-pattern video lessons made with ffmpeg (WebM: VP8 and
/// Opus) to two demo courses. Without ffmpeg the demo has no videos and
/// says so.
pub async fn videos(store: &Store, media: &lyceum_media::Media) -> anyhow::Result<String> {
    let has_ffmpeg = tokio::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !has_ffmpeg {
        return Ok("no video lessons (install ffmpeg to have some)".into());
    }
    let learning = store.learning();
    let dir = std::env::temp_dir().join(format!("lyceum-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).context("a temporary directory for the demo videos")?;
    let mut n = 0;
    for (slug, section, title, minutes, body, captions, source) in VIDEOS {
        let file = dir.join(format!("{n}.webm"));
        let out = tokio::process::Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                source,
            ])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=6"])
            .args([
                "-c:v",
                "libvpx",
                "-b:v",
                "200k",
                "-c:a",
                "libopus",
                "-shortest",
            ])
            .arg(&file)
            .output()
            .await
            .context("running ffmpeg")?;
        anyhow::ensure!(
            out.status.success(),
            "ffmpeg could not make a demo video: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&file).context("reading the demo video")?;
        let key = format!("videos/{}.webm", uuid::Uuid::new_v4());
        let (content_type, size) = media
            .put_video(
                &key,
                futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))]),
                lyceum_media::MAX_VIDEO_BYTES,
            )
            .await?;
        let course = learning
            .course_by_slug(slug)
            .await?
            .with_context(|| format!("the demo course {slug} exists"))?;
        learning
            .add_video_lesson(
                course.card.id,
                *section,
                title,
                *minutes,
                body,
                Some((*captions).to_owned()),
                (&key, content_type, size),
            )
            .await
            .map_err(|e| anyhow::anyhow!("adding a demo video: {e}"))?;
        n += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!("{n} video lessons"))
}

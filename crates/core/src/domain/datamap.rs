//! The data map: a declaration, for every column of every table, of whether
//! it can hold personal data and, if so, what kind, why, on what lawful
//! basis, for how long, and what erasure does to it.
//!
//! Each storage entity declares its own [`TableDecl`] beside its definition;
//! the storage crate collects them into one registry. Export, erasure, the
//! retention scrubber and the privacy notice iterate that registry, and a
//! test compares it with the migrated schema through [`check_schema`], so a
//! column nobody declared fails the build's tests rather than slipping into
//! production unexplained.

use serde::Serialize;

/// What kind of personal data a field holds. The words are the ones the
/// privacy notice and the dashboard use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Who someone is: names.
    Identity,
    /// How to reach someone: email addresses.
    Contact,
    /// Secrets that prove who someone is: password hashes, passkeys.
    Credentials,
    /// What someone wrote about themselves for others to see.
    Profile,
    /// Courses, progress and certificates.
    Learning,
    /// Posts, comments, reactions.
    SocialContent,
    /// Who someone is connected to, follows or blocked.
    Connections,
    /// Private messages.
    Messages,
    /// Sessions and other records needed to run the service securely.
    Technical,
    /// Choices about optional features (consents and withdrawals).
    Consents,
    /// Records of who outside the instance received personal data.
    Disclosures,
}

impl Category {
    /// Every category, in the order pages list them.
    pub const ALL: [Category; 11] = [
        Category::Identity,
        Category::Contact,
        Category::Credentials,
        Category::Profile,
        Category::Learning,
        Category::SocialContent,
        Category::Connections,
        Category::Messages,
        Category::Technical,
        Category::Consents,
        Category::Disclosures,
    ];

    /// The stable key (as serialised).
    pub fn key(self) -> &'static str {
        match self {
            Category::Identity => "identity",
            Category::Contact => "contact",
            Category::Credentials => "credentials",
            Category::Profile => "profile",
            Category::Learning => "learning",
            Category::SocialContent => "social_content",
            Category::Connections => "connections",
            Category::Messages => "messages",
            Category::Technical => "technical",
            Category::Consents => "consents",
            Category::Disclosures => "disclosures",
        }
    }

    /// Reads a key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Category::Identity => "Identity",
            Category::Contact => "Contact details",
            Category::Credentials => "Sign-in credentials",
            Category::Profile => "Profile",
            Category::Learning => "Learning activity",
            Category::SocialContent => "Posts and reactions",
            Category::Connections => "Connections and follows",
            Category::Messages => "Messages",
            Category::Technical => "Technical records",
            Category::Consents => "Your choices",
            Category::Disclosures => "Who received your data",
        }
    }
}

/// The lawful basis for processing (GDPR Art. 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LawfulBasis {
    /// Needed to provide the service the person asked for (Art. 6(1)(b)).
    Contract,
    /// The person said yes to this purpose and can withdraw (Art. 6(1)(a)).
    Consent,
    /// Needed to keep the service secure (Art. 6(1)(f)), balanced and documented.
    LegitimateInterest,
    /// Required by law (Art. 6(1)(c)).
    LegalObligation,
}

impl LawfulBasis {
    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            LawfulBasis::Contract => "Needed to provide the service you asked for",
            LawfulBasis::Consent => "Your consent, which you can withdraw",
            LawfulBasis::LegitimateInterest => "Keeping the service secure",
            LawfulBasis::LegalObligation => "Required by law",
        }
    }
}

/// How long a personal field is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "days")]
pub enum Retention {
    /// Kept while the account is open; erased when it closes (within the
    /// operator's closed-account grace period, at most 30 days).
    WhileAccountOpen,
    /// Kept until the row's own expiry time passes (sessions, tokens).
    UntilExpiry,
    /// Kept this many days after the row was last used.
    DaysAfterLastUse(u32),
    /// Kept this many days after the row was written (an operator's
    /// shorter keeping for a category, see `retention.*_days`).
    DaysAfterWritten(u32),
}

/// What erasure does to a personal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EraseAction {
    /// The row is deleted.
    Delete,
    /// The value is replaced by a neutral one; the row stays (for example
    /// a post others replied to becomes a tombstone).
    Anonymise,
    /// The value is encrypted under the subject's data key; destroying the
    /// key makes every copy, backups included, unreadable.
    CryptoShred,
}

/// The declaration of one personal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PersonalField {
    /// What kind of data it is.
    pub category: Category,
    /// Why it is held, in words a person understands.
    pub purpose: &'static str,
    /// The lawful basis.
    pub basis: LawfulBasis,
    /// How long it is kept.
    pub retention: Retention,
    /// What erasure does to it.
    pub erase: EraseAction,
    /// Whether the stored value is ciphertext under the subject's data key.
    pub is_encrypted: bool,
}

/// How one column is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ColumnUse {
    /// Holds personal data, as declared.
    Personal(PersonalField),
    /// Links the row to its data subject (a member or guest id). Export and
    /// erasure find a person's rows through this column.
    Subject,
    /// Holds nothing about a person; the reason says why.
    NotPersonal {
        /// Why this column is not personal data.
        why: &'static str,
    },
}

/// One declared column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnDecl {
    /// The column name in the schema.
    pub name: &'static str,
    /// How it is used.
    pub usage: ColumnUse,
}

impl ColumnDecl {
    /// A column that holds nothing about a person.
    pub const fn not_personal(name: &'static str, why: &'static str) -> Self {
        Self {
            name,
            usage: ColumnUse::NotPersonal { why },
        }
    }

    /// The column that names the row's data subject.
    pub const fn subject(name: &'static str) -> Self {
        Self {
            name,
            usage: ColumnUse::Subject,
        }
    }

    /// A personal field.
    pub const fn personal(name: &'static str, field: PersonalField) -> Self {
        Self {
            name,
            usage: ColumnUse::Personal(field),
        }
    }
}

/// The declaration of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TableDecl {
    /// The table name in the schema.
    pub table: &'static str,
    /// What the table is for, in one sentence.
    pub about: &'static str,
    /// Every column of the table.
    pub columns: &'static [ColumnDecl],
}

impl TableDecl {
    /// The personal fields of this table.
    pub fn personal_fields(&self) -> impl Iterator<Item = (&'static str, PersonalField)> + '_ {
        self.columns.iter().filter_map(|c| match c.usage {
            ColumnUse::Personal(p) => Some((c.name, p)),
            _ => None,
        })
    }

    /// The first column naming the data subject, if rows belong to one person.
    pub fn subject_column(&self) -> Option<&'static str> {
        self.subject_columns().next()
    }

    /// Every column naming a data subject. A row can belong to more than
    /// one kind of subject (a session is a member's or a guest's); export,
    /// erasure and the dashboard take a row as a person's when any of
    /// these columns names them.
    pub fn subject_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns
            .iter()
            .filter(|c| c.usage == ColumnUse::Subject)
            .map(|c| c.name)
    }

    /// The SQL condition that selects a subject's rows, with the subject id
    /// as parameter `$1`; `None` when rows belong to nobody.
    pub fn subject_condition(&self) -> Option<String> {
        let parts: Vec<String> = self
            .subject_columns()
            .map(|c| format!("{c} = $1"))
            .collect();
        (!parts.is_empty()).then(|| format!("({})", parts.join(" OR ")))
    }
}

/// The author a tombstone names: nobody. Rows kept as tombstones after
/// their author's erasure carry this id in their subject column.
pub const ERASED_AUTHOR: uuid::Uuid = uuid::Uuid::nil();

/// What a tombstone's column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blank {
    /// No bytes (for ciphertext).
    Bytes,
    /// SQL `NULL`.
    Null,
    /// `false`.
    False,
}

/// Rows of a table that others replied to: when their author is erased
/// they stay as tombstones (no author, no words) so that the replies,
/// which are the other people's, keep their place. Rows nobody else
/// replied to are deleted as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TombstoneDecl {
    /// The table whose rows may become tombstones.
    pub table: &'static str,
    /// The table holding the replies.
    pub replies: &'static str,
    /// The replies' column that points at the row replied to.
    pub reply_to: &'static str,
    /// The replies' author column.
    pub reply_author: &'static str,
    /// The columns emptied on the tombstone; the rest (ids, times, the
    /// audience that still bounds who sees the replies) stay, and the
    /// subject column becomes [`ERASED_AUTHOR`].
    pub blank: &'static [(&'static str, Blank)],
    /// Rows of other tables that go with the original (its hashtags, its
    /// pictures, its place in timelines), by the column pointing at it.
    pub with: &'static [(&'static str, &'static str)],
}

/// A difference between the migrated schema and the data map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaGap {
    /// A table exists that no declaration covers.
    UndeclaredTable(String),
    /// A column exists that its table's declaration does not list.
    UndeclaredColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A declaration names a column the schema does not have (a stale map).
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A column is declared twice in one table.
    DuplicateColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
}

impl std::fmt::Display for SchemaGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaGap::UndeclaredTable(t) => write!(f, "table `{t}` is not in the data map"),
            SchemaGap::UndeclaredColumn { table, column } => {
                write!(
                    f,
                    "column `{table}.{column}` is not declared in the data map"
                )
            }
            SchemaGap::MissingColumn { table, column } => {
                write!(
                    f,
                    "the data map declares `{table}.{column}` but the schema has no such column"
                )
            }
            SchemaGap::DuplicateColumn { table, column } => {
                write!(f, "the data map declares `{table}.{column}` twice")
            }
        }
    }
}

/// Compares the actual schema (table name and its column names) with the
/// registry and lists every gap. An empty answer means every column is
/// accounted for.
pub fn check_schema(registry: &[TableDecl], schema: &[(String, Vec<String>)]) -> Vec<SchemaGap> {
    let mut gaps = Vec::new();
    for decl in registry {
        let mut seen = std::collections::HashSet::new();
        for c in decl.columns {
            if !seen.insert(c.name) {
                gaps.push(SchemaGap::DuplicateColumn {
                    table: decl.table.into(),
                    column: c.name.into(),
                });
            }
        }
    }
    for (table, columns) in schema {
        let Some(decl) = registry.iter().find(|d| d.table == table) else {
            gaps.push(SchemaGap::UndeclaredTable(table.clone()));
            continue;
        };
        for column in columns {
            if !decl.columns.iter().any(|c| c.name == column) {
                gaps.push(SchemaGap::UndeclaredColumn {
                    table: table.clone(),
                    column: column.clone(),
                });
            }
        }
        for c in decl.columns {
            if !columns.iter().any(|col| col == c.name) {
                gaps.push(SchemaGap::MissingColumn {
                    table: table.clone(),
                    column: c.name.into(),
                });
            }
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: PersonalField = PersonalField {
        category: Category::Contact,
        purpose: "Signing in",
        basis: LawfulBasis::Contract,
        retention: Retention::WhileAccountOpen,
        erase: EraseAction::CryptoShred,
        is_encrypted: true,
    };

    const MEMBERS: TableDecl = TableDecl {
        table: "members",
        about: "accounts",
        columns: &[
            ColumnDecl::subject("id"),
            ColumnDecl::personal("email_ciphertext", EMAIL),
            ColumnDecl::not_personal("created_at", "when the row was made"),
        ],
    };

    fn schema(cols: &[&str]) -> Vec<(String, Vec<String>)> {
        vec![(
            "members".into(),
            cols.iter().map(|c| c.to_string()).collect(),
        )]
    }

    #[test]
    fn a_fully_declared_schema_has_no_gaps() {
        // Every column in the schema is declared: nothing to report.
        assert!(
            check_schema(
                &[MEMBERS],
                &schema(&["id", "email_ciphertext", "created_at"])
            )
            .is_empty()
        );
    }

    #[test]
    fn an_undeclared_column_is_caught() {
        // Someone adds a `phone` column without declaring it: the check names it.
        let gaps = check_schema(
            &[MEMBERS],
            &schema(&["id", "email_ciphertext", "created_at", "phone"]),
        );
        assert_eq!(
            gaps,
            vec![SchemaGap::UndeclaredColumn {
                table: "members".into(),
                column: "phone".into()
            }]
        );
    }

    #[test]
    fn an_undeclared_table_and_a_stale_declaration_are_caught() {
        // A new table nobody declared, and a declared column that was dropped.
        let mut s = schema(&["id", "email_ciphertext"]);
        s.push(("tracking".into(), vec!["id".into()]));
        let gaps = check_schema(&[MEMBERS], &s);
        assert!(gaps.contains(&SchemaGap::UndeclaredTable("tracking".into())));
        assert!(gaps.contains(&SchemaGap::MissingColumn {
            table: "members".into(),
            column: "created_at".into()
        }));
    }

    #[test]
    fn personal_fields_and_subject_are_found() {
        // Export and erasure find the subject column and the personal fields.
        assert_eq!(MEMBERS.subject_column(), Some("id"));
        assert_eq!(
            MEMBERS
                .personal_fields()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            vec!["email_ciphertext"]
        );
    }
}

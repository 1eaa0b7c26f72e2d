//! The auth file format. Line-oriented UTF-8; `#` starts a comment line;
//! blank lines are ignored; words are separated by spaces or tabs.
//!
//! ```text
//! allow-anonymous true|false     # default false
//! user NAME PASSWORD             # starts a user's section
//! anonymous                      # starts the section for clients without a User Name
//! pattern                        # starts the section that applies to every client
//! topic read|write|readwrite FILTER
//! ```
//!
//! `topic` lines belong to the section above them; one before any section is
//! an error rather than a silent grant. FILTER is the rest of the line (topic
//! names may contain spaces) and must be a valid topic filter (§4.7); in the
//! `pattern` section `%c` stands for the client identifier and `%u` for the
//! user name. Everything no rule allows is denied. Passwords are stored in
//! clear and may not contain spaces: this broker serves conformance tests.
//!
//! ```
//! use lastwill_broker::auth::AuthRules;
//!
//! let rules = AuthRules::parse("allow-anonymous true\nuser u p\ntopic write u/#\n")?;
//! assert!(rules.users.contains_key("u"));
//! # Ok::<(), lastwill_broker::auth::AuthFileError>(())
//! ```

use std::path::{Path, PathBuf};

use lastwill_codec::{topic::is_valid_topic_filter, ProtocolVersion};

use super::acl::{Access, AclRule};
use super::{AuthRules, UserEntry};

/// A line the parser rejects, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct AuthFileError {
    pub line: usize,
    pub kind: AuthFileErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFileErrorKind {
    #[error(
        "unknown directive `{0}` (expected allow-anonymous, user, anonymous, pattern or topic)"
    )]
    UnknownDirective(String),
    #[error("`{directive}` expects {expected}")]
    Arguments {
        directive: &'static str,
        expected: &'static str,
    },
    #[error("`allow-anonymous` expects true or false, not `{0}`")]
    NotABoolean(String),
    #[error("user `{0}` is defined twice")]
    DuplicateUser(String),
    #[error("unknown access `{0}` (expected read, write or readwrite)")]
    UnknownAccess(String),
    #[error("`{0}` is not a valid topic filter (§4.7)")]
    InvalidFilter(String),
    #[error("`topic` before any user, anonymous or pattern section")]
    TopicOutsideSection,
}

/// Reading the file failed, or a line of it did not parse. Displayed as
/// `PATH: io error` or `PATH:LINE: what is wrong`, like a compiler.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{}: {}", path.display(), error.line, error.kind)]
    Parse { path: PathBuf, error: AuthFileError },
}

/// The section `topic` lines currently go to.
enum Section {
    None,
    User(String),
    Anonymous,
    Pattern,
}

impl AuthRules {
    /// Parses the text of an auth file.
    pub fn parse(text: &str) -> Result<AuthRules, AuthFileError> {
        let mut rules = AuthRules::default();
        let mut section = Section::None;
        for (index, raw) in text.lines().enumerate() {
            let fail = |kind| AuthFileError {
                line: index + 1,
                kind,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (directive, rest) = split_word(line);
            let words: Vec<&str> = rest.split_whitespace().collect();
            match directive {
                "allow-anonymous" => {
                    rules.allow_anonymous = match words.as_slice() {
                        ["true"] => true,
                        ["false"] => false,
                        _ => return Err(fail(AuthFileErrorKind::NotABoolean(rest.to_owned()))),
                    }
                }
                "user" => {
                    let [name, password] = words.as_slice() else {
                        return Err(fail(AuthFileErrorKind::Arguments {
                            directive: "user",
                            expected: "a name and a password",
                        }));
                    };
                    let entry = UserEntry {
                        password: (*password).to_owned(),
                        rules: Vec::new(),
                    };
                    if rules.users.insert((*name).to_owned(), entry).is_some() {
                        return Err(fail(AuthFileErrorKind::DuplicateUser((*name).to_owned())));
                    }
                    section = Section::User((*name).to_owned());
                }
                "anonymous" | "pattern" => {
                    if !words.is_empty() {
                        return Err(fail(AuthFileErrorKind::Arguments {
                            directive: if directive == "pattern" {
                                "pattern"
                            } else {
                                "anonymous"
                            },
                            expected: "nothing after it",
                        }));
                    }
                    section = if directive == "pattern" {
                        Section::Pattern
                    } else {
                        Section::Anonymous
                    };
                }
                "topic" => {
                    let rule = parse_topic(rest).map_err(fail)?;
                    let list = match &section {
                        Section::None => return Err(fail(AuthFileErrorKind::TopicOutsideSection)),
                        Section::User(name) => match rules.users.get_mut(name) {
                            Some(user) => &mut user.rules,
                            None => return Err(fail(AuthFileErrorKind::TopicOutsideSection)),
                        },
                        Section::Anonymous => &mut rules.anonymous,
                        Section::Pattern => &mut rules.patterns,
                    };
                    list.push(rule);
                }
                other => return Err(fail(AuthFileErrorKind::UnknownDirective(other.to_owned()))),
            }
        }
        Ok(rules)
    }

    /// Reads and parses an auth file; errors name the file and line.
    pub fn load(path: &Path) -> Result<AuthRules, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|error| LoadError::Read {
            path: path.to_owned(),
            error,
        })?;
        AuthRules::parse(&text).map_err(|error| LoadError::Parse {
            path: path.to_owned(),
            error,
        })
    }
}

/// `topic ACCESS FILTER`, FILTER being the rest of the line.
fn parse_topic(rest: &str) -> Result<AclRule, AuthFileErrorKind> {
    let (access, filter) = split_word(rest);
    let access = match access {
        "read" => Access::Read,
        "write" => Access::Write,
        "readwrite" => Access::ReadWrite,
        "" => {
            return Err(AuthFileErrorKind::Arguments {
                directive: "topic",
                expected: "an access and a filter",
            })
        }
        other => return Err(AuthFileErrorKind::UnknownAccess(other.to_owned())),
    };
    if filter.is_empty() {
        return Err(AuthFileErrorKind::Arguments {
            directive: "topic",
            expected: "an access and a filter",
        });
    }
    if !is_valid_topic_filter(filter, ProtocolVersion::V5) {
        return Err(AuthFileErrorKind::InvalidFilter(filter.to_owned()));
    }
    Ok(AclRule {
        access,
        filter: filter.to_owned(),
    })
}

/// The first word of `text` and the rest, trimmed.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.find([' ', '\t']) {
        Some(at) => (&text[..at], text[at..].trim()),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> AuthFileError {
        AuthRules::parse(text).expect_err("must be rejected")
    }

    #[test]
    fn parses_sections() {
        let rules = AuthRules::parse(
            "# fixture\n\nallow-anonymous true\nuser u p\ntopic write a b/#\n\
             anonymous\ntopic readwrite #\npattern\ntopic read c/%c\n",
        )
        .expect("valid");
        assert!(rules.allow_anonymous);
        assert_eq!(rules.users["u"].password, "p");
        assert_eq!(rules.users["u"].rules[0].filter, "a b/#");
        assert_eq!(rules.anonymous[0].access, Access::ReadWrite);
        assert_eq!(rules.patterns[0].filter, "c/%c");
        assert!(
            !AuthRules::parse("")
                .expect("empty is valid")
                .allow_anonymous
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = error("user u p\n\nfrobnicate\n");
        assert_eq!(e.line, 3);
        assert!(matches!(e.kind, AuthFileErrorKind::UnknownDirective(_)));
        assert_eq!(
            error("topic read #").kind,
            AuthFileErrorKind::TopicOutsideSection
        );
        assert!(matches!(
            error("anonymous\ntopic read a/#/b").kind,
            AuthFileErrorKind::InvalidFilter(_)
        ));
        assert!(matches!(
            error("anonymous\ntopic all #").kind,
            AuthFileErrorKind::UnknownAccess(_)
        ));
        assert!(matches!(
            error("allow-anonymous yes").kind,
            AuthFileErrorKind::NotABoolean(_)
        ));
        assert!(matches!(
            error("user u p\nuser u q").kind,
            AuthFileErrorKind::DuplicateUser(_)
        ));
        assert!(matches!(
            error("user u").kind,
            AuthFileErrorKind::Arguments { .. }
        ));
        assert_eq!(
            error("user u p\ntopic write").to_string(),
            "line 2: `topic` expects an access and a filter"
        );
    }
}

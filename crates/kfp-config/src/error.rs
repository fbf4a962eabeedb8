//! Config errors: one line naming the file, position and key, plus an optional hint.

use std::fmt;

/// A problem in one of the plugin's config files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// Where: `conf/base/kubeflow.yaml:12:5`, or just the file when no position is known.
    pub location: Location,
    /// What is wrong, naming the key.
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub hint: Option<String>,
}

/// A file and, when known, a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Path relative to the project root.
    pub file: String,
    /// Line and column, 1-based.
    pub position: Option<(u64, u64)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

impl ConfigError {
    pub(crate) fn in_file(file: &str, message: impl Into<String>) -> Self {
        Self {
            location: Location {
                file: file.to_owned(),
                position: None,
            },
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Turns a YAML parse error into a config error naming the key path.
    pub(crate) fn from_yaml(file: &str, error: &kfp_yaml::PathError) -> Self {
        use serde_saphyr::Error as E;
        let inner = error.error.without_snippet();
        let position = inner
            .location()
            .filter(|location| location.line() > 0)
            .map(|location| (location.line(), location.column()));
        let location = Location {
            file: file.to_owned(),
            position,
        };
        let key = error.path.as_deref();
        let (message, hint) = match inner {
            E::SerdeUnknownField {
                field, expected, ..
            } => {
                let full = match key {
                    // The path already ends with the unknown key when the error came from a
                    // nested struct; serde_path_to_error stops at the parent otherwise.
                    Some(path) if path.ends_with(field.as_str()) => path.to_owned(),
                    Some(path) => format!("{path}.{field}"),
                    None => field.clone(),
                };
                let hint = match closest(field, expected) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("valid keys here: {}", expected.join(", ")),
                };
                (format!("unknown key `{full}`"), Some(hint))
            }
            other => {
                let text = plain_type_names(&strip_position(&other.to_string()));
                match key {
                    Some(path) => (format!("`{path}`: {text}"), None),
                    None => (text, None),
                }
            }
        };
        Self {
            location,
            message,
            hint,
        }
    }
}

/// The valid key closest to a misspelt one, if any is close enough to be a likely typo.
fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|candidate| (strsim::jaro_winkler(field, candidate), *candidate))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The YAML parser names Rust types (`invalid u32`); users wrote YAML.
fn plain_type_names(message: &str) -> String {
    let expected = match message {
        "invalid u8" | "invalid u16" | "invalid u32" | "invalid u64" => {
            "a whole number (0 or more)"
        }
        "invalid i8" | "invalid i16" | "invalid i32" | "invalid i64" => "a whole number",
        "invalid f32" | "invalid f64" => "a number",
        "invalid bool" | "invalid boolean" => "true or false",
        _ => return message.to_owned(),
    };
    format!("expected {expected}")
}

/// The YAML parser appends "at line L, column C"; the location is printed up front instead.
fn strip_position(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => message,
    };
    trimmed.lines().next().unwrap_or(trimmed).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("imag", &["image", "ttl"]), Some("image"));
        assert_eq!(closest("sise", &["size", "owner", "keep"]), Some("size"));
        assert_eq!(closest("zzzz", &["image", "ttl"]), None);
    }
}

//! The one place that reads and writes YAML.
//!
//! Every YAML document the project parses (the plugin's config files) or writes (Argo
//! workflows, KFP IR) goes through these functions, so the options are fixed in one place
//! and the YAML crate can be swapped by editing this file alone.

use serde::{Serialize, de::DeserializeOwned};

pub use serde_saphyr::Error as ParseError;
pub use serde_saphyr::SerializeError;

/// Parses one YAML document into `T`, reporting the path of the failing key.
///
/// The path (`run_config.volume.size`) comes from `serde_path_to_error`; the position and
/// the structured cause (unknown field, wrong type…) come from the YAML parser.
pub fn from_str<T: DeserializeOwned>(input: &str) -> Result<T, PathError> {
    let options = serde_saphyr::options! { with_snippet: false };
    let mut path = None;
    let result = serde_saphyr::with_deserializer_from_str_with_options(input, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|error| {
            path = Some(error.path().to_string());
            error.into_inner()
        })
    });
    result.map_err(|error| PathError {
        path: path.filter(|p| p != "."),
        error: Box::new(error),
    })
}

/// A YAML parse or type error, with the dotted key path where it happened (when known).
#[derive(Debug)]
pub struct PathError {
    /// Dotted path of the key being read when the error happened, e.g. `run_config.ttl`.
    pub path: Option<String>,
    /// The underlying parser error (position, unknown field, wrong type…).
    pub error: Box<ParseError>,
}

/// Serializes `value` as a YAML document.
///
/// Block scalars are turned off: every string is written as a plain or quoted scalar, so
/// values such as JSON annotations and parameter defaults round-trip byte for byte.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, SerializeError> {
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(value, options)
}

/// Parses every document of a YAML stream (a KFP v2 IR file holds the pipeline spec and,
/// optionally, a platform spec).
pub fn from_str_multiple<T: DeserializeOwned>(input: &str) -> Result<Vec<T>, ParseError> {
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_multiple_with_options(input, options)
}

//! Kubernetes-safe names for steps, volumes, parameters and artifacts.
//!
//! Kedro names may hold dots, brackets, spaces and capitals (`candidate_modelling_pipeline.X_train`,
//! `func([a,b]) -> [c]`); Argo wants DNS-1123 labels for templates (lowercase alphanumerics and
//! `-`, at most 63 characters) and `[-a-zA-Z0-9_]+` for parameters and artifacts. A name that
//! had to change and then clashes with another, or that is too long, gets a suffix made from a
//! hash of the original, so the result depends only on the names themselves, never on order.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// Longest template name Argo accepts.
pub(crate) const MAX_NAME: usize = 63;
const HASH_LEN: usize = 8;

/// Lowercase DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
pub(crate) fn dns_label(name: &str) -> String {
    squeeze(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        }
    }))
}

/// Argo parameter / artifact name: `[-a-zA-Z0-9_]+`.
pub(crate) fn parameter_name(name: &str) -> String {
    squeeze(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        }
    }))
}

/// The base of a compiled pipeline's name: the package, plus the Kedro pipeline unless it is
/// the default one, as a DNS label.
pub(crate) fn pipeline_label(package: &str, pipeline: &str) -> String {
    if pipeline == "__default__" {
        dns_label(package)
    } else {
        dns_label(&format!("{package}-{pipeline}"))
    }
}

/// Collapses runs of `-` and trims them from both ends.
fn squeeze(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    for c in chars {
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .take(HASH_LEN / 2)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Gives every original name a unique sanitized name.
///
/// `sanitize` makes the base name; `reserved` are names already taken (fixed templates).
/// Bases that are empty, too long, reserved or shared by several originals get
/// `-<hash of the original>` appended (after truncation to fit `MAX_NAME`).
pub(crate) fn unique_names<'a>(
    originals: impl IntoIterator<Item = &'a str>,
    sanitize: fn(&str) -> String,
    reserved: &BTreeSet<String>,
) -> BTreeMap<&'a str, String> {
    let originals: BTreeSet<&str> = originals.into_iter().collect();
    let bases: BTreeMap<&str, String> = originals
        .iter()
        .map(|original| (*original, sanitize(original)))
        .collect();
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for base in bases.values() {
        *uses.entry(base.as_str()).or_default() += 1;
    }
    bases
        .iter()
        .map(|(original, base)| {
            let clean = !base.is_empty()
                && base.len() <= MAX_NAME
                && uses[base.as_str()] == 1
                && !reserved.contains(base);
            let name = if clean {
                base.clone()
            } else {
                let keep = MAX_NAME - HASH_LEN - 1;
                let stem = base
                    .get(..keep.min(base.len()))
                    .unwrap_or(base)
                    .trim_end_matches(['-', '_']);
                let hash = short_hash(original);
                if stem.is_empty() {
                    format!("x-{hash}")
                } else {
                    format!("{stem}-{hash}")
                }
            };
            (*original, name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_kedro_names() {
        assert_eq!(
            dns_label("candidate_modelling_pipeline.X_train"),
            "candidate-modelling-pipeline-x-train"
        );
        assert_eq!(dns_label("func([a,b]) -> [c]"), "func-a-b-c");
        assert_eq!(dns_label("__default__"), "default");
        assert_eq!(parameter_name("ns.model_options"), "ns-model_options");
        assert_eq!(parameter_name("été"), "t");
    }

    #[test]
    fn clashes_long_names_and_reserved_names_get_stable_suffixes() {
        let long = "a".repeat(100);
        let reserved = BTreeSet::from(["data-volume-init".to_owned()]);
        let names = unique_names(
            [
                "ns.a",
                "ns_a",
                "b",
                long.as_str(),
                "data volume init",
                "!!!",
            ],
            dns_label,
            &reserved,
        );
        assert_eq!(names["b"], "b");
        assert_ne!(names["ns.a"], names["ns_a"]);
        assert!(names["ns.a"].starts_with("ns-a-"));
        assert!(names[long.as_str()].len() <= MAX_NAME);
        assert!(names["data volume init"].starts_with("data-volume-init-"));
        assert!(names["!!!"].starts_with("x-"));
        let unique: BTreeSet<&String> = names.values().collect();
        assert_eq!(unique.len(), names.len());
        // Adding an unrelated name never renames existing ones.
        let more = unique_names(["ns.a", "ns_a", "b", "c"], dns_label, &reserved);
        assert_eq!(more["ns.a"], names["ns.a"]);
    }
}

//! Kubernetes quantities (`500m`, `2Gi`, `8`) written as YAML numbers or strings.
//!
//! The peers disagree: kedro-vertexai 1.0 writes `cpu: 8` in its own template and then
//! rejects it. We accept both and always emit the string form, which is what the Argo schema
//! and the KFP IR expect.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A validated Kubernetes resource quantity, kept in its canonical string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(String);

impl Quantity {
    /// Parses and validates a quantity written as text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if is_quantity(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a Kubernetes quantity; write e.g. `500m`, `2`, `1Gi` or `512Mi`"
            ))
        }
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a plain number (`500m` → 0.5, `1Ki` → 1024), for the KFP IR's
    /// deprecated double fields.
    pub fn to_f64(&self) -> f64 {
        let text = self.0.as_str();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let number: f64 = number.parse().unwrap_or(0.0);
        let factor = match suffix {
            "" => 1.0,
            "Ki" => 1024f64,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            exponent => 10f64.powi(exponent[1..].parse().unwrap_or(0)),
        };
        number * factor
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Kubernetes grammar: a signed decimal number, then an optional binary suffix
/// (Ki…Ei), decimal suffix (n, u, m, k, M…E) or exponent (e3, E-2).
fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let digits = number.replace('.', "");
    if digits.is_empty() || number.matches('.').count() > 1 {
        return false;
    }
    const SUFFIXES: &[&str] = &[
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    let exponent = suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e));
    exponent.is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()))
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as 500m, 2, 1Gi")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                if v.is_finite() {
                    Quantity::parse(&v.to_string()).map_err(E::custom)
                } else {
                    Err(E::custom(format!("`{v}` is not a Kubernetes quantity")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl schemars::JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "number"],
            "x-type": "quantity (`500m`, `2`, `1Gi`)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_numbers() {
        let value = |text: &str| Quantity::parse(text).expect("valid").to_f64();
        assert!((value("500m") - 0.5).abs() < 1e-12);
        assert!((value("4Gi") - 4_294_967_296.0).abs() < 1e-3);
        assert!((value("1e3") - 1000.0).abs() < 1e-9);
        assert!((value("2") - 2.0).abs() < 1e-12);
        assert!((value("1.5k") - 1500.0).abs() < 1e-9);
    }

    #[test]
    fn accepts_the_kubernetes_grammar() {
        for ok in [
            "1", "500m", "0.5", "2Gi", "64Mi", "1e3", "1.5E-2", "+1", "8",
        ] {
            assert!(Quantity::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Gi", "1GB", "1..2", "abc", "1 Gi", "1e", "--1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}

//! Cron expressions as Kubeflow Pipelines reads them: robfig/cron v1.2.0 `cron.Parse`, six
//! fields `sec min hour dom month [dow]` or a descriptor (notes 1.5). A standard five-field
//! expression would be misread there (its minutes taken as seconds), so it is converted by
//! prefixing a `0` seconds field, and the caller tells the user.

/// A cron expression ready for KFP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfpCron {
    /// The expression to send.
    pub expression: String,
    /// The user's five-field expression, when it was converted.
    pub converted_from: Option<String>,
}

/// Names and bounds of the six KFP fields.
const FIELDS: [(&str, u32, u32); 6] = [
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
];

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Descriptors robfig/cron accepts besides `@every <duration>`.
const DESCRIPTORS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Checks `text` and returns the expression KFP should get. The error says what is wrong
/// with which field.
pub fn kfp_cron(text: &str) -> Result<KfpCron, String> {
    let text = text.trim();
    if text.starts_with('@') {
        return descriptor(text).map(|()| KfpCron {
            expression: text.to_owned(),
            converted_from: None,
        });
    }
    if text.starts_with("TZ=") || text.starts_with("CRON_TZ=") {
        return Err(format!(
            "`{text}`: KFP cron has no time zone; the KFP controller's zone applies"
        ));
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (expression, converted_from) = match fields.len() {
        6 => (fields, None),
        5 => (
            std::iter::once("0").chain(fields).collect(),
            Some(text.to_owned()),
        ),
        n => {
            return Err(format!(
                "`{text}` has {n} fields; KFP cron has 6: `sec min hour day-of-month month day-of-week`"
            ));
        }
    };
    for (value, (name, low, high)) in expression.iter().zip(FIELDS) {
        field(value, name, low, high).map_err(|reason| format!("`{text}`: {reason}"))?;
    }
    Ok(KfpCron {
        expression: expression.join(" "),
        converted_from,
    })
}

fn descriptor(text: &str) -> Result<(), String> {
    if DESCRIPTORS.contains(&text) {
        return Ok(());
    }
    if let Some(duration) = text.strip_prefix("@every") {
        let duration = duration.trim();
        if go_duration(duration) {
            return Ok(());
        }
        return Err(format!(
            "`{text}`: `@every` takes a duration such as `1h30m` or `45s`"
        ));
    }
    Err(format!(
        "`{text}` is not a cron descriptor; use one of {} or `@every <duration>`",
        DESCRIPTORS.join(", ")
    ))
}

/// A Go `time.ParseDuration` string made of whole or decimal numbers with units.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_end == 0 {
            return false;
        }
        rest = &rest[number_end..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|unit| rest.starts_with(unit))
            .max_by_key(|unit| unit.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// One field: `*`, `?`, values, ranges, steps and lists, with month and weekday names.
fn field(text: &str, name: &str, low: u32, high: u32) -> Result<(), String> {
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(step) if step > 0 => {}
                _ => return Err(format!("{name} step `{step}` must be a positive number")),
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let first = value(first, name, low, high)?;
        let last = value(last, name, low, high)?;
        if first > last {
            return Err(format!("{name} range `{range}` runs backwards"));
        }
    }
    Ok(())
}

fn value(text: &str, name: &str, low: u32, high: u32) -> Result<u32, String> {
    let names: &[&str] = match name {
        "month" => &MONTHS,
        "day of week" => &DAYS,
        _ => &[],
    };
    let upper = text.to_ascii_uppercase();
    if let Some(index) = names.iter().position(|n| *n == upper) {
        let index = u32::try_from(index).unwrap_or_default();
        return Ok(if name == "month" { index + 1 } else { index });
    }
    match text.parse::<u32>() {
        Ok(number) if (low..=high).contains(&number) => Ok(number),
        Ok(number) => Err(format!("{name} {number} is outside {low}-{high}")),
        Err(_) => Err(format!("{name} `{text}` is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_fields_and_descriptors_pass_unchanged() {
        for text in [
            "0 0 4 * * *",
            "0 */15 9-17 * * MON-FRI",
            "30 0 2 1,15 * ?",
            "0 0 0 1 JAN *",
            "@daily",
            "@every 1h30m",
        ] {
            let cron = kfp_cron(text).unwrap();
            assert_eq!(cron.expression, text);
            assert_eq!(cron.converted_from, None);
        }
    }

    #[test]
    fn five_fields_get_a_seconds_field() {
        let cron = kfp_cron(" 0 2 * * * ").unwrap();
        assert_eq!(cron.expression, "0 0 2 * * *");
        assert_eq!(cron.converted_from.as_deref(), Some("0 2 * * *"));
    }

    #[test]
    fn mistakes_name_the_field() {
        for (text, expected) in [
            ("0 0 25 * * *", "hours 25 is outside 0-23"),
            ("0 0 2 * 13 *", "month 13 is outside 1-12"),
            ("0 0 2 * * 7", "day of week 7 is outside 0-6"),
            ("0 0 x * * *", "hours `x` is not a number"),
            (
                "0 */0 * * * *",
                "minutes step `0` must be a positive number",
            ),
            ("0 0 5-2 * * *", "hours range `5-2` runs backwards"),
            ("* * *", "has 3 fields"),
            ("@fortnightly", "is not a cron descriptor"),
            ("@every soon", "takes a duration"),
            ("TZ=Europe/Warsaw 0 2 * * *", "no time zone"),
        ] {
            let error = kfp_cron(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}

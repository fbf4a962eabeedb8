//! The configuration reference (`docs/reference/kubeflow-yaml.md`, `vertexai-yaml.md`),
//! rendered from the config model's JSON schema: the keys, their types and defaults come from
//! the serde structs, the descriptions from their doc comments. The test
//! `tests/reference.rs` fails when the checked-in pages differ (`UPDATE_DOCS=1` rewrites them).

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// The Markdown page for `file` (`kubeflow.yaml` or `vertexai.yaml`), or None for another name.
pub fn config_reference(file: &str) -> Option<String> {
    let (schema, command, intro) = match file {
        "kubeflow.yaml" => (
            crate::kubeflow::schema(),
            "kedro kubeflow init HOST",
            "Kedro Kubeflow Pipelines (and `host: vertex-ai-pipelines`) settings, read by every \
             `kedro kubeflow` command.",
        ),
        "vertexai.yaml" => (
            crate::vertexai::schema(),
            "kedro vertexai init PROJECT_ID REGION",
            "Vertex AI Pipelines settings, read by every `kedro vertexai` command.",
        ),
        _ => return None,
    };
    let root = schema.as_value();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut rows = Vec::new();
    walk(&defs, "", root, &mut rows);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated from crates/kfp-config/src by `UPDATE_DOCS=1 cargo test -p kfp-config \
         --test reference`; do not edit. -->\n"
    );
    let _ = writeln!(out, "# `conf/<env>/{file}` reference\n");
    let _ = writeln!(
        out,
        "{intro} `{command}` writes a commented starting file.\n"
    );
    let _ = writeln!(
        out,
        "- Files are read from `conf/base/` and then the run environment (`-e ENV`); a top-level \
         key of the later file replaces the whole key of the earlier one.\n\
         - An unknown key is an error that names the file, the line and the closest valid key.\n\
         - `<node>` is a Kedro node name, a node tag or `__default__` (every other node). \
         Lookup order: the node's name, then its tags (sorted), then `__default__`; `resources` \
         merge key by key in the reverse order.\n\
         - `${{name|default}}` and `${{run_id}}` in values are filled in at run time; see \
         [dynamic configuration](../configuration.md#dynamic-values).\n"
    );
    let _ = writeln!(out, "| key | type | default | description |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for row in rows {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            row.key,
            cell(&row.kind),
            cell(&row.default),
            cell(&row.description)
        );
    }
    Some(out)
}

struct Row {
    key: String,
    kind: String,
    default: String,
    description: String,
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The schema a `$ref` or an `anyOf [X, null]` stands for.
fn resolve<'a>(defs: &'a Map<String, Value>, schema: &'a Value) -> &'a Value {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
        let name = name.trim_start_matches("#/$defs/");
        return defs.get(name).map_or(schema, |def| resolve(defs, def));
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let real: Vec<&Value> = any
            .iter()
            .filter(|s| s.get("type") != Some(&Value::from("null")))
            .collect();
        if let [only] = real.as_slice() {
            return resolve(defs, only);
        }
    }
    schema
}

fn placeholder(key: &str) -> &'static str {
    match key {
        "resources" | "extra_volumes" | "retry_policy" | "tolerations" | "node_selectors" => {
            "<node>"
        }
        "schedules" => "<schedule>",
        "volume" => "<source>",
        _ => "<key>",
    }
}

fn type_name(defs: &Map<String, Value>, schema: &Value) -> String {
    if let Some(text) = schema.get("x-type").and_then(Value::as_str) {
        return text.to_owned();
    }
    let schema = resolve(defs, schema);
    if let Some(text) = schema.get("x-type").and_then(Value::as_str) {
        return text.to_owned();
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = variants
            .iter()
            .filter_map(|v| v.get("const").and_then(Value::as_str))
            .map(|v| format!("`{v}`"))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    match types.as_slice() {
        ["array"] => {
            let items = schema
                .get("items")
                .map_or_else(|| "any".to_owned(), |i| type_name(defs, i));
            format!("list of {items}")
        }
        ["object"] if schema.get("properties").is_some() => "mapping".to_owned(),
        ["object"] => match schema.get("additionalProperties") {
            Some(Value::Object(inner)) if !inner.is_empty() => {
                format!(
                    "mapping of {}",
                    type_name(defs, &Value::Object(inner.clone()))
                )
            }
            _ => "mapping".to_owned(),
        },
        [] => "any".to_owned(),
        many => many.join(" or "),
    }
}

/// The description of a mapping's values: the one of their type, or a word on the key.
fn entry_description(defs: &Map<String, Value>, path: &str, field: &Value) -> String {
    let text = description_of(defs, field);
    if !text.is_empty() && !text.starts_with("`run_config") {
        return text;
    }
    match path.rsplit('.').next().unwrap_or(path) {
        "<node>" => "The entry for a node name, a tag or `__default__`.".to_owned(),
        "<schedule>" => "A named schedule.".to_owned(),
        "<key>" if path.contains(".resources.") => {
            "A resource name (`cpu`, `memory`, `gpu`, `nvidia.com/gpu`…) and its amount.".to_owned()
        }
        "<key>" if path.contains(".node_selectors.") => "A node label and its value.".to_owned(),
        _ => text,
    }
}

fn description_of(defs: &Map<String, Value>, field: &Value) -> String {
    let own = field.get("description").and_then(Value::as_str);
    let resolved = resolve(defs, field);
    let mut text = own
        .or_else(|| resolved.get("description").and_then(Value::as_str))
        .unwrap_or("")
        .replace('\n', " ");
    if let Some(variants) = resolved.get("oneOf").and_then(Value::as_array) {
        let parts: Vec<String> = variants
            .iter()
            .filter_map(|v| {
                let name = v.get("const")?.as_str()?;
                let what = v.get("description").and_then(Value::as_str).unwrap_or("");
                Some(format!("`{name}`: {what}"))
            })
            .collect();
        if !parts.is_empty() {
            text = format!("{text} {}", parts.join(" "));
        }
    }
    text.trim().to_owned()
}

fn default_text(field: &Value) -> String {
    match field.get("default") {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(map)) if map.is_empty() => String::new(),
        Some(Value::String(text)) => format!("`{text}`"),
        Some(other) => format!("`{other}`"),
    }
}

fn walk(defs: &Map<String, Value>, path: &str, field: &Value, rows: &mut Vec<Row>) {
    if !path.is_empty() {
        rows.push(Row {
            key: path.to_owned(),
            kind: type_name(defs, field),
            default: default_text(field),
            description: entry_description(defs, path, field),
        });
    }
    let schema = resolve(defs, field);
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, value) in properties {
            walk(defs, &join(key), value, rows);
        }
    }
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]");
    if let Some(inner @ Value::Object(map)) = schema.get("additionalProperties")
        && !map.is_empty()
    {
        walk_inner(defs, &join(placeholder(last)), inner, rows);
    }
    if let Some(items) = schema.get("items") {
        let inner = resolve(defs, items);
        if inner.get("properties").is_some() {
            for (key, value) in inner
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                walk(defs, &format!("{path}[].{key}"), value, rows);
            }
        }
    }
}

/// The values of a mapping: listed as their own row only when they have structure.
fn walk_inner(defs: &Map<String, Value>, path: &str, schema: &Value, rows: &mut Vec<Row>) {
    let resolved = resolve(defs, schema);
    let structured = resolved.get("properties").is_some()
        || resolved
            .get("items")
            .is_some_and(|i| resolve(defs, i).get("properties").is_some())
        || matches!(resolved.get("additionalProperties"), Some(Value::Object(m)) if !m.is_empty());
    if structured {
        walk(defs, path, schema, rows);
    } else {
        rows.push(Row {
            key: path.to_owned(),
            kind: type_name(defs, schema),
            default: String::new(),
            description: entry_description(defs, path, schema),
        });
    }
}

//! `xenapi-gen import DIR`: derives `model/` from an upstream data-model folder.
//!
//! Keeps the facts the emitters need (names, types, qualifiers, parameters, results, error
//! codes, async flags, lifecycle states) and drops the upstream prose. The output is one JSON
//! object per line, so that model changes read well in diffs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{
    parse_errors, Class, Enum, Field, Lifecycle, LoadError, Message, Model, Param, Qualifier, Type,
};

/// The API version of the upstream model (it does not record it itself).
pub const API_VERSION: [u32; 2] = [2, 23];

#[derive(Deserialize)]
struct UpClass {
    name: String,
    lifecycle: UpLifecycle,
    fields: Vec<UpField>,
    messages: Vec<UpMessage>,
    enums: Vec<UpEnum>,
}

#[derive(Deserialize)]
pub(crate) struct UpLifecycle {
    state: String,
}

#[derive(Deserialize)]
struct UpField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    qualifier: Qualifier,
    lifecycle: UpLifecycle,
    default: Option<String>,
}

#[derive(Deserialize)]
struct UpMessage {
    name: String,
    implicit: bool,
    lifecycle: UpLifecycle,
    params: Vec<UpParam>,
    result: Vec<String>,
    errors: Vec<UpName>,
}

#[derive(Deserialize)]
pub(crate) struct UpParam {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    required: bool,
}

#[derive(Deserialize)]
pub(crate) struct UpEnum {
    name: String,
    values: Vec<UpName>,
}

#[derive(Deserialize)]
pub(crate) struct UpName {
    pub(crate) name: String,
}

pub(crate) fn bad(what: impl Into<String>) -> LoadError {
    LoadError::Inconsistent(what.into())
}

pub(crate) fn lifecycle(lc: &UpLifecycle) -> Result<Lifecycle, LoadError> {
    match lc.state.as_str() {
        "Published_s" => Ok(Lifecycle::Published),
        "Prototyped_s" => Ok(Lifecycle::Prototyped),
        "Deprecated_s" => Ok(Lifecycle::Deprecated),
        "Removed_s" => Ok(Lifecycle::Removed),
        other => Err(bad(format!("unknown lifecycle state {other}"))),
    }
}

pub(crate) fn parse_type(s: &str, at: &str) -> Result<Type, LoadError> {
    s.parse().map_err(|e| bad(format!("{at}: {e}")))
}

pub(crate) fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Adds a class's enums to `enums`; an enum another class defined with other values is an
/// error.
pub(crate) fn merge_enums(
    enums: &mut BTreeMap<String, Vec<String>>,
    class_enums: Vec<UpEnum>,
) -> Result<(), LoadError> {
    for e in class_enums {
        let values: Vec<String> = e.values.into_iter().map(|v| v.name).collect();
        let known = enums
            .entry(e.name.clone())
            .or_insert_with(|| values.clone());
        if *known != values {
            return Err(bad(format!(
                "enum {} defined twice with different values",
                e.name
            )));
        }
    }
    Ok(())
}

/// Whether a message takes the session first (`session_id`, as the wire has it), and its
/// parameters after the session.
pub(crate) fn split_session(params: &[UpParam]) -> (bool, &[UpParam]) {
    match params.split_first() {
        Some((first, rest)) if first.ty == "session ref" && first.name == "session_id" => {
            (true, rest)
        }
        _ => (false, params),
    }
}

/// A message's parameters, each type read by `ty`.
pub(crate) fn model_params(
    params: &[UpParam],
    at: &str,
    ty: fn(&str, &str) -> Result<Type, LoadError>,
) -> Result<Vec<Param>, LoadError> {
    params
        .iter()
        .map(|p| {
            Ok(Param {
                name: p.name.clone(),
                ty: ty(&p.ty, at)?,
                required: p.required,
            })
        })
        .collect()
}

/// A message's result type (the first of upstream's `[type, description]`).
pub(crate) fn result_type<'a>(result: &'a [String], at: &str) -> Result<&'a str, LoadError> {
    result
        .first()
        .map(String::as_str)
        .ok_or_else(|| bad(format!("{at} has no result type")))
}

/// The model of `classes`, checked.
pub(crate) fn checked_model(
    api_version: [u32; 2],
    enums: BTreeMap<String, Vec<String>>,
    classes: Vec<Class>,
    structs: Vec<crate::model::Struct>,
    errors: Vec<crate::model::ErrorDef>,
) -> Result<Model, LoadError> {
    let model = Model {
        api_version,
        enums: enums
            .into_iter()
            .map(|(name, values)| Enum { name, values })
            .collect(),
        classes,
        structs,
        errors,
    };
    model.check()?;
    Ok(model)
}

/// Writes each `(path, text)` into `model_dir` (made if missing); the paths written.
pub(crate) fn write_files(
    model_dir: &Path,
    written: Vec<(PathBuf, String)>,
) -> Result<Vec<PathBuf>, LoadError> {
    std::fs::create_dir_all(model_dir).map_err(|source| LoadError::Io {
        path: model_dir.to_owned(),
        source,
    })?;
    for (path, text) in &written {
        std::fs::write(path, text).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(written.into_iter().map(|(p, _)| p).collect())
}

/// `async.tsv`: `class<TAB>message<TAB>async|sync<TAB>source` per line.
fn parse_async(path: &Path, text: &str) -> Result<HashMap<(String, String), bool>, LoadError> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let flag = match cols.as_slice() {
            [_, _, "async", _] => true,
            [_, _, "sync", _] => false,
            _ => {
                return Err(LoadError::Tsv {
                    path: path.to_owned(),
                    line: i + 1,
                    message: "expected class<TAB>message<TAB>async|sync<TAB>source".into(),
                })
            }
        };
        out.insert((cols[0].to_owned(), cols[1].to_owned()), flag);
    }
    Ok(out)
}

/// Builds the compact model from the upstream folder `src` (`xenapi.json`, `async.tsv`,
/// `errors.tsv`).
pub fn derive(src: &Path) -> Result<Model, LoadError> {
    let json_path = src.join("xenapi.json");
    let upstream: Vec<UpClass> =
        serde_json::from_str(&read(&json_path)?).map_err(|source| LoadError::Json {
            path: json_path,
            source,
        })?;
    let async_path = src.join("async.tsv");
    let asyncs = parse_async(&async_path, &read(&async_path)?)?;
    let errors_path = src.join(Model::ERRORS_FILE);
    let errors = parse_errors(&errors_path, &read(&errors_path)?)?;

    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut classes = Vec::new();
    for c in upstream {
        merge_enums(&mut enums, c.enums)?;
        let mut fields = Vec::new();
        for f in c.fields {
            fields.push(Field {
                ty: parse_type(&f.ty, &format!("{}.{}", c.name, f.name))?,
                name: f.name,
                qualifier: f.qualifier,
                lifecycle: lifecycle(&f.lifecycle)?,
                default: f.default,
            });
        }
        let mut messages = Vec::new();
        for m in c.messages {
            let at = format!("{}.{}", c.name, m.name);
            let (session, params) = split_session(&m.params);
            let is_async = *asyncs
                .get(&(c.name.clone(), m.name.clone()))
                .ok_or_else(|| bad(format!("{at} is missing from async.tsv")))?;
            let result = result_type(&m.result, &at)?;
            messages.push(Message {
                params: model_params(params, &at, parse_type)?,
                result: parse_type(result, &at)?,
                errors: m.errors.into_iter().map(|e| e.name).collect(),
                name: m.name,
                implicit: m.implicit,
                session,
                is_async,
                lifecycle: lifecycle(&m.lifecycle)?,
            });
        }
        classes.push(Class {
            lifecycle: lifecycle(&c.lifecycle)?,
            name: c.name,
            fields,
            messages,
        });
    }
    checked_model(API_VERSION, enums, classes, Vec::new(), errors)
}

fn line<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("model values serialize")
}

fn lines<T: serde::Serialize>(items: &[T]) -> String {
    items.iter().map(line).collect::<Vec<_>>().join(",\n")
}

/// Renders `model` as `model/xenapi.json`: the top level and each class's header on their own
/// lines, then one line per enum, field and message.
pub fn to_json(model: &Model) -> String {
    #[derive(serde::Serialize)]
    struct Header<'a> {
        name: &'a str,
        lifecycle: Lifecycle,
    }
    let [major, minor] = model.api_version;
    let mut out = format!("{{\"api_version\":[{major},{minor}],\n\"enums\":[\n");
    out += &lines(&model.enums);
    out += "\n],\n\"classes\":[\n";
    for (i, c) in model.classes.iter().enumerate() {
        let header = line(&Header {
            name: &c.name,
            lifecycle: c.lifecycle,
        });
        out += &header[..header.len() - 1];
        out += ",\n\"fields\":[\n";
        out += &lines(&c.fields);
        out += "\n],\n\"messages\":[\n";
        out += &lines(&c.messages);
        out += if i + 1 < model.classes.len() {
            "\n]},\n"
        } else {
            "\n]}\n"
        };
    }
    out += "]";
    if !model.structs.is_empty() {
        out += ",\n\"structs\":[\n";
        out += &lines(&model.structs);
        out += "\n]";
    }
    out += "}\n";
    out
}

/// Derives the model from `src` and writes `xenapi.json` and `errors.tsv` into `model_dir`.
/// Returns the paths written.
pub fn import(src: &Path, model_dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let model = derive(src)?;
    let errors_text = read(&src.join(Model::ERRORS_FILE))?;
    write_files(
        model_dir,
        vec![
            (model_dir.join(Model::JSON_FILE), to_json(&model)),
            (model_dir.join(Model::ERRORS_FILE), errors_text),
        ],
    )
}

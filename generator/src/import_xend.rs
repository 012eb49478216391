//! `xenapi-gen import-xend DIR`: derives `model/xend/` from libxen 4.4's data model
//! (`libxen-4.4.json`, `libxen-4.4-extra.json` and `errors.tsv` in `DIR`).
//!
//! Writes the compact model (`xenapi.json`, same format as xapi's), the error codes, the Async
//! decision (`async.tsv`) and the C facts the libxen dialect needs (`libxen.json`: C spellings
//! and types of fields, every prototype, the session struct, helper types, record layouts),
//! keeping facts only: every description, note and free-text key is dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::import::{
    bad, checked_model, lifecycle, merge_enums, model_params, parse_type, read, result_type,
    split_session, to_json, write_files, UpEnum, UpLifecycle, UpName, UpParam,
};
use crate::model::{
    parse_errors, Class, Field, LoadError, Message, Model, Qualifier, Struct, StructField,
};

/// xend served the Xen Management API 1.0.
pub const API_VERSION: [u32; 2] = [1, 0];
/// The upstream model file.
pub const MODEL_FILE: &str = "libxen-4.4.json";
/// The upstream file of C facts beyond the model.
pub const EXTRA_FILE: &str = "libxen-4.4-extra.json";
/// The C facts file written into the model directory.
pub const C_FACTS_FILE: &str = "libxen.json";
/// The Async decision written into the model directory.
pub const ASYNC_FILE: &str = "async.tsv";

/// libxen names the result of `XSPolicy.get_xspolicy` and friends by the struct's bare name.
const POLICYSTATE: &str = "xs_policystate";

#[derive(Deserialize)]
struct UpClass {
    name: String,
    lifecycle: UpLifecycle,
    c_prefix: String,
    c_record_has_handle: bool,
    fields: Vec<UpField>,
    messages: Vec<UpMessage>,
    enums: Vec<UpEnum>,
}

#[derive(Deserialize)]
struct UpField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    qualifier: Qualifier,
    lifecycle: UpLifecycle,
    c_name: String,
    c_type: String,
}

#[derive(Deserialize)]
struct UpMessage {
    name: String,
    implicit: bool,
    lifecycle: UpLifecycle,
    params: Vec<UpParam>,
    result: Vec<String>,
    errors: Vec<UpName>,
    c_name: String,
    c_prototype: String,
}

/// Everything `import-xend` derives, in memory.
pub struct Derived {
    /// The compact model.
    pub model: Model,
    /// `async.tsv`: the Async decision, one line per message.
    pub async_tsv: String,
    /// `libxen.json`: the C facts.
    pub c_facts: String,
}

fn json_file(path: &Path) -> Result<Value, LoadError> {
    serde_json::from_str(&read(path)?).map_err(|source| LoadError::Json {
        path: path.to_owned(),
        source,
    })
}

/// libxen writes `xs_policystate` for a struct result; the model writes `NAME record`.
fn model_type(s: &str, at: &str) -> Result<crate::Type, LoadError> {
    if s == POLICYSTATE {
        return parse_type(&format!("{POLICYSTATE} record"), at);
    }
    parse_type(s, at)
}

/// xend ran `Async.CLASS.MESSAGE` as a task for the explicit messages and the constructors and
/// destructors; accessors, and the session and event classes, had no Async form.
fn is_async(class: &str, m: &UpMessage) -> bool {
    !matches!(class, "session" | "event")
        && (!m.implicit || m.name == "create" || m.name == "destroy")
}

/// The structs that are not classes, from the extra file's `aux_structs`.
fn structs(extra: &Value) -> Result<Vec<Struct>, LoadError> {
    let aux = extra["aux_structs"]
        .as_object()
        .ok_or_else(|| bad("extra file: no aux_structs"))?;
    let mut out = Vec::new();
    for (name, s) in aux {
        let fields = s["fields"]
            .as_array()
            .ok_or_else(|| bad(format!("aux struct {name} has no fields")))?;
        let fields = fields
            .iter()
            .map(|f| {
                let field = f["name"].as_str().unwrap_or_default();
                let ty = f["type"].as_str().unwrap_or_default();
                Ok(StructField {
                    name: field.to_owned(),
                    ty: parse_type(ty, &format!("{name}.{field}"))?,
                })
            })
            .collect::<Result<_, LoadError>>()?;
        out.push(Struct {
            name: name.clone(),
            fields,
        });
    }
    Ok(out)
}

/// Removes free-text keys (descriptions, notes, usage lists) at every depth.
fn facts_only(v: &mut Value) {
    const PROSE: &[&str] = &[
        "note",
        "description",
        "doc",
        "declaration",
        "used_in",
        "handles",
    ];
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !PROSE.contains(&k.as_str()));
            m.values_mut().for_each(facts_only);
        }
        Value::Array(a) => a.iter_mut().for_each(facts_only),
        _ => {}
    }
}

/// The extra file's sections that the C dialect needs.
const EXTRA_SECTIONS: &[&str] = &[
    "session_struct",
    "common_typedefs",
    "non_rpc_functions",
    "map_set_helpers",
    "enum_sets_and_helpers",
    "aux_structs",
    "xspolicy_constants",
    "record_sizes_x86_64",
    "struct_layouts_x86_64",
];

fn line(v: &Value) -> String {
    serde_json::to_string(v).expect("JSON values serialize")
}

/// Renders the C facts: one line per class, field, message, and per entry of each section.
fn render_c_facts(
    classes: Vec<Value>,
    fields: Vec<Value>,
    messages: Vec<Value>,
    extra: &Value,
) -> String {
    let mut sections: Vec<(String, String)> = Vec::new();
    let array = |items: &[Value]| {
        let body: Vec<String> = items.iter().map(line).collect();
        format!("[\n{}\n]", body.join(",\n"))
    };
    sections.push(("classes".into(), array(&classes)));
    sections.push(("fields".into(), array(&fields)));
    sections.push(("messages".into(), array(&messages)));
    for name in EXTRA_SECTIONS {
        let mut v = extra[name].clone();
        facts_only(&mut v);
        let text = match &v {
            Value::Array(items) => array(items),
            Value::Object(m) => {
                let body: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}:{}", line(&Value::String(k.clone())), line(v)))
                    .collect();
                format!("{{\n{}\n}}", body.join(",\n"))
            }
            other => line(other),
        };
        sections.push(((*name).into(), text));
    }
    let body: Vec<String> = sections
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", line(&Value::String(k))))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

fn object(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_owned(), v.clone());
    }
    Value::Object(m)
}

/// Derives the xend model and its C facts from the folder `src`.
pub fn derive(src: &Path) -> Result<Derived, LoadError> {
    let model_path = src.join(MODEL_FILE);
    let upstream: Vec<UpClass> =
        serde_json::from_value(json_file(&model_path)?).map_err(|source| LoadError::Json {
            path: model_path,
            source,
        })?;
    let extra = json_file(&src.join(EXTRA_FILE))?;
    let errors_path = src.join(Model::ERRORS_FILE);
    let errors = parse_errors(&errors_path, &read(&errors_path)?)?;

    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut classes = Vec::new();
    let (mut c_classes, mut c_fields, mut c_messages) = (Vec::new(), Vec::new(), Vec::new());
    let mut async_tsv = String::from("# class\tmessage\tasync|sync\tsource\n");
    for c in upstream {
        merge_enums(&mut enums, c.enums)?;
        c_classes.push(object(&[
            ("name", c.name.as_str().into()),
            ("c_prefix", c.c_prefix.as_str().into()),
            ("record_has_handle", c.c_record_has_handle.into()),
        ]));
        let mut fields = Vec::new();
        for f in c.fields {
            c_fields.push(object(&[
                ("class", c.name.as_str().into()),
                ("name", f.name.as_str().into()),
                ("c_name", f.c_name.as_str().into()),
                ("c_type", f.c_type.as_str().into()),
            ]));
            fields.push(Field {
                ty: model_type(&f.ty, &format!("{}.{}", c.name, f.name))?,
                name: f.name,
                qualifier: f.qualifier,
                lifecycle: lifecycle(&f.lifecycle)?,
                default: None,
            });
        }
        let mut messages = Vec::new();
        for m in c.messages {
            let at = format!("{}.{}", c.name, m.name);
            let (session, params) = split_session(&m.params);
            let result = result_type(&m.result, &at)?;
            let asynchronous = session && is_async(&c.name, &m);
            let flag = if asynchronous { "async" } else { "sync" };
            async_tsv += &format!("{}\t{}\t{flag}\txend-async-dispatch\n", c.name, m.name);
            c_messages.push(object(&[
                ("class", c.name.as_str().into()),
                ("name", m.name.as_str().into()),
                ("c_name", m.c_name.as_str().into()),
                ("c_prototype", m.c_prototype.as_str().into()),
            ]));
            messages.push(Message {
                params: model_params(params, &at, model_type)?,
                result: model_type(result, &at)?,
                errors: m.errors.into_iter().map(|e| e.name).collect(),
                name: m.name,
                implicit: m.implicit,
                session,
                is_async: asynchronous,
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
    let model = checked_model(API_VERSION, enums, classes, structs(&extra)?, errors)?;
    Ok(Derived {
        model,
        async_tsv,
        c_facts: render_c_facts(c_classes, c_fields, c_messages, &extra),
    })
}

/// Derives from `src` and writes `xenapi.json`, `errors.tsv`, `async.tsv` and `libxen.json`
/// into `model_dir`. Returns the paths written.
pub fn import(src: &Path, model_dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let derived = derive(src)?;
    let errors_text = read(&src.join(Model::ERRORS_FILE))?;
    write_files(
        model_dir,
        vec![
            (model_dir.join(Model::JSON_FILE), to_json(&derived.model)),
            (model_dir.join(Model::ERRORS_FILE), errors_text),
            (model_dir.join(ASYNC_FILE), derived.async_tsv),
            (model_dir.join(C_FACTS_FILE), derived.c_facts),
        ],
    )
}

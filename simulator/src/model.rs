//! The data model the simulator serves, parsed from the compact JSON form (`model/xenapi.json`).
//!
//! The model is a value, not a global: a [`Store`](crate::store::Store) is built over any
//! `Model`, so another API (e.g. xend's 1.0) can be served by the same code.

use std::collections::HashMap;

use serde::Deserialize;

use crate::fxhash::FxHashMap;
use crate::value::V;

/// The xapi data model embedded at build time.
pub const XENAPI_JSON: &str = include_str!("../../model/xenapi.json");

/// A parsed type of the data model.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `string`
    String,
    /// `int` (64-bit)
    Int,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `datetime`
    DateTime,
    /// `enum NAME`: index into [`Model::enums`].
    Enum(usize),
    /// `CLASS ref`
    Ref(String),
    /// `CLASS record`
    Record(String),
    /// `<class> record`: the record of whichever class an event is about.
    AnyRecord,
    /// `T set`
    Set(Box<Ty>),
    /// `(K -> V) map`
    Map(Box<Ty>, Box<Ty>),
    /// `T option`
    Option(Box<Ty>),
    /// `an event batch` (the result of `event.from`)
    EventBatch,
    /// `void`
    Void,
}

/// Which server a model is served as: the wire details that differ between xapi and xend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// xapi (API 2.x): `OpaqueRef:` refs, `event.from`, lower-case event classes.
    Xapi,
    /// xend (API 1.0): refs are the objects' UUIDs, xend's event record, one host, `Crashed`
    /// VMs, cpu pools and security policies (see [`crate::xend`]).
    Xend,
}

/// Errors in the model file itself.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The JSON does not have the compact model's shape.
    #[error("model JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A type string is not understood.
    #[error("model: cannot parse type {0:?}")]
    Type(String),
    /// A type names an enum the model does not define.
    #[error("model: unknown enum {0:?}")]
    UnknownEnum(String),
}

/// A field's qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `RW`: settable.
    Rw,
    /// `RO/constructor`: given at creation, then read-only.
    RoConstructor,
    /// `RO/runtime`: computed by the server.
    RoRuntime,
}

/// A field of a class.
#[derive(Debug, Clone)]
pub struct Field {
    /// The wire name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Who may write it.
    pub qualifier: Qualifier,
    /// The model's default, parsed; `None` when the model gives none.
    pub default: Option<V>,
}

/// A parameter of a message (the session parameter excluded).
#[derive(Debug, Clone)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The type.
    pub ty: Ty,
    /// Whether a caller must send it (optional ones may be left off at the end).
    pub required: bool,
}

/// A message of a class.
#[derive(Debug, Clone)]
pub struct Message {
    /// The name, without the class.
    pub name: String,
    /// Whether xapi generates it from the fields (getters, setters, create, ...).
    pub implicit: bool,
    /// Whether the first wire parameter is a session ref.
    pub session: bool,
    /// Whether an `Async.` variant exists.
    pub is_async: bool,
    /// The parameters after the session.
    pub params: Vec<Param>,
    /// The result type.
    pub result: Ty,
    /// Whether the message was removed from the API (xapi answers `MESSAGE_REMOVED`).
    pub removed: bool,
}

impl Message {
    /// The number of parameters that must be sent, the session included.
    pub fn min_wire_params(&self) -> usize {
        self.mandatory_params() + usize::from(self.session)
    }

    /// The number of parameters without a default, the session excluded (what xapi reports
    /// as expected in `MESSAGE_PARAMETER_COUNT_MISMATCH`).
    pub fn mandatory_params(&self) -> usize {
        let trailing_optional = self.params.iter().rev().take_while(|p| !p.required).count();
        self.params.len() - trailing_optional
    }

    /// The number of parameters of the full call, the session included.
    pub fn max_wire_params(&self) -> usize {
        self.params.len() + usize::from(self.session)
    }
}

/// A class of the data model.
#[derive(Debug, Clone)]
pub struct Class {
    /// The name as spelt in method names (`VM`, `host`, ...).
    pub name: String,
    /// The name in lower case, as event classes are spelt.
    pub lower: String,
    /// The fields, in model order (the order of records on the wire).
    pub fields: Vec<Field>,
    field_index: FxHashMap<String, usize>,
    /// The messages, by name.
    pub messages: FxHashMap<String, Message>,
}

impl Class {
    /// The index of a field.
    pub fn field(&self, name: &str) -> Option<usize> {
        self.field_index.get(name).copied()
    }

    /// Whether instances of this class are stored objects with refs (it has `get_all` or
    /// `get_record`, or is `session`).
    pub fn has_objects(&self) -> bool {
        self.messages.contains_key("get_record") || self.name == "session"
    }
}

/// An enum of the data model.
#[derive(Debug, Clone)]
pub struct Enum {
    /// The name.
    pub name: String,
    /// The values, as spelt on the wire.
    pub values: Vec<String>,
}

/// Two fields that xapi keeps consistent: `class.field` is an `X ref`, and
/// `target_class.set_field` is the `class ref set` listing every object pointing at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The class holding the ref.
    pub class: usize,
    /// The ref field.
    pub field: usize,
    /// The class the ref points to.
    pub target_class: usize,
    /// The set field on the target.
    pub set_field: usize,
}

/// The whole data model.
#[derive(Debug, Clone)]
pub struct Model {
    /// `(major, minor)` of the API.
    pub api_version: (i64, i64),
    /// Every class.
    pub classes: Vec<Class>,
    class_index: FxHashMap<String, usize>,
    class_index_lower: FxHashMap<String, usize>,
    /// Every enum.
    pub enums: Vec<Enum>,
    /// The field pairs kept consistent, found from the model.
    pub pairs: Vec<Pair>,
    /// How it is served: [`Dialect::Xend`] for API 1.x, else [`Dialect::Xapi`].
    pub dialect: Dialect,
}

#[derive(Deserialize)]
struct RawModel {
    api_version: (i64, i64),
    enums: Vec<RawEnum>,
    classes: Vec<RawClass>,
}

#[derive(Deserialize)]
struct RawEnum {
    name: String,
    values: Vec<String>,
}

#[derive(Deserialize)]
struct RawClass {
    name: String,
    fields: Vec<RawField>,
    messages: Vec<RawMessage>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    qualifier: String,
    default: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    name: String,
    implicit: bool,
    session: bool,
    #[serde(rename = "async")]
    is_async: bool,
    params: Vec<RawParam>,
    result: String,
    lifecycle: String,
}

#[derive(Deserialize)]
struct RawParam {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    required: bool,
}

impl Model {
    /// The xapi model embedded in the crate.
    pub fn xenapi() -> Model {
        Model::from_json(XENAPI_JSON).expect("the embedded model parses")
    }

    /// xend's API 1.0 (libxen 4.4's data model) as xend served it: see [`crate::xend`].
    pub fn xend() -> Model {
        crate::xend::model()
    }

    /// Parses a model in the compact JSON form.
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        let raw: RawModel = serde_json::from_str(json)?;
        let enums: Vec<Enum> = raw
            .enums
            .into_iter()
            .map(|e| Enum {
                name: e.name,
                values: e.values,
            })
            .collect();
        let enum_index: HashMap<&str, usize> = enums
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.as_str(), i))
            .collect();
        let mut classes = Vec::with_capacity(raw.classes.len());
        for rc in raw.classes {
            let mut fields = Vec::with_capacity(rc.fields.len());
            for rf in rc.fields {
                let ty = parse_type(&rf.ty, &enum_index)?;
                let qualifier = match rf.qualifier.as_str() {
                    "RW" => Qualifier::Rw,
                    "RO/constructor" => Qualifier::RoConstructor,
                    _ => Qualifier::RoRuntime,
                };
                let default = rf
                    .default
                    .as_deref()
                    .and_then(|d| parse_default(d, &ty, &enums));
                fields.push(Field {
                    name: rf.name,
                    ty,
                    qualifier,
                    default,
                });
            }
            let mut messages =
                FxHashMap::with_capacity_and_hasher(rc.messages.len(), Default::default());
            for rm in rc.messages {
                let params = rm
                    .params
                    .into_iter()
                    .map(|p| {
                        Ok(Param {
                            ty: parse_type(&p.ty, &enum_index)?,
                            name: p.name,
                            required: p.required,
                        })
                    })
                    .collect::<Result<Vec<_>, ModelError>>()?;
                let result = parse_type(&rm.result, &enum_index)?;
                messages.insert(
                    rm.name.clone(),
                    Message {
                        name: rm.name,
                        implicit: rm.implicit,
                        session: rm.session,
                        is_async: rm.is_async,
                        params,
                        result,
                        removed: rm.lifecycle == "removed",
                    },
                );
            }
            let field_index = fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), i))
                .collect();
            classes.push(Class {
                lower: rc.name.to_ascii_lowercase(),
                name: rc.name,
                fields,
                field_index,
                messages,
            });
        }
        let class_index = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let class_index_lower = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.lower.clone(), i))
            .collect();
        let mut model = Model {
            api_version: raw.api_version,
            classes,
            class_index,
            class_index_lower,
            enums,
            pairs: Vec::new(),
            dialect: if raw.api_version.0 < 2 {
                Dialect::Xend
            } else {
                Dialect::Xapi
            },
        };
        model.pairs = find_pairs(&model);
        Ok(model)
    }

    /// The index of a class by its exact name.
    pub fn class(&self, name: &str) -> Option<usize> {
        self.class_index.get(name).copied()
    }

    /// The index of a class, ignoring case (as event class names are matched).
    pub fn class_ignore_case(&self, name: &str) -> Option<usize> {
        self.class_index.get(name).copied().or_else(|| {
            self.class_index_lower
                .get(&name.to_ascii_lowercase())
                .copied()
        })
    }

    /// The index of an enum value, ignoring case as xapi does; `None` for a value not in it.
    pub fn enum_value<'a>(&'a self, enum_idx: usize, value: &str) -> Option<&'a str> {
        self.enums[enum_idx]
            .values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(value))
            .map(String::as_str)
    }
}

fn parse_type(s: &str, enums: &HashMap<&str, usize>) -> Result<Ty, ModelError> {
    let s = s.trim();
    let bad = || ModelError::Type(s.to_string());
    if let Some(inner) = s.strip_suffix(" set") {
        return Ok(Ty::Set(Box::new(parse_type(inner, enums)?)));
    }
    if let Some(inner) = s.strip_suffix(" option") {
        return Ok(Ty::Option(Box::new(parse_type(inner, enums)?)));
    }
    if let Some(inner) = s.strip_suffix(" map") {
        let inner = inner
            .trim()
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .ok_or_else(bad)?;
        let (k, v) = split_arrow(inner).ok_or_else(bad)?;
        return Ok(Ty::Map(
            Box::new(parse_type(k, enums)?),
            Box::new(parse_type(v, enums)?),
        ));
    }
    if let Some(name) = s.strip_prefix("enum ") {
        return enums
            .get(name.trim())
            .map(|&i| Ty::Enum(i))
            .ok_or_else(|| ModelError::UnknownEnum(name.into()));
    }
    if s == "<class> record" {
        return Ok(Ty::AnyRecord);
    }
    if let Some(c) = s.strip_suffix(" ref") {
        return Ok(Ty::Ref(c.trim().to_string()));
    }
    if let Some(c) = s.strip_suffix(" record") {
        return Ok(Ty::Record(c.trim().to_string()));
    }
    Ok(match s {
        "string" => Ty::String,
        "int" => Ty::Int,
        "float" => Ty::Float,
        "bool" => Ty::Bool,
        "datetime" => Ty::DateTime,
        "void" => Ty::Void,
        "an event batch" => Ty::EventBatch,
        // A struct that is not a class (libxen's `xs_policystate`).
        _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            Ty::Record(s.to_string())
        }
        _ => return Err(bad()),
    })
}

/// Splits `K -> V` at the top-level arrow (either side may itself be a parenthesised map).
fn split_arrow(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'-' if depth == 0 && bytes.get(i + 1) == Some(&b'>') => {
                return Some((&s[..i], &s[i + 2..]))
            }
            _ => {}
        }
    }
    None
}

/// Parses a default as the model spells it (`""`, `{}`, `Halted`, `1.`, `{"a" -> "b"}`, ...).
fn parse_default(d: &str, ty: &Ty, enums: &[Enum]) -> Option<V> {
    let d = d.trim();
    Some(match ty {
        Ty::String => V::Str(unquote(d).to_string()),
        Ty::Int => V::Int(d.parse().ok()?),
        Ty::Float => V::Float(d.trim_end_matches('.').parse().ok()?),
        Ty::Bool => V::Bool(d == "true"),
        Ty::DateTime => V::DateTime(unquote(d).to_string()),
        Ty::Enum(e) => {
            let value = unquote(d);
            V::Str(
                enums[*e]
                    .values
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(value))?
                    .clone(),
            )
        }
        Ty::Ref(_) => V::Str(if d == "Null" || d.is_empty() {
            crate::value::NULL_REF.to_string()
        } else {
            d.to_string()
        }),
        Ty::Set(inner) => {
            let body = d.strip_prefix('{')?.strip_suffix('}')?.trim();
            if body.is_empty() {
                V::Set(Vec::new())
            } else {
                V::Set(
                    body.split(',')
                        .map(|x| parse_default(x, inner, enums))
                        .collect::<Option<Vec<_>>>()?,
                )
            }
        }
        Ty::Map(k, v) => {
            let body = d.strip_prefix('{')?.strip_suffix('}')?.trim();
            let mut entries = Vec::new();
            if !body.is_empty() {
                for entry in body.split(',') {
                    let (a, b) = entry.split_once("->")?;
                    entries.push((parse_default(a, k, enums)?, parse_default(b, v, enums)?));
                }
            }
            V::Map(entries)
        }
        Ty::Option(_) => V::Nil,
        _ => return None,
    })
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Finds the field pairs: `A.f : B ref` with `B.s : A ref set`. Where a class has several
/// candidates on either side, a pair is kept only when the names tie them together (the set
/// named after the ref field, or sharing a long prefix with it, or the ref field named after
/// the target class), as in `VM.resident_on`/`host.resident_VMs`, `VM.snapshot_of`/`VM.snapshots`.
fn find_pairs(model: &Model) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for (ai, a) in model.classes.iter().enumerate() {
        for (fi, f) in a.fields.iter().enumerate() {
            let Ty::Ref(target) = &f.ty else { continue };
            let Some(bi) = model.class(target) else {
                continue;
            };
            let b = &model.classes[bi];
            let want = Ty::Set(Box::new(Ty::Ref(a.name.clone())));
            let sets: Vec<usize> = b
                .fields
                .iter()
                .enumerate()
                .filter(|(_, g)| g.ty == want)
                .map(|(i, _)| i)
                .collect();
            let refs: Vec<usize> = a
                .fields
                .iter()
                .enumerate()
                .filter(|(_, g)| g.ty == f.ty)
                .map(|(i, _)| i)
                .collect();
            if sets.is_empty() {
                continue;
            }
            if sets.len() == 1 && refs.len() == 1 {
                pairs.push(Pair {
                    class: ai,
                    field: fi,
                    target_class: bi,
                    set_field: sets[0],
                });
                continue;
            }
            let matching: Vec<usize> = sets
                .iter()
                .copied()
                .filter(|&si| names_tie(&f.name, &b.fields[si].name, &b.name))
                .collect();
            if matching.len() != 1 {
                continue;
            }
            let si = matching[0];
            let rivals = refs
                .iter()
                .filter(|&&ri| names_tie(&a.fields[ri].name, &b.fields[si].name, &b.name))
                .count();
            if rivals == 1 {
                pairs.push(Pair {
                    class: ai,
                    field: fi,
                    target_class: bi,
                    set_field: si,
                });
            }
        }
    }
    pairs
}

fn names_tie(ref_field: &str, set_field: &str, target_class: &str) -> bool {
    let r = ref_field.to_ascii_lowercase();
    let s = set_field.to_ascii_lowercase();
    let common = r.bytes().zip(s.bytes()).take_while(|(x, y)| x == y).count();
    s.contains(&r) || common >= 4 || ref_field == target_class
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_embedded_model() {
        let m = Model::xenapi();
        assert_eq!(m.api_version, (2, 23));
        let vm = &m.classes[m.class("VM").unwrap()];
        let ps = &vm.fields[vm.field("power_state").unwrap()];
        assert_eq!(ps.default, Some(V::Str("Halted".into())));
        let shadow = &vm.fields[vm.field("HVM_shadow_multiplier").unwrap()];
        assert_eq!(shadow.default, Some(V::Float(1.0)));
        let login = &m.classes[m.class("session").unwrap()].messages["login_with_password"];
        assert_eq!((login.min_wire_params(), login.max_wire_params()), (2, 4));
    }

    #[test]
    fn finds_the_well_known_pairs() {
        let m = Model::xenapi();
        let has = |a: &str, f: &str, b: &str, s: &str| {
            let (ai, bi) = (m.class(a).unwrap(), m.class(b).unwrap());
            m.pairs.contains(&Pair {
                class: ai,
                field: m.classes[ai].field(f).unwrap(),
                target_class: bi,
                set_field: m.classes[bi].field(s).unwrap(),
            })
        };
        assert!(has("VIF", "VM", "VM", "VIFs"));
        assert!(has("VBD", "VM", "VM", "VBDs"));
        assert!(has("VBD", "VDI", "VDI", "VBDs"));
        assert!(has("PIF", "host", "host", "PIFs"));
        assert!(has("VDI", "SR", "SR", "VDIs"));
        assert!(has("VM", "resident_on", "host", "resident_VMs"));
        assert!(has("VM", "snapshot_of", "VM", "snapshots"));
        assert!(!has("VM", "affinity", "host", "resident_VMs"));
    }

    #[test]
    fn parses_nested_map_types() {
        let e = HashMap::new();
        assert_eq!(
            parse_type("(int -> string set) map", &e).unwrap(),
            Ty::Map(Box::new(Ty::Int), Box::new(Ty::Set(Box::new(Ty::String))))
        );
    }
}

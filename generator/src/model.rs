//! The compact data model (`model/xenapi.json` and `model/errors.tsv`) as typed Rust values.
//!
//! This is the one place that knows the model's file format; every emitter (Rust, C ABI, C
//! headers) works from these types. Type strings are parsed once, at load time, into [`Type`],
//! and print back to the exact same spelling (see [`Type`]'s `Display`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A model file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// `xenapi.json` is not valid JSON or does not have the model's shape.
    #[error("parsing {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: serde_json::Error,
    },
    /// A line of `errors.tsv` is malformed.
    #[error("{path}:{line}: {message}")]
    Tsv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The model refers to something it does not define.
    #[error("inconsistent model: {0}")]
    Inconsistent(String),
}

/// The whole data model: enums, classes and error codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The API version the model describes, `[major, minor]`.
    pub api_version: [u32; 2],
    /// Every enum, sorted by name.
    pub enums: Vec<Enum>,
    /// Every class, in the upstream model's order.
    pub classes: Vec<Class>,
    /// Named record types that are not classes (no refs, no messages), e.g. xend's
    /// `xs_policystate`, the result of `XSPolicy.get_xspolicy`. Written `NAME record`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structs: Vec<Struct>,
    /// Every error code, from `errors.tsv` (not part of `xenapi.json`).
    #[serde(skip)]
    pub errors: Vec<ErrorDef>,
}

/// An enum type: a closed set of string values on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    /// The model's name, e.g. `vm_power_state`.
    pub name: String,
    /// The wire spellings of its values, in model order.
    pub values: Vec<String>,
}

/// A class: a kind of server-side object with fields and messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    /// The wire name, e.g. `VM`, `VM_guest_metrics`, `host`.
    pub name: String,
    /// The class's lifecycle state.
    pub lifecycle: Lifecycle,
    /// The fields of its record, in model order.
    pub fields: Vec<Field>,
    /// Every message, implicit (accessors, constructors) and custom, in model order.
    pub messages: Vec<Message>,
}

/// A named record type that is not a class: only fields, each a name and a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Struct {
    /// The model's name, e.g. `xs_policystate`.
    pub name: String,
    /// Its members, in wire (and C struct) order.
    pub fields: Vec<StructField>,
}

/// A member of a [`Struct`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructField {
    /// The wire name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
}

/// A field of a class's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The wire name (may contain upper case, e.g. `VCPUs_max`, and may be a Rust keyword).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Who may write it.
    pub qualifier: Qualifier,
    /// Its lifecycle state.
    pub lifecycle: Lifecycle,
    /// The server-side default, in the upstream model's notation (e.g. `{}`, `""`, `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A message (an RPC): `CLASS.NAME` on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message name, e.g. `start`, `get_power_state`.
    pub name: String,
    /// Whether the message is implied by the fields (getters, setters, `create`, …).
    pub implicit: bool,
    /// Whether the session ref is sent as the first wire parameter (not listed in `params`).
    pub session: bool,
    /// Whether an `Async.CLASS.NAME` form exists, returning a task ref.
    #[serde(rename = "async")]
    pub is_async: bool,
    /// Its lifecycle state.
    pub lifecycle: Lifecycle,
    /// The parameters after the session ref, in wire order.
    pub params: Vec<Param>,
    /// The result type (`Type::Void` for none).
    pub result: Type,
    /// Error codes the message is documented to raise.
    pub errors: Vec<String>,
}

/// A parameter of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The parameter name as in the model (may be a Rust keyword, e.g. `type`).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// False for trailing parameters that newer servers added and older clients omit.
    pub required: bool,
}

/// An error code with the names of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDef {
    /// The code, e.g. `VM_BAD_POWER_STATE`.
    pub code: String,
    /// Names of the strings that follow the code in `ErrorDescription`, in order.
    pub params: Vec<String>,
}

/// Lifecycle state of a class, field or message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    /// Supported.
    Published,
    /// Experimental.
    Prototyped,
    /// Still served, to be removed.
    Deprecated,
    /// No longer served by current servers.
    Removed,
}

/// Who may write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Qualifier {
    /// `RW`: has a setter.
    #[serde(rename = "RW")]
    ReadWrite,
    /// `RO/runtime`: maintained by the server.
    #[serde(rename = "RO/runtime")]
    ReadOnlyRuntime,
    /// `RO/constructor`: set by `create`, read-only afterwards.
    #[serde(rename = "RO/constructor")]
    ReadOnlyConstructor,
}

/// A parsed type of the model's type grammar.
///
/// `Display` prints the model's spelling, and `FromStr` parses it:
/// `string`, `int`, `float`, `bool`, `datetime`, `enum NAME`, `CLASS ref`, `CLASS record`,
/// `<class> record`, `T set`, `(K -> V) map`, `T option`, `an event batch`, `void`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Type {
    /// `string`.
    String,
    /// `int` (64-bit).
    Int,
    /// `float` (64-bit).
    Float,
    /// `bool`.
    Bool,
    /// `datetime` (UTC).
    DateTime,
    /// `enum NAME`: the name of an [`Enum`].
    Enum(String),
    /// `CLASS ref`: a reference to an object of the named class.
    Ref(String),
    /// `CLASS record`: the named class's record.
    Record(String),
    /// `<class> record`: a record of whichever class the context says (an event's snapshot).
    AnyRecord,
    /// `T set`: a list.
    Set(Box<Type>),
    /// `(K -> V) map`.
    Map(Box<Type>, Box<Type>),
    /// `T option`: a value that may be absent.
    Option(Box<Type>),
    /// `an event batch`: the result of `event.from`.
    EventBatch,
    /// `void`: no result.
    Void,
}

/// A type string that does not follow the model's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed type `{0}`")]
pub struct TypeParseError(pub String);

impl FromStr for Type {
    type Err = TypeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_type(s).ok_or_else(|| TypeParseError(s.to_owned()))
    }
}

impl TryFrom<String> for Type {
    type Error = TypeParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Type> for String {
    fn from(t: Type) -> String {
        t.to_string()
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses from the right: every compound form is a postfix keyword after its operand(s).
fn parse_type(s: &str) -> Option<Type> {
    let simple = match s {
        "string" => Some(Type::String),
        "int" => Some(Type::Int),
        "float" => Some(Type::Float),
        "bool" => Some(Type::Bool),
        "datetime" => Some(Type::DateTime),
        "an event batch" => Some(Type::EventBatch),
        "void" => Some(Type::Void),
        "<class> record" => Some(Type::AnyRecord),
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    if let Some(inner) = s.strip_suffix(" set") {
        return Some(Type::Set(Box::new(parse_type(inner)?)));
    }
    if let Some(inner) = s.strip_suffix(" option") {
        return Some(Type::Option(Box::new(parse_type(inner)?)));
    }
    if let Some(name) = s.strip_prefix("enum ") {
        return is_name(name).then(|| Type::Enum(name.to_owned()));
    }
    if let Some(name) = s.strip_suffix(" ref") {
        return is_name(name).then(|| Type::Ref(name.to_owned()));
    }
    if let Some(name) = s.strip_suffix(" record") {
        return is_name(name).then(|| Type::Record(name.to_owned()));
    }
    let inner = s
        .strip_suffix(" map")?
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let arrow = top_level_arrow(inner)?;
    let key = parse_type(&inner[..arrow])?;
    let value = parse_type(&inner[arrow + " -> ".len()..])?;
    Some(Type::Map(Box::new(key), Box::new(value)))
}

/// Byte offset of the ` -> ` that is not inside parentheses.
fn top_level_arrow(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ' ' if depth == 0 && s[i..].starts_with(" -> ") => return Some(i),
            _ => {}
        }
    }
    None
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::DateTime => f.write_str("datetime"),
            Type::Enum(name) => write!(f, "enum {name}"),
            Type::Ref(class) => write!(f, "{class} ref"),
            Type::Record(class) => write!(f, "{class} record"),
            Type::AnyRecord => f.write_str("<class> record"),
            Type::Set(t) => write!(f, "{t} set"),
            Type::Map(k, v) => write!(f, "({k} -> {v}) map"),
            Type::Option(t) => write!(f, "{t} option"),
            Type::EventBatch => f.write_str("an event batch"),
            Type::Void => f.write_str("void"),
        }
    }
}

impl Model {
    /// File name of the model proper inside the model directory.
    pub const JSON_FILE: &'static str = "xenapi.json";
    /// File name of the error codes inside the model directory.
    pub const ERRORS_FILE: &'static str = "errors.tsv";

    /// Loads `DIR/xenapi.json` and `DIR/errors.tsv`, and checks that every enum, class and
    /// error code the model mentions is defined.
    pub fn load(dir: &Path) -> Result<Model, LoadError> {
        let json_path = dir.join(Self::JSON_FILE);
        let text = read(&json_path)?;
        let mut model: Model = serde_json::from_str(&text).map_err(|source| LoadError::Json {
            path: json_path,
            source,
        })?;
        let errors_path = dir.join(Self::ERRORS_FILE);
        model.errors = parse_errors(&errors_path, &read(&errors_path)?)?;
        model.check()?;
        Ok(model)
    }

    /// The class with wire name `name`.
    pub fn class(&self, name: &str) -> Option<&Class> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// The struct (non-class record type) named `name`.
    pub fn struct_named(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|s| s.name == name)
    }

    /// The enum named `name`.
    pub fn enum_named(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// The error code `code`.
    pub fn error(&self, code: &str) -> Option<&ErrorDef> {
        self.errors.iter().find(|e| e.code == code)
    }

    /// Every type used by a field, parameter or result, with where it is used (for messages).
    fn types(&self) -> impl Iterator<Item = (&Type, String)> {
        let classes = self.classes.iter().flat_map(|c| {
            let fields = c
                .fields
                .iter()
                .map(move |f| (&f.ty, format!("{}.{}", c.name, f.name)));
            let messages = c.messages.iter().flat_map(move |m| {
                let at = format!("{}.{}", c.name, m.name);
                let params = m.params.iter().map(move |p| (&p.ty, at.clone()));
                params.chain(std::iter::once((
                    &m.result,
                    format!("{}.{}", c.name, m.name),
                )))
            });
            fields.chain(messages)
        });
        let structs = self.structs.iter().flat_map(|s| {
            s.fields
                .iter()
                .map(move |f| (&f.ty, format!("{}.{}", s.name, f.name)))
        });
        classes.chain(structs)
    }

    pub(crate) fn check(&self) -> Result<(), LoadError> {
        for (ty, at) in self.types() {
            let mut missing = None;
            ty.visit(&mut |t| match t {
                Type::Enum(n) if self.enum_named(n).is_none() => {
                    missing = Some(format!("enum {n}"))
                }
                Type::Ref(c) if self.class(c).is_none() => missing = Some(format!("class {c}")),
                Type::Record(c) if self.class(c).is_none() && self.struct_named(c).is_none() => {
                    missing = Some(format!("class {c}"))
                }
                _ => {}
            });
            if let Some(what) = missing {
                return Err(LoadError::Inconsistent(format!(
                    "{at} uses undefined {what}"
                )));
            }
        }
        for c in &self.classes {
            for m in &c.messages {
                if let Some(code) = m.errors.iter().find(|e| self.error(e).is_none()) {
                    return Err(LoadError::Inconsistent(format!(
                        "{}.{} raises unknown error {code}",
                        c.name, m.name
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Type {
    /// Calls `f` on this type and every type nested in it, outermost first.
    pub fn visit(&self, f: &mut impl FnMut(&Type)) {
        f(self);
        match self {
            Type::Set(t) | Type::Option(t) => t.visit(f),
            Type::Map(k, v) => {
                k.visit(f);
                v.visit(f);
            }
            _ => {}
        }
    }
}

impl Class {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The message named `name`.
    pub fn message(&self, name: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.name == name)
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Parses `errors.tsv`: `CODE<TAB>name|name|…` per line, `#` comments.
pub fn parse_errors(path: &Path, text: &str) -> Result<Vec<ErrorDef>, LoadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let bad = |message: &str| LoadError::Tsv {
            path: path.to_owned(),
            line: i + 1,
            message: message.to_owned(),
        };
        let (code, params) = line
            .split_once('\t')
            .ok_or_else(|| bad("expected CODE<TAB>params"))?;
        if !is_name(code) {
            return Err(bad("malformed error code"));
        }
        let params = if params.is_empty() {
            Vec::new()
        } else {
            params.split('|').map(str::to_owned).collect()
        };
        out.push(ErrorDef {
            code: code.to_owned(),
            params,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip() {
        for s in [
            "string",
            "enum vm_power_state",
            "VM ref set",
            "(VM ref -> (string -> string) map) map",
            "string set set",
            "(string -> enum vm_operations) map",
            "enum vm_operations set",
            "sr_stat record option",
            "<class> record",
            "an event batch",
        ] {
            let t: Type = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!(
            "(int -> string set) map".parse::<Type>().unwrap(),
            Type::Map(
                Box::new(Type::Int),
                Box::new(Type::Set(Box::new(Type::String)))
            )
        );
    }

    #[test]
    fn malformed_types_are_refused() {
        for s in [
            "",
            "strin",
            "(string -> string map",
            "VM-x ref",
            "(string) map",
            "enum ",
        ] {
            assert!(s.parse::<Type>().is_err(), "{s:?} accepted");
        }
    }
}

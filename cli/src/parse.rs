//! Command-line words to call parameters, by the message's parameter types.
//!
//! One word per parameter, except a set, map or record parameter, which takes repeated words
//! (`a b c`; `key=value key=value`) when it is the only one in the message; with several such
//! parameters each takes one word with its items separated by commas. A word that starts with
//! `{` or `[` is read as JSON for any map, set or record parameter.

use xapi_sim::model::{Message, Param, Ty};
use xenapi::{DateTime, Struct, Value};

use crate::error::{CliError, CliResult};
use crate::schema::{Found, Schema};

/// Turns the text of a ref (OpaqueRef, UUID or name) into the ref the server knows.
pub trait ResolveRef {
    /// The ref of the object of `class` that `text` names.
    fn resolve(&self, class: &str, text: &str) -> CliResult<String>;
}

/// The parameter values of a call of `found` written as `words`.
pub fn parse_args(
    schema: &Schema,
    found: &Found<'_>,
    words: &[String],
    refs: &dyn ResolveRef,
) -> CliResult<Vec<Value>> {
    let groups = group_words(found.message, words).ok_or_else(|| {
        CliError::usage(format!(
            "{} takes {}, got {}: {}",
            found.method(),
            count_phrase(found.message),
            words.len(),
            found.signature(schema)
        ))
    })?;
    let parser = Parser { schema, refs };
    groups
        .into_iter()
        .map(|(param, words)| {
            parser.param(param, &words).map_err(|e| match e {
                CliError::Usage(m) => CliError::usage(format!("argument {}: {m}", param.name)),
                other => other,
            })
        })
        .collect()
}

fn count_phrase(message: &Message) -> String {
    let (min, max) = (message.mandatory_params(), message.params.len());
    let collection = message
        .params
        .iter()
        .filter(|p| is_collection(&p.ty))
        .count()
        == 1;
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    if collection {
        format!("at least {} {}", max - 1, plural(max - 1))
    } else if min == max {
        format!("{max} {}", plural(max))
    } else {
        format!("{min} to {max} arguments")
    }
}

fn is_collection(ty: &Ty) -> bool {
    match ty {
        Ty::Set(_) | Ty::Map(..) | Ty::Record(_) => true,
        Ty::Option(t) => is_collection(t),
        _ => false,
    }
}

/// Which words go to which parameter; `None` when the count does not fit.
enum Words<'w> {
    /// The parameter's single word.
    One(&'w str),
    /// The repeated words of the only collection parameter.
    Many(&'w [String]),
}

fn group_words<'m, 'w>(
    message: &'m Message,
    words: &'w [String],
) -> Option<Vec<(&'m Param, Words<'w>)>> {
    let params = &message.params;
    let collections: Vec<usize> = (0..params.len())
        .filter(|&i| is_collection(&params[i].ty))
        .collect();
    if let [only] = collections[..] {
        let singles = params.len() - 1;
        if words.len() < singles {
            return None;
        }
        let many = words.len() - singles;
        let mut out = Vec::with_capacity(params.len());
        let mut at = 0;
        for (i, p) in params.iter().enumerate() {
            if i == only {
                out.push((p, Words::Many(&words[at..at + many])));
                at += many;
            } else {
                out.push((p, Words::One(&words[at])));
                at += 1;
            }
        }
        return Some(out);
    }
    if words.len() < message.mandatory_params() || words.len() > params.len() {
        return None;
    }
    Some(
        params
            .iter()
            .zip(words)
            .map(|(p, w)| (p, Words::One(w.as_str())))
            .collect(),
    )
}

struct Parser<'a> {
    schema: &'a Schema,
    refs: &'a dyn ResolveRef,
}

impl Parser<'_> {
    fn param(&self, param: &Param, words: &Words<'_>) -> CliResult<Value> {
        match words {
            Words::One(w) => self.word(&param.ty, w),
            Words::Many([w]) if w.starts_with('{') || w.starts_with('[') => self.word(&param.ty, w),
            Words::Many(ws) => self.items(&param.ty, ws.iter().map(String::as_str)),
        }
    }

    /// A value written as one word.
    fn word(&self, ty: &Ty, w: &str) -> CliResult<Value> {
        match ty {
            Ty::Set(_) | Ty::Map(..) | Ty::Record(_)
                if w.starts_with('{') || w.starts_with('[') =>
            {
                let json: serde_json::Value = serde_json::from_str(w)
                    .map_err(|e| CliError::usage(format!("{w:?} is not valid JSON: {e}")))?;
                self.json(ty, &json)
            }
            Ty::Set(_) | Ty::Map(..) | Ty::Record(_) => {
                self.items(ty, w.split(',').filter(|s| !s.is_empty()))
            }
            Ty::Option(inner) => self.word(inner, w),
            _ => self.scalar(ty, w),
        }
    }

    /// A set, map or record from its items (`value` or `key=value` each).
    fn items<'w>(&self, ty: &Ty, items: impl Iterator<Item = &'w str>) -> CliResult<Value> {
        match ty {
            Ty::Set(elem) => items
                .map(|w| self.scalar(elem, w))
                .collect::<CliResult<Vec<_>>>()
                .map(Value::Array),
            Ty::Map(k, v) => {
                let mut map = Struct::new();
                for item in items {
                    let (key, value) = split_pair(item)?;
                    let key = match self.scalar(k, key)? {
                        Value::String(s) => s,
                        other => to_text(&other),
                    };
                    map.insert(key, self.scalar(v, value)?);
                }
                Ok(Value::Struct(map))
            }
            Ty::Record(class) => {
                let mut map = Struct::new();
                for item in items {
                    let (key, value) = split_pair(item)?;
                    let field_ty = self.field_type(class, key)?;
                    map.insert(key.to_string(), self.word(&field_ty, value)?);
                }
                Ok(Value::Struct(map))
            }
            Ty::Option(inner) => self.items(inner, items),
            other => Err(CliError::usage(format!(
                "expected one {}",
                self.schema.type_name(other)
            ))),
        }
    }

    fn field_type(&self, class: &str, field: &str) -> CliResult<Ty> {
        let c = self
            .schema
            .class(class)
            .ok_or_else(|| CliError::usage(format!("unknown class {class}")))?;
        let i = c.field(field).ok_or_else(|| {
            let names: Vec<String> = c.fields.iter().map(|f| f.name.clone()).collect();
            let close = crate::schema::closest(field, &names, 3);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", close.join(", "))
            };
            CliError::usage(format!("{class} has no field {field:?}{hint}"))
        })?;
        Ok(c.fields[i].ty.clone())
    }

    /// A single value of a scalar type (or a ref, enum).
    fn scalar(&self, ty: &Ty, w: &str) -> CliResult<Value> {
        let bad = |what: &str| CliError::usage(format!("{w:?} is not {what}"));
        match ty {
            Ty::String => Ok(Value::String(w.to_string())),
            Ty::Int => w.trim().parse().map(Value::Int).map_err(|_| bad("an int")),
            Ty::Float => w
                .trim()
                .parse()
                .map(Value::Float)
                .map_err(|_| bad("a float")),
            Ty::Bool => parse_bool(w)
                .map(Value::Bool)
                .ok_or_else(|| bad("a bool (true/false, yes/no, on/off, 1/0)")),
            Ty::DateTime => DateTime::parse(w)
                .map(Value::DateTime)
                .map_err(|_| bad("a datetime (e.g. 20240131T12:34:56Z)")),
            Ty::Enum(i) => self
                .schema
                .model
                .enum_value(*i, w)
                .map(|v| Value::String(v.to_string()))
                .ok_or_else(|| {
                    let e = &self.schema.model.enums[*i];
                    bad(&format!("one of {} ({})", e.name, e.values.join(", ")))
                }),
            Ty::Ref(class) => self.refs.resolve(class, w).map(Value::String),
            Ty::Option(inner) => self.scalar(inner, w),
            other => Err(CliError::usage(format!(
                "a {} cannot be written as one word",
                self.schema.type_name(other)
            ))),
        }
    }

    /// A value given as JSON, checked against its type.
    fn json(&self, ty: &Ty, json: &serde_json::Value) -> CliResult<Value> {
        use serde_json::Value as J;
        match (ty, json) {
            (Ty::Set(elem), J::Array(items)) => items
                .iter()
                .map(|j| self.json(elem, j))
                .collect::<CliResult<Vec<_>>>()
                .map(Value::Array),
            (Ty::Map(_, v), J::Object(members)) => {
                let mut map = Struct::new();
                for (key, j) in members {
                    map.insert(key.clone(), self.json(v, j)?);
                }
                Ok(Value::Struct(map))
            }
            (Ty::Record(class), J::Object(members)) => {
                let mut map = Struct::new();
                for (key, j) in members {
                    let field_ty = self.field_type(class, key)?;
                    map.insert(key.clone(), self.json(&field_ty, j)?);
                }
                Ok(Value::Struct(map))
            }
            (Ty::Option(inner), j) => self.json(inner, j),
            (_, J::String(s)) => self.scalar(ty, s),
            (_, J::Number(_) | J::Bool(_)) => self.scalar(ty, &json.to_string()),
            (_, other) => Err(CliError::usage(format!(
                "{other} is not a {}",
                self.schema.type_name(ty)
            ))),
        }
    }
}

fn split_pair(item: &str) -> CliResult<(&str, &str)> {
    item.split_once('=')
        .ok_or_else(|| CliError::usage(format!("{item:?} is not key=value")))
}

fn parse_bool(w: &str) -> Option<bool> {
    match w.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// A scalar value as plain text (map keys).
fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(d) => d.to_wire(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Verbatim;

    impl ResolveRef for Verbatim {
        fn resolve(&self, class: &str, text: &str) -> CliResult<String> {
            Ok(format!("{class}:{text}"))
        }
    }

    fn parse(method: &str, words: &[&str]) -> CliResult<Vec<Value>> {
        let schema = Schema::xapi();
        let found = schema.find(method)?;
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        parse_args(&schema, &found, &words, &Verbatim)
    }

    #[test]
    fn scalars_refs_and_enums() {
        let v = parse("VM.set_VCPUs_max", &["x", "4"]).unwrap();
        assert_eq!(v, vec![Value::String("VM:x".into()), Value::Int(4)]);
        let v = parse("VM.set_actions_after_crash", &["x", "RESTART"]).unwrap();
        assert_eq!(v[1], Value::String("restart".into()));
        let err = parse("VM.set_VCPUs_max", &["x", "four"])
            .err()
            .unwrap()
            .to_string();
        assert_eq!(err, "argument value: \"four\" is not an int");
    }

    #[test]
    fn repeated_words_fill_the_only_collection() {
        let v = parse("VM.set_other_config", &["x", "a=1", "b=2"]).unwrap();
        let Value::Struct(map) = &v[1] else {
            panic!("{v:?}")
        };
        assert_eq!(map.len(), 2);
        assert_eq!(map["b"], Value::String("2".into()));
        let v = parse("VM.set_other_config", &["x"]).unwrap();
        assert_eq!(v[1], Value::Struct(Struct::new()));
    }

    #[test]
    fn count_errors_show_the_signature() {
        let err = parse("VM.clone", &["x"]).err().unwrap().to_string();
        assert!(err.contains("takes 2 arguments, got 1"), "{err}");
        assert!(
            err.contains("VM.clone(vm: VM ref, new_name: string) -> VM ref"),
            "{err}"
        );
    }
}

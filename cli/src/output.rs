//! Results for people (nested, keys aligned) and for scripts (JSON), with XML-RPC's
//! string-encoded numbers turned back into numbers by the model's types.

use xapi_sim::model::Ty;
use xenapi::{ApiFailure, Struct, Value};

use crate::schema::Schema;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nested and aligned, for people.
    Pretty,
    /// JSON, for scripts.
    Json,
}

impl Output {
    /// `value` written in this form, ending with a newline (empty for a void result
    /// printed for people).
    pub fn render(self, value: &Value) -> String {
        match self {
            Output::Json => {
                let mut s = serde_json::to_string_pretty(value)
                    .unwrap_or_else(|e| format!("\"cannot write JSON: {e}\""));
                s.push('\n');
                s
            }
            Output::Pretty => pretty(value),
        }
    }
}

/// `value` read with the model's type: numbers that XML-RPC sent as strings become numbers,
/// through sets, maps, records and event batches.
pub fn typed(schema: &Schema, ty: &Ty, value: Value) -> Value {
    match (ty, value) {
        (Ty::Int, Value::String(s)) => s.trim().parse().map_or(Value::String(s), Value::Int),
        (Ty::Float, Value::String(s)) => s.trim().parse().map_or(Value::String(s), Value::Float),
        (Ty::Float, Value::Int(i)) => Value::Float(i as f64),
        (Ty::Option(inner), v) => typed(schema, inner, v),
        (Ty::Set(elem), Value::Array(items)) => {
            Value::Array(items.into_iter().map(|v| typed(schema, elem, v)).collect())
        }
        (Ty::Map(_, elem), Value::Struct(map)) => Value::Struct(
            map.into_iter()
                .map(|(k, v)| (k, typed(schema, elem, v)))
                .collect(),
        ),
        (Ty::Record(class), Value::Struct(map)) => Value::Struct(record(schema, class, map)),
        (Ty::EventBatch, Value::Struct(mut batch)) => {
            if let Some(Value::Array(events)) = batch.get_mut("events") {
                for event in events.iter_mut() {
                    *event = typed_event(schema, std::mem::take(event));
                }
            }
            Value::Struct(batch)
        }
        (_, v) => v,
    }
}

/// An event record with its snapshot read as its class's record.
pub fn typed_event(schema: &Schema, event: Value) -> Value {
    let Value::Struct(mut e) = event else {
        return event;
    };
    let class = e.get("class").and_then(Value::as_str).map(str::to_string);
    if let (Some(class), Some(Value::Struct(snapshot))) = (class, e.get_mut("snapshot")) {
        if let Some(c) = schema.class(&class) {
            let name = c.name.clone();
            *snapshot = record(schema, &name, std::mem::take(snapshot));
        }
    }
    if let Some(id) = e.get_mut("id") {
        *id = typed(schema, &Ty::Int, std::mem::take(id));
    }
    Value::Struct(e)
}

fn record(schema: &Schema, class: &str, map: Struct) -> Struct {
    let Some(c) = schema.class(class) else {
        return map;
    };
    map.into_iter()
        .map(|(k, v)| {
            let v = match c.field(&k) {
                Some(i) => typed(schema, &c.fields[i].ty, v),
                None => v,
            };
            (k, v)
        })
        .collect()
}

/// A failure as the shell prints it: the code, then its parameters named by the model.
pub fn describe_failure(failure: &ApiFailure) -> String {
    let mut out = format!("API failure: {}\n", failure.code);
    let code = failure.code();
    let names = code.param_names();
    let label = |i: usize| {
        names
            .get(i)
            .map_or_else(|| format!("param {}", i + 1), |n| n.to_string())
    };
    let width = (0..failure.params.len())
        .map(|i| label(i).len())
        .max()
        .unwrap_or(0);
    for (i, value) in failure.params.iter().enumerate() {
        out.push_str(&format!("  {:<width$}: {value}\n", label(i)));
    }
    out
}

/// The people's form of a value.
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Nil => {}
        v if is_inline(v) => {
            out.push_str(&scalar(v));
            out.push('\n');
        }
        v => write_nested(&mut out, v, 0),
    }
    out
}

fn is_inline(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Struct(s) => s.is_empty(),
        _ => true,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(d) => d.to_string(),
        Value::Array(_) => "[]".into(),
        Value::Struct(_) => "{}".into(),
        Value::Nil => "nil".into(),
    }
}

/// Writes a non-empty array or struct, one line per item, at `indent` spaces.
fn write_nested(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Struct(members) => {
            let width = members.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            for (key, v) in members {
                if is_inline(v) {
                    out.push_str(&format!("{pad}{key:<width$}: {}\n", scalar(v)));
                } else {
                    out.push_str(&format!("{pad}{key:<width$}:\n"));
                    write_nested(out, v, indent + 2);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                if is_inline(v) {
                    out.push_str(&format!("{pad}- {}\n", scalar(v)));
                } else {
                    out.push_str(&format!("{pad}-\n"));
                    write_nested(out, v, indent + 2);
                }
            }
        }
        v => {
            out.push_str(&format!("{pad}{}\n", scalar(v)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_aligns_keys_and_nests() {
        let mut inner = Struct::new();
        inner.insert("a".into(), Value::String("1".into()));
        let mut s = Struct::new();
        s.insert("uuid".into(), Value::String("u".into()));
        s.insert("name_label".into(), Value::String(String::new()));
        s.insert("other".into(), Value::Struct(inner));
        s.insert("vbds".into(), Value::Array(vec!["r1".into(), "r2".into()]));
        s.insert("tags".into(), Value::Array(vec![]));
        assert_eq!(
            pretty(&Value::Struct(s)),
            "uuid      : u\nname_label: \"\"\nother     :\n  a: 1\nvbds      :\n  - r1\n  - r2\ntags      : []\n"
        );
    }

    #[test]
    fn typed_turns_xmlrpc_ints_into_numbers() {
        let schema = Schema::xapi();
        let v = typed(
            &schema,
            &Ty::Set(Box::new(Ty::Int)),
            Value::Array(vec!["42".into()]),
        );
        assert_eq!(v, Value::Array(vec![Value::Int(42)]));
    }
}

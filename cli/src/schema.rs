//! The data model the tool parses arguments against and completes names from: the
//! simulator's model loader, over the xapi model (or xend's API 1.0).

use std::sync::Arc;

use xapi_sim::model::{Class, Message, Ty};
use xapi_sim::Model;

use crate::error::{CliError, CliResult};

pub use xapi_sim::model::Dialect;

/// The model of one API, with the lookups the tool needs.
#[derive(Clone)]
pub struct Schema {
    /// The parsed model.
    pub model: Arc<Model>,
}

/// A message found by name.
pub struct Found<'a> {
    /// Its class.
    pub class: &'a Class,
    /// The message.
    pub message: &'a Message,
}

impl Found<'_> {
    /// `Class.message`, as sent on the wire.
    pub fn method(&self) -> String {
        format!("{}.{}", self.class.name, self.message.name)
    }

    /// `Class.message(name: type, ...) -> result`, for errors and help.
    pub fn signature(&self, schema: &Schema) -> String {
        let params: Vec<String> = self
            .message
            .params
            .iter()
            .map(|p| {
                let optional = if p.required { "" } else { "?" };
                format!("{}{optional}: {}", p.name, schema.type_name(&p.ty))
            })
            .collect();
        format!(
            "{}({}) -> {}",
            self.method(),
            params.join(", "),
            schema.type_name(&self.message.result)
        )
    }
}

impl Schema {
    /// The xapi model.
    pub fn xapi() -> Self {
        Schema {
            model: Arc::new(Model::xenapi()),
        }
    }

    /// xend's API 1.0.
    pub fn xend() -> Self {
        Schema {
            model: Arc::new(Model::xend()),
        }
    }

    /// The model of a dialect.
    pub fn of(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Xapi => Schema::xapi(),
            Dialect::Xend => Schema::xend(),
        }
    }

    /// Which server the model is for: xapi (`OpaqueRef:` refs, `event.from`) or xend (UUID
    /// refs, `event.register`/`event.next`).
    pub fn dialect(&self) -> Dialect {
        self.model.dialect
    }

    /// A class by name, exact or ignoring case.
    pub fn class(&self, name: &str) -> Option<&Class> {
        let i = self.model.class_ignore_case(name)?;
        Some(&self.model.classes[i])
    }

    /// Every `Class.message` the API has (removed messages excluded), sorted.
    pub fn method_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .model
            .classes
            .iter()
            .flat_map(|c| {
                c.messages
                    .values()
                    .filter(|m| !m.removed)
                    .map(move |m| format!("{}.{}", c.name, m.name))
            })
            .collect();
        names.sort_unstable();
        names
    }

    /// The class names, sorted.
    pub fn class_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.model.classes.iter().map(|c| c.name.clone()).collect();
        names.sort_unstable();
        names
    }

    /// The message `Class.message`; an unknown one is a usage error naming the closest names.
    pub fn find(&self, method: &str) -> CliResult<Found<'_>> {
        let found = method.split_once('.').and_then(|(class, message)| {
            let class = self.class(class)?;
            let message = class.messages.get(message)?;
            Some(Found { class, message })
        });
        match found {
            Some(f) if !f.message.removed => Ok(f),
            _ => Err(CliError::usage(self.unknown_method(method))),
        }
    }

    fn unknown_method(&self, method: &str) -> String {
        let close = closest(method, &self.method_names(), 3);
        if close.is_empty() {
            format!("unknown method {method:?}")
        } else {
            format!(
                "unknown method {method:?}; did you mean {}?",
                close.join(", ")
            )
        }
    }

    /// How a type is written in the model (`VM ref`, `(string -> string) map`, ...).
    pub fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::String => "string".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::DateTime => "datetime".into(),
            Ty::Enum(i) => format!("enum {}", self.model.enums[*i].name),
            Ty::Ref(c) => format!("{c} ref"),
            Ty::Record(c) => format!("{c} record"),
            Ty::AnyRecord => "<class> record".into(),
            Ty::Set(t) => format!("{} set", self.type_name(t)),
            Ty::Map(k, v) => format!("({} -> {}) map", self.type_name(k), self.type_name(v)),
            Ty::Option(t) => format!("{} option", self.type_name(t)),
            Ty::EventBatch => "event batch".into(),
            Ty::Void => "void".into(),
        }
    }
}

/// Up to `n` of `names` closest to `wanted` (case-insensitive edit distance), best first;
/// names too far away to be a typo are left out.
pub fn closest(wanted: &str, names: &[String], n: usize) -> Vec<String> {
    let wanted_lower = wanted.to_ascii_lowercase();
    let limit = (wanted.len() / 3).max(2);
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|name| (distance(&wanted_lower, &name.to_ascii_lowercase()), name))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, s)| s.clone()).collect()
}

/// The Levenshtein distance between two strings, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn closest_finds_typos_and_not_strangers() {
        let names = vec![
            "VM.get_all".to_string(),
            "VM.get_record".into(),
            "host.get_all".into(),
        ];
        assert_eq!(closest("VM.get_al", &names, 3)[0], "VM.get_all");
        assert!(closest("pool.frobnicate_everything", &names, 3).is_empty());
    }

    #[test]
    fn finds_messages_ignoring_class_case() {
        let schema = Schema::xapi();
        assert_eq!(schema.find("vm.get_all").unwrap().method(), "VM.get_all");
        let sig = schema.find("VM.set_name_label").unwrap().signature(&schema);
        assert_eq!(
            sig,
            "VM.set_name_label(self: VM ref, value: string) -> void"
        );
        let err = schema.find("VM.get_alll").err().unwrap().to_string();
        assert!(err.contains("VM.get_all"), "{err}");
    }
}

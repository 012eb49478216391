//! The shell's line helper: tab completion of commands, class and message names and enum
//! values, and a hint of the parameters still to give.

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use xapi_sim::model::Ty;

use crate::schema::Schema;

/// The shell's own commands, completed like class names.
const COMMANDS: [&str; 5] = ["help", "async", "json", "exit", "quit"];

/// Completes and hints from the model.
pub struct ShellHelper {
    schema: Schema,
    methods: Vec<String>,
    classes: Vec<String>,
}

impl ShellHelper {
    /// A helper over this model.
    pub fn new(schema: Schema) -> Self {
        ShellHelper {
            methods: schema.method_names(),
            classes: schema.class_names(),
            schema,
        }
    }

    /// Candidates for `word`, on a line whose earlier words are `before`.
    fn candidates(&self, before: &[&str], word: &str) -> Vec<String> {
        let method_position = matches!(before, [] | ["help" | "async"]);
        if method_position {
            return self.names(word, before.is_empty());
        }
        let (method, given) = match before {
            ["async", method, rest @ ..] => (*method, rest.len()),
            [method, rest @ ..] => (*method, rest.len()),
            [] => return Vec::new(),
        };
        let Ok(found) = self.schema.find(method) else {
            return Vec::new();
        };
        let Some(param) = found.message.params.get(given) else {
            return Vec::new();
        };
        let values: Vec<String> = match &param.ty {
            Ty::Enum(i) => self.schema.model.enums[*i].values.clone(),
            Ty::Bool => vec!["true".into(), "false".into()],
            _ => Vec::new(),
        };
        values.into_iter().filter(|v| v.starts_with(word)).collect()
    }

    /// Method names (`Class.` while no dot is typed) and, first on a line, the commands.
    fn names(&self, word: &str, with_commands: bool) -> Vec<String> {
        let lower = word.to_ascii_lowercase();
        if word.contains('.') {
            return self
                .methods
                .iter()
                .filter(|m| m.to_ascii_lowercase().starts_with(&lower))
                .cloned()
                .collect();
        }
        let mut out: Vec<String> = Vec::new();
        if with_commands {
            out.extend(
                COMMANDS
                    .iter()
                    .filter(|c| c.starts_with(&lower))
                    .map(|c| c.to_string()),
            );
        }
        out.extend(
            self.classes
                .iter()
                .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
                .map(|c| format!("{c}.")),
        );
        out
    }
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let head = &line[..pos];
        let start = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let before: Vec<&str> = head[..start].split_whitespace().collect();
        Ok((start, self.candidates(&before, &head[start..])))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    /// With the cursor at the end after a known method, the parameters still to give.
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() || !line.ends_with(' ') {
            return None;
        }
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"async") {
            words.remove(0);
        }
        let (method, given) = words.split_first()?;
        let found = self.schema.find(method).ok()?;
        let rest: Vec<String> = found
            .message
            .params
            .iter()
            .skip(given.len())
            .map(|p| format!("<{}: {}>", p.name, self.schema.type_name(&p.ty)))
            .collect();
        (!rest.is_empty()).then(|| rest.join(" "))
    }
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_classes_then_messages_then_enum_values() {
        let helper = ShellHelper::new(Schema::xapi());
        assert_eq!(helper.candidates(&[], "VM_metr"), ["VM_metrics."]);
        assert_eq!(
            helper.candidates(&[], "VM_metrics.get_rec"),
            ["VM_metrics.get_record"]
        );
        assert_eq!(helper.candidates(&[], "exi"), ["exit"]);
        assert_eq!(
            helper.candidates(&["help"], "vm_metrics.get_rec"),
            ["VM_metrics.get_record"]
        );
        let values = helper.candidates(&["VM.set_actions_after_crash", "x"], "re");
        assert_eq!(values, ["restart", "rename_restart"]);
    }
}

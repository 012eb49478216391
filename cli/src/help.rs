//! The shell's `help`: the commands, a class's messages, a message's parameters.

use xapi_sim::model::Ty;

use crate::error::{CliError, CliResult};
use crate::schema::Schema;

/// What `help` prints with no topic.
pub const GENERAL: &str = "\
Type a call as Class.message followed by its arguments (the session is implicit):
  VM.get_record my-vm            refs as OpaqueRef:…, uuid or unique name-label
  VM.set_other_config my-vm a=1  maps as key=value words, sets as repeated words
  VM.set_name_label my-vm \"a b\"  quote words with spaces
Tab completes class and message names; the hint shows the parameters still to give.
Commands:
  help                 this text
  help Class           the messages of a class
  help Class.message   a message's parameters and result
  async Class.message  run the message's Async form and wait for its task
  json on|off          print results as JSON or for people
  exit                 leave (also quit, Ctrl-D)
";

/// The help on `topic`: a class or a `Class.message`.
pub fn topic(schema: &Schema, topic: &str) -> CliResult<String> {
    if topic.contains('.') {
        return message(schema, topic);
    }
    let class = schema.class(topic).ok_or_else(|| {
        let close = crate::schema::closest(topic, &schema.class_names(), 3);
        CliError::usage(if close.is_empty() {
            format!("unknown class {topic:?}")
        } else {
            format!(
                "unknown class {topic:?}; did you mean {}?",
                close.join(", ")
            )
        })
    })?;
    let mut names: Vec<&str> = class
        .messages
        .values()
        .filter(|m| !m.removed)
        .map(|m| m.name.as_str())
        .collect();
    names.sort_unstable();
    Ok(format!(
        "{} messages of {}:\n  {}\n",
        names.len(),
        class.name,
        names.join("\n  ")
    ))
}

fn message(schema: &Schema, method: &str) -> CliResult<String> {
    let found = schema.find(method)?;
    let mut out = format!("{}\n", found.signature(schema));
    for p in &found.message.params {
        let optional = if p.required { "" } else { " (optional)" };
        out.push_str(&format!(
            "  {}: {}{optional}",
            p.name,
            schema.type_name(&p.ty)
        ));
        if let Ty::Enum(i) = &p.ty {
            out.push_str(&format!(" [{}]", schema.model.enums[*i].values.join(", ")));
        }
        out.push('\n');
    }
    if found.message.is_async {
        out.push_str("Has an Async form (async ");
        out.push_str(&found.method());
        out.push_str(" …).\n");
    }
    Ok(out)
}

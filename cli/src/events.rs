//! `xenapi events`: follows `event.from`, one line per event (or one JSON object per event).

use std::collections::HashMap;

use xenapi::{Struct, Value};

use crate::cli::{ConnectOpts, EventsArgs};
use crate::connect::Connection;
use crate::error::{CliError, CliResult};
use crate::output::typed_event;
use crate::schema::Schema;

/// How long each `event.from` waits on the server, in seconds.
const POLL_SECONDS: f64 = 30.0;

/// Follows events until Ctrl-C (which logs out and exits with 0) or an error.
pub fn run(opts: &ConnectOpts, args: &EventsArgs) -> CliResult<()> {
    let conn = Connection::open(opts)?;
    let classes = event_classes(&conn.schema, &args.classes)?;
    let session = conn.session.clone();
    ctrlc::set_handler(move || {
        // Ends the session so the server drops what it keeps for it, then leaves.
        let _ = session.call("session.logout", &[]);
        std::process::exit(crate::error::EXIT_OK);
    })
    .map_err(|e| CliError::Other(format!("cannot catch Ctrl-C: {e}")))?;
    let mut monitor = Monitor {
        schema: &conn.schema,
        json: args.json,
        known: HashMap::new(),
    };
    let mut token = String::new();
    let mut first = true;
    loop {
        let batch = conn.session.call(
            "event.from",
            &[
                Value::Array(classes.iter().map(|c| c.as_str().into()).collect()),
                token.as_str().into(),
                Value::Float(POLL_SECONDS),
            ],
        )?;
        token = batch
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| CliError::Other("event.from answered without a token".into()))?
            .to_string();
        let events = batch
            .get("events")
            .and_then(Value::as_array)
            .unwrap_or_default();
        for event in events {
            monitor.event(event.clone(), !first);
        }
        if first {
            // The first batch is the current state of every object: remembered, not printed.
            eprintln!("watching events of {} (Ctrl-C to stop)", classes.join(", "));
            first = false;
        }
    }
}

/// The class names `event.from` is given: each checked against the model, `*` for all.
fn event_classes(schema: &Schema, given: &[String]) -> CliResult<Vec<String>> {
    if given.is_empty() {
        return Ok(vec!["*".into()]);
    }
    given
        .iter()
        .map(|name| match schema.class(name) {
            Some(c) => Ok(c.name.clone()),
            None => {
                let close = crate::schema::closest(name, &schema.class_names(), 3);
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", close.join(", "))
                };
                Err(CliError::usage(format!("unknown class {name:?}{hint}")))
            }
        })
        .collect()
}

/// Prints events, remembering each object's last snapshot to name the fields that changed.
struct Monitor<'a> {
    schema: &'a Schema,
    json: bool,
    known: HashMap<String, Struct>,
}

impl Monitor<'_> {
    fn event(&mut self, event: Value, print: bool) {
        let event = typed_event(self.schema, event);
        let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or_default();
        let (r, operation) = (field("ref").to_string(), field("operation").to_string());
        let snapshot = event.get("snapshot").and_then(Value::as_struct).cloned();
        let changed = match (&snapshot, self.known.get(&r)) {
            (Some(new), Some(old)) => Some(changed_fields(old, new)),
            _ => None,
        };
        if print {
            if self.json {
                println!("{}", serde_json::to_string(&event).unwrap_or_default());
            } else {
                println!(
                    "{}",
                    self.line(&event, snapshot.as_ref(), changed.as_deref())
                );
            }
        }
        match (operation.as_str(), snapshot) {
            ("del", _) => {
                self.known.remove(&r);
            }
            (_, Some(s)) => {
                self.known.insert(r, s);
            }
            _ => {}
        }
    }

    /// `time class operation name changed-fields`.
    fn line(&self, event: &Value, snapshot: Option<&Struct>, changed: Option<&[String]>) -> String {
        let time = match event.get("timestamp") {
            Some(Value::DateTime(d)) => d.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.as_f64().map(|f| f.to_string()).unwrap_or_default(),
            None => String::new(),
        };
        let class = event.get("class").and_then(Value::as_str).unwrap_or("?");
        let class = self.schema.class(class).map_or(class, |c| c.name.as_str());
        let operation = event
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let name = snapshot
            .and_then(|s| {
                ["name_label", "uuid"]
                    .iter()
                    .filter_map(|k| s.get(*k).and_then(Value::as_str))
                    .find(|v| !v.is_empty())
            })
            .or_else(|| event.get("ref").and_then(Value::as_str))
            .unwrap_or("?");
        let mut line = format!("{time} {class} {operation} {name}");
        if let Some(fields) = changed.filter(|f| !f.is_empty()) {
            line.push(' ');
            line.push_str(&fields.join(","));
        }
        line
    }
}

/// The names of the fields whose values differ between two snapshots.
fn changed_fields(old: &Struct, new: &Struct) -> Vec<String> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

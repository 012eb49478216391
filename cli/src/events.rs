//! `xenapi events`: follows `event.from`, one line per event (or one JSON object per event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use xenapi::{Session, Struct, Value};

use crate::cli::{ConnectOpts, EventsArgs};
use crate::connect::{Connection, Relogin};
use crate::error::{CliError, CliResult};
use crate::output::typed_event;
use crate::schema::{Dialect, Schema};

/// How long each `event.from` waits on the server, in seconds.
const POLL_SECONDS: f64 = 30.0;

/// Follows events until Ctrl-C (which unregisters, logs out and exits with 0) or an error.
pub fn run(opts: &ConnectOpts, args: &EventsArgs) -> CliResult<()> {
    let conn = Connection::open_with(opts, Relogin::ByCaller)?;
    let classes = event_classes(&conn.schema, &args.classes)?;
    let dialect = conn.schema.dialect();
    let live = Arc::new(Live {
        current: Mutex::new(Some(conn.session.clone())),
    });
    let for_handler = live.clone();
    let registered = class_values(&classes);
    ctrlc::set_handler(move || {
        // Leaves nothing behind on the server: the registration (xend) and the session.
        if let Some(session) = for_handler.lock().take() {
            if dialect == Dialect::Xend {
                let _ = session.call("event.unregister", std::slice::from_ref(&registered));
            }
            let _ = session.call("session.logout", &[]);
        }
        std::process::exit(crate::error::EXIT_OK);
    })
    .map_err(|e| CliError::Other(format!("cannot catch Ctrl-C: {e}")))?;
    let mut monitor = Monitor {
        schema: &conn.schema,
        json: args.json,
        known: HashMap::new(),
    };
    let follow = Follow {
        conn: &conn,
        live: &live,
        classes: &classes,
    };
    match dialect {
        Dialect::Xapi => follow.from(&mut monitor),
        Dialect::Xend => follow.next(&monitor),
    }
}

/// The session events are followed with, shared with the Ctrl-C handler, which takes it
/// (leaving `None`) to log it out: no call may log in again after that.
struct Live {
    current: Mutex<Option<Arc<Session>>>,
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<Session>>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current session; once Ctrl-C took it, waits for the handler to end the process.
    fn session(&self) -> Arc<Session> {
        self.lock().clone().unwrap_or_else(|| stopping())
    }

    /// Calls with the current session; on `SESSION_INVALID` logs in again and retries once.
    /// The new login happens under the lock, so Ctrl-C logs out whichever session exists.
    fn call(&self, conn: &Connection, method: &str, params: &[Value]) -> CliResult<Value> {
        let session = self.session();
        match session.call(method, params) {
            Err(xenapi::Error::Api(f)) if f.code == "SESSION_INVALID" => {
                let fresh = {
                    let mut current = self.lock();
                    if current.is_none() {
                        stopping();
                    }
                    let fresh = Arc::new(conn.login_again()?);
                    *current = Some(fresh.clone());
                    fresh
                };
                Ok(fresh.call(method, params)?)
            }
            other => Ok(other?),
        }
    }
}

/// Ctrl-C's handler is ending the process: nothing more to do.
fn stopping() -> ! {
    loop {
        std::thread::park();
    }
}

fn class_values(classes: &[String]) -> Value {
    Value::Array(classes.iter().map(|c| c.as_str().into()).collect())
}

fn watching(classes: &[String]) {
    eprintln!("watching events of {} (Ctrl-C to stop)", classes.join(", "));
}

/// What is followed, and through which session.
struct Follow<'a> {
    conn: &'a Connection,
    live: &'a Live,
    classes: &'a [String],
}

impl Follow<'_> {
    /// xapi: `event.from` with the token of the previous batch. The first batch is the
    /// current state of every object: remembered (to name changed fields later), not printed.
    fn from(&self, monitor: &mut Monitor<'_>) -> CliResult<()> {
        let mut token = String::new();
        let mut first = true;
        loop {
            let params = [
                class_values(self.classes),
                token.as_str().into(),
                Value::Float(POLL_SECONDS),
            ];
            let batch = self.live.call(self.conn, "event.from", &params)?;
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
                watching(self.classes);
                first = false;
            }
        }
    }

    /// xend: `event.register`, then `event.next` (which blocks until there are events). After
    /// a new login the new session registers again.
    fn next(&self, monitor: &Monitor<'_>) -> CliResult<()> {
        let register = || {
            self.live
                .call(self.conn, "event.register", &[class_values(self.classes)])
        };
        register()?;
        watching(self.classes);
        loop {
            match self.live.call(self.conn, "event.next", &[]) {
                Ok(events) => {
                    for event in events.as_array().unwrap_or_default() {
                        println!("{}", monitor.xend_line(self, event));
                    }
                }
                Err(CliError::Api(f)) if f.code == "SESSION_NOT_REGISTERED" => {
                    register()?;
                }
                Err(e) => return Err(e),
            }
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

/// Prints events; for xapi remembers each object's last snapshot to name the fields that
/// changed.
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

    /// xend's event as a line: xend names the changed field itself but sends no snapshot,
    /// so the name is asked for (the uuid is shown when there is none).
    fn xend_line(&self, follow: &Follow<'_>, event: &Value) -> String {
        if self.json {
            return serde_json::to_string(&typed_event(self.schema, event.clone()))
                .unwrap_or_default();
        }
        let text = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or_default();
        let class = self
            .schema
            .class(text("class"))
            .map_or(text("class"), |c| c.name.as_str());
        let has_names = self
            .schema
            .class(class)
            .is_some_and(|c| c.messages.contains_key("get_name_label"));
        let name = if has_names && text("operation") != "del" {
            let method = format!("{class}.get_name_label");
            follow
                .live
                .call(follow.conn, &method, &[text("ref").into()])
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|n| !n.is_empty())
        } else {
            None
        };
        let mut line = format!(
            "{} {class} {} {}",
            timestamp(event),
            text("operation"),
            name.as_deref().unwrap_or(text("obj_uuid"))
        );
        if !text("field").is_empty() {
            line.push(' ');
            line.push_str(text("field"));
        }
        line
    }

    /// `time class operation name changed-fields`.
    fn line(&self, event: &Value, snapshot: Option<&Struct>, changed: Option<&[String]>) -> String {
        let time = timestamp(event);
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

/// An event's time as the server gave it.
fn timestamp(event: &Value) -> String {
    match event.get("timestamp") {
        Some(Value::DateTime(d)) => d.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        None => String::new(),
    }
}

/// The names of the fields whose values differ between two snapshots.
fn changed_fields(old: &Struct, new: &Struct) -> Vec<String> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

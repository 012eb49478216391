//! Running one call: parse the words, send the call (or its `Async.` form and wait for the
//! task with a progress bar), read the result by the model's type.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xapi_sim::model::Ty;
use xenapi::typed::decode_task_result;
use xenapi::{ApiFailure, Value};

use crate::cli::{CallArgs, ConnectOpts};
use crate::connect::Connection;
use crate::error::{CliError, CliResult};
use crate::output::{typed, Output};
use crate::parse::parse_args;
use crate::resolve::ServerRefs;
use crate::schema::Dialect;

/// How to run a call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// Through the message's `Async.` form, waiting for the task.
    pub run_async: bool,
    /// Whether to draw a progress bar while waiting (only ever on a terminal).
    pub progress: bool,
}

/// `xenapi call`: one call, its result printed.
pub fn run(opts: &ConnectOpts, args: &CallArgs) -> CliResult<()> {
    let output = if args.json {
        Output::Json
    } else {
        Output::Pretty
    };
    let mode = Mode {
        run_async: args.run_async,
        progress: !args.no_progress,
    };
    let conn = Connection::open(opts)?;
    let result = execute(&conn, &args.method, &args.args, mode);
    let printed = result.map(|value| print!("{}", output.render(&value)));
    conn.close();
    printed
}

/// Calls `method` with `words` as its arguments and returns the result, read by the model.
pub fn execute(conn: &Connection, method: &str, words: &[String], mode: Mode) -> CliResult<Value> {
    let schema = &conn.schema;
    let found = schema.find(method)?;
    let refs = ServerRefs {
        session: &conn.session,
        schema,
    };
    let params = parse_args(schema, &found, words, &refs)?;
    let method = found.method();
    let value = if mode.run_async {
        if !found.message.is_async {
            return Err(CliError::usage(format!(
                "{method} has no Async form; call it without --async"
            )));
        }
        let task = conn.session.call(&format!("Async.{method}"), &params)?;
        let task = task.as_str().unwrap_or_default().to_string();
        wait(conn, &method, task, mode.progress)?
    } else if found.message.session {
        conn.session.call(&method, &params)?
    } else {
        conn.session.client().call(&method, &params)?
    };
    Ok(match found.message.result {
        // xapi answers "" for nothing; there is nothing to print.
        Ty::Void => Value::Nil,
        ref ty => typed(schema, ty, value),
    })
}

/// Waits for a task, drawing its progress, and returns its decoded result or its failure;
/// the finished task is destroyed.
fn wait(conn: &Connection, method: &str, task: String, progress: bool) -> CliResult<Value> {
    let bar = if progress && std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos:>3}%") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(method.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    let outcome = poll(conn, &task, &bar);
    bar.finish_and_clear();
    let _ = conn.session.call("task.destroy", &[task.into()]);
    outcome
}

/// Polls the task until it ends, backing off from 50 ms to 250 ms between polls.
fn poll(conn: &Connection, task: &str, bar: &ProgressBar) -> CliResult<Value> {
    let dialect = conn.schema.dialect();
    // xapi's progress is a fraction, xend's a percentage.
    let percent = match dialect {
        Dialect::Xapi => 100.0,
        Dialect::Xend => 1.0,
    };
    let mut delay = Duration::from_millis(50);
    loop {
        let record = conn.session.call("task.get_record", &[task.into()])?;
        let text = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or_default();
        if let Some(p) = record.get("progress").and_then(Value::as_f64) {
            bar.set_position((p * percent).round().clamp(0.0, 100.0) as u64);
        }
        match text("status") {
            "success" => {
                return match dialect {
                    // xapi keeps the result XML-RPC-encoded, xend as plain text.
                    Dialect::Xapi => Ok(decode_task_result::<Value>(text("result"))?),
                    Dialect::Xend => Ok(Value::String(text("result").to_string())),
                };
            }
            "failure" | "cancelled" => {
                let info: Vec<String> = record
                    .get("error_info")
                    .and_then(Value::as_array)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let failure = if info.is_empty() {
                    ApiFailure {
                        code: "TASK_CANCELLED".into(),
                        params: vec![task.to_string()],
                    }
                } else {
                    ApiFailure::from_description(info)
                };
                return Err(CliError::Api(failure));
            }
            _ => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(250));
            }
        }
    }
}

//! Running one call: parse the words, send the call (or its `Async.` form and wait for the
//! task with a progress bar), read the result by the model's type.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xapi_sim::model::Ty;
use xenapi::api::TaskRef;
use xenapi::typed::{TaskHandle, WaitOptions};
use xenapi::Value;

use crate::cli::{CallArgs, ConnectOpts};
use crate::connect::Connection;
use crate::error::CliResult;
use crate::output::{typed, Output};
use crate::parse::parse_args;
use crate::resolve::ServerRefs;

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
            return Err(crate::error::CliError::usage(format!(
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

/// Waits for a task, drawing its progress, and returns its decoded result; the task is
/// destroyed once finished.
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
    let handle = TaskHandle::<Value>::new(TaskRef::from(task));
    let options = WaitOptions {
        timeout: None,
        first_poll: Duration::from_millis(50),
        max_poll: Duration::from_millis(250),
    };
    let outcome = handle.wait_with_progress(&conn.session, &options, |p| {
        bar.set_position((p * 100.0).round() as u64);
    });
    bar.finish_and_clear();
    let _ = handle.destroy(&conn.session);
    Ok(outcome?)
}

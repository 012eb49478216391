//! `xenapi shell`: a prompt with line editing, persistent history, completion and help.

use std::path::PathBuf;

use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use crate::call::{execute, Mode};
use crate::cli::{ConnectOpts, ShellArgs};
use crate::complete::ShellHelper;
use crate::connect::Connection;
use crate::error::{CliError, CliResult};
use crate::output::{describe_failure, Output};
use crate::{help, words};

/// Runs the prompt until `exit`, `quit` or Ctrl-D.
pub fn run(opts: &ConnectOpts, args: &ShellArgs) -> CliResult<()> {
    let conn = Connection::open(opts)?;
    let config = Config::builder()
        .auto_add_history(true)
        .max_history_size(1000)
        .map_err(|e| CliError::Other(format!("history size: {e}")))?
        .history_ignore_dups(true)
        .map_err(|e| CliError::Other(format!("history: {e}")))?
        .build();
    let mut editor: Editor<ShellHelper, FileHistory> = Editor::with_config(config)
        .map_err(|e| CliError::Other(format!("cannot start the line editor: {e}")))?;
    editor.set_helper(Some(ShellHelper::new(conn.schema.clone())));
    let history = args.history.clone().or_else(default_history);
    if let Some(path) = &history {
        // A missing file is the first run; an unreadable one only costs the old entries.
        let _ = editor.load_history(path);
    }
    let mut shell = Shell {
        conn: &conn,
        output: if args.json {
            Output::Json
        } else {
            Output::Pretty
        },
    };
    println!("Connected. Type help for help, Tab to complete, exit to leave.");
    loop {
        match editor.readline("xenapi> ") {
            Ok(line) => {
                let keep_going = shell.line(&line);
                if let Some(path) = &history {
                    if let Err(e) = editor.save_history(path) {
                        eprintln!("cannot save the history to {}: {e}", path.display());
                    }
                }
                if !keep_going {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                conn.close();
                return Err(CliError::Other(format!("cannot read a line: {e}")));
            }
        }
    }
    conn.close();
    Ok(())
}

/// `~/.xenapi_history`.
fn default_history() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".xenapi_history"))
}

struct Shell<'a> {
    conn: &'a Connection,
    output: Output,
}

impl Shell<'_> {
    /// Runs what was entered (several lines when pasted); `false` when the shell should end.
    fn line(&mut self, entered: &str) -> bool {
        entered.lines().all(|line| self.one_line(line))
    }

    /// Runs one line; `false` when the shell should end.
    fn one_line(&mut self, line: &str) -> bool {
        match self.command(line) {
            Ok(keep_going) => keep_going,
            Err(CliError::Api(failure)) => {
                print!("{}", describe_failure(&failure));
                true
            }
            Err(e) => {
                println!("error: {e}");
                true
            }
        }
    }

    fn command(&mut self, line: &str) -> CliResult<bool> {
        let words = words::split(line)?;
        let Some((first, rest)) = words.split_first() else {
            return Ok(true);
        };
        match (first.as_str(), rest) {
            ("exit" | "quit", []) => return Ok(false),
            ("help", []) => print!("{}", help::GENERAL),
            ("help", [topic]) => print!("{}", help::topic(&self.conn.schema, topic)?),
            ("json", [on]) => {
                self.output = match on.as_str() {
                    "on" => Output::Json,
                    "off" => Output::Pretty,
                    _ => return Err(CliError::usage("json on or json off")),
                }
            }
            ("async", [method, args @ ..]) => self.call(method, args, true)?,
            (cmd @ ("exit" | "quit" | "help" | "json" | "async"), _) => {
                return Err(CliError::usage(format!(
                    "{cmd}: wrong arguments (see help)"
                )))
            }
            (method, args) => self.call(method, args, false)?,
        }
        Ok(true)
    }

    fn call(&self, method: &str, args: &[String], run_async: bool) -> CliResult<()> {
        let mode = Mode {
            run_async,
            progress: true,
        };
        let value = execute(self.conn, method, args, mode)?;
        print!("{}", self.output.render(&value));
        Ok(())
    }
}

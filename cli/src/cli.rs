//! The command line: connection options, shared by every command, and the commands.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A command-line client for XenAPI servers (xapi and xend): call any message, explore in a
/// shell, follow events.
#[derive(Debug, Parser)]
#[command(name = "xenapi", version, max_term_width = 100)]
pub struct Cli {
    /// Where and how to connect.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call one message: `xenapi call VM.get_record my-vm`.
    Call(CallArgs),
    /// An interactive prompt with history, completion and help.
    Shell(ShellArgs),
    /// Follow events, one line per change.
    Events(EventsArgs),
}

/// The wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// XML-RPC (every server speaks it).
    Xml,
    /// JSON-RPC (xapi only).
    Json,
}

/// Which simulator `--sim` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimKind {
    /// xapi's current API.
    Xapi,
    /// xend's API 1.0 (refs are UUIDs; XML-RPC only).
    Xend,
}

/// Where and how to connect.
#[derive(Debug, Args)]
pub struct ConnectOpts {
    /// The server: https://host, http://host:port or unix:/path.
    #[arg(long, env = "XENAPI_URL", global = true)]
    pub url: Option<String>,
    /// The user to log in as.
    #[arg(long, env = "XENAPI_USER", global = true, default_value = "root")]
    pub user: String,
    /// The password (prompted for when not given and a terminal is at hand).
    #[arg(long, env = "XENAPI_PASSWORD", global = true, hide_env_values = true)]
    pub password: Option<String>,
    /// The wire format.
    #[arg(long, value_enum, global = true, default_value = "xml")]
    pub format: Format,
    /// Accept only the server certificate with this SHA-256 fingerprint (AA:BB:… or hex).
    #[arg(long, env = "XENAPI_FINGERPRINT", global = true, value_name = "SHA256",
          conflicts_with_all = ["ca", "insecure"])]
    pub pin: Option<String>,
    /// Trust the certificates of this PEM file (a CA or the server's own).
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "insecure")]
    pub ca: Option<PathBuf>,
    /// Accept any server certificate: no protection against a man in the middle.
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Start the embedded simulator and connect to it (no host needed): `--sim` (xapi) or
    /// `--sim xend`.
    #[arg(long, value_enum, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "xapi", value_name = "API")]
    pub sim: Option<SimKind>,
}

/// `xenapi call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run the message's Async form and show the task's progress.
    #[arg(long = "async")]
    pub run_async: bool,
    /// With --async: no progress bar (for scripts; implied when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// The message, as Class.message.
    pub method: String,
    /// Its arguments (the session is implicit): refs as OpaqueRef, uuid or name-label; maps
    /// as key=value words; sets as repeated words. Put `--` before an argument that starts
    /// with `-` (negative numbers need none).
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,
}

/// `xenapi shell`.
#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
    /// The history file (default: ~/.xenapi_history).
    #[arg(long, env = "XENAPI_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// `xenapi events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Print each event's full record as JSON (one object per line).
    #[arg(long)]
    pub json: bool,
    /// The classes to follow (default: all).
    pub classes: Vec<String>,
}

/// The arguments with `--sim API` joined into `--sim=API`, so that a bare `--sim` never takes
/// the next word (a method name or class) as its value.
pub fn join_sim_value(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let is_api = |next: &OsString| {
            SimKind::value_variants().iter().any(|k| {
                k.to_possible_value()
                    .is_some_and(|v| v.matches(&next.to_string_lossy(), false))
            })
        };
        if arg == "--sim" && args.peek().is_some_and(is_api) {
            let api = args.next().unwrap_or_default();
            let mut joined = OsString::from("--sim=");
            joined.push(api);
            out.push(joined);
        } else {
            out.push(arg);
        }
    }
    out
}

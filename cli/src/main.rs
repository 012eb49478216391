//! `xenapi`: a command-line tool for XenAPI servers, built on the `xenapi` crate's public API.

mod call;
mod cli;
mod complete;
mod connect;
mod error;
mod events;
mod help;
mod output;
mod parse;
mod resolve;
mod schema;
mod shell;
mod words;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let cli = match Cli::try_parse_from(cli::join_sim_value(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let outcome = match &cli.command {
        Command::Call(args) => call::run(&cli.connect, args),
        Command::Shell(args) => shell::run(&cli.connect, args),
        Command::Events(args) => events::run(&cli.connect, args),
    };
    match outcome {
        Ok(()) => error::EXIT_OK,
        Err(e) => {
            eprintln!("xenapi: {e}");
            e.exit_code()
        }
    }
}

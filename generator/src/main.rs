//! `xenapi-gen`: regenerates the generated parts of the workspace from `model/`.
//!
//! ```text
//! xenapi-gen [--root DIR]              rewrite every generated file, delete stale ones
//! xenapi-gen check [--root DIR]        report differences, exit 1 if any
//! xenapi-gen import UPSTREAM [--root DIR]  rebuild model/ from an upstream data-model folder
//! xenapi-gen import-xend UPSTREAM [--root DIR]  rebuild model/xend/ from libxen 4.4's model
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use xenapi_gen::model::Model;
use xenapi_gen::output;

enum Command {
    Generate,
    Check,
    Import(PathBuf),
    ImportXend(PathBuf),
}

fn parse_args() -> Result<(Command, PathBuf), String> {
    let mut command = Command::Generate;
    let mut root = output::default_root();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--root") => root = args.next().ok_or("--root needs a directory")?.into(),
            Some("check") => command = Command::Check,
            Some("import") => {
                command = Command::Import(args.next().ok_or("import needs a directory")?.into())
            }
            Some("import-xend") => {
                command =
                    Command::ImportXend(args.next().ok_or("import-xend needs a directory")?.into())
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok((command, root))
}

fn run() -> Result<bool, String> {
    let (command, root) = parse_args()?;
    let model_dir = root.join("model");
    match command {
        Command::Import(upstream) => {
            let written =
                xenapi_gen::import::import(&upstream, &model_dir).map_err(|e| e.to_string())?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(true)
        }
        Command::ImportXend(upstream) => {
            let written = xenapi_gen::import_xend::import(&upstream, &model_dir.join("xend"))
                .map_err(|e| e.to_string())?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(true)
        }
        Command::Generate | Command::Check => {
            let model = Model::load(&model_dir).map_err(|e| e.to_string())?;
            let files = output::render_all(&model).map_err(|e| e.to_string())?;
            let check = matches!(command, Command::Check);
            let differences = if check {
                output::compare(&root, &files)
            } else {
                output::write(&root, &files)
            }
            .map_err(|e| format!("{}: {e}", root.display()))?;
            for d in &differences {
                println!("{d}");
            }
            Ok(!check || differences.is_empty())
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xenapi-gen: {e}");
            ExitCode::from(2)
        }
    }
}

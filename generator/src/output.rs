//! Rendering every generated file to memory, and reconciling the tree with it.
//!
//! Each [`Emitter`] owns whole directories: after a run, a file in an owned directory is exactly
//! what some emitter rendered, and anything else there is stale and gets deleted.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::model::Model;

/// A rendered output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root, e.g. `src/api/vm.rs`.
    pub path: PathBuf,
    /// Full contents.
    pub contents: String,
}

/// A rendering failure: the model holds something an emitter cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{emitter}: {message}")]
pub struct RenderError {
    /// Which emitter failed.
    pub emitter: &'static str,
    /// What it could not render.
    pub message: String,
}

/// One kind of output: the directories it owns and how to render them.
pub struct Emitter {
    /// Short name, for messages.
    pub name: &'static str,
    /// Directories (relative to the workspace root) whose every file this emitter writes.
    pub owns: &'static [&'static str],
    /// Renders this emitter's files; every path must lie in one of `owns`.
    pub render: fn(&Model) -> Result<Vec<GeneratedFile>, RenderError>,
}

/// Every emitter the generator runs, in order.
pub const EMITTERS: &[Emitter] = &[
    crate::rust::EMITTER,
    crate::c::HEADERS,
    crate::c::ABI,
    crate::c::LIBXEN_HEADERS,
    crate::c::LIBXEN_ABI,
];

/// Renders every emitter's files.
pub fn render_all(model: &Model) -> Result<Vec<GeneratedFile>, RenderError> {
    let mut out = Vec::new();
    for emitter in EMITTERS {
        let files = (emitter.render)(model)?;
        if let Some(f) = files
            .iter()
            .find(|f| !emitter.owns.iter().any(|d| f.path.starts_with(d)))
        {
            return Err(RenderError {
                emitter: emitter.name,
                message: format!("{} is outside its directories", f.path.display()),
            });
        }
        out.extend(files);
    }
    Ok(out)
}

/// How the tree differs from the rendered files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Rendered but not on disk.
    Missing(PathBuf),
    /// On disk with other contents.
    Changed(PathBuf),
    /// On disk in an owned directory, but not rendered.
    Stale(PathBuf),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Missing(p) => write!(f, "missing: {}", p.display()),
            Difference::Changed(p) => write!(f, "out of date: {}", p.display()),
            Difference::Stale(p) => write!(f, "stale (no longer generated): {}", p.display()),
        }
    }
}

/// Compares `files` with the tree under `root`.
pub fn compare(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Difference>> {
    let mut out = Vec::new();
    for f in files {
        match std::fs::read(root.join(&f.path)) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(_) => out.push(Difference::Changed(f.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                out.push(Difference::Missing(f.path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    let rendered: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    for path in owned_files(root)? {
        if !rendered.contains(path.as_path()) {
            out.push(Difference::Stale(path));
        }
    }
    Ok(out)
}

/// Makes the tree under `root` match `files`: writes what differs, deletes stale files.
/// Returns what it changed.
pub fn write(root: &Path, files: &[GeneratedFile]) -> io::Result<Vec<Difference>> {
    let differences = compare(root, files)?;
    for d in &differences {
        match d {
            Difference::Missing(p) | Difference::Changed(p) => {
                let path = root.join(p);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let f = files.iter().find(|f| &f.path == p).expect("rendered file");
                std::fs::write(path, &f.contents)?;
            }
            Difference::Stale(p) => std::fs::remove_file(root.join(p))?,
        }
    }
    Ok(differences)
}

/// Every file currently under an owned directory, relative to `root`.
fn owned_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in EMITTERS.iter().flat_map(|e| e.owns) {
        collect(root, Path::new(dir), &mut out)?;
    }
    Ok(out)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = dir.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The workspace root this generator was built in (the parent of the generator crate).
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the generator crate lives inside the workspace")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_and_write_reconcile_the_tree() {
        let root = std::env::temp_dir().join(format!("xenapi-gen-output-{}", std::process::id()));
        let stray = Path::new("src/api/stray.rs");
        std::fs::create_dir_all(root.join("src/api")).unwrap();
        std::fs::write(root.join(stray), "old").unwrap();
        let files = vec![GeneratedFile {
            path: "src/api/mod.rs".into(),
            contents: "new".into(),
        }];
        let diff = compare(&root, &files).unwrap();
        assert_eq!(
            diff,
            [
                Difference::Missing("src/api/mod.rs".into()),
                Difference::Stale(stray.into())
            ]
        );
        write(&root, &files).unwrap();
        assert_eq!(compare(&root, &files).unwrap(), []);
        assert!(!root.join(stray).exists());
        std::fs::write(root.join("src/api/mod.rs"), "edited").unwrap();
        assert_eq!(
            compare(&root, &files).unwrap(),
            [Difference::Changed("src/api/mod.rs".into())]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}

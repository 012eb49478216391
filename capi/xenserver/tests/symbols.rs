//! The library exports what programs built against libxenserver 2.14 and libvirt's xenapi
//! driver need.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

fn abi_file(name: &str) -> String {
    std::fs::read_to_string(support::root().join("capi/xenserver/abi").join(name)).unwrap()
}

/// `nm -D --defined-only` of the built library.
fn exported() -> BTreeSet<String> {
    let so = support::lib_dir().join("libxenserver.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("nm runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

/// Linker-made symbols every shared object has.
const LINKER: &[&str] = &["_init", "_fini", "__bss_start", "_edata", "_end"];

#[test]
fn every_published_214_symbol_is_exported_or_reviewed() {
    let ours = exported();
    let not_provided: BTreeSet<String> = abi_file("not-provided.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next().map(str::to_owned))
        .collect();
    let published = abi_file("libxenserver-2.14.symbols.txt");
    let public: Vec<&str> = published
        .lines()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.ends_with('_') && !LINKER.contains(s))
        .collect();
    assert!(public.len() > 3000, "the published list is complete");
    let missing: Vec<&str> = public
        .iter()
        .copied()
        .filter(|s| !ours.contains(*s) && !not_provided.contains(*s))
        .collect();
    assert!(
        missing.is_empty(),
        "{} symbols missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
    let needlessly_reviewed: Vec<&String> =
        not_provided.iter().filter(|s| ours.contains(*s)).collect();
    assert!(
        needlessly_reviewed.is_empty(),
        "exported after all: {needlessly_reviewed:?}"
    );
    // The never-defined declarations of the original are defined here.
    assert!(ours.contains("xen_session_record_alloc"));
}

#[test]
fn everything_libvirt_uses_exists() {
    let ours = exported();
    let headers: String = std::fs::read_dir(support::root().join("include/xen/api"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let words: BTreeSet<&str> = headers
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let published = abi_file("libxenserver-2.14.symbols.txt");
    let published: BTreeSet<&str> = published.lines().map(str::trim).collect();
    let identifiers = abi_file("libvirt-xenapi-identifiers.tsv");
    let mut missing = Vec::new();
    for id in identifiers
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
    {
        // Functions (symbols of the published library) must be exported and declared;
        // types and enumerators declared.
        if !words.contains(id) || (published.contains(id) && !ours.contains(id)) {
            missing.push(id);
        }
    }
    assert!(missing.len() < 200 && !identifiers.is_empty());
    assert!(missing.is_empty(), "missing: {missing:?}");
}

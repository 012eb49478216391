//! Comparing the prototypes a C header tree declares with the `extern "C"` functions of the
//! crates behind it (read by cbindgen), for both C dialects' tests. Spellings that differ only
//! by name are normalised: handle typedefs and struct pointers are `void *` on the Rust side,
//! enums are `int`, `size_t` is `uintptr_t`, `const` is ignored.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// name → (return type, parameter types), normalised.
pub type Prototypes = BTreeMap<String, (String, Vec<String>)>;

/// Parses C declarations `RET NAME(PARAMS);` out of `text`.
pub fn parse(text: &str, handles: &BTreeSet<String>) -> Prototypes {
    let mut out = Prototypes::new();
    let flat: String = strip_comments(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    for decl in flat.split(';') {
        // Whatever precedes a brace (`extern "C" {`, the end of a struct) is not part of it.
        let decl = decl.rsplit(['{', '}']).next().unwrap_or(decl);
        let decl = decl.trim().trim_start_matches("extern").trim();
        let Some(open) = decl.find('(') else { continue };
        if decl.contains("typedef") {
            continue;
        }
        let head = &decl[..open];
        let Some(name_start) = head.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        else {
            continue;
        };
        let name = head[name_start + 1..].to_owned();
        if !name.starts_with("xen_") && !name.starts_with("xenapi_ext_") {
            continue;
        }
        let ret = normalise(&head[..name_start + 1], handles);
        let params = decl[open + 1..decl.rfind(')').unwrap_or(decl.len())]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "void")
            .map(|p| {
                // Drop the parameter name: the last identifier, unless the type is all there is.
                let cut = p
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(p, |i| &p[..=i]);
                normalise(cut, handles)
            })
            .collect();
        out.insert(name, (ret, params));
    }
    out
}

/// `text` without `/* */` and `//` comments.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                rest = rest[b..].split_once("*/").map_or("", |(_, after)| after);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].split_once('\n').map_or("", |(_, after)| after);
                out.push('\n');
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// One spelling per C type: `void *` for handles and struct pointers, `int` for enums.
pub fn normalise(ty: &str, handles: &BTreeSet<String>) -> String {
    let stars = ty.matches('*').count();
    let base: Vec<&str> = ty
        .split(|c: char| c.is_whitespace() || c == '*')
        .filter(|w| !w.is_empty() && *w != "const" && *w != "struct")
        .collect();
    let (base, extra) = match base.as_slice() {
        ["enum", _] => ("int".to_owned(), 0),
        [w] if handles.contains(*w) => ("void".to_owned(), 1),
        [w] if w.starts_with("xen_")
            && *w != "xen_session"
            && *w != "xen_call_func"
            && *w != "xen_result_func"
            && *w != "xen_api_version" =>
        {
            ("void".to_owned(), 0)
        }
        ["xen_api_version"] => ("int".to_owned(), 0),
        // libxen's XSPolicy integer typedefs.
        ["xs_type"] | ["xs_instantiationflags"] => ("int64_t".to_owned(), 0),
        ["size_t"] | ["uintptr_t"] => ("size_t".to_owned(), 0),
        ["c_char"] => ("char".to_owned(), 0),
        [w] => ((*w).to_owned(), 0),
        other => (other.join(" "), 0),
    };
    format!("{base}{}", "*".repeat(stars + extra))
}

/// The handle typedefs (`typedef void *xen_vm;`) of a header text.
pub fn handles(headers: &str) -> BTreeSet<String> {
    headers
        .lines()
        .filter_map(|l| l.strip_prefix("typedef void *"))
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect()
}

/// Every header of `dir`, concatenated.
pub fn read_headers(dir: &Path) -> String {
    let mut headers = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        headers.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        headers.push('\n');
    }
    headers
}

/// The `extern "C"` functions of the crates in `crate_dirs`, as cbindgen writes them in C.
pub fn implemented(crate_dirs: &[&Path], handles: &BTreeSet<String>) -> Prototypes {
    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        ..Default::default()
    };
    config.parse.parse_deps = false;
    let mut out = Vec::new();
    for dir in crate_dirs {
        cbindgen::Builder::new()
            .with_config(config.clone())
            .with_crate(dir)
            .generate()
            .expect("cbindgen reads the crate")
            .write(&mut out);
    }
    parse(&String::from_utf8(out).unwrap(), handles)
}

/// Each declared function missing or different on the Rust side, and each exported one the
/// headers do not declare.
pub fn differences(declared: &Prototypes, implemented: &Prototypes) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, proto) in declared {
        match implemented.get(name) {
            None => problems.push(format!("{name}: declared, not implemented")),
            Some(p) if p != proto => problems.push(format!("{name}: header {proto:?}, Rust {p:?}")),
            Some(_) => {}
        }
    }
    for name in implemented.keys().filter(|n| !declared.contains_key(*n)) {
        problems.push(format!("{name}: exported, not declared"));
    }
    problems
}

/// What comparing a dialect's headers with its crate finds.
pub struct Comparison {
    /// The handle typedefs the headers declare.
    pub handles: BTreeSet<String>,
    /// The prototypes the headers declare.
    pub declared: Prototypes,
    /// Every difference between the declared and the implemented prototypes.
    pub problems: Vec<String>,
}

/// Compares the headers in `headers_dir` with the `extern "C"` functions of the crate in
/// `crate_dir` and of the runtime it shares (`crate_dir/../common`).
pub fn compare(headers_dir: &Path, crate_dir: &Path) -> Comparison {
    let headers = read_headers(headers_dir);
    let handles = handles(&headers);
    let declared = parse(&headers, &handles);
    let implemented = implemented(&[crate_dir, &crate_dir.join("../common")], &handles);
    let problems = differences(&declared, &implemented);
    Comparison {
        handles,
        declared,
        problems,
    }
}

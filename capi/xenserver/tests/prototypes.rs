//! The header prototypes and the `extern "C"` functions behind them agree: cbindgen derives
//! C prototypes from the Rust source, and both sides are compared after normalising the
//! spellings that differ only by name (handle typedefs and struct pointers are `void *` on
//! the Rust side, enums are `int`, `size_t` is `uintptr_t`).

mod support;

use std::collections::{BTreeMap, BTreeSet};

/// name → (return type, parameter types), normalised.
type Prototypes = BTreeMap<String, (String, Vec<String>)>;

/// Parses C declarations `RET NAME(PARAMS);` out of `text`.
fn parse(text: &str, handles: &BTreeSet<String>) -> Prototypes {
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
fn strip_comments(text: &str) -> String {
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
fn normalise(ty: &str, handles: &BTreeSet<String>) -> String {
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
        ["size_t"] | ["uintptr_t"] => ("size_t".to_owned(), 0),
        ["c_char"] => ("char".to_owned(), 0),
        [w] => ((*w).to_owned(), 0),
        other => (other.join(" "), 0),
    };
    format!("{base}{}", "*".repeat(stars + extra))
}

#[test]
fn header_prototypes_match_the_rust_functions() {
    let root = support::root();
    let mut headers = String::new();
    for entry in std::fs::read_dir(root.join("include/xen/api")).unwrap() {
        headers.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        headers.push('\n');
    }
    let handles: BTreeSet<String> = headers
        .lines()
        .filter_map(|l| l.strip_prefix("typedef void *"))
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect();
    assert!(handles.contains("xen_vm"));
    let declared = parse(&headers, &handles);

    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        ..Default::default()
    };
    config.parse.parse_deps = false;
    // The library's own functions and those of the runtime it shares with libxen.
    let mut out = Vec::new();
    for dir in [".", "../common"] {
        cbindgen::Builder::new()
            .with_config(config.clone())
            .with_crate(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .generate()
            .expect("cbindgen reads the crate")
            .write(&mut out);
    }
    let implemented = parse(&String::from_utf8(out).unwrap(), &handles);

    assert!(
        declared.len() > 3000,
        "{} declarations parsed",
        declared.len()
    );
    let mut problems = Vec::new();
    for (name, proto) in &declared {
        match implemented.get(name) {
            None => problems.push(format!("{name}: declared, not implemented")),
            Some(p) if p != proto => problems.push(format!("{name}: header {proto:?}, Rust {p:?}")),
            Some(_) => {}
        }
    }
    for name in implemented.keys().filter(|n| !declared.contains_key(*n)) {
        problems.push(format!("{name}: exported, not declared"));
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

//! The libxen dialect (`libxenapi.so.1.0`, xend's API 1.0): its headers
//! (`include/libxen/xen/api/`), rendered from xend's model and the C facts beside it
//! (`model/xend/libxen.json`: every prototype, member spelling and helper type libxen 4.4 had).
//!
//! The xend model is compiled into the generator, like libxenserver's compatibility list.

use std::fmt::Write;

use serde_json::Value;

use super::names::{enumerator, lower, member};
use super::plan::{Kind, Options, Plan, Spellings};
use crate::model::{parse_errors, LoadError, Model};
use crate::output::{GeneratedFile, RenderError};

const MODEL_JSON: &str = include_str!("../../../model/xend/xenapi.json");
const MODEL_ERRORS: &str = include_str!("../../../model/xend/errors.tsv");
const FACTS: &str = include_str!("../../../model/xend/libxen.json");

/// Where libxen's headers go: `-I include/libxen` finds `<xen/api/xen_all.h>`.
pub const DIR: &str = "include/libxen/xen/api";

fn failed(message: impl Into<String>) -> RenderError {
    RenderError {
        emitter: "libxen",
        message: message.into(),
    }
}

/// xend's model (`model/xend/`).
pub fn model() -> Result<Model, RenderError> {
    let load = || -> Result<Model, LoadError> {
        let mut model: Model =
            serde_json::from_str(MODEL_JSON).map_err(|source| LoadError::Json {
                path: "model/xend/xenapi.json".into(),
                source,
            })?;
        model.errors = parse_errors("model/xend/errors.tsv".as_ref(), MODEL_ERRORS)?;
        model.check()?;
        Ok(model)
    };
    load().map_err(|e| failed(e.to_string()))
}

/// libxen's C facts (`model/xend/libxen.json`).
pub fn facts() -> Result<Value, RenderError> {
    serde_json::from_str(FACTS).map_err(|e| failed(format!("model/xend/libxen.json: {e}")))
}

/// libxen's C spellings of functions and members, from the facts.
pub fn spellings(facts: &Value) -> Spellings {
    let key = |v: &Value| (str_of(v, "class").to_owned(), str_of(v, "name").to_owned());
    Spellings {
        functions: list(facts, "messages")
            .iter()
            .map(|m| (key(m), str_of(m, "c_name").to_owned()))
            .collect(),
        members: list(facts, "fields")
            .iter()
            .map(|f| (key(f), member(str_of(f, "c_name"))))
            .collect(),
    }
}

/// libxen's plan: xend's model with libxen's spellings.
pub fn plan<'m>(model: &'m Model, facts: &Value) -> Result<Plan<'m>, RenderError> {
    Plan::with(model, Options::LIBXEN, &spellings(facts))
}

fn file(name: &str, body: String) -> GeneratedFile {
    super::headers::guarded(DIR, name, body)
}

const CPP_OPEN: &str = "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
const CPP_CLOSE: &str = "\n#ifdef __cplusplus\n}\n#endif\n";

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `extern PROTOTYPE` for each non-RPC function of `header` owned by `owner` (any when None).
fn helpers(facts: &Value, header: &str, owner: Option<&str>) -> String {
    let mut s = String::new();
    for f in list(facts, "non_rpc_functions") {
        let same_owner = owner.is_none_or(|o| f["owner"].as_str() == Some(o));
        if str_of(f, "header") == format!("xen/api/{header}") && same_owner {
            writeln!(s, "extern {}", str_of(f, "c_prototype")).unwrap();
        }
    }
    s
}

/// The prototypes of `class`'s messages, except those `skip` names.
fn prototypes(facts: &Value, class: &str, skip: &[&str]) -> String {
    let mut s = String::new();
    for m in list(facts, "messages") {
        if str_of(m, "class") == class && !skip.contains(&str_of(m, "name")) {
            writeln!(s, "extern {}", str_of(m, "c_prototype")).unwrap();
        }
    }
    s
}

/// The members of `class`'s record, as declarations.
fn members(facts: &Value, class: &str) -> String {
    let mut s = String::new();
    for f in list(facts, "fields") {
        if str_of(f, "class") == class {
            let ty = str_of(f, "c_type");
            let name = member(str_of(f, "c_name"));
            let sep = if ty.ends_with('*') { "" } else { " " };
            writeln!(s, "    {ty}{sep}{name};").unwrap();
        }
    }
    s
}

/// Every header of the tree that holds types (for the umbrella includes of class headers).
struct Inventory {
    decls: Vec<String>,
    classes: Vec<String>,
    enums: Vec<String>,
    containers: Vec<String>,
}

fn common(facts: &Value) -> String {
    let mut s = String::from(
        "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <time.h>\n\n",
    );
    s.push_str(
        "/* Member names that are C++ keywords. */\n#ifdef __cplusplus\n#define XEN_CLAZZ clazz\n#else\n#define XEN_CLAZZ class\n#endif\n\n",
    );
    s.push_str(CPP_OPEN);
    for t in list(&facts["common_typedefs"], "function_pointers") {
        writeln!(s, "{}", t.as_str().unwrap_or_default()).unwrap();
    }
    s.push_str(
        "\n/*\n * A session. Every call returns session->ok. After a failure, ok is false and\n * error_description[0 .. error_description_count) holds the error code and its parameters;\n * calls return false without sending anything until xen_session_clear_error.\n */\ntypedef struct\n{\n",
    );
    for m in list(&facts["session_struct"], "members") {
        let ty = str_of(m, "c_type");
        let sep = if ty.ends_with('*') { "" } else { " " };
        writeln!(s, "    {ty}{sep}{};", str_of(m, "name")).unwrap();
    }
    s.push_str("} xen_session;\n\n");
    writeln!(s, "{}\n", str_of(&facts["common_typedefs"], "xen_task_id")).unwrap();
    for name in ["xen_task_status", "xen_version"] {
        writeln!(s, "typedef struct\n{{").unwrap();
        for m in list(&facts["common_typedefs"][name], "members") {
            let ty = str_of(m, "c_type");
            let sep = if ty.ends_with('*') { "" } else { " " };
            writeln!(s, "    {ty}{sep}{};", str_of(m, "name")).unwrap();
        }
        writeln!(s, "}} {name};\n").unwrap();
    }
    s.push_str("struct xen_host_record_opt;\n\ntypedef struct xen_session_record\n{\n");
    s.push_str(&members(facts, "session"));
    s.push_str("} xen_session_record;\n\n");
    s.push_str(&prototypes(
        facts,
        "session",
        &[
            "get_uuid",
            "get_this_host",
            "get_this_user",
            "get_last_active",
            "get_record",
        ],
    ));
    s.push_str(&helpers(facts, "xen_common.h", None));
    s.push_str(CPP_CLOSE);
    s
}

/// The other class headers, included after a header's own typedefs and before its
/// prototypes: prototypes name other classes' typedefs (`xen_vm_set **`), and each header
/// defines its typedefs before it includes the others, so every typedef exists before any
/// prototype whatever the include order.
fn class_includes(inv: &Inventory, own: &str) -> String {
    let mut s = String::new();
    for h in inv.classes.iter().filter(|h| *h != own) {
        writeln!(s, "#include \"xen/api/{h}\"").unwrap();
    }
    s.push('\n');
    s
}

fn includes(inv: &Inventory, own: &str) -> String {
    let mut s = String::from("#include \"xen_common.h\"\n");
    for h in inv.decls.iter().chain(&inv.enums).chain(&inv.containers) {
        if h != own {
            writeln!(s, "#include \"xen/api/{h}\"").unwrap();
        }
    }
    s.push('\n');
    s
}

fn object_header(facts: &Value, name: &str, c: &str, inv: &Inventory) -> String {
    let own = format!("xen_{c}.h");
    let mut s = includes(inv, &own);
    s.push_str(CPP_OPEN);
    if name == "XSPolicy" {
        s.push_str(&xspolicy_constants(facts));
    }
    write!(
        s,
        "typedef struct xen_{c}_set\n{{\n    size_t size;\n    xen_{c} *contents[];\n}} xen_{c}_set;\n\n\
         typedef struct xen_{c}_record\n{{\n    xen_{c} handle;\n{}}} xen_{c}_record;\n\n\
         typedef struct xen_{c}_record_opt\n{{\n    bool is_record;\n    union\n    {{\n        xen_{c} handle;\n        xen_{c}_record *record;\n    }} u;\n}} xen_{c}_record_opt;\n\n\
         typedef struct xen_{c}_record_set\n{{\n    size_t size;\n    xen_{c}_record *contents[];\n}} xen_{c}_record_set;\n\n\
         typedef struct xen_{c}_record_opt_set\n{{\n    size_t size;\n    xen_{c}_record_opt *contents[];\n}} xen_{c}_record_opt_set;\n\n",
        members(facts, name)
    )
    .unwrap();
    if name == "XSPolicy" {
        s.push_str(&policystate(facts));
    }
    s.push_str(CPP_CLOSE);
    s.push('\n');
    s.push_str(&class_includes(inv, &own));
    s.push_str(CPP_OPEN);
    s.push_str(&helpers(facts, &own, Some(name)));
    s.push('\n');
    s.push_str(&prototypes(facts, name, &[]));
    s.push_str(CPP_CLOSE);
    s
}

/// `xs_type`, `xs_instantiationflags` and their constants, and the `XSERR_` codes.
fn xspolicy_constants(facts: &Value) -> String {
    let k = &facts["xspolicy_constants"];
    let mut s = String::new();
    for t in list(k, "typedefs") {
        writeln!(s, "{}", t.as_str().unwrap_or_default()).unwrap();
    }
    s.push('\n');
    for e in ["xs_type", "xs_instantiationflags"] {
        // C++ has one namespace for enum tags and typedef names: the constants stay, the tag
        // goes.
        writeln!(s, "#ifdef __cplusplus\nenum\n#else\nenum {e}\n#endif\n{{").unwrap();
        let values = k[format!("enum {e}")]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut values: Vec<_> = values.into_iter().collect();
        values.sort_by_key(|(_, v)| v.as_i64());
        let body: Vec<String> = values
            .iter()
            .map(|(n, v)| format!("    {n} = {v}"))
            .collect();
        writeln!(s, "{}\n}};\n", body.join(",\n")).unwrap();
    }
    for m in list(k, "XSERR_macros") {
        writeln!(
            s,
            "#define {} ({})",
            str_of(m, "name"),
            str_of(m, "definition")
        )
        .unwrap();
    }
    s.push('\n');
    s
}

/// `xen_xs_policystate`, the result of `XSPolicy.get_xspolicy` and friends.
fn policystate(facts: &Value) -> String {
    let st = &facts["aux_structs"]["xs_policystate"];
    let mut s = String::from("typedef struct\n{\n");
    for f in list(st, "fields") {
        let ty = str_of(f, "c_type");
        let sep = if ty.ends_with('*') { "" } else { " " };
        writeln!(s, "    {ty}{sep}{};", str_of(f, "c_name")).unwrap();
    }
    writeln!(
        s,
        "}} {};\n\nextern {}\n",
        str_of(st, "c_type"),
        str_of(st, "free")
    )
    .unwrap();
    s
}

fn event_header(facts: &Value, inv: &Inventory) -> String {
    let mut s = includes(inv, "xen_event.h");
    s.push_str(CPP_OPEN);
    write!(
        s,
        "typedef struct xen_event_record\n{{\n{}}} xen_event_record;\n\n\
         typedef struct xen_event_record_set\n{{\n    size_t size;\n    xen_event_record *contents[];\n}} xen_event_record_set;\n\n",
        members(facts, "event")
    )
    .unwrap();
    s.push_str(CPP_CLOSE);
    s.push('\n');
    s.push_str(&class_includes(inv, "xen_event.h"));
    s.push_str(CPP_OPEN);
    s.push_str(&helpers(facts, "xen_event.h", Some("event")));
    s.push('\n');
    s.push_str(&prototypes(facts, "event", &[]));
    s.push_str(CPP_CLOSE);
    s
}

fn session_header(facts: &Value, inv: &Inventory) -> String {
    let mut s = includes(inv, "xen_session.h");
    s.push_str(&class_includes(inv, "xen_session.h"));
    s.push_str(CPP_OPEN);
    s.push_str(&prototypes(
        facts,
        "session",
        &["login_with_password", "logout"],
    ));
    s.push_str(CPP_CLOSE);
    s
}

fn enum_header(facts: &Value, name: &str, values: &[String]) -> String {
    let e = lower(name);
    let mut s = String::from("#include \"xen_common.h\"\n\n");
    s.push_str(CPP_OPEN);
    writeln!(s, "enum xen_{e}\n{{").unwrap();
    let body: Vec<String> = values
        .iter()
        .map(|v| format!("    {}", enumerator(name, v)))
        .collect();
    writeln!(s, "{}\n}};\n", body.join(",\n")).unwrap();
    writeln!(
        s,
        "typedef struct xen_{e}_set\n{{\n    size_t size;\n    enum xen_{e} contents[];\n}} xen_{e}_set;\n"
    )
    .unwrap();
    for f in list(&facts["enum_sets_and_helpers"][name], "functions") {
        writeln!(s, "extern {}", f.as_str().unwrap_or_default()).unwrap();
    }
    s.push_str(CPP_CLOSE);
    s
}

fn container_header(helper: &Value, name: &str, decls: &[String]) -> String {
    let mut s = String::from("#include \"xen_common.h\"\n");
    for h in decls {
        writeln!(s, "#include \"xen/api/{h}\"").unwrap();
    }
    s.push('\n');
    s.push_str(CPP_OPEN);
    let decl = |m: &Value| {
        let ty = str_of(m, "c_type");
        match ty.strip_suffix("[]") {
            Some(elem) => {
                let sep = if elem.ends_with('*') { "" } else { " " };
                format!("    {elem}{sep}{}[];", str_of(m, "name"))
            }
            None => {
                let sep = if ty.ends_with('*') { "" } else { " " };
                format!("    {ty}{sep}{};", str_of(m, "name"))
            }
        }
    };
    if let Some(contents) = helper["contents_layout_x86_64"].as_object() {
        writeln!(s, "typedef struct {name}_contents\n{{").unwrap();
        for m in contents["members"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            writeln!(s, "{}", decl(m)).unwrap();
        }
        writeln!(s, "}} {name}_contents;\n").unwrap();
    }
    writeln!(s, "typedef struct {name}\n{{").unwrap();
    for m in list(&helper["layout_x86_64"], "members") {
        writeln!(s, "{}", decl(m)).unwrap();
    }
    writeln!(s, "}} {name};\n").unwrap();
    for f in list(helper, "functions") {
        writeln!(s, "extern {}", f.as_str().unwrap_or_default()).unwrap();
    }
    s.push_str(CPP_CLOSE);
    s
}

/// Checks that each generated function has as many C parameters as libxen's prototype, so
/// the `extern "C"` code and the header agree on the call.
fn check_arity(plan: &Plan, facts: &Value) -> Result<(), RenderError> {
    for cp in &plan.classes {
        for f in &cp.funcs {
            let proto = list(facts, "messages")
                .iter()
                .map(|m| str_of(m, "c_prototype"))
                .find(|p| {
                    p.contains(&format!(" {}(", f.name)) || p.contains(&format!("*{}(", f.name))
                })
                .ok_or_else(|| failed(format!("no libxen prototype for {}", f.name)))?;
            let n = proto.matches(',').count() + 1;
            let ours = 1 + usize::from(f.result.is_some()) + f.params.len();
            if n != ours {
                return Err(failed(format!(
                    "{}: libxen has {n} parameters, the plan {ours}",
                    f.name
                )));
            }
        }
    }
    Ok(())
}

/// Renders every header of the libxen dialect.
pub fn render_headers(_: &Model) -> Result<Vec<GeneratedFile>, RenderError> {
    let model = model()?;
    let facts = facts()?;
    let plan = plan(&model, &facts)?;
    check_arity(&plan, &facts)?;
    let mut decls = Vec::new();
    let mut classes = Vec::new();
    for cp in &plan.classes {
        match cp.kind {
            Kind::Object | Kind::Event => {
                decls.push(format!("xen_{}_decl.h", cp.c));
                classes.push(format!("xen_{}.h", cp.c));
            }
            Kind::Session => {}
        }
    }
    let inv = Inventory {
        decls,
        classes,
        enums: model
            .enums
            .iter()
            .map(|e| format!("xen_{}.h", lower(&e.name)))
            .collect(),
        containers: facts["map_set_helpers"]
            .as_object()
            .map(|m| m.keys().map(|k| format!("{k}.h")).collect())
            .unwrap_or_default(),
    };
    let mut out = vec![file("xen_common.h", common(&facts))];
    for cp in &plan.classes {
        let c = &cp.c;
        match cp.kind {
            Kind::Object => {
                out.push(file(
                    &format!("xen_{c}_decl.h"),
                    format!(
                        "typedef void *xen_{c};\n\nstruct xen_{c}_set;\nstruct xen_{c}_record;\nstruct xen_{c}_record_set;\nstruct xen_{c}_record_opt;\nstruct xen_{c}_record_opt_set;\n"
                    ),
                ));
                out.push(file(
                    &format!("xen_{c}.h"),
                    object_header(&facts, &cp.class.name, c, &inv),
                ));
            }
            Kind::Event => {
                out.push(file(
                    "xen_event_decl.h",
                    "struct xen_event_record;\nstruct xen_event_record_set;\n".to_owned(),
                ));
                out.push(file("xen_event.h", event_header(&facts, &inv)));
            }
            Kind::Session => out.push(file("xen_session.h", session_header(&facts, &inv))),
        }
    }
    for e in &model.enums {
        out.push(file(
            &format!("xen_{}.h", lower(&e.name)),
            enum_header(&facts, &e.name, &e.values),
        ));
    }
    if let Some(helpers) = facts["map_set_helpers"].as_object() {
        for (name, h) in helpers {
            let deps: Vec<String> = if name == "xen_int_string_set_map" {
                vec!["xen_string_set.h".to_owned()]
            } else {
                Vec::new()
            };
            out.push(file(&format!("{name}.h"), container_header(h, name, &deps)));
        }
    }
    let all = super::headers::all_includes(&out);
    out.push(file("xen_all.h", all));
    out.push(file(
        "xenapi_ext_transport.h",
        super::headers::ext_transport_for(
            "libxen",
            "xen_session_login_with_password(xenapi_ext_call_func, t, user, pwd);",
            "http://xend-host:9363",
        ),
    ));
    Ok(out)
}

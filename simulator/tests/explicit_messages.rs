//! Every explicit message of the xapi model answers: a success or a real XenAPI error, never
//! `NOT_IMPLEMENTED`. Arguments are synthesised from the model's parameter types, refs naming
//! existing objects of the right class (made where the pool has none), through a real socket.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::*;
use xapi_sim::model::Ty;
use xapi_sim::Model;
use xenapi::wire::WireFormat;
use xenapi::Value;

const ERRORS_TSV: &str = include_str!("../../model/errors.tsv");

/// A ref of an object of `class`, made in the store when none exists (or it was destroyed).
fn fixture(sim: &xapi_sim::RunningSimulator, class: usize) -> String {
    sim.store().write(|t| {
        if let Some(r) = t.tables[class].objs.keys().next() {
            return r.clone();
        }
        let rec = t.default_record(class);
        let r = t.new_ref();
        t.insert(class, r, rec)
    })
}

fn synthesise(sim: &xapi_sim::RunningSimulator, m: &Model, ty: &Ty, session: &str) -> Value {
    match ty {
        Ty::String => s("sim-test"),
        Ty::Int => Value::Int(1),
        Ty::Float => Value::Float(0.0),
        Ty::Bool => Value::Bool(false),
        Ty::DateTime => s("20200101T00:00:00Z"),
        Ty::Enum(e) => s(&m.enums[*e].values[0]),
        Ty::Ref(c) if c == "session" => s(session),
        Ty::Ref(c) => match m.class(c) {
            Some(ci) if m.classes[ci].has_objects() => s(&fixture(sim, ci)),
            _ => s("OpaqueRef:NULL"),
        },
        Ty::Set(_) => Value::Array(Vec::new()),
        Ty::Option(inner) => synthesise(sim, m, inner, session),
        _ => Value::Struct(Default::default()),
    }
}

#[test]
fn no_explicit_message_answers_not_implemented() {
    let sim = xapi_sim::Simulator::builder()
        .vms(4)
        .hosts(2)
        .seed(12)
        .metrics_interval(None)
        .start()
        .unwrap();
    let known: HashSet<&str> = ERRORS_TSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    let m = Model::xenapi();
    let mut conn = Conn::tcp(&addr(&sim));
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut explicit = 0;
    for c in &m.classes {
        let mut names: Vec<&String> = c.messages.keys().collect();
        names.sort();
        for name in names {
            let msg = &c.messages[name];
            if msg.implicit || (c.name == "event" && name == "next") {
                // event.next blocks until something changes; events_tasks tests it.
                continue;
            }
            explicit += 1;
            let session = conn
                .call(
                    WireFormat::XmlRpc,
                    "session.login_with_password",
                    &[s("root"), s("xenroot")],
                )
                .expect("login")
                .as_str()
                .unwrap()
                .to_string();
            let mut params = Vec::new();
            if msg.session {
                params.push(s(&session));
            }
            for p in &msg.params {
                params.push(synthesise(&sim, &m, &p.ty, &session));
            }
            let method = format!("{}.{}", c.name, name);
            let code = match conn.call(WireFormat::XmlRpc, &method, &params) {
                Ok(_) => "success".to_string(),
                Err(f) => f.code.clone(),
            };
            if code == "NOT_IMPLEMENTED"
                || code == "INTERNAL_ERROR"
                || (code != "success" && !known.contains(code.as_str()))
            {
                bad.push(format!("{method}: {code}"));
            }
            *outcomes.entry(code).or_default() += 1;
        }
    }
    eprintln!("{explicit} explicit messages: {outcomes:?}");
    assert!(explicit > 500, "the model has {explicit} explicit messages");
    assert!(
        bad.is_empty(),
        "{} bad answers:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // Most calls with well-formed arguments succeed; the errors are xapi's state checks.
    let ok = outcomes.get("success").copied().unwrap_or(0);
    assert!(
        ok * 10 >= explicit * 7,
        "{ok}/{explicit} succeeded: {outcomes:?}"
    );
}

#[test]
fn messages_md_is_current() {
    let want = xapi_sim::behaviour::explicit::catalog_markdown(&Model::xenapi());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/MESSAGES.md");
    if std::env::var_os("XAPI_SIM_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "simulator/MESSAGES.md is stale: XAPI_SIM_BLESS=1 cargo test -p xapi-sim --test explicit_messages"
    );
    // Every message the catalogue lists answers (the other test calls them all).
    assert!(want.lines().filter(|l| l.starts_with("| `")).count() >= 311);
}

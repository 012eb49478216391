//! The populated pool: deterministic for a seed, consistent (every paired field agrees), and
//! shaped like real XenServer records (`tests/data/real-xs72-vm*.json`).

mod common;

use common::*;
use xapi_sim::V;
use xenapi::Value;

fn snapshot(sim: &xapi_sim::RunningSimulator, class: &str) -> Vec<(String, Vec<V>)> {
    let c = sim.store().model().class(class).unwrap();
    sim.store().read(|t| {
        t.records(c)
            .into_iter()
            .map(|(r, rec)| (r, (*rec).clone()))
            .collect()
    })
}

#[test]
fn the_same_seed_builds_the_same_pool() {
    let build = |seed| {
        xapi_sim::Simulator::builder()
            .vms(50)
            .hosts(3)
            .seed(seed)
            .metrics_interval(None)
            .start()
            .unwrap()
    };
    let (a, b, c) = (build(11), build(11), build(12));
    for class in ["VM", "VBD", "VDI", "VIF", "host", "SR", "network", "PIF"] {
        assert_eq!(snapshot(&a, class), snapshot(&b, class), "{class}");
    }
    assert_ne!(snapshot(&a, "VM"), snapshot(&c, "VM"));
}

#[test]
fn every_paired_field_agrees() {
    let sim = xapi_sim::Simulator::builder()
        .vms(200)
        .hosts(4)
        .metrics_interval(None)
        .start()
        .unwrap();
    let model = sim.store().model().clone();
    assert!(model.pairs.len() > 20);
    sim.store().read(|t| {
        for p in &model.pairs {
            let (a, b) = (&model.classes[p.class], &model.classes[p.target_class]);
            let what = format!(
                "{}.{} / {}.{}",
                a.name, a.fields[p.field].name, b.name, b.fields[p.set_field].name
            );
            for (r, obj) in &t.tables[p.class].objs {
                let target = obj.rec[p.field].as_str().unwrap();
                if let Some(tobj) = t.tables[p.target_class].objs.get(target) {
                    assert!(
                        tobj.rec[p.set_field].as_set().unwrap().contains(&V::s(r)),
                        "{what}: {r} missing"
                    );
                }
            }
            for (r, obj) in &t.tables[p.target_class].objs {
                for m in obj.rec[p.set_field].as_set().unwrap() {
                    let back = &t.tables[p.class].objs[m.as_str().unwrap()].rec[p.field];
                    assert_eq!(back.as_str(), Some(r.as_str()), "{what}");
                }
            }
        }
    });
}

#[test]
fn what_every_pool_has() {
    let sim = xapi_sim::Simulator::builder()
        .vms(30)
        .hosts(3)
        .metrics_interval(None)
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let vms = c.ok("VM.get_all_records", &[]);
    let vms = vms.as_struct().unwrap();
    let flag = |r: &Value, k: &str| r.get(k).and_then(Value::as_bool) == Some(true);
    let hosts = c.ok("host.get_all_records", &[]);
    for (h, host) in hosts.as_struct().unwrap() {
        let dom0 = host.get("control_domain").and_then(Value::as_str).unwrap();
        let d = &vms[dom0];
        assert!(flag(d, "is_control_domain"));
        assert_eq!(
            d.get("resident_on").and_then(Value::as_str),
            Some(h.as_str())
        );
        assert!(
            c.ok(
                "host_metrics.get_memory_total",
                &[host.get("metrics").unwrap().clone()]
            )
            .as_i64()
            .unwrap()
                > 0
        );
        assert_eq!(host.get("PIFs").and_then(Value::as_array).unwrap().len(), 2);
    }
    let templates = vms.values().filter(|v| flag(v, "is_a_template")).count();
    assert!(templates >= 10);
    let guests: Vec<_> = vms
        .values()
        .filter(|v| !flag(v, "is_a_template") && !flag(v, "is_control_domain"))
        .collect();
    assert_eq!(guests.len(), 30);
    for g in guests {
        let metrics = g.get("metrics").unwrap().clone();
        assert!(c.ok("VM_metrics.get_uuid", &[metrics]).as_str().is_some());
        let disks: Vec<String> = g
            .get("VBDs")
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(disks.len() >= 2, "a disk and a CD drive");
        for vbd in disks {
            let vdi = c.str("VBD.get_VDI", &[s(&vbd)]);
            if c.str("VBD.get_type", &[s(&vbd)]) == "Disk" {
                let sr = c.str("VDI.get_SR", &[s(&vdi)]);
                assert!(c
                    .ok("SR.get_VDIs", &[s(&sr)])
                    .as_array()
                    .unwrap()
                    .contains(&s(&vdi)));
            }
        }
    }
}

/// The kind of a value as the real records (decoded from XML-RPC, dumped as JSON) have it.
fn kind_of_real(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::String(_) => "string",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "float",
        serde_json::Value::Object(_) => "map",
        serde_json::Value::Array(_) => "set",
        serde_json::Value::Null => "nil",
    }
}

fn kind_of_ours(v: &Value) -> &'static str {
    match v {
        Value::String(_) | Value::DateTime(_) => "string",
        Value::Bool(_) => "bool",
        Value::Float(_) => "float",
        Value::Int(_) => "int",
        Value::Struct(_) => "map",
        Value::Array(_) => "set",
        Value::Nil => "nil",
    }
}

#[test]
fn records_have_the_fields_and_value_shapes_of_real_ones() {
    let sim = xapi_sim::Simulator::builder()
        .vms(20)
        .metrics_interval(None)
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    for file in [
        "real-xs72-vm1.json",
        "real-xs72-vm2.json",
        "real-xs72-vm3.json",
    ] {
        let real: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        for (class, objects) in real.as_object().unwrap() {
            let ours = c.ok(&format!("{class}.get_all_records"), &[]);
            let ours = ours.as_struct().unwrap();
            // A running guest for VMs, else any object.
            let mine = ours
                .values()
                .find(|r| {
                    class != "VM"
                        || (r.get("power_state").and_then(Value::as_str) == Some("Running")
                            && r.get("is_control_domain").and_then(Value::as_bool) == Some(false))
                })
                .unwrap_or_else(|| panic!("no {class} in the pool"));
            for real_rec in objects.as_object().unwrap().values() {
                for (field, value) in real_rec.as_object().unwrap() {
                    let got = mine
                        .get(field)
                        .unwrap_or_else(|| panic!("{class}.{field} missing"));
                    assert_eq!(
                        kind_of_ours(got),
                        kind_of_real(value),
                        "{class}.{field}: {got:?} vs {value}"
                    );
                }
            }
        }
    }
}

#[test]
fn metrics_change_over_time() {
    let sim = xapi_sim::Simulator::builder()
        .vms(4)
        .metrics_interval(Some(std::time::Duration::from_millis(100)))
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let hm = c.ok("host_metrics.get_all", &[]).as_array().unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    let before = c.ok("host_metrics.get_last_updated", &[s(&hm)]);
    let batch = c.ok(
        "event.from",
        &[
            Value::Array(vec![s("host_metrics")]),
            s(""),
            Value::Float(0.0),
        ],
    );
    let token = batch
        .get("token")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    // Watching the class: a change arrives, and the value differs from before.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let batch = c.ok(
            "event.from",
            &[
                Value::Array(vec![s("host_metrics")]),
                s(&token),
                Value::Float(5.0),
            ],
        );
        if !batch
            .get("events")
            .and_then(Value::as_array)
            .unwrap()
            .is_empty()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no host_metrics event"
        );
    }
    assert_ne!(c.ok("host_metrics.get_last_updated", &[s(&hm)]), before);
}

fn fits(model: &xapi_sim::Model, ty: &xapi_sim::model::Ty, v: &V) -> bool {
    use xapi_sim::model::Ty;
    match (ty, v) {
        (Ty::String | Ty::Ref(_), V::Str(_)) => true,
        (Ty::Int, V::Int(_)) | (Ty::Float, V::Float(_)) | (Ty::Bool, V::Bool(_)) => true,
        (Ty::DateTime, V::DateTime(d)) => d.len() == 18 && d.ends_with('Z'),
        (Ty::Enum(e), V::Str(s)) => model.enums[*e].values.contains(s),
        (Ty::Set(t), V::Set(items)) => items.iter().all(|x| fits(model, t, x)),
        (Ty::Map(k, t), V::Map(entries)) => entries
            .iter()
            .all(|(a, b)| fits(model, k, a) && fits(model, t, b)),
        (Ty::Option(_), V::Nil) => true,
        (Ty::Option(t), v) => fits(model, t, v),
        (Ty::Record(_) | Ty::AnyRecord, V::Map(_)) => true,
        _ => false,
    }
}

#[test]
fn every_stored_value_fits_its_type() {
    let sim = xapi_sim::Simulator::builder()
        .vms(40)
        .hosts(3)
        .metrics_interval(None)
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    // Exercise the behaviours that write records, then check everything.
    let vm = guest_in_state(&mut c, "Halted");
    c.ok(
        "VM.start",
        &[s(&vm), Value::Bool(false), Value::Bool(false)],
    );
    c.ok("VM.snapshot", &[s(&vm), s("snap"), Value::Array(vec![])]);
    let other = guest_in_state(&mut c, "Halted");
    c.ok("VM.clone", &[s(&other), s("clone")]);
    c.ok("task.create", &[s("t"), s("d")]);
    let model = sim.store().model().clone();
    sim.store().read(|t| {
        for (ci, class) in model.classes.iter().enumerate() {
            for (r, obj) in &t.tables[ci].objs {
                for (f, v) in class.fields.iter().zip(obj.rec.iter()) {
                    assert!(
                        fits(&model, &f.ty, v),
                        "{}.{} of {r}: {v:?} is not a {:?}",
                        class.name,
                        f.name,
                        f.ty
                    );
                }
            }
        }
    });
}

//! Data sources (RRD metrics) of VMs, hosts and SRs: the names xapi's rrdd publishes, with
//! values derived from the object's record (memory in use, a steady load per CPU).

use crate::error::Failure;
use crate::generic::arg_str;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::V;

/// One data source: name, description, units, value.
struct Source {
    name: String,
    description: &'static str,
    units: &'static str,
    value: f64,
    max: f64,
}

fn int(t: &Inner, class: usize, r: &str, field: &str) -> i64 {
    t.get(class, r, field)
        .ok()
        .and_then(|v| v.as_int())
        .unwrap_or(0)
}

fn refs(t: &Inner, class: usize, r: &str, field: &str) -> Vec<String> {
    t.get(class, r, field)
        .ok()
        .and_then(|v| {
            v.as_set()
                .map(|s| s.iter().filter_map(V::as_str).map(String::from).collect())
        })
        .unwrap_or_default()
}

/// A steady pseudo-measurement in `0..1` for a name (a simulated load that does not flicker
/// between two reads).
fn load(name: &str) -> f64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (h % 1000) as f64 / 4000.0 + 0.02
}

fn sources(t: &Inner, ctx: &CallCtx, r: &str) -> Result<Vec<Source>, Failure> {
    let c = ctx.class;
    t.obj(c, r)?;
    let class_name = t.model().classes[c].name.clone();
    let mut out = Vec::new();
    let mut add = |name: String, description, units, value: f64, max: f64| {
        out.push(Source {
            name,
            description,
            units,
            value,
            max,
        })
    };
    match class_name.as_str() {
        "VM" => {
            if t.get(c, r, "power_state")?.as_str() != Some("Running") {
                return Ok(Vec::new());
            }
            for i in 0..int(t, c, r, "VCPUs_at_startup").max(1) {
                let n = format!("cpu{i}");
                let v = load(&format!("{r}{n}"));
                add(n, "CPU usage", "(fraction)", v, 1.0);
            }
            let target = int(t, c, r, "memory_target") as f64;
            add(
                "memory".into(),
                "Memory currently allocated to VM",
                "B",
                target,
                f64::INFINITY,
            );
            add(
                "memory_target".into(),
                "Target of VM balloon driver",
                "B",
                target,
                f64::INFINITY,
            );
            add(
                "memory_internal_free".into(),
                "Memory used as reported by the guest agent",
                "KiB",
                target / 1024.0 * (1.0 - load(r)),
                f64::INFINITY,
            );
            if let Some(vbd) = t.model().class("VBD") {
                for d in refs(t, c, r, "VBDs") {
                    let dev = t
                        .get(vbd, &d, "device")
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    if dev.is_empty() {
                        continue;
                    }
                    add(
                        format!("vbd_{dev}_read"),
                        "Reads from device in B/s",
                        "B/s",
                        1e6 * load(&d),
                        f64::INFINITY,
                    );
                    add(
                        format!("vbd_{dev}_write"),
                        "Writes to device in B/s",
                        "B/s",
                        5e5 * load(&d),
                        f64::INFINITY,
                    );
                }
            }
            if let Some(vif) = t.model().class("VIF") {
                for d in refs(t, c, r, "VIFs") {
                    let dev = t
                        .get(vif, &d, "device")
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    add(
                        format!("vif_{dev}_rx"),
                        "Bytes per second received",
                        "B/s",
                        2e5 * load(&d),
                        f64::INFINITY,
                    );
                    add(
                        format!("vif_{dev}_tx"),
                        "Bytes per second sent",
                        "B/s",
                        1e5 * load(&d),
                        f64::INFINITY,
                    );
                }
            }
        }
        "host" => {
            let cpus = refs(t, c, r, "host_CPUs");
            for i in 0..cpus.len().max(1) {
                let n = format!("cpu{i}");
                let v = load(&format!("{r}{n}"));
                add(n, "Physical cpu usage", "(fraction)", v, 1.0);
            }
            add(
                "cpu_avg".into(),
                "Average physical cpu usage",
                "(fraction)",
                load(r),
                1.0,
            );
            let metrics = t
                .get(c, r, "metrics")?
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (total, free) = match t.model().class("host_metrics") {
                Some(mc) if t.exists(mc, &metrics) => (
                    int(t, mc, &metrics, "memory_total"),
                    int(t, mc, &metrics, "memory_free"),
                ),
                _ => (0, 0),
            };
            add(
                "memory_total_kib".into(),
                "Total amount of memory",
                "KiB",
                total as f64 / 1024.0,
                f64::INFINITY,
            );
            add(
                "memory_free_kib".into(),
                "Total amount of free memory",
                "KiB",
                free as f64 / 1024.0,
                f64::INFINITY,
            );
            add(
                "loadavg".into(),
                "Domain0 loadavg",
                "",
                load(r) * 4.0,
                f64::INFINITY,
            );
        }
        _ => {
            let size = int(t, c, r, "physical_size") as f64;
            let used = int(t, c, r, "physical_utilisation") as f64;
            add(
                "size".into(),
                "Size of the SR",
                "GiB",
                size / 1073741824.0,
                f64::INFINITY,
            );
            add(
                "physical_utilisation".into(),
                "Physical utilisation of the SR",
                "GiB",
                used / 1073741824.0,
                f64::INFINITY,
            );
            add(
                "io_throughput_read".into(),
                "Data read from the SR",
                "MiB/s",
                20.0 * load(r),
                f64::INFINITY,
            );
            add(
                "io_throughput_write".into(),
                "Data written to the SR",
                "MiB/s",
                10.0 * load(r),
                f64::INFINITY,
            );
        }
    }
    Ok(out)
}

/// `get_data_sources(self)`: `data_source` records.
pub(super) fn get(ctx: &CallCtx) -> Result<Reply, Failure> {
    let r = arg_str(&ctx.args, 0)?;
    let list = ctx.sim.store.read(|t| sources(t, ctx, r))?;
    let records = list
        .into_iter()
        .map(|s| {
            V::Map(vec![
                (V::s("name_label"), V::s(s.name)),
                (V::s("name_description"), V::s(s.description)),
                (V::s("enabled"), V::Bool(true)),
                (V::s("standard"), V::Bool(true)),
                (V::s("units"), V::s(s.units)),
                (V::s("min"), V::Float(0.0)),
                (V::s("max"), V::Float(s.max)),
                (V::s("value"), V::Float(s.value)),
            ])
        })
        .collect();
    Ok(Reply::V(V::Set(records)))
}

fn find(ctx: &CallCtx) -> Result<Source, Failure> {
    let r = arg_str(&ctx.args, 0)?;
    let name = arg_str(&ctx.args, 1)?;
    ctx.sim.store.read(|t| {
        let list = sources(t, ctx, r)?;
        if list.is_empty() && t.model().classes[ctx.class].name == "VM" {
            let state = t.get(ctx.class, r, "power_state")?;
            return Err(Failure::bad_power_state(
                r,
                "Running",
                state.as_str().unwrap_or(""),
            ));
        }
        list.into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Failure::new("INVALID_VALUE", ["data_source", name]))
    })
}

/// `query_data_source(self, name)`: the current value.
pub(super) fn query(ctx: &CallCtx) -> Result<Reply, Failure> {
    Ok(Reply::V(V::Float(find(ctx)?.value)))
}

/// `record_data_source` / `forget_data_source_archives`: the source must exist.
pub(super) fn check(ctx: &CallCtx) -> Result<Reply, Failure> {
    find(ctx).map(|_| Reply::void())
}

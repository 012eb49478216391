//! What a xend host has beyond the common pool: API version 1.0 and xend's host facts
//! (software version, capabilities, CPU configuration, scheduler, bootloaders), `Pool-0`
//! holding every CPU with every VM in it, and the hypervisor's console ring.

use crate::error::Failure;
use crate::sim::Sim;
use crate::store::Inner;
use crate::value::V;

use super::cpu_pool::POOL0;

const XEN_VERSION: &str = "4.4.0";

/// Adds xend's facts to a freshly populated store.
pub fn extend(sim: &Sim, t: &mut Inner) -> Result<(), Failure> {
    let model = t.model().clone();
    let (Some(hc), Some(vmc)) = (model.class("host"), model.class("VM")) else {
        return Ok(());
    };
    let host = sim.master_host_in(t);
    if !t.exists(hc, &host) {
        return Ok(());
    }
    let cpus = model
        .class("host_cpu")
        .map(|c| t.refs(c))
        .unwrap_or_default();
    let facts: Vec<(&str, V)> = vec![
        ("API_version_major", V::Int(1)),
        ("API_version_minor", V::Int(0)),
        ("API_version_vendor", V::s("Xensource")),
        ("API_version_vendor_implementation", V::Map(Vec::new())),
        (
            "software_version",
            V::smap([
                ("Xen", XEN_VERSION),
                ("xend", XEN_VERSION),
                ("xen_major", "4"),
                ("xen_minor", "4"),
                ("xen_extra", ".0"),
                (
                    "xen_caps",
                    "xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
                ),
                ("xen_scheduler", "credit"),
                ("xen_pagesize", "4096"),
                ("platform_params", "virt_start=0xffff800000000000"),
                ("xen_changeset", "unavailable"),
                ("cc_compiler", "gcc (Debian 4.7.2-5) 4.7.2"),
                ("system", "Linux"),
                ("release", "3.2.0-4-amd64"),
                ("machine", "x86_64"),
                ("host", "xend-sim"),
            ]),
        ),
        (
            "capabilities",
            V::sset([
                "xen-3.0-x86_64",
                "xen-3.0-x86_32p",
                "hvm-3.0-x86_32",
                "hvm-3.0-x86_32p",
                "hvm-3.0-x86_64",
            ]),
        ),
        (
            "cpu_configuration",
            V::smap([
                ("nr_cpus", cpus.len().to_string()),
                ("nr_nodes", "1".into()),
                ("cores_per_socket", cpus.len().to_string()),
                ("threads_per_core", "1".into()),
            ]),
        ),
        ("sched_policy", V::s("credit")),
        ("supported_bootloaders", V::sset(["pygrub"])),
        ("enabled", V::Bool(true)),
    ];
    let hclass = &model.classes[hc];
    t.modify(hc, &host, |rec| {
        for (name, v) in facts {
            if let Some(fi) = hclass.field(name) {
                rec[fi] = v;
            }
        }
    })?;
    add_pool0(t, &host, &cpus, vmc)?;
    let mut state = sim.xend.lock().unwrap_or_else(|e| e.into_inner());
    state.dmesg = format!(
        " Xen {XEN_VERSION}\n(XEN) Xen version {XEN_VERSION} (Debian 4.4.0-1)\n\
         (XEN) Command line: placeholder dom0_mem=4096M\n(XEN) Brought up {} CPUs\n\
         (XEN) Scheduling granularity: cpu, 1 CPU per sched-resource\n",
        cpus.len()
    );
    state.log = "[xend] Xend started (simulated)\n".to_string();
    Ok(())
}

fn add_pool0(t: &mut Inner, host: &str, cpus: &[String], vmc: usize) -> Result<(), Failure> {
    let model = t.model().clone();
    let Some(pc) = model.class("cpu_pool") else {
        return Ok(());
    };
    let live: Vec<String> = t
        .refs(vmc)
        .into_iter()
        .filter(|vm| {
            t.get(vmc, vm, "power_state")
                .ok()
                .is_some_and(|s| matches!(s.as_str(), Some("Running" | "Paused")))
        })
        .collect();
    let pclass = &model.classes[pc];
    let mut rec = t.default_record(pc);
    for (name, v) in [
        ("name_label", V::s(POOL0)),
        ("name_description", V::s("the pool every CPU starts in")),
        ("resident_on", V::s(host)),
        ("auto_power_on", V::Bool(true)),
        ("started_VMs", V::sset(live)),
        ("ncpu", V::Int(cpus.len() as i64)),
        ("sched_policy", V::s("credit")),
        ("host_CPUs", V::sset(cpus)),
        ("activated", V::Bool(true)),
    ] {
        if let Some(fi) = pclass.field(name) {
            rec[fi] = v;
        }
    }
    let r = t.new_ref();
    let pool = t.insert(pc, r, rec);
    if let Some(cc) = model.class("host_cpu") {
        for cpu in cpus {
            t.set_named(cc, cpu, "cpu_pool", V::sset([pool.as_str()]))?;
        }
    }
    let hc = model.class("host").unwrap_or(0);
    if model.classes[hc].field("resident_cpu_pools").is_some() {
        t.set_named(hc, host, "resident_cpu_pools", V::sset([pool.as_str()]))?;
    }
    let vclass = &model.classes[vmc];
    for vm in t.refs(vmc) {
        t.modify(vmc, &vm, |rec| {
            if let Some(fi) = vclass.field("cpu_pool") {
                rec[fi] = V::sset([pool.as_str()]);
            }
            if let Some(fi) = vclass.field("pool_name") {
                rec[fi] = V::s(POOL0);
            }
        })?;
    }
    Ok(())
}

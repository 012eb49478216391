//! VLANs and bonds: the interface objects xapi makes with them.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{NULL_REF, V};

fn pif_str(t: &Inner, pif: usize, r: &str, field: &str) -> String {
    t.get(pif, r, field)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A new unphysical PIF on the host of `like`, on `network`.
fn new_pif(
    t: &mut Inner,
    pif: usize,
    like: &str,
    network: &str,
    device: &str,
    vlan: i64,
) -> String {
    let model = t.model().clone();
    let c = &model.classes[pif];
    let mut rec = t.default_record(pif);
    let host = pif_str(t, pif, like, "host");
    let mac = pif_str(t, pif, like, "MAC");
    for (f, v) in [
        ("device", V::s(device)),
        ("host", V::s(host)),
        ("network", V::s(network)),
        ("MAC", V::s(mac)),
        ("MTU", V::Int(1500)),
        ("VLAN", V::Int(vlan)),
        ("physical", V::Bool(false)),
        ("currently_attached", V::Bool(true)),
        ("managed", V::Bool(true)),
        ("ip_configuration_mode", V::s("None")),
    ] {
        if let Some(fi) = c.field(f) {
            rec[fi] = v;
        }
    }
    let r = t.new_ref();
    t.insert(pif, r, rec)
}

/// A VLAN on `tagged`: the untagged PIF and the `VLAN` object; its ref and the PIF's.
fn vlan_on(
    t: &mut Inner,
    ctx: &CallCtx,
    tagged: &str,
    network: &str,
    tag: i64,
) -> Result<(String, String), Failure> {
    let (pif, net, vlan) = (
        ctx.sim.class("PIF")?,
        ctx.sim.class("network")?,
        ctx.sim.class("VLAN")?,
    );
    t.obj(pif, tagged)?;
    t.obj(net, network)?;
    if !(0..=4094).contains(&tag) {
        return Err(Failure::new("VLAN_TAG_INVALID", [tag.to_string()]));
    }
    if t.get(pif, tagged, "VLAN")?.as_int().unwrap_or(-1) >= 0 {
        return Err(Failure::new("PIF_IS_VLAN", [tagged]));
    }
    let device = pif_str(t, pif, tagged, "device");
    let host = pif_str(t, pif, tagged, "host");
    let taken = t.records(pif).into_iter().any(|(r, _)| {
        pif_str(t, pif, &r, "host") == host
            && pif_str(t, pif, &r, "device") == device
            && t.get(pif, &r, "VLAN").ok().and_then(|v| v.as_int()) == Some(tag)
    });
    if taken {
        return Err(Failure::new("PIF_VLAN_EXISTS", [tagged]));
    }
    let untagged = new_pif(t, pif, tagged, network, &device, tag);
    let model = t.model().clone();
    let mut rec = t.default_record(vlan);
    for (f, v) in [
        ("tagged_PIF", V::s(tagged)),
        ("untagged_PIF", V::s(&untagged)),
        ("tag", V::Int(tag)),
    ] {
        if let Some(fi) = model.classes[vlan].field(f) {
            rec[fi] = v;
        }
    }
    let r = t.new_ref();
    let v = t.insert(vlan, r, rec);
    t.set_named(pif, &untagged, "VLAN_master_of", V::s(&v))?;
    Ok((v, untagged))
}

/// `VLAN.create(tagged_PIF, tag, network)`.
pub(super) fn vlan_create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let tagged = arg_str(&ctx.args, 0)?;
    let tag = arg(&ctx.args, 1)?.as_int().unwrap_or(-1);
    let network = arg_str(&ctx.args, 2)?;
    let (v, _) = ctx
        .sim
        .store
        .write(|t| vlan_on(t, ctx, tagged, network, tag))?;
    Ok(Reply::s(v))
}

/// `PIF.create_VLAN(device, network, host, VLAN)`: on the host's PIF with that device.
pub(super) fn pif_create_vlan(ctx: &CallCtx) -> Result<Reply, Failure> {
    let device = arg_str(&ctx.args, 0)?.to_string();
    let network = arg_str(&ctx.args, 1)?;
    let host = arg_str(&ctx.args, 2)?.to_string();
    let tag = arg(&ctx.args, 3)?.as_int().unwrap_or(-1);
    let pif = ctx.sim.class("PIF")?;
    let (_, p) = ctx.sim.store.write(|t| {
        let tagged = physical_pif(t, pif, &host, &device)
            .ok_or_else(|| Failure::new("INVALID_VALUE", ["device", device.as_str()]))?;
        vlan_on(t, ctx, &tagged, network, tag)
    })?;
    Ok(Reply::s(p))
}

fn physical_pif(t: &Inner, pif: usize, host: &str, device: &str) -> Option<String> {
    t.refs(pif).into_iter().find(|r| {
        pif_str(t, pif, r, "host") == host
            && pif_str(t, pif, r, "device") == device
            && t.get(pif, r, "VLAN")
                .ok()
                .and_then(|v| v.as_int())
                .unwrap_or(-1)
                < 0
    })
}

/// `pool.create_VLAN(device, network, VLAN)` and `pool.create_VLAN_from_PIF(pif, network,
/// VLAN)`: the VLAN on every host's interface of that device.
pub(super) fn pool_create_vlan(ctx: &CallCtx) -> Result<Reply, Failure> {
    let first = arg_str(&ctx.args, 0)?.to_string();
    let network = arg_str(&ctx.args, 1)?;
    let tag = arg(&ctx.args, 2)?.as_int().unwrap_or(-1);
    let (pif, hc) = (ctx.sim.class("PIF")?, ctx.sim.class("host")?);
    let made = ctx.sim.store.write(|t| {
        let device = if ctx.message == "create_VLAN_from_PIF" {
            t.obj(pif, &first)?;
            pif_str(t, pif, &first, "device")
        } else {
            first.clone()
        };
        let mut made = Vec::new();
        for h in t.refs(hc) {
            if let Some(tagged) = physical_pif(t, pif, &h, &device) {
                made.push(vlan_on(t, ctx, &tagged, network, tag)?.1);
            }
        }
        if made.is_empty() {
            return Err(Failure::new("INVALID_VALUE", ["device", device.as_str()]));
        }
        Ok(made)
    })?;
    Ok(Reply::V(V::sset(made)))
}

/// `Bond.create(network, members, MAC, mode?, properties?)`: the bond and its master PIF.
pub(super) fn bond_create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let network = arg_str(&ctx.args, 0)?.to_string();
    let members = arg(&ctx.args, 1)?.strings();
    let mac = arg_str(&ctx.args, 2)?.to_string();
    let mode = ctx.args.get(3).cloned().filter(|v| !matches!(v, V::Nil));
    let properties = ctx.args.get(4).cloned().filter(|v| !matches!(v, V::Nil));
    let (pif, net) = (ctx.sim.class("PIF")?, ctx.sim.class("network")?);
    let r = ctx.sim.store.write(|t| {
        t.obj(net, &network)?;
        if members.len() < 2 {
            return Err(Failure::new(
                "PIF_BOND_NEEDS_MORE_MEMBERS",
                Vec::<String>::new(),
            ));
        }
        for m in &members {
            t.obj(pif, m)?;
            let slave_of = pif_str(t, pif, m, "bond_slave_of");
            if !slave_of.is_empty() && slave_of != NULL_REF {
                return Err(Failure::new("PIF_ALREADY_BONDED", [m.as_str()]));
            }
        }
        let bonds = t.refs(ctx.class).len();
        let master = new_pif(t, pif, &members[0], &network, &format!("bond{bonds}"), -1);
        if !mac.is_empty() {
            t.set_named(pif, &master, "MAC", V::s(&mac))?;
        }
        let model = t.model().clone();
        let c = &model.classes[ctx.class];
        let mut rec = t.default_record(ctx.class);
        for (f, v) in [
            ("master", Some(V::s(&master))),
            ("primary_slave", Some(V::s(&members[0]))),
            ("mode", mode.clone()),
            ("properties", properties.clone()),
            ("links_up", Some(V::Int(members.len() as i64))),
        ] {
            if let (Some(fi), Some(v)) = (c.field(f), v) {
                rec[fi] = v;
            }
        }
        let r = t.new_ref();
        let bond = t.insert(ctx.class, r, rec);
        for m in &members {
            t.set_named(pif, m, "bond_slave_of", V::s(&bond))?;
        }
        if let Some(fi) = c.field("slaves") {
            let set = V::sset(members.iter().map(String::as_str));
            t.set(ctx.class, &bond, fi, set)?;
        }
        Ok(bond)
    })?;
    Ok(Reply::s(r))
}

/// `network_sriov.create(pif, network)`: the logical PIF on `network` over the physical one.
pub(super) fn sriov_create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let physical = arg_str(&ctx.args, 0)?.to_string();
    let network = arg_str(&ctx.args, 1)?.to_string();
    let pif = ctx.sim.class("PIF")?;
    let r = ctx.sim.store.write(|t| {
        if t.get(pif, &physical, "physical")?.as_bool() != Some(true) {
            return Err(Failure::new(
                "NETWORK_SRIOV_ENABLE_FAILED",
                [physical.as_str(), "not a physical PIF"],
            ));
        }
        let device = pif_str(t, pif, &physical, "device");
        let logical = new_pif(t, pif, &physical, &network, &device, -1);
        let model = t.model().clone();
        let c = &model.classes[ctx.class];
        let mut rec = t.default_record(ctx.class);
        for (f, v) in [
            ("physical_PIF", V::s(&physical)),
            ("logical_PIF", V::s(&logical)),
            ("requires_reboot", V::Bool(false)),
            ("configuration_mode", V::s("sysfs")),
        ] {
            if let Some(fi) = c.field(f) {
                rec[fi] = v;
            }
        }
        let r = t.new_ref();
        Ok(t.insert(ctx.class, r, rec))
    })?;
    Ok(Reply::s(r))
}

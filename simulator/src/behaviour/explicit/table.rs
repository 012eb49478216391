//! Declarative effects: for the messages whose effect on the model is a few field changes, the
//! changes as data, applied by [`apply`] and described by [`describe`] from the same table.

use crate::error::Failure;
use crate::model::{Message, Ty};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{now_datetime, NULL_REF, V};

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    /// The argument of that name (a step whose optional argument was left off is skipped).
    Param(&'static str),
    /// A boolean.
    Bool(bool),
    /// A string (or enum value).
    Str(&'static str),
    /// The null ref.
    Null,
    /// The current time.
    Now,
    /// The ref of `self`.
    SelfRef,
    /// The refs of every object of a class.
    AllOf(&'static str),
}

/// One change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Fails with the error code unless the boolean field of every target has this value.
    Require(&'static str, bool, &'static str),
    /// Sets a field of the targets: `self`, or every object of the class for a message without
    /// a `self` parameter (the pool).
    Set(&'static str, Src),
    /// Sets a field of every object of another class.
    SetAll(&'static str, &'static str, Src),
    /// Sets a field of the object an argument names.
    SetOnParam(&'static str, &'static str, Src),
    /// Sets a field of the object a ref field of `self` names.
    SetOnRef(&'static str, &'static str, Src),
    /// Puts a key and value in a map field of the targets.
    MapPut(&'static str, Src, Src),
    /// Adds to a set field of the targets.
    SetAdd(&'static str, Src),
    /// Removes from a set field of the targets.
    SetRemove(&'static str, Src),
}

/// What the message answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ret {
    /// Nothing.
    Void,
    /// A field of the (first) target, after the changes.
    Field(&'static str),
    /// `self`.
    SelfRef,
    /// A fixed list of strings.
    Strings(&'static [&'static str]),
    /// A fixed boolean.
    Bool(bool),
    /// A fixed string.
    Str(&'static str),
}

/// The effect of one message.
#[derive(Debug, PartialEq)]
pub struct Rule {
    /// The changes, in order.
    pub steps: &'static [Step],
    /// The answer.
    pub ret: Ret,
}

const fn rule(steps: &'static [Step]) -> Rule {
    Rule {
        steps,
        ret: Ret::Void,
    }
}

use Src::*;
use Step::*;

static RULES: &[(&str, Rule)] = &[
    (
        "pool.enable_ha",
        rule(&[
            Require("ha_enabled", false, "HA_IS_ENABLED"),
            Set("ha_enabled", Bool(true)),
            Set("ha_configuration", Param("configuration")),
        ]),
    ),
    (
        "pool.disable_ha",
        rule(&[
            Require("ha_enabled", true, "HA_NOT_ENABLED"),
            Set("ha_enabled", Bool(false)),
        ]),
    ),
    (
        "pool.enable_redo_log",
        rule(&[Set("redo_log_enabled", Bool(true))]),
    ),
    (
        "pool.disable_redo_log",
        rule(&[
            Set("redo_log_enabled", Bool(false)),
            Set("redo_log_vdi", Null),
        ]),
    ),
    (
        "pool.enable_tls_verification",
        rule(&[
            Set("tls_verification_enabled", Bool(true)),
            SetAll("host", "tls_verification_enabled", Bool(true)),
        ]),
    ),
    (
        "pool.enable_client_certificate_auth",
        rule(&[
            Set("client_certificate_auth_enabled", Bool(true)),
            Set("client_certificate_auth_name", Param("name")),
        ]),
    ),
    (
        "pool.configure_repository_proxy",
        rule(&[
            Set("repository_proxy_url", Param("url")),
            Set("repository_proxy_username", Param("username")),
        ]),
    ),
    (
        "pool.disable_repository_proxy",
        rule(&[
            Set("repository_proxy_url", Str("")),
            Set("repository_proxy_username", Str("")),
        ]),
    ),
    (
        "pool.configure_update_sync",
        rule(&[
            Set("update_sync_frequency", Param("update_sync_frequency")),
            Set("update_sync_day", Param("update_sync_day")),
        ]),
    ),
    (
        "pool.add_repository",
        rule(&[SetAdd("repositories", Param("value"))]),
    ),
    (
        "pool.remove_repository",
        rule(&[SetRemove("repositories", Param("value"))]),
    ),
    (
        "pool.set_https_only",
        rule(&[SetAll("host", "https_only", Param("value"))]),
    ),
    (
        "pool.set_ssh_enabled_timeout",
        rule(&[SetAll("host", "ssh_enabled_timeout", Param("value"))]),
    ),
    (
        "pool.set_console_idle_timeout",
        rule(&[
            Set("vm_console_idle_timeout", Param("value")),
            SetAll("host", "console_idle_timeout", Param("value")),
        ]),
    ),
    (
        "pool.set_ssh_auto_mode",
        rule(&[SetAll("host", "ssh_auto_mode", Param("value"))]),
    ),
    (
        "pool.enable_ssh",
        rule(&[SetAll("host", "ssh_enabled", Bool(true))]),
    ),
    (
        "pool.disable_ssh",
        rule(&[SetAll("host", "ssh_enabled", Bool(false))]),
    ),
    (
        "pool.enable_external_auth",
        rule(&[
            SetAll("host", "external_auth_type", Param("auth_type")),
            SetAll("host", "external_auth_service_name", Param("service_name")),
            SetAll("host", "external_auth_configuration", Param("config")),
        ]),
    ),
    (
        "pool.disable_external_auth",
        rule(&[
            SetAll("host", "external_auth_type", Str("")),
            SetAll("host", "external_auth_service_name", Str("")),
        ]),
    ),
    (
        "pool.initialize_wlb",
        rule(&[
            Set("wlb_url", Param("wlb_url")),
            Set("wlb_username", Param("wlb_username")),
            Set("wlb_enabled", Bool(true)),
        ]),
    ),
    (
        "pool.deconfigure_wlb",
        rule(&[
            Set("wlb_url", Str("")),
            Set("wlb_username", Str("")),
            Set("wlb_enabled", Bool(false)),
        ]),
    ),
    (
        "pool.enable_local_storage_caching",
        rule(&[SetAll("SR", "local_cache_enabled", Bool(true))]),
    ),
    (
        "pool.disable_local_storage_caching",
        rule(&[SetAll("SR", "local_cache_enabled", Bool(false))]),
    ),
    (
        "host.set_hostname_live",
        rule(&[Set("hostname", Param("hostname"))]),
    ),
    (
        "host.enable_display",
        Rule {
            steps: &[Set("display", Str("enable_on_reboot"))],
            ret: Ret::Field("display"),
        },
    ),
    (
        "host.disable_display",
        Rule {
            steps: &[Set("display", Str("disable_on_reboot"))],
            ret: Ret::Field("display"),
        },
    ),
    (
        "host.enable_local_storage_caching",
        rule(&[Set("local_cache_sr", Param("sr"))]),
    ),
    (
        "host.disable_local_storage_caching",
        rule(&[Set("local_cache_sr", Null)]),
    ),
    (
        "host.enable_external_auth",
        rule(&[
            Set("external_auth_type", Param("auth_type")),
            Set("external_auth_service_name", Param("service_name")),
            Set("external_auth_configuration", Param("config")),
        ]),
    ),
    (
        "host.disable_external_auth",
        rule(&[
            Set("external_auth_type", Str("")),
            Set("external_auth_service_name", Str("")),
        ]),
    ),
    ("host.license_remove", rule(&[Set("edition", Str("free"))])),
    (
        "host.management_reconfigure",
        rule(&[SetOnParam("pif", "management", Bool(true))]),
    ),
    (
        "host.list_timezones",
        Rule {
            steps: &[],
            ret: Ret::Strings(&[
                "UTC",
                "Europe/London",
                "Europe/Paris",
                "America/New_York",
                "America/Los_Angeles",
                "Asia/Shanghai",
                "Asia/Tokyo",
                "Australia/Sydney",
            ]),
        },
    ),
    (
        "SR.probe",
        Rule {
            steps: &[],
            ret: Ret::Str("<?xml version=\"1.0\" ?>\n<SRlist/>\n"),
        },
    ),
    (
        "host.get_system_status_capabilities",
        Rule {
            steps: &[],
            ret: Ret::Str("<?xml version=\"1.0\" ?>\n<system-status-capabilities/>\n"),
        },
    ),
    (
        "host.get_ntp_synchronized",
        Rule {
            steps: &[],
            ret: Ret::Bool(true),
        },
    ),
    (
        "PIF.reconfigure_ip",
        rule(&[
            Set("ip_configuration_mode", Param("mode")),
            Set("IP", Param("IP")),
            Set("netmask", Param("netmask")),
            Set("gateway", Param("gateway")),
            Set("DNS", Param("DNS")),
        ]),
    ),
    (
        "PIF.reconfigure_ipv6",
        rule(&[
            Set("ipv6_configuration_mode", Param("mode")),
            Set("IPv6", Param("IPv6")),
            Set("ipv6_gateway", Param("gateway")),
            Set("DNS", Param("DNS")),
        ]),
    ),
    ("PIF.plug", rule(&[Set("currently_attached", Bool(true))])),
    (
        "PIF.unplug",
        rule(&[
            Require("management", false, "PIF_IS_MANAGEMENT_INTERFACE"),
            Set("currently_attached", Bool(false)),
        ]),
    ),
    (
        "PIF.set_property",
        rule(&[MapPut("properties", Param("name"), Param("value"))]),
    ),
    (
        "Bond.set_property",
        rule(&[MapPut("properties", Param("name"), Param("value"))]),
    ),
    (
        "VIF.configure_ipv4",
        rule(&[
            Set("ipv4_configuration_mode", Param("mode")),
            Set("ipv4_addresses", Param("address")),
            Set("ipv4_gateway", Param("gateway")),
        ]),
    ),
    (
        "VIF.configure_ipv6",
        rule(&[
            Set("ipv6_configuration_mode", Param("mode")),
            Set("ipv6_addresses", Param("address")),
            Set("ipv6_gateway", Param("gateway")),
        ]),
    ),
    ("VIF.move", rule(&[Set("network", Param("network"))])),
    ("PBD.plug", rule(&[Set("currently_attached", Bool(true))])),
    (
        "PBD.unplug",
        rule(&[Set("currently_attached", Bool(false))]),
    ),
    (
        "VUSB.unplug",
        rule(&[Set("currently_attached", Bool(false))]),
    ),
    ("Cluster_host.enable", rule(&[Set("enabled", Bool(true))])),
    ("Cluster_host.disable", rule(&[Set("enabled", Bool(false))])),
    (
        "Host_driver.select",
        rule(&[Set("selected_variant", Param("variant"))]),
    ),
    (
        "Host_driver.deselect",
        rule(&[Set("selected_variant", Null)]),
    ),
    (
        "Driver_variant.select",
        rule(&[SetOnRef("driver", "selected_variant", SelfRef)]),
    ),
    (
        "VDI.pool_migrate",
        Rule {
            steps: &[Set("SR", Param("sr"))],
            ret: Ret::SelfRef,
        },
    ),
    (
        "VDI.data_destroy",
        rule(&[
            Require("cbt_enabled", true, "VDI_NO_CBT_METADATA"),
            Set("type", Str("cbt_metadata")),
        ]),
    ),
    (
        "PGPU.enable_dom0_access",
        Rule {
            steps: &[Set("dom0_access", Str("enable_on_reboot"))],
            ret: Ret::Field("dom0_access"),
        },
    ),
    (
        "PGPU.disable_dom0_access",
        Rule {
            steps: &[Set("dom0_access", Str("disable_on_reboot"))],
            ret: Ret::Field("dom0_access"),
        },
    ),
    ("pool_update.apply", rule(&[SetAdd("hosts", Param("host"))])),
    (
        "pool_update.pool_apply",
        rule(&[Set("hosts", AllOf("host"))]),
    ),
    (
        "pool_patch.pool_apply",
        rule(&[Set("pool_applied", Bool(true))]),
    ),
    (
        "host_patch.apply",
        rule(&[Set("applied", Bool(true)), Set("timestamp_applied", Now)]),
    ),
];

/// The rule of `Class.message`, if the table has one.
pub fn rule_of(method: &str) -> Option<&'static Rule> {
    RULES.iter().find(|(m, _)| *m == method).map(|(_, r)| r)
}

fn param_index(msg: &Message, name: &str) -> Option<usize> {
    msg.params.iter().position(|p| p.name == name)
}

/// A source's value, `None` when it is an argument left off.
fn value(t: &Inner, msg: &Message, args: &[V], self_ref: Option<&str>, src: Src) -> Option<V> {
    Some(match src {
        Param(name) => match args.get(param_index(msg, name)?)? {
            V::Nil => return None,
            v => v.clone(),
        },
        Bool(b) => V::Bool(b),
        Str(s) => V::s(s),
        Null => V::s(NULL_REF),
        Now => now_datetime(),
        SelfRef => V::s(self_ref.unwrap_or(NULL_REF)),
        AllOf(class) => V::sset(
            t.model()
                .class(class)
                .map(|c| t.refs(c))
                .unwrap_or_default(),
        ),
    })
}

/// Sets a field by name, if the class has it: a single value fills a set field as its only
/// element.
fn put(t: &mut Inner, class: usize, r: &str, field: &str, v: V) -> Result<(), Failure> {
    let Some(fi) = t.model().classes[class].field(field) else {
        return Ok(());
    };
    let ty = t.model().classes[class].fields[fi].ty.clone();
    let v = match (&ty, v) {
        (Ty::Set(_), v @ V::Str(_)) => V::Set(if v.as_str() == Some("") {
            vec![]
        } else {
            vec![v]
        }),
        (_, v) => v,
    };
    let v = crate::dispatch::coerce(t.model(), &ty, v)
        .unwrap_or_else(|| crate::store::zero_of(t.model(), &ty));
    t.set(class, r, fi, v)
}

/// Applies a rule; `HANDLE_INVALID` and the rule's own checks come first.
pub fn apply(t: &mut Inner, ctx: &CallCtx, msg: &Message, rule: &Rule) -> Result<Reply, Failure> {
    let c = ctx.class;
    let model = t.model().clone();
    let class = &model.classes[c];
    let self_ref = msg
        .params
        .first()
        .filter(|p| p.ty == Ty::Ref(class.name.clone()))
        .and_then(|_| ctx.args.first())
        .and_then(V::as_str)
        .map(String::from);
    let targets = match &self_ref {
        Some(r) => vec![r.clone()],
        None => t.refs(c),
    };
    let val = |t: &Inner, src| value(t, msg, &ctx.args, self_ref.as_deref(), src);
    for step in rule.steps {
        match *step {
            Require(field, want, code) => {
                for r in &targets {
                    if let Ok(v) = t.get(c, r, field) {
                        if v.as_bool() != Some(want) {
                            return Err(Failure::new(code, Vec::<String>::new()));
                        }
                    }
                }
            }
            Set(field, src) => {
                let Some(v) = val(t, src) else { continue };
                for r in &targets {
                    put(t, c, r, field, v.clone())?;
                }
            }
            SetAll(other, field, src) => {
                let (Some(oc), Some(v)) = (model.class(other), val(t, src)) else {
                    continue;
                };
                for r in t.refs(oc) {
                    put(t, oc, &r, field, v.clone())?;
                }
            }
            SetOnParam(param, field, src) => {
                let Some(i) = param_index(msg, param) else {
                    continue;
                };
                let Ty::Ref(other) = &msg.params[i].ty else {
                    continue;
                };
                let (Some(oc), Some(r), Some(v)) = (
                    model.class(other),
                    ctx.args.get(i).and_then(V::as_str),
                    val(t, src),
                ) else {
                    continue;
                };
                put(t, oc, r, field, v)?;
            }
            SetOnRef(ref_field, field, src) => {
                let Some(fi) = class.field(ref_field) else {
                    continue;
                };
                let Ty::Ref(other) = &class.fields[fi].ty else {
                    continue;
                };
                let Some(oc) = model.class(other) else {
                    continue;
                };
                let Some(v) = val(t, src) else { continue };
                for r in &targets {
                    let target = t.field(c, r, fi)?.as_str().unwrap_or(NULL_REF).to_string();
                    t.obj(oc, &target)?;
                    put(t, oc, &target, field, v.clone())?;
                }
            }
            MapPut(field, k, v) => {
                let (Some(fi), Some(k), Some(v)) = (class.field(field), val(t, k), val(t, v))
                else {
                    continue;
                };
                for r in &targets {
                    t.modify(c, r, |rec| {
                        let mut m = match &rec[fi] {
                            V::Map(m) => m.clone(),
                            _ => Vec::new(),
                        };
                        m.retain(|(x, _)| x != &k);
                        m.push((k.clone(), v.clone()));
                        rec[fi] = V::Map(m);
                    })?;
                }
            }
            SetAdd(field, src) | SetRemove(field, src) => {
                let add = matches!(step, SetAdd(..));
                let (Some(fi), Some(item)) = (class.field(field), val(t, src)) else {
                    continue;
                };
                for r in &targets {
                    t.modify(c, r, |rec| {
                        let mut items = rec[fi].as_set().map(<[V]>::to_vec).unwrap_or_default();
                        items.retain(|x| x != &item);
                        if add {
                            items.push(item.clone());
                        }
                        rec[fi] = V::Set(items);
                    })?;
                }
            }
        }
    }
    Ok(match rule.ret {
        Ret::Void => Reply::void(),
        Ret::SelfRef => Reply::s(self_ref.unwrap_or_else(|| NULL_REF.into())),
        Ret::Strings(list) => Reply::V(V::sset(list.iter().copied())),
        Ret::Bool(b) => Reply::V(V::Bool(b)),
        Ret::Str(x) => Reply::s(x),
        Ret::Field(f) => Reply::V(match targets.first() {
            Some(r) => t.get(c, r, f)?,
            None => V::Nil,
        }),
    })
}

fn src_words(src: Src) -> String {
    match src {
        Param(p) => format!("`{p}`"),
        Bool(b) => b.to_string(),
        Str(s) => format!("{s:?}"),
        Null => "null".into(),
        Now => "now".into(),
        SelfRef => "`self`".into(),
        AllOf(c) => format!("every `{c}`"),
    }
}

/// The rule in words.
pub fn describe(rule: &Rule, on_self: bool) -> String {
    let whose = if on_self {
        ""
    } else {
        " (of every object: the pool)"
    };
    let mut parts: Vec<String> = rule
        .steps
        .iter()
        .map(|s| match *s {
            Require(f, want, code) => format!("`{code}` unless `{f}` is {want}"),
            Set(f, src) => format!("sets `{f}`{whose} to {}", src_words(src)),
            SetAll(c, f, src) => format!("sets `{f}` of every `{c}` to {}", src_words(src)),
            SetOnParam(p, f, src) => format!("sets `{f}` of `{p}` to {}", src_words(src)),
            SetOnRef(r, f, src) => {
                format!("sets `{f}` of the object `{r}` names to {}", src_words(src))
            }
            MapPut(f, k, v) => format!("puts {} → {} in `{f}`", src_words(k), src_words(v)),
            SetAdd(f, src) => format!("adds {} to `{f}`", src_words(src)),
            SetRemove(f, src) => format!("removes {} from `{f}`", src_words(src)),
        })
        .collect();
    match rule.ret {
        Ret::Void => {}
        Ret::SelfRef => parts.push("answers `self`".into()),
        Ret::Field(f) => parts.push(format!("answers the new `{f}`")),
        Ret::Strings(list) => parts.push(format!("answers {}", list.join(", "))),
        Ret::Bool(b) => parts.push(format!("answers {b}")),
        Ret::Str(x) => parts.push(format!("answers `{}`", x.replace('\n', " "))),
    }
    parts.join("; ")
}

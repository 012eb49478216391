//! C spellings: identifiers, type names and the C type of each model type.

use crate::model::Type;

/// Where a type appears: records hold refs as `record_opt`s, signatures as plain handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// A parameter, a result, or inside a map or a set that is one.
    Sig,
    /// A member of a record struct.
    Record,
}

/// The C name of a class, enum, message or field: lower case (`VM_guest_metrics` →
/// `vm_guest_metrics`).
pub fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The C enumerator for an enum value: `XEN_VM_POWER_STATE_RUNNING`, `-` and `.` → `_`.
pub fn enumerator(enum_name: &str, value: &str) -> String {
    let v: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("XEN_{}_{v}", enum_name.to_ascii_uppercase())
}

/// A struct member or parameter name that is safe in C and C++.
pub fn member(name: &str) -> String {
    match lower(name).as_str() {
        "class" => "XEN_CLAZZ".to_owned(),
        "typename" => "XEN_API_TYPE".to_owned(),
        "public" => "pubblic".to_owned(),
        other => other.to_owned(),
    }
}

/// Whether `t` is the session ref, which C spells `xen_session *`.
pub fn is_session(t: &Type) -> bool {
    matches!(t, Type::Ref(c) if c == "session")
}

/// The name a type contributes to set and map names (`string`, `vm`, `vm_power_state`,
/// `string_string_map`, `xen_vm_record`).
pub fn part(t: &Type) -> String {
    match t {
        Type::String => "string".into(),
        Type::Int => "int".into(),
        Type::Float => "float".into(),
        Type::Bool => "bool".into(),
        Type::DateTime => "datetime".into(),
        Type::Enum(e) => lower(e),
        Type::Ref(c) => lower(c),
        Type::Record(c) => format!("xen_{}_record", lower(c)),
        Type::Set(t) => format!("{}_set", part(t)),
        Type::Map(k, v) => format!("{}_{}_map", part(k), part(v)),
        Type::Option(t) => part(t),
        Type::AnyRecord | Type::EventBatch | Type::Void => "unsupported".into(),
    }
}

/// The struct name of a set of `elem` in context `ctx`.
pub fn set_name(elem: &Type, ctx: Ctx) -> String {
    match elem {
        Type::Record(c) => format!("xen_{}_record_set", lower(c)),
        Type::Ref(c) if ctx == Ctx::Record && c != "session" => {
            format!("xen_{}_record_opt_set", lower(c))
        }
        other => format!("xen_{}_set", part(other)),
    }
}

/// The struct name of a map.
pub fn map_name(k: &Type, v: &Type) -> String {
    format!("xen_{}_{}_map", part(k), part(v))
}

/// The C type of `t` in context `ctx` (`None` for types C cannot express).
pub fn ctype(t: &Type, ctx: Ctx) -> Option<String> {
    Some(match t {
        Type::String => "char *".into(),
        Type::Int => "int64_t".into(),
        Type::Float => "double".into(),
        Type::Bool => "bool".into(),
        Type::DateTime => "time_t".into(),
        Type::Enum(e) => format!("enum xen_{}", lower(e)),
        Type::Ref(c) if c == "session" => match ctx {
            Ctx::Sig => "xen_session *".into(),
            Ctx::Record => "char *".into(),
        },
        Type::Ref(c) => match ctx {
            Ctx::Sig => format!("xen_{}", lower(c)),
            Ctx::Record => format!("struct xen_{}_record_opt *", lower(c)),
        },
        Type::Record(c) => format!("struct xen_{}_record *", lower(c)),
        Type::Set(e) => {
            check(e)?;
            format!("struct {} *", set_name(e, ctx))
        }
        Type::Map(k, v) => {
            check(k)?;
            check(v)?;
            format!("struct {} *", map_name(k, v))
        }
        Type::Option(inner) if ctype(inner, ctx)?.ends_with('*') => return ctype(inner, ctx),
        Type::EventBatch => "struct xen_event_batch *".into(),
        Type::Option(_) | Type::AnyRecord | Type::Void => return None,
    })
}

/// Element types C containers can hold (no session refs, no event batches).
fn check(t: &Type) -> Option<()> {
    let mut ok = true;
    t.visit(&mut |t| {
        if is_session(t) || matches!(t, Type::AnyRecord | Type::EventBatch | Type::Void) {
            ok = false;
        }
    });
    ok.then_some(())
}

/// Joins a C type and a declarator: `char *` + `x` → `char *x`, `int64_t` + `x` → `int64_t x`.
pub fn decl(ty: &str, name: &str) -> String {
    if ty.ends_with('*') {
        format!("{ty}{name}")
    } else {
        format!("{ty} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Type {
        s.parse().unwrap()
    }

    #[test]
    fn spellings() {
        assert_eq!(
            enumerator("vm_power_state", "Running"),
            "XEN_VM_POWER_STATE_RUNNING"
        );
        assert_eq!(
            enumerator("bond_mode", "balance-slb"),
            "XEN_BOND_MODE_BALANCE_SLB"
        );
        assert_eq!(
            map_name(&t("VM ref"), &t("VM record")),
            "xen_vm_xen_vm_record_map"
        );
        assert_eq!(
            map_name(&t("VM ref"), &t("(string -> string) map")),
            "xen_vm_string_string_map_map"
        );
        assert_eq!(
            map_name(&t("int"), &t("string set")),
            "xen_int_string_set_map"
        );
        assert_eq!(
            map_name(&t("string"), &t("enum vm_operations")),
            "xen_string_vm_operations_map"
        );
        assert_eq!(
            ctype(&t("VIF ref set"), Ctx::Sig).unwrap(),
            "struct xen_vif_set *"
        );
        assert_eq!(
            ctype(&t("VIF ref set"), Ctx::Record).unwrap(),
            "struct xen_vif_record_opt_set *"
        );
        assert_eq!(
            ctype(&t("string set set"), Ctx::Sig).unwrap(),
            "struct xen_string_set_set *"
        );
        assert_eq!(
            ctype(&t("sr_stat record option"), Ctx::Record).unwrap(),
            "struct xen_sr_stat_record *"
        );
        assert_eq!(member("class"), "XEN_CLAZZ");
        assert_eq!(member("public"), "pubblic");
        assert_eq!(decl("char *", "x"), "char *x");
    }
}

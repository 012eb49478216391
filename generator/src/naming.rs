//! Rust spellings of model names.

/// Type name for a class or enum: `VM_guest_metrics` → `VmGuestMetrics`, `PIF` → `Pif`,
/// `vm_power_state` → `VmPowerState`.
pub fn type_name(model_name: &str) -> String {
    words(model_name).iter().map(|w| capitalize(w)).collect()
}

/// Enum variant for a wire value: `balance-slb` → `BalanceSlb`, `restartHVM` → `RestartHvm`,
/// `DHCP` → `Dhcp`. Values starting with a digit get a leading `V`.
pub fn variant_name(value: &str) -> String {
    let name: String = words(value).iter().map(|w| capitalize(w)).collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else {
        name
    }
}

/// Snake-case identifier for a field, message or parameter: `VCPUs_max` → `vcpus_max`,
/// `type` → `r#type`.
pub fn snake_name(model_name: &str) -> String {
    escape_keyword(model_name.to_ascii_lowercase())
}

/// Makes `ident` usable as an identifier: raw identifier for keywords, a trailing `_` for the
/// keywords that cannot be raw.
pub fn escape_keyword(ident: String) -> String {
    const RAW: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type",
        "unsafe", "use", "where", "while", "yield", "abstract", "become", "do", "final", "macro",
        "override", "priv", "typeof", "unsized", "virtual",
    ];
    const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if RAW.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// Splits at `_`, `-`, `.`, spaces and lower-to-upper case changes (`restartHVM` → `restart`,
/// `HVM`); an upper-case run keeps its letters together.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev = None;
            continue;
        }
        if c.is_ascii_uppercase()
            && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            && !cur.is_empty()
        {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn capitalize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(type_name("VM_guest_metrics"), "VmGuestMetrics");
        assert_eq!(type_name("PIF"), "Pif");
        assert_eq!(type_name("host_cpu"), "HostCpu");
        assert_eq!(variant_name("balance-slb"), "BalanceSlb");
        assert_eq!(variant_name("restartHVM"), "RestartHvm");
        assert_eq!(variant_name("DHCP"), "Dhcp");
        assert_eq!(snake_name("VCPUs_max"), "vcpus_max");
        assert_eq!(snake_name("type"), "r#type");
        assert_eq!(snake_name("self"), "self_");
    }
}

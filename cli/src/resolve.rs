//! Refs as people write them: an `OpaqueRef:…`, a UUID, or a unique name-label.

use xenapi::{Session, Value};

use crate::error::{CliError, CliResult};
use crate::parse::ResolveRef;
use crate::schema::{Dialect, Schema};

/// Resolves refs by asking the server (`Class.get_by_uuid`, `Class.get_by_name_label`).
pub struct ServerRefs<'a> {
    /// The session to ask through.
    pub session: &'a Session,
    /// The model, to know which classes have name-labels.
    pub schema: &'a Schema,
}

impl ResolveRef for ServerRefs<'_> {
    fn resolve(&self, class: &str, text: &str) -> CliResult<String> {
        if text.starts_with("OpaqueRef:") {
            return Ok(text.to_string());
        }
        if is_uuid(text) {
            return self.by_uuid(class, text);
        }
        let has_names = self
            .schema
            .class(class)
            .is_some_and(|c| c.messages.contains_key("get_by_name_label"));
        if !has_names {
            return Err(CliError::usage(format!(
                "{text:?} is not a {class} ref: give {}",
                self.ref_forms()
            )));
        }
        let found = self
            .session
            .call(&format!("{class}.get_by_name_label"), &[text.into()])?;
        let refs: Vec<String> = found
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        match refs.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(CliError::usage(format!(
                "no {class} is named {text:?} (give {})",
                self.all_forms()
            ))),
            many => Err(CliError::usage(format!(
                "{} {class}s are named {text:?} ({}): give {}",
                many.len(),
                many.join(", "),
                self.ref_forms()
            ))),
        }
    }
}

impl ServerRefs<'_> {
    /// How refs may be written to this server (names aside).
    fn ref_forms(&self) -> &'static str {
        match self.schema.dialect() {
            Dialect::Xapi => "an OpaqueRef or a uuid",
            Dialect::Xend => "a uuid",
        }
    }

    /// How refs may be written to this server, names included.
    fn all_forms(&self) -> &'static str {
        match self.schema.dialect() {
            Dialect::Xapi => "an OpaqueRef, a uuid or an existing name-label",
            Dialect::Xend => "a uuid or an existing name-label",
        }
    }

    fn by_uuid(&self, class: &str, uuid: &str) -> CliResult<String> {
        if self.schema.dialect() == Dialect::Xend {
            // xend's refs are the objects' UUIDs.
            return Ok(uuid.to_string());
        }
        match self
            .session
            .call(&format!("{class}.get_by_uuid"), &[uuid.into()])
        {
            Ok(Value::String(r)) => Ok(r),
            Ok(other) => Err(CliError::Other(format!(
                "{class}.get_by_uuid answered {} instead of a ref",
                other.kind()
            ))),
            Err(xenapi::Error::Api(f)) if f.code == "UUID_INVALID" => {
                Err(CliError::usage(format!("no {class} has the uuid {uuid}")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether `text` is spelt as a UUID (8-4-4-4-12 hex digits).
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_uuid;

    #[test]
    fn uuid_spelling() {
        assert!(is_uuid("0b5a3d4e-7c1f-4a8e-9d2b-123456789abc"));
        assert!(!is_uuid("0b5a3d4e-7c1f-4a8e-9d2b-123456789ab"));
        assert!(!is_uuid("my-vm"));
    }
}

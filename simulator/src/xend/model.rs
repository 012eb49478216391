//! The xend model: libxen 4.4's classes (embedded), xend's `task` class, and which messages
//! have an `Async.` form.

use serde_json::{json, Value};

use crate::model::{Dialect, Model};

/// libxen 4.4's data model in the compact form.
const LIBXEN_JSON: &str = include_str!("preliminary-model.json");

/// xend's task record: what `task.get_record` answered, in xend's order.
const TASK_FIELDS: &[(&str, &str)] = &[
    ("uuid", "string"),
    ("name_label", "string"),
    ("name_description", "string"),
    ("status", "enum task_status_type"),
    ("progress", "int"),
    ("type", "string"),
    ("result", "string"),
    ("error_info", "string set"),
    ("allowed_operations", "string set"),
    ("session", "session ref"),
    ("created", "datetime"),
    ("finished", "datetime"),
    ("resident_on", "host ref"),
];

const TASK_STATUS: &[&str] = &["pending", "success", "failure", "cancelling", "cancelled"];

/// Classes whose messages never had an `Async.` form on xend.
const NEVER_ASYNC: &[&str] = &["session", "event", "task"];

/// The xend model: see [`crate::xend`].
pub fn model() -> Model {
    let mut raw: Value = serde_json::from_str(LIBXEN_JSON).expect("the embedded xend model parses");
    raw["api_version"] = json!([1, 0]);
    if let Some(classes) = raw["classes"].as_array_mut() {
        if !classes.iter().any(|c| c["name"] == "task") {
            classes.push(task_class());
        }
    }
    if let Some(enums) = raw["enums"].as_array_mut() {
        if !enums.iter().any(|e| e["name"] == "task_status_type") {
            enums.push(json!({"name": "task_status_type", "values": TASK_STATUS}));
        }
    }
    let mut model = Model::from_json(&raw.to_string()).expect("the embedded xend model loads");
    model.dialect = Dialect::Xend;
    for class in &mut model.classes {
        if NEVER_ASYNC.contains(&class.name.as_str()) {
            continue;
        }
        for m in class.messages.values_mut() {
            m.is_async |= !m.implicit || m.name == "create" || m.name == "destroy";
        }
    }
    model
}

fn message(name: &str, params: Value, result: &str, implicit: bool) -> Value {
    json!({
        "name": name, "implicit": implicit, "session": true, "async": false,
        "lifecycle": "published", "params": params, "result": result, "errors": [],
    })
}

fn task_class() -> Value {
    let this = json!([{"name": "task", "type": "task ref", "required": true}]);
    let mut messages = vec![
        message("get_record", this.clone(), "task record", true),
        message(
            "get_by_uuid",
            json!([{"name": "uuid", "type": "string", "required": true}]),
            "task ref",
            true,
        ),
        message(
            "get_by_name_label",
            json!([{"name": "label", "type": "string", "required": true}]),
            "task ref set",
            true,
        ),
        message("get_all", json!([]), "task ref set", true),
        message("cancel", this.clone(), "void", false),
        message("destroy", this.clone(), "void", true),
    ];
    let mut fields = Vec::new();
    for (name, ty) in TASK_FIELDS {
        fields.push(json!({
            "name": name, "type": ty, "qualifier": "RO/runtime", "lifecycle": "published",
        }));
        messages.push(message(&format!("get_{name}"), this.clone(), ty, true));
    }
    json!({"name": "task", "lifecycle": "published", "fields": fields, "messages": messages})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xend_model_has_tasks_and_xends_async_forms() {
        let m = model();
        assert_eq!(m.dialect, Dialect::Xend);
        assert_eq!(m.api_version, (1, 0));
        let vm = &m.classes[m.class("VM").unwrap()];
        assert!(vm.messages["start"].is_async);
        assert!(vm.messages["create"].is_async);
        assert!(!vm.messages["get_name_label"].is_async);
        let session = &m.classes[m.class("session").unwrap()];
        assert!(!session.messages["login_with_password"].is_async);
        assert_eq!(session.messages["login_with_password"].max_wire_params(), 2);
        let task = &m.classes[m.class("task").unwrap()];
        assert!(task.messages.contains_key("cancel") && task.field("progress").is_some());
        assert!(m.class("cpu_pool").is_some() && m.class("XSPolicy").is_some());
    }
}

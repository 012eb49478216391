//! xend (Xen ≤ 4.4, API 1.0) with dynamic calls: log in, list the VMs, start one and watch
//! the events it causes.
//!
//! Against a real xend: `XEND_URL=http://host:9363 XEND_USER=root XEND_PASSWORD=… cargo run
//! --example xend` (or `XEND_URL=unix:/var/run/xend/xen-api.sock`). Without `XEND_URL`, the
//! simulator is started in xend mode on an ephemeral port. Nothing is started on a real xend
//! unless `XEND_START=<vm uuid>` names the VM to start.

use std::time::{Duration, Instant};

use xenapi::{Client, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let simulator;
    let simulated = std::env::var_os("XEND_URL").is_none();
    let (url, user, password, to_start) = match std::env::var("XEND_URL") {
        Ok(url) => (
            url,
            std::env::var("XEND_USER").unwrap_or_else(|_| "root".into()),
            std::env::var("XEND_PASSWORD").unwrap_or_default(),
            std::env::var("XEND_START").ok(),
        ),
        Err(_) => {
            simulator = xapi_sim::Simulator::builder().xend().vms(6).start()?;
            let (user, password) = simulator.credentials();
            println!("started a simulated xend at {}", simulator.url());
            (simulator.url(), user.into(), password.into(), None)
        }
    };

    // XML-RPC, the only format xend speaks, is the client's default.
    let client = Client::new(&url)?;
    // xend takes only the user and the password; with a version or originator the client
    // falls back to those two by itself.
    let session = client.login_with_password(&user, &password, "", "")?;
    println!("session {} (refs are UUIDs on xend)", session.session_ref());

    let mut halted = None;
    let vms: Vec<String> = session.call_as("VM.get_all", &())?;
    for vm in &vms {
        let rec = session.call("VM.get_record", &[vm.as_str().into()])?;
        let text = |f: &str| rec.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        let template = rec.get("is_a_template").and_then(Value::as_bool) == Some(true);
        println!(
            "{vm}  {:<9} memory {:>12}  {}",
            text("power_state"),
            text("memory_static_max"),
            text("name_label")
        );
        if text("power_state") == "Halted" && !template && halted.is_none() {
            halted = Some(vm.clone());
        }
    }

    // On the simulator, a halted guest; on a real xend, only the VM named by XEND_START.
    let Some(vm) = to_start.or(halted.filter(|_| simulated)) else {
        session.logout()?;
        return Ok(());
    };
    session.call("event.register", &[Value::Array(vec!["VM".into()])])?;
    session.call("VM.start", &[vm.as_str().into(), Value::Bool(false)])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    'watch: while Instant::now() < deadline {
        let events = session.call("event.next", &[])?;
        for e in events.as_array().unwrap_or(&[]) {
            let text = |f: &str| e.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            println!(
                "event {} {} {} {} field {:?}",
                text("id"),
                text("class"),
                text("operation"),
                text("obj_uuid"),
                text("field")
            );
            if text("obj_uuid") == vm && text("field") == "power_state" {
                break 'watch;
            }
        }
    }
    session.call("event.unregister", &[Value::Array(vec!["VM".into()])])?;
    session.logout()?;
    Ok(())
}

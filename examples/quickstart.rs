//! Log in, list the VMs with their power state, log out.
//!
//! Against a real host: `XENAPI_URL=https://host XENAPI_USER=root XENAPI_PASSWORD=… cargo run
//! --example quickstart` (add `XENAPI_FINGERPRINT=AA:BB:…` to pin a self-signed certificate).
//! Without `XENAPI_URL`, an in-process simulator is started on an ephemeral port.

use xenapi::transport::TlsVerification;
use xenapi::{Client, Value, WireFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let simulator;
    let (url, user, password, tls) = match std::env::var("XENAPI_URL") {
        Ok(url) => {
            let user = std::env::var("XENAPI_USER").unwrap_or_else(|_| "root".into());
            let password = std::env::var("XENAPI_PASSWORD").map_err(|_| "set XENAPI_PASSWORD")?;
            let tls = match std::env::var("XENAPI_FINGERPRINT") {
                Ok(fp) => TlsVerification::pin(&fp)?,
                Err(_) => TlsVerification::default(),
            };
            (url, user, password, tls)
        }
        Err(_) => {
            simulator = xapi_sim::Simulator::builder().vms(5).start()?;
            let (user, password) = simulator.credentials();
            println!("started a simulator at {}", simulator.url());
            (
                simulator.url(),
                user.to_string(),
                password.to_string(),
                TlsVerification::default(),
            )
        }
    };

    let client = Client::builder(&url)
        .format(WireFormat::JsonRpc)
        .tls(tls)
        .build()?;
    let session = client.login_with_password(&user, &password, "1.0", "xenapi quickstart")?;

    let records = session.call("VM.get_all_records", &[])?;
    let mut vms: Vec<(&str, &str)> = records
        .as_struct()
        .ok_or("VM.get_all_records did not return a map")?
        .values()
        .filter(|vm| !flag(vm, "is_a_template") && !flag(vm, "is_control_domain"))
        .map(|vm| (text(vm, "name_label"), text(vm, "power_state")))
        .collect();
    vms.sort();
    println!("{} VMs:", vms.len());
    for (name, state) in vms {
        println!("  {name:<40} {state}");
    }

    session.logout()?;
    Ok(())
}

fn flag(record: &Value, field: &str) -> bool {
    record.get(field).and_then(Value::as_bool).unwrap_or(false)
}

fn text<'a>(record: &'a Value, field: &str) -> &'a str {
    record.get(field).and_then(Value::as_str).unwrap_or("")
}

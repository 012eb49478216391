//! Log in, list the VMs with their power state, log out.
//!
//! Against a real host: `XENAPI_URL=https://host XENAPI_USER=root XENAPI_PASSWORD=… cargo run
//! --example quickstart` (add `XENAPI_FINGERPRINT=AA:BB:…` to pin a self-signed certificate).
//! Without `XENAPI_URL`, an in-process simulator is started on an ephemeral port.

use xenapi::api::Vm;
use xenapi::transport::TlsVerification;
use xenapi::{Client, WireFormat};

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
    let session = client.login_with_password(&user, &password, "2.23", "xenapi quickstart")?;

    let mut vms: Vec<_> = Vm::get_all_records(&session)?
        .into_values()
        .filter(|vm| !vm.is_a_template && !vm.is_control_domain)
        .collect();
    vms.sort_by(|a, b| a.name_label.cmp(&b.name_label));
    println!("{} VMs:", vms.len());
    for vm in &vms {
        println!("  {:<40} {}", vm.name_label, vm.power_state);
    }

    session.logout()?;
    Ok(())
}

//! The typed API: log in, list the VMs with their records, start a halted one as a task with
//! progress, list its disks, then watch the events its shutdown causes.
//!
//! Against a real host: `XENAPI_URL=https://host XENAPI_USER=root XENAPI_PASSWORD=… cargo run
//! --example typed_tour` (it starts and stops a halted VM). Without `XENAPI_URL`, an
//! in-process simulator is started on an ephemeral port.

use std::time::Duration;

use xenapi::api::{Vbd, Vm, VmPowerState};
use xenapi::typed::{ClassWatcher, WaitOptions};
use xenapi::{Client, WireFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let simulator;
    let (url, user, password) = match std::env::var("XENAPI_URL") {
        Ok(url) => (
            url,
            std::env::var("XENAPI_USER").unwrap_or_else(|_| "root".into()),
            std::env::var("XENAPI_PASSWORD").map_err(|_| "set XENAPI_PASSWORD")?,
        ),
        Err(_) => {
            simulator = xapi_sim::Simulator::builder().vms(5).start()?;
            let (user, password) = simulator.credentials();
            println!("started a simulator at {}", simulator.url());
            (simulator.url(), user.to_owned(), password.to_owned())
        }
    };
    let client = Client::builder(&url).format(WireFormat::JsonRpc).build()?;
    let session = client.login_with_password(&user, &password, "2.23", "xenapi typed tour")?;

    let mut guests: Vec<_> = Vm::get_all_records(&session)?
        .into_iter()
        .filter(|(_, r)| !r.is_a_template && !r.is_control_domain)
        .collect();
    guests.sort_by(|a, b| a.1.name_label.cmp(&b.1.name_label));
    println!("{} VMs:", guests.len());
    for (_, record) in &guests {
        println!(
            "  {:<30} {:<10} {} vCPUs, {} MiB",
            record.name_label,
            record.power_state,
            record.vcpus_max,
            record.memory_static_max >> 20
        );
    }

    let Some((vm, record)) = guests
        .iter()
        .find(|(_, r)| r.power_state == VmPowerState::Halted)
    else {
        println!("no halted VM to start");
        return Ok(session.logout()?);
    };
    println!("starting {}", record.name_label);
    let options = WaitOptions::with_timeout(Duration::from_secs(300));
    Vm::async_start(&session, vm, false, false)?.wait_and_destroy(&session, &options)?;
    println!("now {}", Vm::get_power_state(&session, vm)?);

    for vbd in Vm::get_vbds(&session, vm)? {
        let disk = Vbd::get_record(&session, &vbd)?;
        println!("  {:<6} {:<5} {}", disk.userdevice, disk.r#type, disk.vdi);
    }

    // Follow the VM through its shutdown: the first batch is the current state of every VM;
    // each event's snapshot arrives as a `VmRecord`.
    let mut events = ClassWatcher::<Vm>::new(&session).with_poll_timeout(10.0);
    let current = events.next_batch()?;
    println!("watching {} VMs", current.events.len());
    Vm::clean_shutdown(&session, vm)?;
    for event in events {
        let event = event?;
        if let Some(snapshot) = event.snapshot {
            let snapshot = snapshot?;
            println!(
                "  {} {}: {}",
                event.operation, snapshot.name_label, snapshot.power_state
            );
            if &event.object == vm && snapshot.power_state == VmPowerState::Halted {
                break;
            }
        }
    }
    session.logout()?;
    Ok(())
}

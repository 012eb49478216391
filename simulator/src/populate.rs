//! Builds a realistic pool: what every xapi pool has (hosts with their control domain, metrics,
//! CPUs, PIFs and PBDs; local, shared and ISO SRs; networks; the default templates) plus `vms`
//! guests shaped like real XenServer records (see `tests/data/real-xs72-vm*.json`): platform,
//! other_config, HVM_boot_params, bios_strings, recommendations..., each with disks (VBD + VDI),
//! a CD drive, VIFs, metrics, and guest metrics and a console while running.
//!
//! Deterministic for a seed. Objects are inserted without events or pair upkeep, then every
//! paired set is rebuilt in one pass, so that 10,000 VMs build in a fraction of a second.

use crate::behaviour::vm::allowed_operations;
use crate::model::{Dialect, Model};
use crate::store::{Inner, Record};
use crate::value::{datetime_string, NULL_REF, V};

/// What to build.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    /// Number of guest VMs.
    pub vms: usize,
    /// Number of hosts (at least 1).
    pub hosts: usize,
    /// The master's address (what `host.address` and `HOST_IS_SLAVE` give).
    pub master_address: String,
}

struct B<'a> {
    t: &'a mut Inner,
    model: std::sync::Arc<Model>,
}

/// A record under construction: fields by name; names the model lacks are skipped, so the
/// same code serves a model without some of them.
struct Rec {
    class: usize,
    rec: Record,
}

impl Rec {
    fn set(&mut self, model: &Model, name: &str, v: V) -> &mut Rec {
        if let Some(fi) = model.classes[self.class].field(name) {
            self.rec[fi] = v;
        }
        self
    }

    fn uuid(&self, model: &Model) -> String {
        model.classes[self.class]
            .field("uuid")
            .and_then(|fi| self.rec[fi].as_str().map(String::from))
            .unwrap_or_default()
    }
}

impl B<'_> {
    fn new_rec(&mut self, class: &str) -> Option<Rec> {
        let c = self.model.class(class)?;
        Some(Rec {
            class: c,
            rec: self.t.default_record(c),
        })
    }

    /// Builds and inserts one object; `f` fills the fields.
    fn add(
        &mut self,
        class: &str,
        f: impl FnOnce(&Model, &mut Rec, &mut crate::rng::Rng),
    ) -> String {
        self.add_as(None, class, f)
    }

    /// [`B::add`] under a given ref (`None`: a fresh one).
    fn add_as(
        &mut self,
        reference: Option<String>,
        class: &str,
        f: impl FnOnce(&Model, &mut Rec, &mut crate::rng::Rng),
    ) -> String {
        let Some(mut r) = self.new_rec(class) else {
            return NULL_REF.to_string();
        };
        let model = self.model.clone();
        f(&model, &mut r, &mut self.t.rng);
        let reference = reference.unwrap_or_else(|| self.t.new_ref());
        self.t.insert_raw(r.class, reference.clone(), r.rec);
        reference
    }
}

const GIB: i64 = 1 << 30;
const MIB: i64 = 1 << 20;

const TEMPLATES: &[(&str, &str, bool)] = &[
    ("Debian Bookworm 12", "debian-12", false),
    ("Ubuntu Jammy Jellyfish 22.04", "ubuntu-22.04", false),
    ("Ubuntu Noble Numbat 24.04", "ubuntu-24.04", false),
    ("CentOS Stream 9", "centos-stream-9", false),
    ("Red Hat Enterprise Linux 9", "rhel-9", false),
    ("Rocky Linux 9", "rocky-9", false),
    ("AlmaLinux 9", "almalinux-9", false),
    ("Oracle Linux 9", "oel-9", false),
    (
        "SUSE Linux Enterprise Server 15 SP5 (64-bit)",
        "sles-15",
        false,
    ),
    ("Windows 10 (64-bit)", "windows-10-64bit", true),
    ("Windows 11", "windows-11", true),
    (
        "Windows Server 2019 (64-bit)",
        "windows-server-2019-64bit",
        true,
    ),
    (
        "Windows Server 2022 (64-bit)",
        "windows-server-2022-64bit",
        true,
    ),
    ("Other install media", "other-install-media", false),
];

fn recommendations(windows: bool) -> V {
    let vcpus = if windows { 64 } else { 32 };
    V::s(format!(
        "<restrictions><restriction field=\"memory-static-max\" max=\"1649267441664\"/><restriction field=\"vcpus-max\" \
         max=\"{vcpus}\"/><restriction field=\"has-vendor-device\" value=\"{windows}\"/><restriction \
         field=\"allow-gpu-passthrough\" value=\"1\"/><restriction field=\"allow-vgpu\" value=\"1\"/><restriction \
         max=\"255\" property=\"number-of-vbds\"/><restriction max=\"7\" property=\"number-of-vifs\"/></restrictions>"
    ))
}

fn platform(windows: bool, vcpus: i64) -> V {
    let mut p = vec![
        ("acpi", "1".to_string()),
        ("apic", "true".into()),
        ("cores-per-socket", vcpus.min(4).to_string()),
        ("device-model", "qemu-upstream-compat".into()),
        ("hpet", "true".into()),
        ("nx", "true".into()),
        ("pae", "true".into()),
        ("secureboot", "false".into()),
        ("timeoffset", "0".into()),
        ("vga", "std".into()),
        ("videoram", "8".into()),
    ];
    if windows {
        p.extend([
            ("device_id", "0002".to_string()),
            ("viridian", "true".into()),
            ("viridian_reference_tsc", "true".into()),
            ("viridian_time_ref_count", "true".into()),
            ("viridian_apic_assist", "true".into()),
            ("viridian_crash_ctl", "true".into()),
            ("viridian_stimer", "true".into()),
        ]);
    }
    V::smap(p)
}

fn bios_strings() -> V {
    V::smap([
        ("bios-vendor", "Xen"),
        ("bios-version", ""),
        ("hp-rombios", ""),
        ("oem-1", "Xen"),
        (
            "oem-2",
            "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d",
        ),
        ("system-manufacturer", "Xen"),
        ("system-product-name", "HVM domU"),
        ("system-serial-number", ""),
        ("system-version", ""),
    ])
}

const CPU_FEATURES: &str =
    "1fcbfbff-f7fa3223-2d93fbff-00000523-00000001-000007ab-00000000-00000000-00001000-ac000400-00000000-00000000-00000000-00000000-00000000-00000000-00000000-00000000";

fn cpu_flags() -> V {
    V::smap([("features", CPU_FEATURES), ("vendor", "GenuineIntel")])
}

/// Builds the pool into an empty store.
pub fn populate(t: &mut Inner, spec: &PoolSpec) {
    let model = t.model().clone();
    let mut b = B {
        t,
        model: model.clone(),
    };
    let hosts = spec.hosts.max(1);
    let boot = 1_700_000_000i64;

    // Networks.
    let mut networks = Vec::new();
    for (i, (label, bridge)) in [
        ("Pool-wide network associated with eth0", "xenbr0"),
        ("Pool-wide network associated with eth1", "xenbr1"),
    ]
    .iter()
    .enumerate()
    {
        networks.push(b.add("network", |m, r, _| {
            r.set(m, "name_label", V::s(*label))
                .set(m, "bridge", V::s(*bridge))
                .set(m, "MTU", V::Int(1500))
                .set(m, "managed", V::Bool(true))
                .set(
                    m,
                    "other_config",
                    V::smap([("automatic", if i == 0 { "true" } else { "false" })]),
                )
                .set(m, "default_locking_mode", V::s("unlocked"));
        }));
    }
    b.add("network", |m, r, _| {
        r.set(m, "name_label", V::s("Host internal management network"))
            .set(m, "bridge", V::s("xenapi"))
            .set(m, "MTU", V::Int(1500))
            .set(m, "managed", V::Bool(true))
            .set(
                m,
                "other_config",
                V::smap([
                    ("ip_begin", "169.254.0.1"),
                    ("ip_end", "169.254.255.254"),
                    ("is_guest_installer_network", "true"),
                    ("is_host_internal_management_network", "true"),
                    ("netmask", "255.255.0.0"),
                ]),
            );
    });

    // Storage: one shared SR for guests, an ISO library, a local SR per host (below).
    let shared_sr = b.add("SR", |m, r, rng| {
        r.set(m, "name_label", V::s("Shared storage"))
            .set(m, "type", V::s("lvmoiscsi"))
            .set(m, "content_type", V::s(""))
            .set(m, "shared", V::Bool(true))
            .set(m, "physical_size", V::Int(8 * 1024 * GIB))
            .set(m, "physical_utilisation", V::Int(3 * 1024 * GIB))
            .set(m, "virtual_allocation", V::Int(5 * 1024 * GIB))
            .set(m, "other_config", V::smap([("auto-scan", "false")]))
            .set(
                m,
                "sm_config",
                V::smap([
                    ("allocation", "thick"),
                    (
                        "devserial",
                        format!("scsi-3600a0980{:x}", rng.next_u64()).as_str(),
                    ),
                    ("multipathable", "true"),
                    ("use_vhd", "true"),
                ]),
            )
            .set(
                m,
                "allowed_operations",
                V::sset([
                    "unplug",
                    "plug",
                    "pbd_create",
                    "update",
                    "pbd_destroy",
                    "vdi_resize",
                    "vdi_clone",
                    "scan",
                    "vdi_snapshot",
                    "vdi_mirror",
                    "vdi_create",
                    "vdi_destroy",
                ]),
            );
    });
    let iso_sr = b.add("SR", |m, r, _| {
        r.set(m, "name_label", V::s("XenServer Tools"))
            .set(m, "type", V::s("iso"))
            .set(m, "content_type", V::s("iso"))
            .set(m, "shared", V::Bool(true))
            .set(m, "is_tools_sr", V::Bool(true))
            .set(
                m,
                "other_config",
                V::smap([
                    ("xenserver_tools_sr", "true"),
                    ("i18n-key", "xenserver-tools"),
                ]),
            )
            .set(m, "sm_config", V::Map(Vec::new()));
    });
    let mut isos = Vec::new();
    for name in [
        "guest-tools.iso",
        "debian-12.5.0-amd64-netinst.iso",
        "Win2022_EN-US.iso",
    ] {
        isos.push(b.add("VDI", |m, r, _| {
            let u = r.uuid(m);
            r.set(m, "name_label", V::s(name))
                .set(m, "SR", V::s(&iso_sr))
                .set(m, "type", V::s("user"))
                .set(m, "read_only", V::Bool(true))
                .set(m, "sharable", V::Bool(true))
                .set(m, "managed", V::Bool(true))
                .set(m, "is_tools_iso", V::Bool(name == "guest-tools.iso"))
                .set(m, "location", V::s(name))
                .set(m, "virtual_size", V::Int(64 * MIB))
                .set(m, "physical_utilisation", V::Int(64 * MIB))
                .set(m, "allowed_operations", V::sset(["clone", "snapshot"]))
                .set(m, "sm_config", V::smap([("vdi_uuid", u.as_str())]));
        }));
    }

    // Hosts, each with metrics, CPUs, a control domain, PIFs, PBDs and a local SR.
    let mut host_refs = Vec::new();
    let mut pool_master = NULL_REF.to_string();
    for h in 0..hosts {
        let address = if h == 0 {
            spec.master_address.clone()
        } else {
            format!("10.71.{}.{}", h / 250, h % 250 + 1)
        };
        let metrics = b.add("host_metrics", |m, r, rng| {
            r.set(m, "memory_total", V::Int(256 * GIB))
                .set(
                    m,
                    "memory_free",
                    V::Int(96 * GIB + (rng.below(64) as i64) * GIB),
                )
                .set(m, "live", V::Bool(true))
                .set(m, "last_updated", V::DateTime(datetime_string(boot)));
        });
        let host = b.t.new_ref();
        let dom0_metrics = b.add("VM_metrics", |m, r, _| {
            r.set(m, "memory_actual", V::Int(4 * GIB))
                .set(m, "VCPUs_number", V::Int(8))
                .set(m, "state", V::Set(Vec::new()))
                .set(m, "start_time", V::DateTime(datetime_string(boot)))
                .set(
                    m,
                    "install_time",
                    V::DateTime(datetime_string(boot - 86_400)),
                )
                .set(m, "last_updated", V::DateTime(datetime_string(boot)))
                .set(m, "current_domain_type", V::s("pv"));
        });
        // xend's Domain-0 has the all-zero UUID, which is its ref.
        let dom0_ref =
            (h == 0 && model.dialect == Dialect::Xend).then(|| crate::xend::DOM0_UUID.to_string());
        let dom0 = b.add_as(dom0_ref, "VM", |m, r, _| {
            r.set(
                m,
                "name_label",
                V::s(format!("Control domain on host: host-{h:02}")),
            )
            .set(
                m,
                "name_description",
                V::s("The domain which manages physical devices and manages other domains"),
            )
            .set(m, "is_control_domain", V::Bool(true))
            .set(m, "power_state", V::s("Running"))
            .set(m, "resident_on", V::s(&host))
            .set(m, "affinity", V::s(&host))
            .set(m, "domid", V::Int(0))
            .set(m, "user_version", V::Int(1))
            .set(m, "memory_static_max", V::Int(4 * GIB))
            .set(m, "memory_dynamic_max", V::Int(4 * GIB))
            .set(m, "memory_dynamic_min", V::Int(4 * GIB))
            .set(m, "memory_static_min", V::Int(4 * GIB))
            .set(m, "memory_target", V::Int(4 * GIB))
            .set(m, "VCPUs_max", V::Int(8))
            .set(m, "VCPUs_at_startup", V::Int(8))
            .set(m, "actions_after_shutdown", V::s("destroy"))
            .set(m, "actions_after_reboot", V::s("destroy"))
            .set(m, "actions_after_crash", V::s("destroy"))
            .set(m, "metrics", V::s(&dom0_metrics))
            .set(m, "domain_type", V::s("pv"))
            .set(
                m,
                "other_config",
                V::smap([
                    ("storage_driver_domain", dom0_metrics.as_str()),
                    ("is_system_domain", "true"),
                ]),
            )
            .set(m, "allowed_operations", V::Set(Vec::new()));
        });
        for n in 0..4 {
            b.add("host_cpu", |m, r, _| {
                r.set(m, "host", V::s(&host))
                    .set(m, "number", V::Int(n))
                    .set(m, "vendor", V::s("GenuineIntel"))
                    .set(m, "speed", V::Int(2600))
                    .set(m, "modelname", V::s("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"))
                    .set(m, "family", V::Int(6))
                    .set(m, "model", V::Int(85))
                    .set(m, "stepping", V::s("7"))
                    .set(m, "flags", V::s("fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ht syscall nx lm constant_tsc rep_good nopl nonstop_tsc cpuid pni pclmulqdq monitor est ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm"))
                    .set(m, "features", V::s(CPU_FEATURES));
            });
        }
        for (i, net) in networks.iter().enumerate() {
            let pif_metrics = b.add("PIF_metrics", |m, r, _| {
                r.set(m, "carrier", V::Bool(true))
                    .set(m, "vendor_name", V::s("Intel Corporation"))
                    .set(
                        m,
                        "device_name",
                        V::s("Ethernet Controller X710 for 10GbE SFP+"),
                    )
                    .set(m, "speed", V::Int(10_000))
                    .set(m, "duplex", V::Bool(true))
                    .set(m, "pci_bus_path", V::s(format!("0000:3b:00.{i}")))
                    .set(m, "last_updated", V::DateTime(datetime_string(boot)));
            });
            let addr = address.clone();
            b.add("PIF", |m, r, rng| {
                let management = i == 0;
                r.set(m, "device", V::s(format!("eth{i}")))
                    .set(m, "network", V::s(net))
                    .set(m, "host", V::s(&host))
                    .set(m, "MAC", V::s(rng.mac()))
                    .set(m, "MTU", V::Int(1500))
                    .set(m, "VLAN", V::Int(-1))
                    .set(m, "metrics", V::s(&pif_metrics))
                    .set(m, "physical", V::Bool(true))
                    .set(m, "currently_attached", V::Bool(true))
                    .set(
                        m,
                        "ip_configuration_mode",
                        V::s(if management { "Static" } else { "None" }),
                    )
                    .set(m, "IP", V::s(if management { addr.as_str() } else { "" }))
                    .set(
                        m,
                        "netmask",
                        V::s(if management { "255.255.255.0" } else { "" }),
                    )
                    .set(
                        m,
                        "gateway",
                        V::s(if management { "10.71.0.1" } else { "" }),
                    )
                    .set(m, "DNS", V::s(if management { "10.71.0.2" } else { "" }))
                    .set(m, "management", V::Bool(management))
                    .set(m, "managed", V::Bool(true))
                    .set(m, "primary_address_type", V::s("IPv4"))
                    .set(m, "properties", V::smap([("gro", "on")]))
                    .set(m, "capabilities", V::sset(["fcoe"]));
            });
        }
        let local_sr = b.add("SR", |m, r, _| {
            r.set(m, "name_label", V::s("Local storage"))
                .set(m, "type", V::s("lvm"))
                .set(m, "content_type", V::s("user"))
                .set(m, "physical_size", V::Int(900 * GIB))
                .set(m, "physical_utilisation", V::Int(120 * GIB))
                .set(m, "virtual_allocation", V::Int(120 * GIB))
                .set(
                    m,
                    "other_config",
                    V::smap([
                        ("i18n-original-value-name_label", "Local storage"),
                        ("i18n-key", "local-storage"),
                    ]),
                )
                .set(
                    m,
                    "sm_config",
                    V::smap([
                        ("allocation", "thick"),
                        ("devserial", "scsi-SATA_ST1000NM0055"),
                    ]),
                );
        });
        for (sr, config) in [
            (
                &local_sr,
                V::smap([("device", "/dev/disk/by-id/scsi-SATA_ST1000NM0055-part3")]),
            ),
            (
                &shared_sr,
                V::smap([
                    ("target", "10.71.0.10"),
                    ("targetIQN", "iqn.2020-01.com.example:storage"),
                    ("SCSIid", "3600a098038302d35"),
                ]),
            ),
            (
                &iso_sr,
                V::smap([("location", "/opt/xensource/packages/iso")]),
            ),
        ] {
            b.add("PBD", |m, r, _| {
                r.set(m, "host", V::s(&host))
                    .set(m, "SR", V::s(sr))
                    .set(m, "device_config", config)
                    .set(m, "currently_attached", V::Bool(true));
            });
        }
        let mut hr = b.new_rec("host").expect("every XenAPI model has hosts");
        let m = model.clone();
        let hostname = format!("host-{h:02}");
        hr.set(&m, "name_label", V::s(&hostname))
            .set(&m, "name_description", V::s("Default install"))
            .set(&m, "hostname", V::s(&hostname))
            .set(&m, "address", V::s(&address))
            .set(&m, "memory_overhead", V::Int(1_476 * MIB))
            .set(&m, "API_version_major", V::Int(model.api_version.0))
            .set(&m, "API_version_minor", V::Int(model.api_version.1))
            .set(&m, "API_version_vendor", V::s("XenSource"))
            .set(&m, "enabled", V::Bool(true))
            .set(
                &m,
                "software_version",
                V::smap([
                    ("product_version", "8.4.0"),
                    ("product_version_text", "8.4"),
                    ("product_version_text_short", "8.4"),
                    ("platform_name", "XCP"),
                    ("platform_version", "3.4.0"),
                    ("product_brand", "XenServer"),
                    ("build_number", "xs8"),
                    ("hostname", hostname.as_str()),
                    ("date", "2024-05-01"),
                    ("dbv", "2024.0501"),
                    ("xapi", "24.19"),
                    ("xapi_build", "24.19.1"),
                    ("xen", "4.17.4-3"),
                    ("linux", "4.19.0+1"),
                    ("xencenter_min", "2.21"),
                    ("xencenter_max", "2.21"),
                    ("network_backend", "openvswitch"),
                    ("db_schema", "5.775"),
                ]),
            )
            .set(&m, "other_config", V::smap([("agent_start_time", "1700000000."), ("boot_time", "1699999000."), ("iscsi_iqn", "iqn.2020-01.com.example:host")]))
            .set(
                &m,
                "capabilities",
                V::sset(["xen-3.0-x86_64", "hvm-3.0-x86_32", "hvm-3.0-x86_32p", "hvm-3.0-x86_64", ""]),
            )
            .set(&m, "sched_policy", V::s("credit"))
            .set(&m, "supported_bootloaders", V::sset(["pygrub", "eliloader"]))
            .set(&m, "suspend_image_sr", V::s(&shared_sr))
            .set(&m, "crash_dump_sr", V::s(&local_sr))
            .set(
                &m,
                "cpu_info",
                V::smap([
                    ("cpu_count", "40"),
                    ("socket_count", "2"),
                    ("vendor", "GenuineIntel"),
                    ("speed", "2494.140"),
                    ("modelname", "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"),
                    ("family", "6"),
                    ("model", "85"),
                    ("stepping", "7"),
                    ("flags", "fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ht syscall nx lm"),
                    ("features_pv", CPU_FEATURES),
                    ("features_hvm", CPU_FEATURES),
                    ("features_pv_host", CPU_FEATURES),
                    ("features_hvm_host", CPU_FEATURES),
                ]),
            )
            .set(&m, "metrics", V::s(&metrics))
            .set(&m, "license_params", V::smap([("sku_type", "free"), ("restrict_vswitch_controller", "false"), ("expiry", "30000101T00:00:00Z")]))
            .set(&m, "edition", V::s("free"))
            .set(&m, "license_server", V::smap([("address", "localhost"), ("port", "27000")]))
            .set(&m, "bios_strings", V::smap([("bios-vendor", "Dell Inc."), ("system-manufacturer", "Dell Inc."), ("system-product-name", "PowerEdge R640")]))
            .set(&m, "chipset_info", V::smap([("iommu", "true")]))
            .set(&m, "display", V::s("enabled"))
            .set(&m, "virtual_hardware_platform_versions", V::Set(vec![V::Int(0), V::Int(1), V::Int(2)]))
            .set(&m, "control_domain", V::s(&dom0))
            .set(&m, "iscsi_iqn", V::s(format!("iqn.2020-01.com.example:host-{h:02}")))
            .set(&m, "multipathing", V::Bool(true))
            .set(&m, "allowed_operations", V::sset(["vm_migrate", "provision", "vm_resume", "evacuate", "vm_start"]))
            .set(&m, "tls_verification_enabled", V::Bool(true))
            .set(&m, "https_only", V::Bool(false))
            .set(&m, "numa_affinity_policy", V::s("default_policy"))
            .set(&m, "timezone", V::s("UTC"));
        b.t.insert_raw(hr.class, host.clone(), hr.rec);
        if h == 0 {
            pool_master = host.clone();
        }
        host_refs.push(host);
    }
    let master = pool_master.clone();
    b.add("pool", |m, r, _| {
        r.set(m, "name_label", V::s("xapi-sim pool"))
            .set(m, "master", V::s(&master))
            .set(m, "default_SR", V::s(&shared_sr))
            .set(m, "suspend_image_SR", V::s(&shared_sr))
            .set(m, "crash_dump_SR", V::s(&shared_sr))
            .set(
                m,
                "other_config",
                V::smap([
                    ("cpuid_feature_mask", "ffffff7f-ffffffff-ffffffff-ffffffff"),
                    ("memory-ratio-hvm", "0.25"),
                    ("memory-ratio-pv", "0.25"),
                ]),
            )
            .set(
                m,
                "cpu_info",
                V::smap([
                    ("cpu_count", "80"),
                    ("socket_count", "4"),
                    ("vendor", "GenuineIntel"),
                    ("features_pv", CPU_FEATURES),
                    ("features_hvm", CPU_FEATURES),
                ]),
            )
            .set(
                m,
                "restrictions",
                V::smap([
                    ("restrict_vswitch_controller", "false"),
                    ("restrict_lab", "false"),
                    ("restrict_pooling", "false"),
                    ("enable_xha", "true"),
                    ("restrict_marathon", "false"),
                    ("platform_filter", "false"),
                ]),
            )
            .set(m, "tls_verification_enabled", V::Bool(true))
            .set(m, "migration_compression", V::Bool(false));
    });

    // The default templates.
    let mut templates = Vec::new();
    for (name, label, windows) in TEMPLATES {
        templates.push(b.add("VM", |m, r, _| {
            guest_shape(m, r, *windows, 2, 2 * GIB);
            r.set(m, "name_label", V::s(*name))
                .set(m, "name_description", V::s(""))
                .set(m, "is_a_template", V::Bool(true))
                .set(m, "is_default_template", V::Bool(true))
                .set(m, "reference_label", V::s(*label))
                .set(m, "allowed_operations", allowed_operations(m, "Halted", true))
                .set(
                    m,
                    "other_config",
                    V::smap([
                        ("default_template", "true"),
                        ("install-methods", if *windows { "cdrom" } else { "cdrom,nfs,http,ftp" }),
                        (
                            "disks",
                            "<provision><disk device=\"0\" size=\"34359738368\" sr=\"\" bootable=\"true\" type=\"system\"/></provision>",
                        ),
                        ("linux_template", if *windows { "false" } else { "true" }),
                    ]),
                );
        }));
    }

    // Guests.
    for i in 0..spec.vms {
        let tpl = i % TEMPLATES.len();
        let (tpl_name, tpl_label, windows) = TEMPLATES[tpl];
        let roll = b.t.rng.below(100);
        let state = match roll {
            0..=69 => "Running",
            70..=89 => "Halted",
            90..=94 => "Suspended",
            _ => "Paused",
        };
        let live = state == "Running" || state == "Paused";
        let host = &host_refs[i % host_refs.len()];
        let vcpus = [1i64, 2, 2, 4, 4, 8][(b.t.rng.below(6)) as usize];
        let mem = [GIB, 2 * GIB, 4 * GIB, 8 * GIB, 16 * GIB][(b.t.rng.below(5)) as usize];
        let started = boot + (b.t.rng.below(86_400 * 30) as i64);
        let metrics = b.add("VM_metrics", |m, r, _| {
            r.set(
                m,
                "memory_actual",
                V::Int(if live { mem - 8192 } else { 0 }),
            )
            .set(m, "VCPUs_number", V::Int(if live { vcpus } else { 0 }))
            .set(m, "state", V::Set(Vec::new()))
            .set(
                m,
                "start_time",
                V::DateTime(datetime_string(if live { started } else { 0 })),
            )
            .set(
                m,
                "install_time",
                V::DateTime(datetime_string(boot - 86_400 * 60)),
            )
            .set(m, "last_updated", V::DateTime(datetime_string(0)))
            .set(m, "hvm", V::Bool(true))
            .set(
                m,
                "current_domain_type",
                V::s(if live { "hvm" } else { "unspecified" }),
            );
        });
        let guest_metrics = if live {
            let n = i;
            b.add("VM_guest_metrics", |m, r, _| {
                let os = if windows {
                    V::smap([("distro", "windows"), ("major", "10"), ("minor", "0"), ("name", "Microsoft Windows Server 2022 Standard|C:\\Windows|\\Device\\Harddisk0\\Partition2"), ("spmajor", "0"), ("spminor", "0")])
                } else {
                    V::smap([("distro", "debian"), ("major", "12"), ("minor", "5"), ("name", "Debian GNU/Linux 12 (bookworm)"), ("uname", "6.1.0-18-amd64")])
                };
                r.set(m, "os_version", os)
                    .set(m, "PV_drivers_version", V::smap([("major", "9"), ("minor", "3"), ("micro", "1"), ("build", "28")]))
                    .set(m, "PV_drivers_up_to_date", V::Bool(true))
                    .set(m, "PV_drivers_detected", V::Bool(true))
                    .set(m, "networks", V::smap([("0/ip", format!("10.72.{}.{}", n / 250 % 250, n % 250 + 2).as_str()), ("0/ipv4/0", format!("10.72.{}.{}", n / 250 % 250, n % 250 + 2).as_str())]))
                    .set(m, "other", V::smap([("feature-balloon", "1"), ("feature-poweroff", "1"), ("feature-reboot", "1"), ("feature-suspend", "1"), ("feature-vcpu-hotplug", "1"), ("has-vendor-device", "0"), ("platform-feature-multiprocessor-suspend", "1")]))
                    .set(m, "last_updated", V::DateTime(datetime_string(started + 60)))
                    .set(m, "live", V::Bool(true))
                    .set(m, "can_use_hotplug_vbd", V::s("yes"))
                    .set(m, "can_use_hotplug_vif", V::s("yes"));
            })
        } else {
            NULL_REF.to_string()
        };
        let vm = b.t.new_ref();
        let domid = if live { i as i64 + 1 } else { -1 };
        let mut vr = b.new_rec("VM").expect("every XenAPI model has VMs");
        let m = model.clone();
        guest_shape(&m, &mut vr, windows, vcpus, mem);
        let mac_seed = b.t.rng.uuid();
        vr.set(
            &m,
            "name_label",
            V::s(format!("{}-{i:05}", if windows { "win" } else { "linux" })),
        )
        .set(
            &m,
            "name_description",
            V::s(format!("Installed from {tpl_name}")),
        )
        .set(&m, "power_state", V::s(state))
        .set(
            &m,
            "allowed_operations",
            allowed_operations(&m, state, false),
        )
        .set(
            &m,
            "resident_on",
            V::s(if live { host.as_str() } else { NULL_REF }),
        )
        .set(&m, "domid", V::Int(domid))
        .set(&m, "metrics", V::s(&metrics))
        .set(&m, "guest_metrics", V::s(&guest_metrics))
        .set(&m, "reference_label", V::s(tpl_label))
        .set(
            &m,
            "generation_id",
            V::s(format!(
                "{}:{}",
                b.t.rng.next_u64() >> 1,
                b.t.rng.next_u64() >> 1
            )),
        )
        .set(&m, "user_version", V::Int(1))
        .set(
            &m,
            "tags",
            if i % 5 == 0 {
                V::sset(["production"])
            } else {
                V::Set(Vec::new())
            },
        )
        .set(
            &m,
            "other_config",
            V::smap([
                ("base_template_name", tpl_name),
                ("folder", ["/Production", "/Test", "/Dev"][i % 3]),
                ("import_task", "OpaqueRef:NULL"),
                (
                    "install-methods",
                    if windows {
                        "cdrom"
                    } else {
                        "cdrom,nfs,http,ftp"
                    },
                ),
                ("instant", "true"),
                ("mac_seed", mac_seed.as_str()),
            ]),
        );
        if let Some(fi) = m.classes[vr.class].field("last_booted_record") {
            if live {
                vr.rec[fi] = V::s("");
            }
        }
        b.t.insert_raw(vr.class, vm.clone(), vr.rec);

        // Disks: a system disk (and a data disk for one VM in three) on the shared SR.
        let disks = if i % 3 == 0 { 2 } else { 1 };
        for d in 0..disks {
            let size = if d == 0 { 32 * GIB } else { 100 * GIB };
            let label = format!(
                "{}-{i:05} {}",
                if windows { "win" } else { "linux" },
                if d == 0 { "system" } else { "data" }
            );
            let sr = shared_sr.clone();
            let vdi = b.add("VDI", |m, r, _| {
                let u = r.uuid(m);
                r.set(m, "name_label", V::s(&label))
                    .set(
                        m,
                        "name_description",
                        V::s(if d == 0 {
                            "Created by template provisioner"
                        } else {
                            ""
                        }),
                    )
                    .set(m, "SR", V::s(&sr))
                    .set(m, "virtual_size", V::Int(size))
                    .set(m, "physical_utilisation", V::Int(size / 3))
                    .set(m, "type", V::s(if d == 0 { "system" } else { "user" }))
                    .set(m, "managed", V::Bool(true))
                    .set(m, "location", V::s(&u))
                    .set(
                        m,
                        "allowed_operations",
                        V::sset(["clone", "snapshot", "copy", "resize", "destroy"]),
                    )
                    .set(
                        m,
                        "sm_config",
                        V::smap([("vdi_type", "vhd"), ("host_OpaqueRef:NULL", "RW")]),
                    )
                    .set(m, "other_config", V::Map(Vec::new()));
            });
            let vmr = vm.clone();
            b.add("VBD", |m, r, _| {
                r.set(m, "VM", V::s(&vmr))
                    .set(m, "VDI", V::s(&vdi))
                    .set(
                        m,
                        "device",
                        V::s(format!("xvd{}", (b'a' + d as u8) as char)),
                    )
                    .set(m, "userdevice", V::s(d.to_string()))
                    .set(m, "bootable", V::Bool(d == 0))
                    .set(m, "mode", V::s("RW"))
                    .set(m, "type", V::s("Disk"))
                    .set(m, "unpluggable", V::Bool(d != 0))
                    .set(m, "currently_attached", V::Bool(live))
                    .set(m, "empty", V::Bool(false))
                    .set(
                        m,
                        "allowed_operations",
                        V::sset(["attach", "unpause", "unplug", "unplug_force", "pause"]),
                    )
                    .set(m, "other_config", V::smap([("owner", "true")]));
            });
        }
        let cd = if i % 4 == 0 {
            isos[(i / 4) % isos.len()].clone()
        } else {
            NULL_REF.to_string()
        };
        let vmr = vm.clone();
        b.add("VBD", |m, r, _| {
            let empty = cd == NULL_REF;
            r.set(m, "VM", V::s(&vmr))
                .set(m, "VDI", V::s(&cd))
                .set(m, "device", V::s("xvdd"))
                .set(m, "userdevice", V::s("3"))
                .set(m, "mode", V::s("RO"))
                .set(m, "type", V::s("CD"))
                .set(m, "unpluggable", V::Bool(true))
                .set(m, "currently_attached", V::Bool(live))
                .set(m, "empty", V::Bool(empty))
                .set(
                    m,
                    "allowed_operations",
                    V::sset(if empty {
                        vec!["attach", "insert", "unpause", "pause"]
                    } else {
                        vec!["attach", "eject", "unpause", "pause"]
                    }),
                );
        });
        let vifs = if i % 4 == 1 { 2 } else { 1 };
        for v in 0..vifs {
            let vmr = vm.clone();
            let net = networks[v % networks.len()].clone();
            let n = i;
            b.add("VIF", |m, r, rng| {
                r.set(m, "VM", V::s(&vmr))
                    .set(m, "network", V::s(&net))
                    .set(m, "device", V::s(v.to_string()))
                    .set(m, "MAC", V::s(rng.mac()))
                    .set(m, "MTU", V::Int(1500))
                    .set(m, "currently_attached", V::Bool(live))
                    .set(m, "locking_mode", V::s("network_default"))
                    .set(
                        m,
                        "ipv4_configuration_mode",
                        V::s(if v == 0 { "Static" } else { "None" }),
                    )
                    .set(
                        m,
                        "ipv4_addresses",
                        if v == 0 {
                            V::sset([format!("10.72.{}.{}/16", n / 250 % 250, n % 250 + 2)])
                        } else {
                            V::Set(Vec::new())
                        },
                    )
                    .set(
                        m,
                        "ipv4_gateway",
                        V::s(if v == 0 { "10.72.0.1" } else { "" }),
                    )
                    .set(m, "ipv6_configuration_mode", V::s("None"))
                    .set(
                        m,
                        "allowed_operations",
                        V::sset(if live {
                            vec!["attach", "unplug"]
                        } else {
                            vec!["attach"]
                        }),
                    )
                    .set(m, "other_config", V::Map(Vec::new()));
            });
        }
        if live {
            let vmr = vm.clone();
            b.add("console", |m, r, _| {
                let u = r.uuid(m);
                r.set(m, "protocol", V::s("rfb"))
                    .set(
                        m,
                        "location",
                        V::s(format!("https://{}/console?uuid={u}", spec.master_address)),
                    )
                    .set(m, "VM", V::s(&vmr))
                    .set(m, "other_config", V::smap([("vgacon", "true")]));
            });
        }
    }
    let _ = templates;
    b.t.rebuild_pairs();
}

/// The configuration fields a guest (or a template) shares with its kind.
fn guest_shape(m: &Model, r: &mut Rec, windows: bool, vcpus: i64, mem: i64) {
    r.set(m, "memory_static_max", V::Int(mem))
        .set(m, "memory_dynamic_max", V::Int(mem))
        .set(m, "memory_dynamic_min", V::Int(mem))
        .set(m, "memory_static_min", V::Int(mem / 2))
        .set(m, "memory_target", V::Int(mem))
        .set(m, "memory_overhead", V::Int(20 * MIB))
        .set(m, "VCPUs_max", V::Int(vcpus))
        .set(m, "VCPUs_at_startup", V::Int(vcpus))
        .set(m, "VCPUs_params", V::Map(Vec::new()))
        .set(m, "actions_after_shutdown", V::s("destroy"))
        .set(m, "actions_after_reboot", V::s("restart"))
        .set(m, "actions_after_crash", V::s("restart"))
        .set(m, "HVM_boot_policy", V::s("BIOS order"))
        .set(
            m,
            "HVM_boot_params",
            V::smap([
                ("order", if windows { "dc" } else { "cdn" }),
                ("firmware", "bios"),
            ]),
        )
        .set(m, "HVM_shadow_multiplier", V::Float(1.0))
        .set(m, "platform", platform(windows, vcpus))
        .set(m, "bios_strings", bios_strings())
        .set(m, "last_boot_CPU_flags", cpu_flags())
        .set(m, "recommendations", recommendations(windows))
        .set(
            m,
            "xenstore_data",
            V::smap([("vm-data", ""), ("vm-data/mmio-hole-size", "268435456")]),
        )
        .set(m, "has_vendor_device", V::Bool(windows))
        .set(m, "domain_type", V::s("hvm"))
        .set(m, "hardware_platform_version", V::Int(2))
        .set(m, "blocked_operations", V::Map(Vec::new()))
        .set(m, "NVRAM", V::Map(Vec::new()));
}

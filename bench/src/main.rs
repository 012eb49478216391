//! `xenapi-bench`: the figures of BENCHMARKS.md, each printed with its ratio to a baseline
//! measured in the same run.
//!
//! ```text
//! cargo run --release -p xenapi-bench -- [--vms N] [--quick] [--no-python] [--no-xo]
//!     [--no-build] [--svg PATH] [--only decode|memory|calls|events|e2e|python|build]
//! ```

mod baseline;
mod build;
mod calls;
mod capi_path;
mod chart;
mod decode;
mod e2e;
mod events;
mod memory;
mod python;
mod timing;
mod xo;

use std::path::{Path, PathBuf};
use std::time::Duration;

use xenapi::wire::{encode_call, WireFormat};
use xenapi::Client;

use crate::calls::Connections;
use crate::decode::DecodePath;

struct Options {
    vms: usize,
    quick: bool,
    python: bool,
    build: bool,
    xo: bool,
    svg: Option<PathBuf>,
    only: Option<Section>,
}

/// The parts of the run, for `--only`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Decode,
    Memory,
    Calls,
    Events,
    Python,
    E2e,
    Build,
}

impl Options {
    fn runs(&self, section: Section) -> bool {
        self.only.is_none_or(|only| only == section)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("mem-child") => return memory::child(&args[1..]),
        Some("decode-child") => return decode::child(&args[1..]),
        _ => {}
    }
    let options = parse(&args).unwrap_or_else(|e| {
        eprintln!(
            "xenapi-bench: {e}\nusage: xenapi-bench [--vms N] [--quick] [--no-python] [--no-xo] [--no-build] [--svg PATH] [--only SECTION]"
        );
        std::process::exit(2)
    });
    run(&options);
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        vms: 4096,
        quick: false,
        python: true,
        build: true,
        xo: true,
        svg: None,
        only: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--vms" => {
                let n = it.next().ok_or("--vms needs a number")?;
                options.vms = n.parse().map_err(|_| format!("--vms: not a number: {n}"))?;
            }
            "--quick" => options.quick = true,
            "--no-python" => options.python = false,
            "--no-build" => options.build = false,
            "--no-xo" => options.xo = false,
            "--svg" => options.svg = Some(it.next().ok_or("--svg needs a path")?.into()),
            "--only" => {
                options.only = Some(match it.next().map(String::as_str) {
                    Some("decode") => Section::Decode,
                    Some("memory") => Section::Memory,
                    Some("calls") => Section::Calls,
                    Some("events") => Section::Events,
                    Some("python") => Section::Python,
                    Some("e2e") => Section::E2e,
                    Some("build") => Section::Build,
                    other => {
                        return Err(format!(
                    "--only takes decode, memory, calls, events, e2e, python or build, not {other:?}"
                ))
                    }
                })
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn run(options: &Options) {
    let sim = xapi_sim::Simulator::builder()
        .vms(options.vms)
        .hosts((options.vms / 256).max(1))
        .seed(42)
        .start()
        .expect("starting the simulator");
    let url = sim.url();
    let xml = fetch_all_records(&url, WireFormat::XmlRpc);
    let json = fetch_all_records(&url, WireFormat::JsonRpc);
    println!(
        "# VM.get_all_records of {} VMs: {:.1} MB XML-RPC, {:.1} MB JSON-RPC",
        options.vms,
        xml.len() as f64 / 1e6,
        json.len() as f64 / 1e6
    );

    let call_time = if options.quick {
        Duration::from_millis(300)
    } else {
        Duration::from_millis(1500)
    };
    let rust_calls = (options.runs(Section::Calls) || options.runs(Section::Python))
        .then(|| call_figures(&url, call_time));
    if options.runs(Section::Events) {
        event_figures(&url, options);
    }
    if options.runs(Section::E2e) {
        e2e::figures(&sim, options.quick, options.python, options.xo);
    }
    let min_time = if options.quick {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(3)
    };
    // After the calls, events and e2e sections: the decode figures fix the allocator's policy
    // for the rest of the process (see `decode::figures`), which those must not run under.
    // The Python decode figure is a ratio to the typed decode, so it needs the decode section.
    let bars = (options.runs(Section::Decode) || options.runs(Section::Python))
        .then(|| decode::figures(&xml, &json, min_time));
    if let (Some(svg), Some(bars)) = (&options.svg, &bars) {
        let title = format!(
            "Decoding VM.get_all_records, {} VMs (MB/s of response, higher is better)",
            options.vms
        );
        std::fs::write(svg, chart::svg(&title, bars)).expect("writing the chart");
        println!("# chart written to {}", svg.display());
    }
    if options.runs(Section::Memory) {
        memory::figures(&xml, &json);
    }
    if options.python && options.runs(Section::Python) {
        if let (Some(bars), Some(rust_calls)) = (&bars, rust_calls) {
            python_figures(&url, &xml, bars, rust_calls, call_time);
        }
    }
    if options.build && options.runs(Section::Build) {
        build_figures();
    }
}

/// Clean release builds of the crate and of the C library, against the issue's targets.
fn build_figures() {
    const CRATE_TARGET: f64 = 90.0;
    const CLIB_TARGET: f64 = 120.0;
    const STATIC_TARGET: f64 = 20e6;
    let root = build::workspace_root();
    let scratch = root.join("target/bench-build");
    let report = |what: &str,
                  result: Result<build::Build, String>,
                  target: Option<f64>,
                  load: String| {
        match result {
            Ok(b) => {
                let vs_target = target.map_or(String::new(), |t| {
                    format!(" = {:.2}x the {t:.0} s target", b.wall.as_secs_f64() / t)
                });
                println!(
                    "build {what}: {:.1} s wall, {:.1} s CPU{vs_target} (load average {load} before)",
                    b.wall.as_secs_f64(),
                    b.cpu.as_secs_f64()
                );
                Some(b)
            }
            Err(e) => {
                println!("build {what}: failed: {e}");
                None
            }
        }
    };
    if let Err(e) = build::fetch(&root) {
        println!("build: skipped, the dependencies could not be fetched: {e}");
        return;
    }
    let crate_dir = scratch.join("crate");
    let load = build::load_average();
    let clean = report(
        "xenapi crate, clean release",
        build::clean_build(&root, "xenapi", &crate_dir),
        Some(CRATE_TARGET),
        load,
    );
    if let Some(clean) = clean {
        let load = build::load_average();
        let own = build::rebuild_after_touch(&root, "xenapi", &crate_dir, &root.join("src/lib.rs"));
        if let Some(own) = report(
            "xenapi crate alone (its dependencies built)",
            own,
            None,
            load,
        ) {
            println!(
                "build share: the xenapi crate itself is {:.2}x the clean build's wall time",
                own.wall.as_secs_f64() / clean.wall.as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&crate_dir);
    let clib_dir = scratch.join("clib");
    let destdir = scratch.join("root");
    let load = build::load_average();
    let clib = report(
        "C library libxenserver, clean release (make install: LTO, stripped)",
        build::clean_make_install(&root, "xenserver", &clib_dir, &destdir),
        Some(CLIB_TARGET),
        load,
    );
    if clib.is_some() {
        let lib = destdir.join("usr/lib");
        match (
            build::file_size(&lib.join("libxenserver.a")),
            build::file_size(&lib.join("libxenserver.so.2")),
        ) {
            (Ok(a), Ok(so)) => println!(
                "size libxenserver.a as installed: {:.1} MB = {:.2}x the {:.0} MB target; libxenserver.so {:.1} MB",
                a as f64 / 1e6,
                a as f64 / STATIC_TARGET,
                STATIC_TARGET / 1e6,
                so as f64 / 1e6
            ),
            (a, so) => println!(
                "size: failed: {}",
                [a.err(), so.err()].into_iter().flatten().collect::<Vec<_>>().join("; ")
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// The body of a `VM.get_all_records` request on `session`.
fn get_all_records_request(format: WireFormat, session: &xenapi::Session) -> Vec<u8> {
    encode_call(
        format,
        "VM.get_all_records",
        Some(&session.session_ref()),
        &[(); 0],
        1,
    )
    .expect("encoding the call")
}

/// The raw bytes of a `VM.get_all_records` response, as the server sent them.
fn fetch_all_records(url: &str, format: WireFormat) -> Vec<u8> {
    let client = Client::builder(url)
        .format(format)
        .build()
        .expect("bench client");
    let session = client
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login");
    let body = get_all_records_request(format, &session);
    let path = match format {
        WireFormat::XmlRpc => "/",
        WireFormat::JsonRpc | WireFormat::JsonRpcV1 => "/jsonrpc",
    };
    let bytes = client
        .transport()
        .post(path, &body, client.limits())
        .expect("fetching VM.get_all_records");
    session.logout().expect("bench logout");
    bytes
}

fn event_figures(url: &str, options: &Options) {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("# load average before the events section: {}", load.trim());
    }
    let xo = options.xo.then(|| {
        xo::install(&xo::target_dir()).and_then(|modules| xo::XoClient::start(&modules, url))
    });
    let xo = match xo {
        Some(Ok(client)) => Some((
            client,
            format!("Xen Orchestra xen-api {} (JSON-RPC)", xo::XEN_API_VERSION),
        )),
        Some(Err(e)) => {
            println!("events XO: skipped, Xen Orchestra's client could not be installed: {e}");
            None
        }
        None => None,
    };
    events::figures(url, if options.quick { 3 } else { 9 }, xo);
}

fn call_figures(url: &str, duration: Duration) -> f64 {
    let mut one_thread_reused = 0.0;
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        for threads in [1, 8] {
            let new =
                calls::calls_per_second(url, format, threads, Connections::NewPerCall, duration);
            let reused =
                calls::calls_per_second(url, format, threads, Connections::Reused, duration);
            println!(
                "calls {format:?}, {threads} thread(s): {reused:.0}/s with connection reuse = {:.1}x the {new:.0}/s of a new connection per call",
                reused / new
            );
            if format == WireFormat::XmlRpc && threads == 1 {
                one_thread_reused = reused;
            }
        }
    }
    one_thread_reused
}

fn python_figures(url: &str, xml: &[u8], bars: &[chart::Bar], rust_calls: f64, duration: Duration) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let python = match python::interpreter(&target) {
        Ok(p) => p,
        Err(e) => {
            println!("python: skipped, the XenAPI bindings could not be installed: {e}");
            return;
        }
    };
    let file = std::env::temp_dir().join(format!("xenapi-bench-py-{}.xml", std::process::id()));
    std::fs::write(&file, xml).expect("writing the response file");
    let typed = bars
        .iter()
        .find(|b| b.label == DecodePath::TypedXml.name())
        .expect("typed XML was measured");
    match python::figure(&python, &["decode", &file.to_string_lossy()]) {
        Ok(mb_s) => println!(
            "python XenAPI decode XML-RPC: {mb_s:.1} MB/s; typed XML-RPC is {:.1}x faster",
            typed.mb_per_s / mb_s
        ),
        Err(e) => println!("python decode: failed: {e}"),
    }
    let _ = std::fs::remove_file(&file);
    match python::figure(&python, &["calls", url, &duration.as_secs_f64().to_string()]) {
        Ok(rate) => println!(
            "python XenAPI calls XML-RPC, 1 thread: {rate:.0}/s; ours with connection reuse is {:.1}x",
            rust_calls / rate
        ),
        Err(e) => println!("python calls: failed: {e}"),
    }
}

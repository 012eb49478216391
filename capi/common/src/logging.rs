//! Extension: where the library's log messages go. The core logs through the `log` crate
//! (requests, sizes, timings, redirections, relogins); a C program has no Rust logger, so
//! the library installs its own, which writes to stderr when the environment variable
//! `XENAPI_LOG` names a level (`error`, `warn`, `info`, `debug`, `trace`), or hands each
//! message to a callback set with `xenapi_ext_set_log_func`.
//!
//! Only the `xenapi` targets pass: the HTTP libraries underneath log raw request bytes at
//! their trace level, and requests carry passwords.

use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;
use std::sync::{Once, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::call::guard;

/// The C `xenapi_ext_log_func`: `level` is 1 (error) to 5 (trace).
pub type xenapi_ext_log_func = Option<
    unsafe extern "C" fn(
        level: c_int,
        target: *const c_char,
        message: *const c_char,
        user: *mut c_void,
    ),
>;

/// Where messages go.
enum Sink {
    Stderr,
    Callback {
        func: unsafe extern "C" fn(c_int, *const c_char, *const c_char, *mut c_void),
        user: usize,
    },
}

struct Config {
    sink: Sink,
    max: LevelFilter,
}

static CONFIG: RwLock<Option<Config>> = RwLock::new(None);

struct CLogger;

static LOGGER: CLogger = CLogger;

impl Log for CLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        let ours = metadata.target() == "xenapi" || metadata.target().starts_with("xenapi::");
        ours && CONFIG
            .read()
            .map(|c| c.as_ref().is_some_and(|c| metadata.level() <= c.max))
            .unwrap_or(false)
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(config) = CONFIG.read() else {
            return;
        };
        let Some(config) = config.as_ref() else {
            return;
        };
        match config.sink {
            Sink::Stderr => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "xenapi: {} {}: {}",
                    record.level(),
                    record.target(),
                    record.args()
                );
            }
            Sink::Callback { func, user } => {
                let text = |s: String| CString::new(s.replace('\0', " ")).unwrap_or_default();
                let target = text(record.target().to_owned());
                let message = text(record.args().to_string());
                // SAFETY: the caller registered a function taking these arguments; the
                // strings live until it returns.
                unsafe {
                    func(
                        record.level() as c_int,
                        target.as_ptr(),
                        message.as_ptr(),
                        user as *mut c_void,
                    )
                };
            }
        }
    }

    fn flush(&self) {}
}

/// The level `XENAPI_LOG` names, if any.
fn env_level() -> Option<LevelFilter> {
    std::env::var("XENAPI_LOG").ok()?.trim().parse().ok()
}

/// Installs the library's logger (once; not when the program already has a Rust logger) and
/// takes `XENAPI_LOG` into account. Called by the library's entry points that start work.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Some(max) = env_level() {
            configure(Some(Config {
                sink: Sink::Stderr,
                max,
            }));
        }
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(LevelFilter::Trace);
        }
    });
}

fn configure(config: Option<Config>) {
    *CONFIG.write().unwrap_or_else(|p| p.into_inner()) = config;
}

/// `xenapi_ext_set_log_func(func, user, max_level)`: hands every library message up to
/// `max_level` (1 error … 5 trace) to `func`, with `user` as its last argument. A NULL `func`
/// goes back to what `XENAPI_LOG` says (stderr, or nothing). Messages may come from any
/// thread that makes calls; `func` must not call back into the library.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_set_log_func(
    func: xenapi_ext_log_func,
    user: *mut c_void,
    max_level: c_int,
) {
    guard((), || {
        init();
        let max = match max_level {
            i if i <= 0 => LevelFilter::Off,
            1 => LevelFilter::Error,
            2 => LevelFilter::Warn,
            3 => LevelFilter::Info,
            4 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        };
        configure(match func {
            Some(func) => Some(Config {
                sink: Sink::Callback {
                    func,
                    user: user as usize,
                },
                max,
            }),
            None => env_level().map(|max| Config {
                sink: Sink::Stderr,
                max,
            }),
        });
    })
}

/// Log-level numbers of the C API, checked against the `log` crate's.
const _: () = assert!(Level::Error as usize == 1 && Level::Trace as usize == 5);

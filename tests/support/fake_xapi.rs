//! A tiny canned XenAPI responder on top of the loopback server: logins, logouts, a couple of
//! methods, pool-member redirection and session invalidation, in any wire format (it answers
//! in the format of the request, chosen by the path).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use xenapi::wire::{decode_call, encode_failure, encode_success, WireFormat};
use xenapi::{Limits, Value};

use crate::support::{Reply, Request};

pub const USER: &str = "root";
pub const PASSWORD: &str = "s3cr3t-p4ss";

/// The responder's state, shared with the test.
#[derive(Default)]
pub struct FakeXapi {
    pub sessions: Mutex<HashSet<String>>,
    /// When set, logins answer `HOST_IS_SLAVE [this]`.
    pub master: Mutex<Option<String>>,
    pub logins: AtomicUsize,
    pub calls: AtomicUsize,
    /// Every method called, in order.
    pub methods: Mutex<Vec<String>>,
    /// The login parameter counts seen.
    pub login_arities: Mutex<Vec<usize>>,
    next: AtomicUsize,
}

impl FakeXapi {
    pub fn new() -> Arc<Self> {
        Arc::new(FakeXapi::default())
    }

    pub fn slave_of(master: &str) -> Arc<Self> {
        let fake = FakeXapi::default();
        *fake.master.lock().unwrap() = Some(master.to_string());
        Arc::new(fake)
    }

    /// Forgets every session (as a restarted xapi would).
    pub fn invalidate_sessions(&self) {
        self.sessions.lock().unwrap().clear();
    }

    pub fn handler(self: &Arc<Self>) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
        let me = self.clone();
        move |req| me.answer(req)
    }

    /// The response body for a request body sent to `path`.
    pub fn respond(&self, path: &str, body: &[u8]) -> Vec<u8> {
        let req = Request {
            method: "POST".into(),
            path: path.into(),
            headers: Vec::new(),
            body: body.to_vec(),
        };
        match self.answer(&req) {
            Reply::Ok(body) | Reply::Status(_, _, body) => body,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    fn answer(&self, req: &Request) -> Reply {
        let format = if req.path == "/jsonrpc" {
            WireFormat::JsonRpc
        } else {
            WireFormat::XmlRpc
        };
        let call = match decode_call(format, &req.body, &Limits::default()) {
            Ok(c) => c,
            Err(e) => return Reply::Status(400, "Bad Request", e.to_string().into_bytes()),
        };
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.methods.lock().unwrap().push(call.method.clone());
        let outcome = self.dispatch(&call.method, &call.params);
        let body = match outcome {
            Ok(v) => encode_success(call.format, &v, call.id.as_ref()).unwrap(),
            Err(desc) => encode_failure(call.format, &desc, call.id.as_ref()),
        };
        Reply::Ok(body)
    }

    fn dispatch(&self, method: &str, params: &[Value]) -> Result<Value, Vec<String>> {
        let text = |i: usize| {
            params
                .get(i)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let local = method == "session.slave_local_login_with_password";
        if method == "session.login_with_password" || local {
            self.login_arities.lock().unwrap().push(params.len());
            if let Some(master) = self.master.lock().unwrap().clone().filter(|_| !local) {
                return Err(vec!["HOST_IS_SLAVE".into(), master]);
            }
            if text(0) != USER || text(1) != PASSWORD {
                return Err(vec![
                    "SESSION_AUTHENTICATION_FAILED".into(),
                    text(0),
                    "Authentication failure".into(),
                ]);
            }
            self.logins.fetch_add(1, Ordering::SeqCst);
            let r = format!(
                "OpaqueRef:session-{}",
                self.next.fetch_add(1, Ordering::SeqCst)
            );
            self.sessions.lock().unwrap().insert(r.clone());
            return Ok(Value::String(r));
        }
        let session = text(0);
        if !self.sessions.lock().unwrap().contains(&session) {
            return Err(vec!["SESSION_INVALID".into(), session]);
        }
        match method {
            "session.logout" | "session.local_logout" => {
                self.sessions.lock().unwrap().remove(&session);
                Ok(Value::String(String::new()))
            }
            "VM.get_all" => Ok(Value::Array(vec![
                Value::String("OpaqueRef:vm-1".into()),
                Value::String("OpaqueRef:vm-2".into()),
            ])),
            "test.echo" => Ok(Value::Array(params[1..].to_vec())),
            _ => Err(vec!["MESSAGE_METHOD_UNKNOWN".into(), method.into()]),
        }
    }
}

//! Waiting for the tasks that `Async.` calls start, and decoding their results.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::api::{Task, TaskRecord, TaskRef, TaskStatusType};
use crate::error::{ApiFailure, Error};
use crate::value::{from_value, Value};
use crate::wire::{self, WireFormat};
use crate::{Limits, Result, Session};

/// A server-side task started by an `async_…` call, which will produce an `R`.
///
/// The task lives on the server until destroyed: [`TaskHandle::wait_and_destroy`] does both,
/// or call [`TaskHandle::destroy`] after [`TaskHandle::wait`].
pub struct TaskHandle<R> {
    task: TaskRef,
    result: PhantomData<fn() -> R>,
}

// By hand: derives would require `R` itself to be `Clone`, `Eq`, … although only the task
// reference is stored.
impl<R> Clone for TaskHandle<R> {
    fn clone(&self) -> Self {
        Self::new(self.task.clone())
    }
}

impl<R> PartialEq for TaskHandle<R> {
    fn eq(&self, other: &Self) -> bool {
        self.task == other.task
    }
}

impl<R> Eq for TaskHandle<R> {}

impl<R> std::hash::Hash for TaskHandle<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.task.hash(state)
    }
}

impl<R> std::fmt::Debug for TaskHandle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TaskHandle({}, {})",
            self.task,
            std::any::type_name::<R>()
        )
    }
}

/// How to wait for a task: polling starts at `first_poll` and backs off by half each time up to
/// `max_poll`; `timeout`, if set, bounds the whole wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up after this long (the task keeps running on the server).
    pub timeout: Option<Duration>,
    /// Delay before the second poll.
    pub first_poll: Duration,
    /// Longest delay between polls.
    pub max_poll: Duration,
}

impl Default for WaitOptions {
    /// No timeout; polls after 50 ms, backing off to every 2 s.
    fn default() -> Self {
        WaitOptions {
            timeout: None,
            first_poll: Duration::from_millis(50),
            max_poll: Duration::from_secs(2),
        }
    }
}

impl WaitOptions {
    /// The default options with a timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout: Some(timeout),
            ..Self::default()
        }
    }
}

impl<R> TaskHandle<R> {
    /// Wraps a task reference whose result is known to be an `R`.
    pub fn new(task: TaskRef) -> Self {
        TaskHandle {
            task,
            result: PhantomData,
        }
    }

    /// Wraps a task reference as the server sent it (generated `async_…` functions use this).
    pub(crate) fn from_wire(task: String) -> Self {
        Self::new(TaskRef::from(task))
    }

    /// The task's reference.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }

    /// The task's reference, by value.
    pub fn into_task(self) -> TaskRef {
        self.task
    }

    /// The task's current record (status, progress, result, error).
    pub fn record(&self, session: &Session) -> Result<TaskRecord> {
        Task::get_record(session, &self.task)
    }

    /// Asks the server to cancel the task; [`TaskHandle::wait`] then fails with `TASK_CANCELLED`.
    pub fn cancel(&self, session: &Session) -> Result<()> {
        Task::cancel(session, &self.task)
    }

    /// Deletes the task from the server.
    pub fn destroy(self, session: &Session) -> Result<()> {
        Task::destroy(session, &self.task)
    }
}

impl<R: DeserializeOwned> TaskHandle<R> {
    /// Waits until the task finishes and returns its result; a failed or cancelled task
    /// returns its error as [`Error::Api`], like a synchronous call would.
    pub fn wait(&self, session: &Session, options: &WaitOptions) -> Result<R> {
        self.wait_with_progress(session, options, |_| {})
    }

    /// [`TaskHandle::wait`], calling `on_progress` with the task's progress (0.0 to 1.0)
    /// after every poll while it runs.
    pub fn wait_with_progress(
        &self,
        session: &Session,
        options: &WaitOptions,
        mut on_progress: impl FnMut(f64),
    ) -> Result<R> {
        let started = Instant::now();
        let mut delay = options.first_poll;
        loop {
            let record = self.record(session)?;
            if let Some(outcome) = self.outcome(&record) {
                log::debug!(
                    target: "xenapi::task",
                    "{}: {:?} after {:.1} s",
                    self.task,
                    record.status,
                    started.elapsed().as_secs_f64()
                );
                if outcome.is_ok() {
                    on_progress(1.0);
                }
                return outcome;
            }
            log::trace!(target: "xenapi::task", "{}: progress {:.2}, next poll in {delay:?}", self.task, record.progress);
            on_progress(record.progress);
            if let Some(timeout) = options.timeout {
                let waited = started.elapsed();
                if waited >= timeout {
                    return Err(Error::TaskTimeout {
                        task: self.task.to_string(),
                        waited,
                    });
                }
                delay = delay.min(timeout - waited);
            }
            std::thread::sleep(delay);
            delay = (delay + delay / 2).min(options.max_poll);
        }
    }

    /// Waits for the task, then destroys it whatever the outcome.
    pub fn wait_and_destroy(self, session: &Session, options: &WaitOptions) -> Result<R> {
        let outcome = self.wait(session, options);
        let destroyed = Task::destroy(session, &self.task);
        let result = outcome?;
        destroyed.map(|()| result)
    }

    /// The result or error of a finished task; `None` while it runs (or in a state this
    /// version does not know, which a later poll resolves).
    fn outcome(&self, record: &TaskRecord) -> Option<Result<R>> {
        match record.status {
            TaskStatusType::Success => Some(decode_task_result(&record.result)),
            TaskStatusType::Failure | TaskStatusType::Cancelled => {
                let failure = if record.error_info.is_empty() {
                    ApiFailure {
                        code: "TASK_CANCELLED".into(),
                        params: vec![self.task.to_string()],
                    }
                } else {
                    ApiFailure::from_description(record.error_info.clone())
                };
                Some(Err(Error::Api(failure)))
            }
            _ => None,
        }
    }
}

/// Decodes a task's `result` field. xapi stores the result XML-RPC-encoded (`<value>…</value>`)
/// whatever wire format the client uses; void results are an empty string.
pub fn decode_task_result<R: DeserializeOwned>(result: &str) -> Result<R> {
    if result.trim().is_empty() {
        return from_value(Value::Nil);
    }
    // Wrapped as a successful XML-RPC response so the core's XML decoder reads it unchanged.
    let body = format!(
        "<methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name>{result}</member>\
         </struct></value></param></params></methodResponse>"
    );
    let value: Value =
        wire::decode_response(WireFormat::XmlRpc, body.as_bytes(), &Limits::default())?;
    from_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: TaskStatusType, result: &str, error_info: &[&str]) -> TaskRecord {
        TaskRecord {
            status,
            result: result.into(),
            error_info: error_info.iter().map(|s| (*s).to_owned()).collect(),
            ..TaskRecord::default()
        }
    }

    #[test]
    fn finished_tasks_give_their_result_or_error() {
        let handle = TaskHandle::<crate::api::VmRef>::new(TaskRef::new("OpaqueRef:t"));
        let done = record(TaskStatusType::Success, "<value>OpaqueRef:vm</value>", &[]);
        assert_eq!(
            handle.outcome(&done).unwrap().unwrap().as_str(),
            "OpaqueRef:vm"
        );

        let failed = record(
            TaskStatusType::Failure,
            "",
            &["VM_BAD_POWER_STATE", "OpaqueRef:vm", "halted", "running"],
        );
        match handle.outcome(&failed).unwrap() {
            Err(Error::Api(f)) => {
                assert_eq!(f.code, "VM_BAD_POWER_STATE");
                assert_eq!(f.params, ["OpaqueRef:vm", "halted", "running"]);
            }
            other => panic!("{other:?}"),
        }

        let cancelled = record(TaskStatusType::Cancelled, "", &[]);
        match handle.outcome(&cancelled).unwrap() {
            Err(Error::Api(f)) => assert_eq!(f.description(), ["TASK_CANCELLED", "OpaqueRef:t"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn running_or_unknown_states_are_not_finished() {
        let handle = TaskHandle::<()>::new(TaskRef::new("OpaqueRef:t"));
        for status in [
            TaskStatusType::Pending,
            TaskStatusType::Cancelling,
            TaskStatusType::Unknown("paused".into()),
        ] {
            assert!(handle.outcome(&record(status, "", &[])).is_none());
        }
    }

    #[test]
    fn a_result_of_the_wrong_type_is_a_decode_error() {
        let handle = TaskHandle::<i64>::new(TaskRef::new("OpaqueRef:t"));
        let done = record(TaskStatusType::Success, "<value>OpaqueRef:vm</value>", &[]);
        assert!(matches!(
            handle.outcome(&done),
            Some(Err(Error::Decode { .. }))
        ));
    }
}

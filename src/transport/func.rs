//! A transport that hands the request to a caller-supplied function.

use super::Transport;
use crate::error::{Error, Result};
use crate::limits::Limits;

type PostFn = dyn Fn(&[u8]) -> Result<Vec<u8>> + Send + Sync;

/// A [`Transport`] that calls a function with the request body and returns what it returns.
///
/// This is the C SDK's `call_func` model: the caller owns the connection entirely. The path is
/// not passed on (the caller chose the wire format when building the client); the response
/// size limit still applies.
pub struct FnTransport {
    post: Box<PostFn>,
}

impl FnTransport {
    /// Wraps `post`, which receives a request body and returns the response body.
    pub fn new(post: impl Fn(&[u8]) -> Result<Vec<u8>> + Send + Sync + 'static) -> Self {
        FnTransport {
            post: Box::new(post),
        }
    }
}

impl Transport for FnTransport {
    fn post(&self, _path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        let response = (self.post)(body)?;
        if response.len() as u64 > limits.max_response_bytes {
            return Err(Error::TooLarge {
                limit: limits.max_response_bytes,
            });
        }
        Ok(response)
    }
}

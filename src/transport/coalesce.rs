//! Sends a request's head and body in one write.
//!
//! ureq transmits the head of a request and then its body as two separate writes, so the
//! server wakes up twice for every call; on loopback that costs as much as opening a new
//! connection. This layer, last in the connector chain, holds a transmitted head back until
//! the body follows, or until ureq waits for the response, and sends what it holds together
//! with what comes next.

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Wraps every connection in a [`Coalescing`] transport.
#[derive(Debug)]
pub(super) struct CoalescingConnector;

impl<In: Transport> Connector<In> for CoalescingConnector {
    type Out = Coalescing<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Coalescing {
            inner,
            held: Vec::new(),
        }))
    }
}

/// A transport that holds a request head back to send it with the body.
#[derive(Debug)]
pub(super) struct Coalescing<T> {
    inner: T,
    held: Vec<u8>,
}

impl<T: Transport> Coalescing<T> {
    /// Sends what is held through the inner transport's output buffer, a buffer-full at a
    /// time (the held bytes are a head and at most one buffer of body, so usually one write).
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let mut sent = 0;
        while sent < self.held.len() {
            let output = self.inner.buffers().output();
            let n = output.len().min(self.held.len() - sent);
            output[..n].copy_from_slice(&self.held[sent..sent + n]);
            self.inner.transmit_output(n, timeout)?;
            sent += n;
        }
        self.held.clear();
        Ok(())
    }
}

impl<T: Transport> Transport for Coalescing<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let output = &self.inner.buffers().output()[..amount];
        if self.held.is_empty() {
            if is_request_head(output) {
                self.held.extend_from_slice(output);
                return Ok(());
            }
            return self.inner.transmit_output(amount, timeout);
        }
        self.held.extend_from_slice(output);
        self.flush(timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// Whether a transmission is a complete HTTP request head (which a body may follow).
fn is_request_head(bytes: &[u8]) -> bool {
    bytes.ends_with(b"\r\n\r\n")
}

#[cfg(test)]
mod tests {
    use ureq::unversioned::transport::LazyBuffers;

    use super::*;

    /// Records every transmission it is asked to make.
    #[derive(Debug)]
    struct Recorder {
        buffers: LazyBuffers,
        sent: Vec<Vec<u8>>,
    }

    impl Transport for Recorder {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            let bytes = self.buffers.output()[..amount].to_vec();
            self.sent.push(bytes);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(true)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    fn coalescing(output_size: usize) -> Coalescing<Recorder> {
        Coalescing {
            inner: Recorder {
                buffers: LazyBuffers::new(1024, output_size),
                sent: Vec::new(),
            },
            held: Vec::new(),
        }
    }

    fn timeout() -> NextTimeout {
        NextTimeout::default()
    }

    /// Puts `bytes` in the output buffer and transmits them, as ureq does.
    fn transmit(t: &mut Coalescing<Recorder>, bytes: &[u8]) {
        t.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        t.transmit_output(bytes.len(), timeout()).unwrap();
    }

    const HEAD: &[u8] = b"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n";

    #[test]
    fn head_and_body_go_out_as_one_write() {
        let mut t = coalescing(4096);
        transmit(&mut t, HEAD);
        assert!(t.inner.sent.is_empty(), "the head alone was sent");
        transmit(&mut t, b"hello");
        assert_eq!(t.inner.sent, vec![[HEAD, b"hello"].concat()]);
        t.await_input(timeout()).unwrap();
        assert_eq!(t.inner.sent.len(), 1, "nothing more to send before reading");
    }

    #[test]
    fn a_head_without_body_is_sent_before_waiting_for_the_response() {
        let mut t = coalescing(4096);
        transmit(&mut t, b"GET / HTTP/1.1\r\n\r\n");
        t.maybe_await_input(timeout()).unwrap();
        assert_eq!(t.inner.sent, vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()]);
    }

    #[test]
    fn a_body_larger_than_the_buffer_goes_out_in_buffer_sized_writes() {
        let mut t = coalescing(64);
        transmit(&mut t, HEAD);
        let body = [b'x'; 60];
        transmit(&mut t, &body);
        let sent: Vec<u8> = t.inner.sent.concat();
        assert_eq!(sent, [HEAD, &body[..]].concat());
        assert!(
            t.inner.sent.iter().all(|w| w.len() <= 64),
            "{:?}",
            t.inner.sent
        );
        assert_eq!(t.inner.sent.len(), 2);
        transmit(&mut t, b"more body");
        assert_eq!(
            t.inner.sent.last().unwrap(),
            b"more body",
            "later chunks pass straight through"
        );
    }
}

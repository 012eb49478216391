//! XenAPI client.

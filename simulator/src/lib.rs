//! xapi simulator.

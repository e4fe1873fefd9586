//! Resilience, in one test binary (one link instead of three): spec fidelity at the
//! edges (`fidelity`), hostile and flaky servers (`hostile`), and credentials under
//! faults (`credential_faults`). Both clients, loopback servers and the sandbox only.

#[path = "../support/fake.rs"]
mod fake;

mod credential_faults;
mod fidelity;
mod hostile;

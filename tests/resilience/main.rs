//! Resilience, in one test binary (one link instead of three): spec fidelity at the
//! edges (`fidelity`), hostile and flaky servers (`hostile`), and credentials under
//! faults (`credential_faults`). Both clients, loopback servers and the sandbox only.

#[path = "../support/fake.rs"]
mod fake;

mod credential_faults;
mod fidelity;
mod hostile;

/// A client configuration for a mock server, without retries: each test counts what
/// was sent.
fn config(server: &wiremock::MockServer) -> wechat_card::Config {
    wechat_card::Config::new()
        .all_hosts(server.uri())
        .retry(wechat_card::RetryPolicy::none())
}

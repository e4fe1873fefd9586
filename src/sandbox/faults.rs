//! Faults injected per endpoint, reproducibly: the next N calls, or a seeded share of
//! them, answer with an errcode, an expired token, latency, a malformed body or a
//! dropped connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this errcode (e.g. -1 system busy, 45009 rate limited).
    ErrCode(i64),
    /// Answer 42001, as if the token had expired.
    ExpiredToken,
    /// Wait this long, then handle the call normally.
    Latency(Duration),
    /// Answer with HTML instead of JSON (a proxy's error page).
    MalformedBody,
    /// Close the connection without answering.
    DropConnection,
}

#[derive(Debug)]
struct Plan {
    fault: Fault,
    /// How many more calls it applies to (`None`: every call drawn).
    remaining: Option<u32>,
    /// Share of calls it applies to, 0.0..=1.0.
    rate: f64,
}

/// The faults of a sandbox: plans per endpoint id (`code.consume`, or `*` for all).
#[derive(Debug)]
pub struct Faults {
    plans: Mutex<HashMap<String, Vec<Plan>>>,
    rng: Mutex<u64>,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            plans: Mutex::default(),
            rng: Mutex::new(seed.max(1)),
        }
    }

    /// The next `times` calls of `endpoint` get `fault`.
    pub fn next(&self, endpoint: &str, fault: Fault, times: u32) {
        self.add(
            endpoint,
            Plan {
                fault,
                remaining: Some(times),
                rate: 1.0,
            },
        );
    }

    /// A `rate` share (0.0..=1.0) of the calls of `endpoint` get `fault`, drawn from the
    /// sandbox's seeded generator: the same seed gives the same sequence.
    pub fn rate(&self, endpoint: &str, fault: Fault, rate: f64) {
        self.add(
            endpoint,
            Plan {
                fault,
                remaining: None,
                rate: rate.clamp(0.0, 1.0),
            },
        );
    }

    /// Removes every plan.
    pub fn clear(&self) {
        self.plans.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn add(&self, endpoint: &str, plan: Plan) {
        self.plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(endpoint.to_owned())
            .or_default()
            .push(plan);
    }

    /// xorshift64*: small, seeded, reproducible.
    fn uniform(&self) -> f64 {
        let mut state = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The fault this call of `endpoint` gets, if any.
    pub(crate) fn draw(&self, endpoint: &str) -> Option<Fault> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        for key in [endpoint, "*"] {
            let Some(list) = plans.get_mut(key) else {
                continue;
            };
            for plan in list.iter_mut() {
                if plan.remaining == Some(0) {
                    continue;
                }
                if plan.rate < 1.0 && self.uniform() >= plan.rate {
                    continue;
                }
                if let Some(n) = plan.remaining.as_mut() {
                    *n -= 1;
                }
                return Some(plan.fault);
            }
        }
        None
    }
}

//! Faults injected into the sandbox's API calls, reproducibly.
//!
//! A plan ([`FaultPlan`]) names a fault and the calls it hits: an endpoint (or all),
//! an appid, the k-th call of the endpoint, a budget of times, a seeded share. Some
//! faults strike before the endpoint runs (the call has no effect), others after it
//! (the call took effect; its reply is lost, late or mangled) — see
//! [`Fault::takes_effect`].
//!
//! Whether a seeded share hits a call is a pure function of the seed, the plan's
//! number, the endpoint and the call's number for that endpoint: the same seed hits
//! the same calls whatever the interleaving of concurrent clients.

pub(crate) mod json;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Reset the connection (TCP RST) without answering.
    Reset,
    /// Answer with this HTTP status (502, 503, …) and a JSON body carrying `errcode`,
    /// as a gateway in front of WeChat does.
    ServerError { status: u16, errcode: i64 },
    /// The call takes effect, then the connection is closed without a reply.
    ReplyLost,
    /// The call takes effect; its reply leaves this much later (past a client's
    /// timeout, the client never sees it).
    ReplyLate(Duration),
    /// The call takes effect; its reply is cut mid-body: `Content-Length` announces
    /// the whole, half is sent, then the connection closes.
    TruncatedBody,
    /// As [`Fault::TruncatedBody`], in chunked encoding: the last chunk never comes.
    TruncatedChunked,
    /// The call takes effect; its reply is sent `bytes` at a time, one piece every
    /// `every`.
    Trickle { bytes: usize, every: Duration },
}

impl Fault {
    /// Whether the call still takes effect: the endpoint runs, and the fault only
    /// delays it (`Latency`) or loses, delays or spoils its reply. The other faults
    /// strike before the endpoint runs: the call has no effect.
    pub fn takes_effect(&self) -> bool {
        matches!(
            self,
            Fault::Latency(_)
                | Fault::ReplyLost
                | Fault::ReplyLate(_)
                | Fault::TruncatedBody
                | Fault::TruncatedChunked
                | Fault::Trickle { .. }
        )
    }
}

/// A fault and the calls it hits. Built with [`FaultPlan::new`] and its setters:
/// by default every call of every endpoint, for every appid, without end.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultPlan {
    pub fault: Fault,
    /// An endpoint id (`code.consume`), or `*` for all.
    pub endpoint: String,
    /// Only calls for this appid (the token's app, or the token request's `appid`).
    pub appid: Option<String>,
    /// Only the k-th call of the endpoint (1 is the first the sandbox received).
    pub call: Option<u64>,
    /// At most this many calls (`None`: no limit).
    pub times: Option<u32>,
    /// The share of matching calls hit, 0.0..=1.0, drawn from the sandbox's seed.
    pub rate: f64,
}

impl FaultPlan {
    pub fn new(fault: Fault) -> Self {
        FaultPlan {
            fault,
            endpoint: "*".into(),
            appid: None,
            call: None,
            times: None,
            rate: 1.0,
        }
    }

    /// Only calls of this endpoint id (`code.consume`; `*` for all).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Only calls made for this appid.
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = Some(appid.into());
        self
    }

    /// Only the k-th call of the endpoint (counted from 1 since the sandbox started,
    /// see [`Faults::calls`]).
    pub fn call(mut self, k: u64) -> Self {
        self.call = Some(k);
        self
    }

    /// At most `n` calls.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// A `rate` share (0.0..=1.0) of the matching calls, drawn from the seed.
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = rate.clamp(0.0, 1.0);
        self
    }
}

/// An active plan and how often it struck.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlanReport {
    /// Its number: 1, 2, … in the order plans were added (never reused).
    pub id: u64,
    pub plan: FaultPlan,
    /// How many calls it hit.
    pub fired: u32,
}

/// The faults of a sandbox: its plans, and the calls each endpoint received.
///
/// ```
/// use std::time::Duration;
/// use wechat_card::sandbox::{Fault, FaultPlan, Sandbox};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wechat_card::Error> {
/// let sandbox = Sandbox::start().await?;
/// let faults = sandbox.faults();
/// // The consume goes through; its reply is lost. Once.
/// faults.add(FaultPlan::new(Fault::ReplyLost).endpoint("code.consume").times(1));
/// // A 503 with errcode -1 on the third card/get made for this app.
/// let busy = Fault::ServerError { status: 503, errcode: -1 };
/// let appid = sandbox.credentials().appid().to_owned();
/// faults.add(FaultPlan::new(busy).endpoint("card.get").appid(appid).call(3));
/// // A quarter of card/get calls wait 100 ms, the same ones for the same seed.
/// faults.rate("card.get", Fault::Latency(Duration::from_millis(100)), 0.25);
///
/// assert_eq!(faults.plans().len(), 3);
/// assert_eq!(faults.calls("code.consume"), 0, "the next consume is number 1");
/// faults.clear();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Faults {
    seed: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    plans: Vec<PlanReport>,
    last_id: u64,
    /// Calls received per endpoint id: the k of "the k-th call".
    calls: HashMap<String, u64>,
}

/// What the gate learns of a call from the faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Drawn {
    /// The call's number for its endpoint (1 for the first).
    pub call: u64,
    pub fault: Option<Fault>,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            seed,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a plan; returns its number. Plans are tried in the order they were added,
    /// those naming the endpoint before those for `*`; the first that hits wins.
    pub fn add(&self, plan: FaultPlan) -> u64 {
        let mut state = self.lock();
        state.last_id += 1;
        let id = state.last_id;
        state.plans.push(PlanReport { id, plan, fired: 0 });
        id
    }

    /// The next `times` calls of `endpoint` get `fault`.
    pub fn next(&self, endpoint: &str, fault: Fault, times: u32) {
        self.add(FaultPlan::new(fault).endpoint(endpoint).times(times));
    }

    /// A `rate` share (0.0..=1.0) of the calls of `endpoint` get `fault`, drawn from the
    /// sandbox's seed: the same seed hits the same calls.
    pub fn rate(&self, endpoint: &str, fault: Fault, rate: f64) {
        self.add(FaultPlan::new(fault).endpoint(endpoint).rate(rate));
    }

    /// The active plans (spent ones included) and how often each struck.
    pub fn plans(&self) -> Vec<PlanReport> {
        self.lock().plans.clone()
    }

    /// How many calls of `endpoint` the sandbox received so far: the next is number
    /// `calls + 1`.
    pub fn calls(&self, endpoint: &str) -> u64 {
        self.lock().calls.get(endpoint).copied().unwrap_or(0)
    }

    /// Calls received per endpoint id, for every endpoint called so far.
    pub fn all_calls(&self) -> HashMap<String, u64> {
        self.lock().calls.clone()
    }

    /// Removes every plan (call numbers keep counting).
    pub fn clear(&self) {
        self.lock().plans.clear();
    }

    /// Numbers this call of `endpoint` and picks the fault it gets, if any. Numbering
    /// and choice happen under one lock, so the calls of an endpoint are decided in the
    /// order of their numbers.
    pub(crate) fn draw(&self, endpoint: &str, appid: Option<&str>) -> Drawn {
        let mut state = self.lock();
        let call = {
            let n = state.calls.entry(endpoint.to_owned()).or_default();
            *n += 1;
            *n
        };
        let seed = self.seed;
        let named = |p: &PlanReport| p.plan.endpoint == endpoint;
        let wildcard = |p: &PlanReport| p.plan.endpoint == "*" && endpoint != "*";
        let order: Vec<usize> = (0..state.plans.len())
            .filter(|&i| named(&state.plans[i]))
            .chain((0..state.plans.len()).filter(|&i| wildcard(&state.plans[i])))
            .collect();
        let hit = order
            .into_iter()
            .find(|&i| hits(&state.plans[i], seed, endpoint, call, appid));
        let fault = hit.map(|i| {
            let report = &mut state.plans[i];
            report.fired += 1;
            report.plan.fault
        });
        Drawn { call, fault }
    }
}

/// Whether `report`'s plan hits call number `call` of `endpoint`.
fn hits(report: &PlanReport, seed: u64, endpoint: &str, call: u64, appid: Option<&str>) -> bool {
    let plan = &report.plan;
    if plan.times.is_some_and(|n| report.fired >= n) {
        return false;
    }
    if plan.call.is_some_and(|k| k != call) {
        return false;
    }
    if plan.appid.is_some() && plan.appid.as_deref() != appid {
        return false;
    }
    plan.rate >= 1.0 || uniform(seed, report.id, endpoint, call) < plan.rate
}

/// A number in 0.0..1.0 that depends only on its arguments (splitmix64 over them).
fn uniform(seed: u64, plan: u64, endpoint: &str, call: u64) -> f64 {
    // FNV-1a folds the endpoint id into a number.
    let name = endpoint.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let x = [plan, name, call]
        .into_iter()
        .fold(mix(seed), |acc, part| mix(acc ^ part));
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// splitmix64's finaliser: every input bit moves every output bit.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_share_depends_on_the_call_number_not_on_arrival() {
        let hit_calls = |seed, order: &[&str]| {
            let faults = Faults::new(seed);
            faults.add(FaultPlan::new(Fault::ReplyLost).endpoint("a").rate(0.5));
            let mut hits = Vec::new();
            for endpoint in order {
                let drawn = faults.draw(endpoint, None);
                if drawn.fault.is_some() {
                    hits.push((endpoint.to_string(), drawn.call));
                }
            }
            hits.sort();
            hits
        };
        // Calls of another endpoint interleaved differently change nothing for `a`.
        let one = hit_calls(7, &["a", "b", "a", "a", "b", "a", "a", "a", "a", "a"]);
        let two = hit_calls(7, &["b", "b", "a", "a", "a", "a", "a", "a", "a", "a"]);
        assert_eq!(one, two);
        assert!(!one.is_empty() && one.len() < 8, "{one:?}");
        assert_ne!(one, hit_calls(8, &["a"; 8]), "another seed, other calls");
    }

    #[test]
    fn plans_filter_by_call_number_appid_and_budget() {
        let faults = Faults::new(1);
        faults.add(FaultPlan::new(Fault::Reset).endpoint("a").call(2));
        faults.add(FaultPlan::new(Fault::ReplyLost).appid("wx1").times(1));
        let drawn: Vec<_> = [
            ("a", None),
            ("a", Some("wx2")),
            ("b", Some("wx1")),
            ("b", Some("wx1")),
        ]
        .into_iter()
        .map(|(e, appid)| faults.draw(e, appid).fault)
        .collect();
        assert_eq!(
            drawn,
            [None, Some(Fault::Reset), Some(Fault::ReplyLost), None]
        );
        let fired: Vec<_> = faults.plans().iter().map(|r| r.fired).collect();
        assert_eq!(fired, [1, 1]);
        assert_eq!((faults.calls("a"), faults.calls("b")), (2, 2));
    }
}

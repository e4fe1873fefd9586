//! How many WeChat API requests the sandbox received, per endpoint id: one atomic per
//! route of the generated `ROUTES` (the table `dispatch` is generated from), so
//! counting costs a table scan and an increment.

use crate::generated::sandbox::ROUTES;
use crate::sandbox::runtime::Call;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests received per endpoint, whatever their outcome (faults and token errors
/// included), and those no endpoint serves.
#[derive(Debug)]
pub(crate) struct Counters {
    per_route: Vec<AtomicU64>,
    unrouted: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            per_route: ROUTES.iter().map(|_| AtomicU64::new(0)).collect(),
            unrouted: AtomicU64::new(0),
        }
    }
}

impl Counters {
    /// Counts one request.
    pub(crate) fn count(&self, call: &Call) {
        let counter = ROUTES
            .iter()
            .position(|(m, p, _)| *m == call.method && call.is_route(p))
            .map_or(&self.unrouted, |at| &self.per_route[at]);
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests per endpoint id, only those that were called.
    pub(crate) fn per_endpoint(&self) -> BTreeMap<&'static str, u64> {
        ROUTES
            .iter()
            .zip(&self.per_route)
            .map(|((_, _, id), n)| (*id, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Requests of one endpoint id.
    pub(crate) fn of(&self, endpoint: &str) -> u64 {
        ROUTES
            .iter()
            .position(|(_, _, id)| *id == endpoint)
            .map_or(0, |at| self.per_route[at].load(Ordering::Relaxed))
    }

    /// Requests to paths no endpoint serves.
    pub(crate) fn unrouted(&self) -> u64 {
        self.unrouted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Method;

    fn call(method: Method, path: &str, query: &[(&str, &str)]) -> Call {
        Call {
            method,
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            content_type: None,
            body: Vec::new(),
        }
    }

    #[test]
    fn requests_are_counted_per_endpoint_id() {
        let counters = Counters::default();
        counters.count(&call(Method::Post, "/card/code/consume", &[]));
        counters.count(&call(Method::Post, "/card/code/consume", &[]));
        counters.count(&call(Method::Get, "/card/code/consume", &[]));
        assert_eq!(counters.of("code.consume"), 2);
        assert_eq!(counters.unrouted(), 1);
        assert_eq!(counters.per_endpoint().len(), 1);
    }

    #[test]
    fn a_shared_path_is_counted_by_its_fixed_query() {
        let counters = Counters::default();
        let path = "/card/invoice/setbizattr";
        counters.count(&call(Method::Post, path, &[("action", "get_pay_mch")]));
        counters.count(&call(Method::Post, path, &[("action", "nothing")]));
        assert_eq!(counters.of("invoice.get_pay_mch"), 1);
        assert_eq!(counters.of("invoice.set_pay_mch"), 0);
        assert_eq!(counters.unrouted(), 1);
    }
}

//! How many WeChat API requests the sandbox received, per endpoint id: one atomic per
//! route, so counting costs a table scan and an increment.

use crate::endpoint::{Endpoint, Method};
use crate::{
    basic, card, code, datacube, distribute, general_card, member_card, pay_gift, sub_merchant,
    ticket, token,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Method, path and id of each endpoint type.
macro_rules! routes {
    ($($request:ty),* $(,)?) => {
        &[$((
            <$request as Endpoint>::METHOD,
            <$request as Endpoint>::PATH,
            <$request as Endpoint>::ID,
        )),*]
    };
}

/// Every endpoint the generated `dispatch` routes (a test checks none is missing).
const ROUTES: &[(Method, &str, &str)] = routes![
    basic::BasicColorsRequest,
    basic::BasicCategoriesRequest,
    basic::BasicUploadImageRequest,
    card::CardCreateRequest,
    card::CardSetPayCellRequest,
    card::CardSetSelfConsumeCellRequest,
    card::CardSetTestWhitelistRequest,
    card::CardGetRequest,
    card::CardBatchGetRequest,
    card::CardUpdateRequest,
    card::CardModifyStockRequest,
    card::CardDeleteRequest,
    code::CodeGetRequest,
    code::CodeListUserCardsRequest,
    code::CodeUpdateRequest,
    code::CodeUnavailableRequest,
    code::CodeConsumeRequest,
    code::CodeDecryptRequest,
    code::CodeMarkRequest,
    datacube::DatacubeBizInfoRequest,
    datacube::DatacubeCardInfoRequest,
    datacube::DatacubeMemberCardInfoRequest,
    datacube::DatacubeMemberCardDetailRequest,
    distribute::DistributeCreateQrcodeRequest,
    distribute::DistributeShowQrcodeRequest,
    distribute::DistributeCreateLandingPageRequest,
    distribute::DistributeMpnewsHtmlRequest,
    distribute::DistributeDepositCodesRequest,
    distribute::DistributeDepositCountRequest,
    distribute::DistributeCheckCodesRequest,
    general_card::GeneralCardActivateRequest,
    general_card::GeneralCardUnactivateRequest,
    general_card::GeneralCardUpdateUserRequest,
    member_card::MemberCardActivateRequest,
    member_card::MemberCardSetActivateFormRequest,
    member_card::MemberCardUserInfoRequest,
    member_card::MemberCardUpdateUserRequest,
    member_card::MemberCardActivateUrlRequest,
    member_card::MemberCardActivateTempInfoRequest,
    pay_gift::PayGiftAddRequest,
    pay_gift::PayGiftDeleteRequest,
    pay_gift::PayGiftGetByIdRequest,
    pay_gift::PayGiftBatchGetRequest,
    sub_merchant::SubMerchantSubmitRequest,
    sub_merchant::SubMerchantUpdateRequest,
    sub_merchant::SubMerchantGetRequest,
    sub_merchant::SubMerchantBatchGetRequest,
    ticket::TicketBoardingPassCheckinRequest,
    ticket::TicketMeetingTicketUpdateUserRequest,
    ticket::TicketMovieTicketUpdateUserRequest,
    ticket::TicketLuckyMoneyUpdateBalanceRequest,
    token::TokenGetRequest,
    token::TokenStableRequest,
    token::TokenCardTicketRequest,
];

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
    pub(crate) fn count(&self, method: Method, path: &str) {
        let counter = ROUTES
            .iter()
            .position(|(m, p, _)| *m == method && *p == path)
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

    /// Every `(Method::…, "/path")` arm of the generated dispatch is counted by its id:
    /// a new endpoint in the spec fails here until it joins `ROUTES`.
    #[test]
    fn every_dispatched_route_is_counted() {
        let generated = include_str!("../generated/sandbox.rs");
        let mut arms = 0;
        for line in generated.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("(Method::") else {
                continue;
            };
            let (method, path) = rest.split_once(", \"").expect("an arm");
            let path = path.split('"').next().expect("a path");
            let method = if method == "Get" {
                Method::Get
            } else {
                Method::Post
            };
            assert!(
                ROUTES.iter().any(|(m, p, _)| *m == method && *p == path),
                "{method:?} {path} is dispatched but not counted"
            );
            arms += 1;
        }
        assert_eq!(arms, ROUTES.len());
    }

    #[test]
    fn requests_are_counted_per_endpoint_id() {
        let counters = Counters::default();
        counters.count(Method::Post, "/card/code/consume");
        counters.count(Method::Post, "/card/code/consume");
        counters.count(Method::Get, "/card/code/consume");
        assert_eq!(counters.of("code.consume"), 2);
        assert_eq!(counters.unrouted(), 1);
        assert_eq!(counters.per_endpoint().len(), 1);
    }
}

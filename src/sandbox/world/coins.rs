//! The coin account (the `coin` endpoints): the coins (券点) that buy the stock of
//! Friends' coupons. Free coins are WeChat's (200 when the account opens), paid ones the
//! merchant's recharges (1 券点 = 1 元, paid by scanning a WeChat Pay QR code: in the
//! sandbox, `Sandbox::pay_recharge`). A quote (`getpayprice`) prices new stock and is
//! good once, for 60 seconds; `confirm` spends it, free coins first, and adds the stock.
//! Every movement is an order, listed by `getorder` and `getorderlist`.

use super::cards::parts_mut;
use super::{State, World, fail};
use crate::ErrCode;
use crate::coin;
use crate::generated::sandbox::CoinOperations;
use crate::sandbox::runtime::Failure;
use crate::types::{CardStatus, CoinOrder, CoinOrderStatus, CoinOrderType, CoinSortType};
use base64::Engine as _;
use std::collections::HashMap;

/// 微信卡券对每一个新开通券点账户的商户奖励200个券点 (in fen: coins are counted in 分).
const REWARD_FEN: i64 = 200 * 100;

/// 返回的order_id须在60s内使用.
const QUOTE_MS: u64 = 60_000;

/// Without begin_time, getorderlist looks back a week (默认1周前).
const WEEK_SECS: i64 = 7 * 24 * 3600;

/// A card's stock ceiling (卡券库存的数量，上限为100000000): confirm adds no stock above it.
const STOCK_CEILING: i64 = 100_000_000;

/// The account's coins, in fen (0.2 券点 a voucher needs fractions), and its orders.
#[derive(Debug, Default)]
pub(super) struct CoinAccount {
    activated: bool,
    free_fen: i64,
    pay_fen: i64,
    /// Every movement, in the order it happened.
    orders: Vec<CoinOrder>,
    /// order_id of a quote -> the quote.
    quotes: HashMap<String, Quote>,
    /// order_id of a recharge made by `recharge` -> the fen it pays in.
    recharges: HashMap<String, i64>,
}

/// A price given by getpayprice: good for one confirm of this card and quantity.
#[derive(Debug, Clone)]
struct Quote {
    card_id: String,
    quantity: i64,
    price_fen: i64,
    expires_ms: u64,
    used: bool,
}

/// What an example needs of the coin account before it runs.
#[derive(Debug, Default)]
pub(crate) struct SeedCoins {
    /// Open, with the 200 free coins of a new account.
    pub activated: bool,
    /// (order_id, card_id, quantity): fresh quotes.
    pub quotes: Vec<(String, String, i64)>,
    /// Orders as shown (a recharge paid by o_example where they show nothing).
    pub orders: Vec<CoinOrder>,
}

/// Coins as WeChat writes them: 元, with decimals only when needed ("0.2", "200").
fn coins(fen: i64) -> String {
    let (sign, fen) = if fen < 0 { ("-", -fen) } else { ("", fen) };
    match fen % 100 {
        0 => format!("{sign}{}", fen / 100),
        c if c % 10 == 0 => format!("{sign}{}.{}", fen / 100, c / 10),
        c => format!("{sign}{}.{c:02}", fen / 100),
    }
}

/// Coins as WeChat writes them ("0.2", "200") back in fen; `None` unless a finite number
/// of coins whose fen an `i64` holds.
fn fen_of(coins: &str) -> Option<i64> {
    let fen = (coins.trim().parse::<f64>().ok()? * 100.0).round();
    // i64::MAX as f64 rounds up to 2^63, itself out of range.
    (fen.is_finite() && fen >= i64::MIN as f64 && fen < i64::MAX as f64).then_some(fen as i64)
}

/// The order of a movement made now.
fn order(id: String, kind: CoinOrderType, status: CoinOrderStatus, now: i64) -> CoinOrder {
    CoinOrder {
        order_id: Some(id),
        status: Some(status),
        create_time: Some(now),
        pay_finish_time: Some(0),
        free_coin_count: Some("0".into()),
        pay_coin_count: Some("0".into()),
        refund_free_coin_count: Some("0".into()),
        refund_pay_coin_count: Some("0".into()),
        order_type: Some(kind),
        ..CoinOrder::default()
    }
}

impl CoinAccount {
    /// The account, if open (`api unauthorized` before activate).
    fn open(&mut self) -> Result<&mut CoinAccount, Failure> {
        if self.activated {
            Ok(self)
        } else {
            Err(fail(
                ErrCode::ApiUnauthorized,
                "coin account not activated: call card/pay/activate first",
            ))
        }
    }

    fn open_with_reward(&mut self, id: String, now: i64) {
        self.activated = true;
        self.free_fen = self.free_fen.saturating_add(REWARD_FEN);
        let mut reward = order(id, CoinOrderType::SysAdd, CoinOrderStatus::FinanceSucc, now);
        reward.desc = Some("开通账户奖励".into());
        reward.pay_finish_time = Some(now);
        reward.free_coin_count = Some(coins(REWARD_FEN));
        self.orders.push(reward);
    }

    /// Free and paid coins together, in fen.
    fn total_fen(&self) -> i64 {
        self.free_fen.saturating_add(self.pay_fen)
    }

    fn order_mut(&mut self, order_id: &str) -> Option<&mut CoinOrder> {
        self.orders
            .iter_mut()
            .find(|o| o.order_id.as_deref() == Some(order_id))
    }
}

/// Who pays a recharge when the sandbox is not told (the merchant's own WeChat user).
pub(crate) const PAYER: &str = "o_sandbox_payer";

/// A recharge order's id: digits, as the docs' example (27 of them).
fn recharge_id(state: &mut State) -> String {
    state.serial += 1;
    format!("1000057901{:017}", state.serial)
}

impl World {
    /// What `quantity` vouchers of a card cost, in fen (创建朋友的券: 0.4 券点 a voucher
    /// with a 适用于 or 满减 threshold, else 0.2). A deleted card has no stock to buy.
    fn stock_price_fen(
        &self,
        state: &mut State,
        card_id: &str,
        quantity: i64,
    ) -> Result<i64, Failure> {
        let record = self.card(state, card_id)?;
        if record.status == CardStatus::Delete {
            return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
        }
        let threshold = parts_mut(&mut record.card)
            .and_then(|(_, advanced)| advanced.as_ref()?.use_condition.clone())
            .is_some_and(|c| c.accept_category.is_some() || c.least_cost.is_some_and(|l| l > 0));
        quantity
            .checked_mul(if threshold { 40 } else { 20 })
            .ok_or_else(|| {
                fail(
                    ErrCode::InvalidArgs,
                    format!("quantity {quantity}: its price is out of range"),
                )
            })
    }

    /// The merchant pays a recharge order (scans its QR code): the paid coins arrive.
    pub(crate) fn pay_recharge(&self, order_id: &str, openid: &str) -> Result<(), Failure> {
        let now = self.secs();
        let mut state = self.lock();
        let account = &mut state.coins;
        // The amount `recharge` kept; an order seeded from an example has only its count.
        let kept = account.recharges.get(order_id).copied();
        let paid_before = account.pay_fen;
        let Some(order) = account.order_mut(order_id) else {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!("invalid order_id {order_id}"),
            ));
        };
        if order.order_type != Some(CoinOrderType::Wxpay) {
            return Err(fail(ErrCode::InvalidArgs, "not a recharge order"));
        }
        if order.status != Some(CoinOrderStatus::Waiting) {
            return Err(fail(ErrCode::InvalidArgs, "the order is paid already"));
        }
        let fen = match kept {
            Some(fen) => fen,
            None => order
                .pay_coin_count
                .as_deref()
                .and_then(fen_of)
                .filter(|&fen| fen > 0)
                .ok_or_else(|| {
                    fail(
                        ErrCode::InvalidArgs,
                        "the order's pay_coin_count is not an amount to pay",
                    )
                })?,
        };
        let Some(pay_fen) = paid_before.checked_add(fen) else {
            return Err(fail(
                ErrCode::InvalidArgs,
                "pay_coin_count: the paid coins would be out of range",
            ));
        };
        order.status = Some(CoinOrderStatus::FinanceSucc);
        order.pay_finish_time = Some(now);
        order.openid = Some(openid.to_owned());
        account.pay_fen = pay_fen;
        Ok(())
    }

    /// Puts an example's coin account in place.
    pub(super) fn seed_coins(&self, state: &mut State, seed: SeedCoins) {
        let now = self.secs();
        if seed.activated && !state.coins.activated {
            let id = recharge_id(state);
            state.coins.open_with_reward(id, now);
        }
        for (order_id, card_id, quantity) in seed.quotes {
            let price_fen = self
                .stock_price_fen(state, &card_id, quantity)
                .unwrap_or(quantity.saturating_mul(20));
            let quote = Quote {
                card_id,
                quantity,
                price_fen,
                expires_ms: self.now() + QUOTE_MS,
                used: false,
            };
            state.coins.quotes.insert(order_id, quote);
        }
        for shown in seed.orders {
            let id = shown.order_id.clone().unwrap_or_else(|| recharge_id(state));
            let mut paid = order(id, CoinOrderType::Wxpay, CoinOrderStatus::FinanceSucc, now);
            paid.desc = Some("微信支付充值".into());
            paid.openid = Some("o_example".into());
            paid.pay_finish_time = Some(now);
            // What the example shows wins; what it leaves out is a paid recharge.
            let merged = CoinOrder {
                order_id: paid.order_id.take(),
                status: shown.status.or(paid.status.take()),
                create_time: shown.create_time.or(paid.create_time),
                pay_finish_time: shown.pay_finish_time.or(paid.pay_finish_time),
                desc: shown.desc.or(paid.desc.take()),
                free_coin_count: shown.free_coin_count.or(paid.free_coin_count.take()),
                pay_coin_count: shown.pay_coin_count.or(paid.pay_coin_count.take()),
                refund_free_coin_count: shown
                    .refund_free_coin_count
                    .or(paid.refund_free_coin_count.take()),
                refund_pay_coin_count: shown
                    .refund_pay_coin_count
                    .or(paid.refund_pay_coin_count.take()),
                openid: shown.openid.or(paid.openid.take()),
                order_type: shown.order_type.or(paid.order_type.take()),
                extra: shown.extra,
            };
            let account = &mut state.coins;
            account.activated = true;
            if merged.status == Some(CoinOrderStatus::FinanceSucc) {
                let count = |c: &Option<String>| c.as_deref().and_then(fen_of).unwrap_or(0);
                account.free_fen = account
                    .free_fen
                    .saturating_add(count(&merged.free_coin_count));
                account.pay_fen = account
                    .pay_fen
                    .saturating_add(count(&merged.pay_coin_count));
            }
            account.orders.push(merged);
        }
    }
}

impl CoinOperations for World {
    fn coin_activate(
        &self,
        _request: coin::CoinActivateRequest,
    ) -> Result<coin::CoinActivateResponse, Failure> {
        let now = self.secs();
        let mut state = self.lock();
        if state.coins.activated {
            return Err(fail(ErrCode::InvalidArgs, "coin account already activated"));
        }
        let id = recharge_id(&mut state);
        state.coins.open_with_reward(id, now);
        Ok(coin::CoinActivateResponse {
            reward: Some(REWARD_FEN / 100),
            ..Default::default()
        })
    }

    fn coin_get_pay_price(
        &self,
        request: coin::CoinGetPayPriceRequest,
    ) -> Result<coin::CoinGetPayPriceResponse, Failure> {
        let mut state = self.lock();
        state.coins.open()?;
        let price_fen = self.stock_price_fen(&mut state, &request.card_id, request.quantity)?;
        let order_id = World::id(&mut state, "P", 64);
        let account = &mut state.coins;
        let free = price_fen.min(account.free_fen);
        account.quotes.insert(
            order_id.clone(),
            Quote {
                card_id: request.card_id,
                quantity: request.quantity,
                price_fen,
                expires_ms: self.now() + QUOTE_MS,
                used: false,
            },
        );
        Ok(coin::CoinGetPayPriceResponse {
            order_id: Some(order_id),
            price: Some(coins(price_fen)),
            free_coin: Some(coins(free)),
            pay_coin: Some(coins(price_fen - free)),
            ..Default::default()
        })
    }

    fn coin_get_coins_info(
        &self,
        _request: coin::CoinGetCoinsInfoRequest,
    ) -> Result<coin::CoinGetCoinsInfoResponse, Failure> {
        let mut state = self.lock();
        let account = state.coins.open()?;
        Ok(coin::CoinGetCoinsInfoResponse {
            free_coin: Some(coins(account.free_fen)),
            pay_coin: Some(coins(account.pay_fen)),
            total_coin: Some(coins(account.total_fen())),
            ..Default::default()
        })
    }

    fn coin_confirm(
        &self,
        request: coin::CoinConfirmRequest,
    ) -> Result<coin::CoinConfirmResponse, Failure> {
        let (now_ms, now) = (self.now(), self.secs());
        let mut state = self.lock();
        state.coins.open()?;
        let bad = |why: &str| {
            Err(fail(
                ErrCode::InvalidArgs,
                format!("invalid order_id: {why}"),
            ))
        };
        let Some(quote) = state.coins.quotes.get(&request.order_id).cloned() else {
            return bad("no such quote (use the order_id of card/pay/getpayprice)");
        };
        if quote.used {
            return bad("the quote was used already");
        }
        if now_ms >= quote.expires_ms {
            return bad("the quote is more than 60 s old");
        }
        if quote.card_id != request.card_id || quote.quantity != request.quantity {
            return bad("the quote is for another card or quantity");
        }
        let held = state.coins.total_fen();
        if held < quote.price_fen {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!(
                    "coins not enough: {} needed, {} held",
                    coins(quote.price_fen),
                    coins(held)
                ),
            ));
        }
        // The card must still be there, not deleted, with room for the stock, before
        // anything is spent.
        let record = self.card(&mut state, &request.card_id)?;
        if record.status == CardStatus::Delete {
            return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
        }
        let grown = |stock: i64| {
            stock
                .checked_add(quote.quantity)
                .filter(|&s| s <= STOCK_CEILING)
        };
        let (Some(quantity), Some(total_quantity)) =
            (grown(record.quantity), grown(record.total_quantity))
        else {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!(
                    "quantity {}: the card's stock would pass its ceiling of {STOCK_CEILING}",
                    quote.quantity
                ),
            ));
        };
        record.quantity = quantity;
        record.total_quantity = total_quantity;
        record.updated_ms = now_ms;
        let account = &mut state.coins;
        let free = quote.price_fen.min(account.free_fen);
        account.free_fen -= free;
        account.pay_fen -= quote.price_fen - free;
        if let Some(q) = account.quotes.get_mut(&request.order_id) {
            q.used = true;
        }
        let mut spent = order(
            request.order_id,
            CoinOrderType::Reduce,
            CoinOrderStatus::QuantitySucc,
            now,
        );
        spent.desc = Some(format!(
            "券点兑换库存 {} x{}",
            request.card_id, quote.quantity
        ));
        spent.free_coin_count = Some(coins(free));
        spent.pay_coin_count = Some(coins(quote.price_fen - free));
        spent.pay_finish_time = Some(now);
        account.orders.push(spent);
        Ok(coin::CoinConfirmResponse::default())
    }

    fn coin_recharge(
        &self,
        request: coin::CoinRechargeRequest,
    ) -> Result<coin::CoinRechargeResponse, Failure> {
        let now = self.secs();
        let mut state = self.lock();
        state.coins.open()?;
        let fen = request.coin_count.checked_mul(100).ok_or_else(|| {
            fail(
                ErrCode::InvalidArgs,
                format!("coin_count {} is out of range", request.coin_count),
            )
        })?;
        let order_id = recharge_id(&mut state);
        // What the merchant scans with WeChat: a WeChat Pay link naming the order (in the
        // sandbox, paying is the `pay_recharge` action). Made before the order is kept,
        // so a failure leaves no order behind.
        let url = format!("weixin://wxpay/bizpayurl?pr={order_id}");
        let png = crate::sandbox::qr::png(&url)
            .map_err(|e| fail(ErrCode::SystemBusy, format!("QR code: {e}")))?;
        let mut waiting = order(
            order_id.clone(),
            CoinOrderType::Wxpay,
            CoinOrderStatus::Waiting,
            now,
        );
        waiting.desc = Some("微信支付充值".into());
        waiting.pay_coin_count = Some(request.coin_count.to_string());
        state.coins.orders.push(waiting);
        state.coins.recharges.insert(order_id.clone(), fen);
        Ok(coin::CoinRechargeResponse {
            order_id: Some(order_id),
            qrcode_url: Some(url),
            qrcode_buffer: Some(base64::engine::general_purpose::STANDARD.encode(png)),
            ..Default::default()
        })
    }

    fn coin_get_order(
        &self,
        request: coin::CoinGetOrderRequest,
    ) -> Result<coin::CoinGetOrderResponse, Failure> {
        let mut state = self.lock();
        let account = state.coins.open()?;
        let order = account.order_mut(&request.order_id).ok_or_else(|| {
            fail(
                ErrCode::InvalidArgs,
                format!("invalid order_id {}", request.order_id),
            )
        })?;
        Ok(coin::CoinGetOrderResponse {
            order_info: Some(Box::new(order.clone())),
            ..Default::default()
        })
    }

    fn coin_get_order_list(
        &self,
        request: coin::CoinGetOrderListRequest,
    ) -> Result<coin::CoinGetOrderListResponse, Failure> {
        let now = self.secs();
        let mut state = self.lock();
        let account = state.coins.open()?;
        let begin = request.begin_time.unwrap_or(now - WEEK_SECS);
        let end = request.end_time.unwrap_or(now);
        let left_out = request.nor_filter.as_ref().and_then(|f| f.status.clone());
        let mut matching: Vec<CoinOrder> = account
            .orders
            .iter()
            .filter(|o| request.order_type.is_none() || o.order_type == request.order_type)
            .filter(|o| left_out.is_none() || o.status != left_out)
            .filter(|o| o.create_time.is_some_and(|t| begin <= t && t <= end))
            .cloned()
            .collect();
        // Oldest first unless SORT_DESC is asked for (the docs name no default).
        let descending = request
            .sort_info
            .as_ref()
            .and_then(|s| s.sort_type.as_ref())
            == Some(&CoinSortType::Desc);
        matching.sort_by_key(|o| o.create_time);
        if descending {
            matching.reverse();
        }
        let total = matching.len() as i64;
        let page = matching
            .into_iter()
            .skip(request.offset.unwrap_or(0).max(0) as usize)
            .take(request.count.max(0) as usize)
            .collect();
        Ok(coin::CoinGetOrderListResponse {
            total_num: Some(total),
            order_list: Some(page),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::callback::Outbox;
    use crate::sandbox::clock::Clock;
    use crate::sandbox::tokens::Tokens;
    use crate::sandbox::world::Settings;
    use std::sync::Arc;

    fn world() -> World {
        let tokens = Tokens::new("wx_app".into(), "secret".into(), 7200);
        let settings = Settings {
            review: None,
            base_url: "http://127.0.0.1:1".into(),
        };
        let (outbox, _queue) = Outbox::new("gh_sandbox".into());
        World::new(
            Arc::new(Clock::default()),
            Arc::new(tokens),
            Arc::new(crate::sandbox::quota::Quota::new(10)),
            settings,
            outbox,
        )
    }

    fn waiting(order_id: &str, pay_coin_count: &str) -> CoinOrder {
        CoinOrder {
            order_id: Some(order_id.into()),
            status: Some(CoinOrderStatus::Waiting),
            pay_coin_count: Some(pay_coin_count.into()),
            ..CoinOrder::default()
        }
    }

    #[test]
    fn a_waiting_order_without_an_amount_is_not_paid_for_nothing() {
        let world = world();
        let seed = SeedCoins {
            activated: true,
            orders: vec![waiting("1", "many"), waiting("2", "2.5")],
            ..SeedCoins::default()
        };
        world.seed_coins(&mut world.lock(), seed);
        let refused = world.pay_recharge("1", PAYER).unwrap_err();
        assert!(
            format!("{refused:?}").contains("pay_coin_count"),
            "{refused:?}"
        );
        let state = world.lock();
        let order = state
            .coins
            .orders
            .iter()
            .find(|o| o.order_id.as_deref() == Some("1"));
        assert_eq!(order.unwrap().status, Some(CoinOrderStatus::Waiting));
        assert_eq!(state.coins.pay_fen, 0);
        drop(state);
        // A seeded order's count in 元, fractions too.
        world.pay_recharge("2", PAYER).unwrap();
        assert_eq!(world.lock().coins.pay_fen, 250);
    }

    #[test]
    fn paid_coins_out_of_range_refuse_the_payment() {
        let world = world();
        let seed = SeedCoins {
            activated: true,
            orders: vec![waiting("3", "1")],
            ..SeedCoins::default()
        };
        world.seed_coins(&mut world.lock(), seed);
        world.lock().coins.pay_fen = i64::MAX;
        assert!(world.pay_recharge("3", PAYER).is_err());
        let state = world.lock();
        assert_eq!(state.coins.pay_fen, i64::MAX);
        assert_eq!(
            state.coins.orders.last().unwrap().status,
            Some(CoinOrderStatus::Waiting)
        );
        // Held coins past i64 read as the most there can be, not a panic.
        state.coins.total_fen();
    }

    #[test]
    fn a_seeded_quote_of_a_huge_quantity_saturates() {
        let world = world();
        let seed = SeedCoins {
            activated: true,
            quotes: vec![("P1".into(), "no_such_card".into(), i64::MAX)],
            ..SeedCoins::default()
        };
        world.seed_coins(&mut world.lock(), seed);
        assert_eq!(world.lock().coins.quotes["P1"].price_fen, i64::MAX);
    }

    #[test]
    fn coins_read_back_in_fen() {
        assert_eq!(fen_of("0.2"), Some(20));
        assert_eq!(fen_of("200"), Some(20_000));
        assert_eq!(fen_of("x"), None);
        assert_eq!(fen_of("1e300"), None);
        assert_eq!(fen_of("NaN"), None);
    }
}

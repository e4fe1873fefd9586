//! Gift cards (the `gift_card` endpoints): the shelves a merchant puts on sale, the
//! WeChat Pay merchant numbers behind them, the orders users place (sandbox only:
//! `User::buy_gift_card`), their gifting and acceptance, refunds; and the seeding of
//! invoicing after payment's settings (the invoices themselves are in `invoices`).

use super::codes::CodeRecord;
use super::{State, World, fail};
use crate::ErrCode;
use crate::generated::sandbox::GiftCardOperations;
use crate::gift_card;
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{
    GiftCardOrder, GiftCardOrderCard, GiftCardPage, GiftCardPicItem, GiftCardTheme,
    InvoiceAuthField, InvoicePayMchInfo, InvoiceUserAuthInfo, UserCardStatus,
};
use std::collections::{BTreeMap, BTreeSet};

/// WeChat Pay's page where a merchant completes the gift card application (the one
/// pay/whitelist/add's documented reply links to).
const APPLICATION_URL: &str =
    "https://pay.weixin.qq.com/index.php/public/product/detail?pid=61&productType=0";

/// The card the seeded shelves sell and the seeded orders hold.
const SEEDED_CARD_ID: &str = "pSandboxGiftCard0000000000001";
/// The shelf the seeded orders were bought on.
const SEEDED_PAGE_ID: &str = "sandboxGiftCardPage=";

/// What the gift card feature remembers.
#[derive(Debug, Default)]
pub(super) struct GiftCards {
    /// page_id -> the shelf.
    pub(super) pages: BTreeMap<String, PageRecord>,
    /// Page ids in creation order (page/batchget lists them so).
    pub(super) page_order: Vec<String>,
    /// order_id -> the order.
    pub(super) orders: BTreeMap<String, OrderRecord>,
    /// Sub-merchant numbers that applied for gift cards (pay/whitelist/add).
    pub(super) whitelist: BTreeSet<String>,
    /// sub_mch_id -> the gift card mini program it is bound to.
    pub(super) bindings: BTreeMap<String, String>,
}

/// A shelf: as added (with its id) and updated, and whether it is off sale.
#[derive(Debug, Clone)]
pub(super) struct PageRecord {
    pub(super) page: GiftCardPage,
    pub(super) maintain: bool,
    /// The mini program deployed for it (wxa/set).
    pub(super) wxa_appid: Option<String>,
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderState {
    /// Paid; the buyer holds the cards.
    Paid,
    /// Sent to a friend (or a group), not accepted yet.
    Sent,
    /// A friend accepted it.
    Accepted,
    /// Refunded: its codes are unusable.
    Refunded,
}

/// An order and where it is.
#[derive(Debug, Clone)]
pub(super) struct OrderRecord {
    pub(super) order: GiftCardOrder,
    pub(super) state: OrderState,
}

impl OrderRecord {
    fn codes(&self) -> Vec<String> {
        let cards = self.order.card_list.iter().flatten();
        cards.filter_map(|c| c.code.clone()).collect()
    }
}

/// What a sandbox user buys on a shelf (`User::buy_gift_card`).
#[derive(Debug, Clone)]
pub struct GiftCardPurchase<'a> {
    /// The shelf (`page_id` from `gift_card().page_add`).
    pub page_id: &'a str,
    /// A card the shelf sells.
    pub card_id: &'a str,
    /// How many cards, 1 to [`GiftCardPurchase::MAX_COUNT`] (more than one needs a shelf
    /// with `support_multi`).
    pub count: i64,
    /// The price of one card, in fen.
    pub price: i64,
    /// The channel the shelf was opened from (the order's `outer_str`).
    pub outer_str: Option<&'a str>,
}

impl<'a> GiftCardPurchase<'a> {
    /// The most cards one order may hold (`count`): the sandbox's own limit, which
    /// WeChat does not document.
    pub const MAX_COUNT: i64 = 100;

    /// One card of `card_id` on the shelf `page_id`, at `price` fen.
    pub fn new(page_id: &'a str, card_id: &'a str, price: i64) -> Self {
        GiftCardPurchase {
            page_id,
            card_id,
            count: 1,
            price,
            outer_str: None,
        }
    }
}

fn no_page(page_id: &str) -> Failure {
    fail(ErrCode::InvalidArgs, format!("invalid page_id {page_id}"))
}

fn no_order(order_id: &str) -> Failure {
    fail(ErrCode::InvalidArgs, format!("invalid order_id {order_id}"))
}

/// The card ids themes sell.
fn card_ids(themes: Option<&Vec<GiftCardTheme>>) -> impl Iterator<Item = &str> {
    let items = themes
        .into_iter()
        .flatten()
        .flat_map(|t| t.item_list.iter().flatten());
    items.filter_map(|i| i.card_id.as_deref())
}

/// The face a buyer gets for `card_id`: the first face of the first theme selling it.
fn face_for(page: &GiftCardPage, card_id: &str) -> Option<GiftCardPicItem> {
    let mut themes = page.theme_list.iter().flatten();
    let theme = themes.find(|t| {
        let mut items = t.item_list.iter().flatten();
        items.any(|i| i.card_id.as_deref() == Some(card_id))
    })?;
    theme.pic_item_list.as_ref()?.first().cloned()
}

impl World {
    /// Every card the themes sell exists.
    fn check_shelf_cards(
        &self,
        state: &mut State,
        themes: Option<&Vec<GiftCardTheme>>,
    ) -> Result<(), Failure> {
        let ids: Vec<String> = card_ids(themes).map(str::to_owned).collect();
        for card_id in ids {
            self.card(state, &card_id)?;
        }
        Ok(())
    }

    /// A user buys gift cards on a shelf (sandbox only): the shelf is on sale and sells
    /// the card, which is approved and in stock. Creates the order, gives the buyer the
    /// codes and pushes `giftcard_pay_done`; returns the order id and the codes. Every
    /// check comes before anything changes.
    pub(crate) fn buy_gift_card(
        &self,
        openid: &str,
        purchase: &GiftCardPurchase,
    ) -> Result<(String, Vec<String>), Failure> {
        let (now, at) = (self.now(), self.secs());
        let mut state = self.lock();
        let face = Self::check_purchase(&state, purchase)?;
        let total_price = purchase
            .price
            .checked_mul(purchase.count)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "price × count is out of range"))?;
        self.take_gift_card_stock(&mut state, purchase)?;
        // What the shelf shows for the card, empty where it shows nothing.
        let face_text = |get: fn(&GiftCardPicItem) -> &Option<String>| {
            face.as_ref()
                .and_then(|f| get(f).clone())
                .unwrap_or_default()
        };
        let card_list: Vec<GiftCardOrderCard> = (0..purchase.count)
            .map(|i| {
                let code = Self::fresh_code(&mut state, now + i as u64);
                let record = CodeRecord {
                    outer_str: purchase.outer_str.map(str::to_owned),
                    ..CodeRecord::new(purchase.card_id, openid, now)
                };
                state.codes.insert(code.clone(), record);
                GiftCardOrderCard {
                    card_id: Some(purchase.card_id.to_owned()),
                    price: Some(purchase.price),
                    code: Some(code),
                    default_gifting_msg: Some(face_text(|f| &f.default_gifting_msg)),
                    background_pic_url: Some(face_text(|f| &f.background_pic_url)),
                    accepter_openid: Some(String::new()),
                    ..Default::default()
                }
            })
            .collect();
        let order_id = Self::id(&mut state, "", 18);
        let order = GiftCardOrder {
            order_id: Some(order_id.clone()),
            page_id: Some(purchase.page_id.to_owned()),
            trans_id: Some(format!("4200{:024}", state.serial)),
            create_time: Some(at),
            pay_finish_time: Some(at),
            total_price: Some(total_price),
            open_id: Some(openid.to_owned()),
            accepter_openid: Some(String::new()),
            card_list: Some(card_list),
            outer_str: Some(purchase.outer_str.unwrap_or_default().to_owned()),
            is_chat_room: Some(false),
            ..Default::default()
        };
        let record = OrderRecord {
            order,
            state: OrderState::Paid,
        };
        let codes = record.codes();
        state.gift_cards.orders.insert(order_id.clone(), record);
        self.push(openid, |e| {
            push::gift_card_paid(e, purchase.page_id, &order_id)
        });
        Ok((order_id, codes))
    }

    /// The shelf is on sale and sells the card, the count and price make sense: the
    /// picture the shelf shows for the card, if any.
    fn check_purchase(
        state: &State,
        purchase: &GiftCardPurchase,
    ) -> Result<Option<GiftCardPicItem>, Failure> {
        let record = state
            .gift_cards
            .pages
            .get(purchase.page_id)
            .ok_or_else(|| no_page(purchase.page_id))?;
        if record.maintain {
            return Err(fail(ErrCode::InvalidArgs, "the shelf is off sale"));
        }
        if !card_ids(record.page.theme_list.as_ref()).any(|c| c == purchase.card_id) {
            return Err(fail(
                ErrCode::InvalidCardId,
                format!("the shelf does not sell {}", purchase.card_id),
            ));
        }
        if purchase.count < 1 {
            return Err(fail(ErrCode::InvalidArgs, "count is at least 1"));
        }
        if purchase.count > GiftCardPurchase::MAX_COUNT {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!(
                    "count is at most {} (the sandbox's limit per order)",
                    GiftCardPurchase::MAX_COUNT
                ),
            ));
        }
        let multi = record.page.support_multi == Some(true);
        if purchase.count > 1 && !multi {
            return Err(fail(
                ErrCode::InvalidArgs,
                "one card per order unless the shelf has support_multi",
            ));
        }
        if purchase.price < 1 {
            return Err(fail(ErrCode::InvalidArgs, "the price is at least 1 fen"));
        }
        Ok(face_for(&record.page, purchase.card_id))
    }

    /// The card is approved and has the stock: takes it (and raises the low-stock
    /// alarm if due).
    fn take_gift_card_stock(
        &self,
        state: &mut State,
        purchase: &GiftCardPurchase,
    ) -> Result<(), Failure> {
        let card = self.card(state, purchase.card_id)?;
        if card.status != crate::types::CardStatus::VerifyOk {
            return Err(fail(ErrCode::InvalidCardStatus, "the card is not approved"));
        }
        if card.quantity < purchase.count {
            return Err(fail(ErrCode::OutOfStock, "out of stock"));
        }
        card.quantity -= purchase.count;
        self.stock_alarm(purchase.card_id, card);
        Ok(())
    }

    /// The buyer sends an order's cards to a friend, or to a group chat (sandbox only);
    /// pushes `giftcard_send_to_friend`. Refused, changing nothing, unless the order is
    /// paid and every code of it is still usable (NORMAL, not expired) and held by the
    /// buyer; to a group only from a shelf with `support_multi` (its documented meaning:
    /// 一次购买多张及发送至群).
    pub(crate) fn send_gift_card(
        &self,
        openid: &str,
        order_id: &str,
        chat_room: bool,
    ) -> Result<(), Failure> {
        let mut state = self.lock();
        let record = state
            .gift_cards
            .orders
            .get(order_id)
            .filter(|o| o.order.open_id.as_deref() == Some(openid))
            .ok_or_else(|| no_order(order_id))?;
        if record.state != OrderState::Paid {
            return Err(fail(
                ErrCode::CardDeletedOrGifting,
                format!("the order is {:?}, not paid and held", record.state),
            ));
        }
        let codes = record.codes();
        let page_id = record.order.page_id.clone().unwrap_or_default();
        if chat_room {
            let pages = &state.gift_cards.pages;
            let multi = pages.get(&page_id).and_then(|p| p.page.support_multi);
            if multi != Some(true) {
                return Err(fail(
                    ErrCode::InvalidArgs,
                    "sending to a group needs a shelf with support_multi",
                ));
            }
        }
        for code in &codes {
            let held = state.codes.get(code).is_some_and(|c| c.openid == openid);
            let status = self.code_status(&mut state, code);
            if !held || status != Some(UserCardStatus::Normal) {
                return Err(fail(
                    ErrCode::CardDeletedOrGifting,
                    format!("the code {code} is not usable by the buyer ({status:?})"),
                ));
            }
        }
        let record = state
            .gift_cards
            .orders
            .get_mut(order_id)
            .expect("checked above");
        record.state = OrderState::Sent;
        record.order.is_chat_room = Some(chat_room);
        for code in codes {
            if let Some(c) = state.codes.get_mut(&code) {
                c.status = UserCardStatus::Gifting;
            }
        }
        self.push(openid, |e| {
            push::gift_card_sent(e, &page_id, order_id, chat_room)
        });
        Ok(())
    }

    /// A friend accepts an order sent to them (sandbox only): the codes being gifted
    /// (GIFTING) become theirs, NORMAL again; pushes `giftcard_user_accept`. Returns the
    /// codes.
    pub(crate) fn accept_gift_card(
        &self,
        openid: &str,
        order_id: &str,
    ) -> Result<Vec<String>, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let record = state
            .gift_cards
            .orders
            .get_mut(order_id)
            .ok_or_else(|| no_order(order_id))?;
        if record.state != OrderState::Sent {
            return Err(fail(
                ErrCode::CardDeletedOrGifting,
                format!(
                    "the order is {:?}, not waiting to be accepted",
                    record.state
                ),
            ));
        }
        record.state = OrderState::Accepted;
        record.order.accepter_openid = Some(openid.to_owned());
        for card in record.order.card_list.iter_mut().flatten() {
            card.accepter_openid = Some(openid.to_owned());
        }
        let chat_room = record.order.is_chat_room == Some(true);
        let page_id = record.order.page_id.clone().unwrap_or_default();
        let codes = record.codes();
        for code in &codes {
            let gifting = |c: &&mut CodeRecord| c.status == UserCardStatus::Gifting;
            if let Some(c) = state.codes.get_mut(code).filter(gifting) {
                c.openid = openid.to_owned();
                c.status = UserCardStatus::Normal;
                c.claimed_ms = now;
            }
        }
        self.push(openid, |e| {
            push::gift_card_accepted(e, &page_id, order_id, chat_room)
        });
        Ok(codes)
    }
}

impl GiftCardOperations for World {
    fn gift_card_page_add(
        &self,
        request: gift_card::GiftCardPageAddRequest,
    ) -> Result<gift_card::GiftCardPageAddResponse, Failure> {
        let mut state = self.lock();
        let mut page = *request.page;
        self.check_shelf_cards(&mut state, page.theme_list.as_ref())?;
        // Shelf ids look like base64 (the page's examples).
        let page_id = format!("{}=", Self::id(&mut state, "", 35));
        page.page_id = Some(page_id.clone());
        let record = PageRecord {
            page,
            maintain: false,
            wxa_appid: None,
        };
        state.gift_cards.pages.insert(page_id.clone(), record);
        state.gift_cards.page_order.push(page_id.clone());
        Ok(gift_card::GiftCardPageAddResponse {
            page_id: Some(page_id),
            ..Default::default()
        })
    }

    fn gift_card_page_get(
        &self,
        request: gift_card::GiftCardPageGetRequest,
    ) -> Result<gift_card::GiftCardPageGetResponse, Failure> {
        let state = self.lock();
        let record = state
            .gift_cards
            .pages
            .get(&request.page_id)
            .ok_or_else(|| no_page(&request.page_id))?;
        Ok(gift_card::GiftCardPageGetResponse {
            page: Some(Box::new(record.page.clone())),
            ..Default::default()
        })
    }

    fn gift_card_page_update(
        &self,
        request: gift_card::GiftCardPageUpdateRequest,
    ) -> Result<gift_card::GiftCardPageUpdateResponse, Failure> {
        let update = *request.page;
        let mut state = self.lock();
        if !state.gift_cards.pages.contains_key(&update.page_id) {
            return Err(no_page(&update.page_id));
        }
        self.check_shelf_cards(&mut state, update.theme_list.as_ref())?;
        let page = &mut state
            .gift_cards
            .pages
            .get_mut(&update.page_id)
            .expect("checked above")
            .page;
        // The fields given replace the shelf's; the others stay.
        macro_rules! replace {
            ($($field:ident),*) => {$(
                if update.$field.is_some() {
                    page.$field = update.$field;
                }
            )*};
        }
        replace!(
            page_title,
            support_multi,
            support_buy_for_self,
            banner_pic_url,
            theme_list,
            category_list,
            address,
            service_phone,
            biz_description,
            need_receipt,
            cell_1,
            cell_2
        );
        Ok(Default::default())
    }

    fn gift_card_page_batch_get(
        &self,
        _request: gift_card::GiftCardPageBatchGetRequest,
    ) -> Result<gift_card::GiftCardPageBatchGetResponse, Failure> {
        let state = self.lock();
        Ok(gift_card::GiftCardPageBatchGetResponse {
            page_id_list: Some(state.gift_cards.page_order.clone()),
            ..Default::default()
        })
    }

    fn gift_card_maintain_set(
        &self,
        request: gift_card::GiftCardMaintainSetRequest,
    ) -> Result<gift_card::GiftCardMaintainSetResponse, Failure> {
        let mut state = self.lock();
        let pages = &mut state.gift_cards.pages;
        if request.all == Some(true) {
            // The page's example names a shelf and all: true; all wins.
            pages
                .values_mut()
                .for_each(|p| p.maintain = request.maintain);
        } else {
            let page_id = request.page_id.unwrap_or_default();
            let record = pages.get_mut(&page_id).ok_or_else(|| no_page(&page_id))?;
            record.maintain = request.maintain;
        }
        Ok(Default::default())
    }

    fn gift_card_pay_whitelist_add(
        &self,
        request: gift_card::GiftCardPayWhitelistAddRequest,
    ) -> Result<gift_card::GiftCardPayWhitelistAddResponse, Failure> {
        let mut state = self.lock();
        state.gift_cards.whitelist.insert(request.sub_mch_id);
        Ok(gift_card::GiftCardPayWhitelistAddResponse {
            url: Some(APPLICATION_URL.to_owned()),
            ..Default::default()
        })
    }

    fn gift_card_pay_submch_bind(
        &self,
        request: gift_card::GiftCardPaySubmchBindRequest,
    ) -> Result<gift_card::GiftCardPaySubmchBindResponse, Failure> {
        let mut state = self.lock();
        if !state.gift_cards.whitelist.contains(&request.sub_mch_id) {
            return Err(fail(
                ErrCode::InvalidArgs,
                "the merchant number has not applied for gift cards (pay/whitelist/add)",
            ));
        }
        state
            .gift_cards
            .bindings
            .insert(request.sub_mch_id, request.wxa_appid);
        Ok(Default::default())
    }

    fn gift_card_wxa_set(
        &self,
        request: gift_card::GiftCardWxaSetRequest,
    ) -> Result<gift_card::GiftCardWxaSetResponse, Failure> {
        let mut state = self.lock();
        let gift_cards = &mut state.gift_cards;
        if !gift_cards
            .bindings
            .values()
            .any(|a| *a == request.wxa_appid)
        {
            return Err(fail(
                ErrCode::InvalidArgs,
                "no merchant number is bound to this mini program (pay/submch/bind)",
            ));
        }
        let record = gift_cards
            .pages
            .get_mut(&request.page_id)
            .ok_or_else(|| no_page(&request.page_id))?;
        record.wxa_appid = Some(request.wxa_appid);
        Ok(Default::default())
    }

    fn gift_card_order_get(
        &self,
        request: gift_card::GiftCardOrderGetRequest,
    ) -> Result<gift_card::GiftCardOrderGetResponse, Failure> {
        let state = self.lock();
        let record = state
            .gift_cards
            .orders
            .get(&request.order_id)
            .ok_or_else(|| no_order(&request.order_id))?;
        Ok(gift_card::GiftCardOrderGetResponse {
            order: Some(Box::new(record.order.clone())),
            ..Default::default()
        })
    }

    fn gift_card_order_batch_get(
        &self,
        request: gift_card::GiftCardOrderBatchGetRequest,
    ) -> Result<gift_card::GiftCardOrderBatchGetResponse, Failure> {
        let state = self.lock();
        let window = request.begin_time..=request.end_time;
        let mut found: Vec<&GiftCardOrder> = state
            .gift_cards
            .orders
            .values()
            .map(|r| &r.order)
            .filter(|o| window.contains(&o.create_time.unwrap_or(0)))
            .collect();
        found.sort_by_key(|o| (o.create_time, o.order_id.clone()));
        if request.sort_type.as_deref() == Some("DESC") {
            found.reverse();
        }
        let total = found.len() as i64;
        let offset = usize::try_from(request.offset).unwrap_or(0);
        let count = usize::try_from(request.count).unwrap_or(0);
        let list = found.into_iter().skip(offset).take(count).cloned();
        Ok(gift_card::GiftCardOrderBatchGetResponse {
            total_count: Some(total),
            order_list: Some(list.collect()),
            ..Default::default()
        })
    }

    fn gift_card_order_refund(
        &self,
        request: gift_card::GiftCardOrderRefundRequest,
    ) -> Result<gift_card::GiftCardOrderRefundResponse, Failure> {
        let mut state = self.lock();
        let record = state
            .gift_cards
            .orders
            .get_mut(&request.order_id)
            .ok_or_else(|| no_order(&request.order_id))?;
        if record.state == OrderState::Refunded {
            return Err(fail(ErrCode::InvalidArgs, "the order was already refunded"));
        }
        // A refund takes back every card of the order, or none: refused (before
        // anything changes) once one was used or passed on with an ordinary gift.
        let codes = record.codes();
        let spent = codes.iter().find(|code| {
            state.codes.get(*code).is_some_and(|c| {
                matches!(
                    c.status,
                    UserCardStatus::Consumed | UserCardStatus::GiftSucc
                )
            })
        });
        if let Some(code) = spent {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!("the code {code} of the order was consumed or given away: no refund"),
            ));
        }
        let record = state
            .gift_cards
            .orders
            .get_mut(&request.order_id)
            .expect("checked above");
        record.state = OrderState::Refunded;
        for code in codes {
            if let Some(c) = state.codes.get_mut(&code) {
                c.status = UserCardStatus::Unavailable;
            }
        }
        Ok(Default::default())
    }
}

/// What a documentation example of the gift card or invoice endpoints refers to, as
/// its documented reply shows it when it does.
#[derive(Debug, Default)]
pub(crate) struct GiftCardSeed {
    /// (page_id, the shelf as shown)
    pub pages: Vec<(String, Option<GiftCardPage>)>,
    /// (order_id, the order as shown; its create_time moved into `window` if given)
    pub orders: Vec<(String, Option<GiftCardOrder>)>,
    /// Orders are created inside this window (begin, end), when an example asks one.
    pub window: Option<(i64, i64)>,
    pub whitelist: Vec<String>,
    /// (sub_mch_id, wxa_appid)
    pub bindings: Vec<(String, String)>,
    pub pay_mch: Option<InvoicePayMchInfo>,
    pub auth_field: Option<InvoiceAuthField>,
    /// (s_pappid, order_id, what the user filled in, as shown)
    pub authorizations: Vec<(String, String, Option<InvoiceUserAuthInfo>)>,
}

/// A seeded shelf: as shown, with what it lacks filled in (a title, a banner, a theme
/// selling a fixture card).
fn seeded_page(page_id: &str, shown: Option<GiftCardPage>) -> GiftCardPage {
    let theme = || {
        let item = crate::types::GiftCardItem::new(SEEDED_CARD_ID);
        let face = GiftCardPicItem::new("http://mmbiz.qpic.cn/sandbox-face.png", "祝福语");
        GiftCardTheme::new(
            "http://mmbiz.qpic.cn/sandbox-theme.png",
            "沙盒主题",
            "#FB966E",
            vec![item],
            vec![face],
        )
    };
    let mut page = shown.unwrap_or_else(|| {
        GiftCardPage::new(
            "沙盒礼品卡",
            "http://mmbiz.qpic.cn/sandbox-banner.png",
            vec![theme()],
        )
    });
    page.page_id = Some(page_id.to_owned());
    page.page_title
        .get_or_insert_with(|| "沙盒礼品卡".to_owned());
    page.theme_list.get_or_insert_with(|| vec![theme()]);
    page
}

/// A seeded order: as shown (paid, or accepted if it shows who accepted), or one card
/// bought by `o_example`.
fn seeded_order(order_id: &str, shown: Option<GiftCardOrder>, at: i64) -> OrderRecord {
    let mut order = shown.unwrap_or_else(|| {
        let card = GiftCardOrderCard {
            card_id: Some(SEEDED_CARD_ID.to_owned()),
            price: Some(100),
            code: Some("800000000001".to_owned()),
            default_gifting_msg: Some("祝福语".to_owned()),
            background_pic_url: Some("http://mmbiz.qpic.cn/sandbox-face.png".to_owned()),
            accepter_openid: Some(String::new()),
            ..Default::default()
        };
        GiftCardOrder {
            page_id: Some(SEEDED_PAGE_ID.to_owned()),
            trans_id: Some("4200000000000000000000000001".to_owned()),
            total_price: Some(100),
            open_id: Some("o_example".to_owned()),
            accepter_openid: Some(String::new()),
            card_list: Some(vec![card]),
            outer_str: Some(String::new()),
            is_chat_room: Some(false),
            ..Default::default()
        }
    });
    order.order_id = Some(order_id.to_owned());
    order.create_time = Some(at);
    order.pay_finish_time.get_or_insert(at);
    let accepted = order
        .accepter_openid
        .as_deref()
        .is_some_and(|a| !a.is_empty());
    let state = if accepted {
        OrderState::Accepted
    } else {
        OrderState::Paid
    };
    OrderRecord { order, state }
}

/// The approved, stocked card a seeded shelf or order names when no example defines it.
fn seeded_gift_card(now: u64) -> Option<super::cards::CardRecord> {
    use crate::types::{BaseInfo, Card, CardStatus, CardType, CodeType, DateInfo, DateType};
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/sandbox-logo.png",
        CodeType::Text,
        "沙盒商户",
        "沙盒礼品卡",
        "Color010",
        "到店使用",
        "沙盒礼品卡使用说明",
        DateInfo::new(DateType::Permanent),
        crate::types::Sku::new(SEEDED_GIFT_CARD_STOCK),
    );
    let card =
        Card::new(CardType::from("GIFT")).gift(crate::types::GiftCard::new(base, "沙盒礼品"));
    super::cards::CardRecord::new(card, CardStatus::VerifyOk, now, SEEDED_GIFT_CARD_STOCK).ok()
}

/// A seeded gift card's stock.
const SEEDED_GIFT_CARD_STOCK: i64 = 10_000_000;

impl World {
    /// Puts the gift card and invoicing records an example names in place, and what
    /// they point at: the cards the shelves sell and the orders hold (approved, in
    /// stock), the orders' codes (held by the buyer, or by whoever accepted) and
    /// shelves; what is there already stays.
    pub(super) fn seed_gift_cards(&self, state: &mut State, seed: GiftCardSeed) {
        let now = self.secs();
        let now_ms = self.now();
        for (page_id, shown) in seed.pages {
            let page = seeded_page(&page_id, shown);
            let record = PageRecord {
                page,
                maintain: false,
                wxa_appid: None,
            };
            if state
                .gift_cards
                .pages
                .insert(page_id.clone(), record)
                .is_none()
            {
                state.gift_cards.page_order.push(page_id);
            }
        }
        for (order_id, shown) in seed.orders {
            // Shown times are the docs' placeholders (123): inside the window asked about.
            let at = match (seed.window, shown.as_ref().and_then(|o| o.create_time)) {
                (Some((begin, end)), Some(t)) if begin <= end => t.clamp(begin, end),
                (Some((begin, _)), _) => begin,
                (None, _) => now,
            };
            let record = seeded_order(&order_id, shown, at);
            Self::seed_order_refs(state, &record.order, now_ms);
            state.gift_cards.orders.insert(order_id, record);
        }
        let sold: Vec<String> = state
            .gift_cards
            .pages
            .values()
            .flat_map(|p| card_ids(p.page.theme_list.as_ref()).map(str::to_owned))
            .collect();
        for card_id in sold {
            Self::seed_gift_card_card(state, &card_id, now_ms);
        }
        state.gift_cards.whitelist.extend(seed.whitelist);
        state.gift_cards.bindings.extend(seed.bindings);
        if let Some(linked) = seed.pay_mch {
            state.invoice.pay_mch = Some(linked);
        }
        if let Some(fields) = seed.auth_field {
            state.invoice.auth_field = Some(fields);
        }
        for (s_pappid, order_id, shown) in seed.authorizations {
            let info = shown.unwrap_or_else(|| InvoiceUserAuthInfo {
                user_field: Some(Box::new(crate::types::InvoiceUserTitle {
                    title: Some("沙盒用户".to_owned()),
                    ..Default::default()
                })),
                ..Default::default()
            });
            let key = (s_pappid, order_id);
            let openid = super::invoices::SEEDED_HOLDER.to_owned();
            let authorization = super::invoices::Authorization {
                at: now,
                info,
                openid,
            };
            state.invoice.authorizations.insert(key, authorization);
        }
    }
}

impl World {
    /// The card `card_id`, if missing: approved and in stock.
    fn seed_gift_card_card(state: &mut State, card_id: &str, now_ms: u64) {
        if state.cards.contains_key(card_id) {
            return;
        }
        if let Some(record) = seeded_gift_card(now_ms) {
            state.cards.insert(card_id.to_owned(), record);
            state.card_order.push(card_id.to_owned());
        }
    }

    /// What a seeded order points at: its shelf, its cards and its codes.
    fn seed_order_refs(state: &mut State, order: &GiftCardOrder, now_ms: u64) {
        if let Some(page_id) = order.page_id.as_deref().filter(|p| !p.is_empty())
            && !state.gift_cards.pages.contains_key(page_id)
        {
            let record = PageRecord {
                page: seeded_page(page_id, None),
                maintain: false,
                wxa_appid: None,
            };
            state.gift_cards.pages.insert(page_id.to_owned(), record);
            state.gift_cards.page_order.push(page_id.to_owned());
        }
        let buyer = order.open_id.clone().unwrap_or_default();
        for card in order.card_list.iter().flatten() {
            let Some(card_id) = card.card_id.as_deref() else {
                continue;
            };
            Self::seed_gift_card_card(state, card_id, now_ms);
            let Some(code) = card.code.clone() else {
                continue;
            };
            let accepter = card.accepter_openid.as_deref().filter(|a| !a.is_empty());
            let holder = accepter.unwrap_or(&buyer);
            let record = CodeRecord::new(card_id, holder, now_ms);
            state.codes.entry(code).or_insert(record);
        }
    }
}

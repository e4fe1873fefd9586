//! The merchant's own records (the `sub_merchant` and `pay_gift` endpoints):
//! sub-merchants a third party makes cards for, and the rules that give a member card
//! after a WeChat Pay payment.

use super::{State, WECHAT_SENDER, World, fail};
use crate::ErrCode;
use crate::generated::sandbox::{PayGiftOperations, SubMerchantOperations};
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{PayGiftFailMchid, PayGiftRule, SubMerchant, SubMerchantStatus};
use crate::{pay_gift, sub_merchant};
use std::ops::Bound;

/// A sub-merchant: what the parent merchant submitted, and what WeChat adds.
#[derive(Debug, Clone)]
pub(super) struct SubMerchantRecord {
    pub(super) app_id: Option<String>,
    pub(super) brand_name: String,
    pub(super) logo_url: String,
    /// The authorisation letter and the papers of a 个体工商户 (media ids): kept, but
    /// no reply shows them.
    pub(super) protocol: String,
    pub(super) agreement_media_id: Option<String>,
    pub(super) operator_media_id: Option<String>,
    /// When the authorisation letter ends (Unix seconds).
    pub(super) end_time: i64,
    pub(super) primary_category_id: i64,
    pub(super) secondary_category_id: i64,
    pub(super) status: SubMerchantStatus,
    pub(super) create_time: i64,
    pub(super) update_time: i64,
}

impl SubMerchantRecord {
    /// The sub-merchant as the replies show it.
    fn info(&self, merchant_id: i64) -> SubMerchant {
        SubMerchant {
            app_id: self.app_id.clone(),
            create_time: Some(self.create_time),
            update_time: Some(self.update_time),
            brand_name: Some(self.brand_name.clone()),
            logo_url: Some(self.logo_url.clone()),
            status: Some(self.status.clone()),
            // 创建时间（非协议开始时间）: the page's own words.
            begin_time: Some(self.create_time),
            end_time: Some(self.end_time),
            primary_category_id: Some(self.primary_category_id),
            secondary_category_id: Some(self.secondary_category_id),
            ..SubMerchant::new(merchant_id)
        }
    }
}

/// A pay-gift rule and the account it belongs to.
#[derive(Debug, Clone)]
pub(super) struct PayGiftRecord {
    /// The sandbox's own app id, or (seeded) another account's whose rule holds
    /// merchant numbers this one cannot have.
    pub(super) appid: String,
    /// As added, with the merchant numbers it got, its status and its times.
    pub(super) rule: PayGiftRule,
}

impl PayGiftRecord {
    pub(super) fn mchids(&self) -> &[String] {
        self.rule
            .base_info
            .as_ref()
            .and_then(|b| b.mchid_list.as_deref())
            .unwrap_or_default()
    }

    /// In effect at `now` (Unix seconds): begun and not ended.
    fn in_effect(&self, now: i64) -> bool {
        let base = self.rule.base_info.as_deref();
        let begin = base.and_then(|b| b.begin_time).unwrap_or(0);
        let end = base.and_then(|b| b.end_time).unwrap_or(i64::MAX);
        begin <= now && now < end
    }
}

/// The status of a rule that was set: the only value the page shows.
pub(super) const RULE_STATUS_OK: &str = "RULE_STATUS_OK";

/// The errcode of a merchant number held by another rule: the one the page's example
/// gives for a failed merchant number (with the rule and account holding it).
const MCHID_OCCUPIED: i64 = 23112;

impl World {
    /// A rule of this account, by id (another account's is not found either).
    fn own_rule<'s>(&self, state: &'s State, rule_id: i64) -> Result<&'s PayGiftRecord, Failure> {
        state
            .pay_gift_rules
            .get(&rule_id)
            .filter(|r| r.appid == self.tokens.appid)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid rule_id"))
    }
}

impl World {
    /// Ends a sub-merchant's review (sandbox only): approved, or rejected for
    /// `refused`'s reason; pushes `card_merchant_check_result`.
    pub(crate) fn review_sub_merchant(
        &self,
        merchant_id: i64,
        refused: Option<&str>,
    ) -> Result<(), Failure> {
        let now = self.secs();
        let mut state = self.lock();
        let record = state
            .sub_merchants
            .get_mut(&merchant_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        let verdict = match refused {
            None => SubMerchantStatus::Approved,
            Some(_) => SubMerchantStatus::Rejected,
        };
        if record.status == verdict {
            return Ok(()); // said before: nothing new to push
        }
        // Only a sub-merchant in review gets a verdict; another needs submit or update.
        if record.status != SubMerchantStatus::Checking {
            return Err(fail(
                ErrCode::InvalidArgs,
                format!(
                    "sub-merchant {merchant_id} is not in review (status {}): update it first",
                    record.status.as_str()
                ),
            ));
        }
        record.status = verdict;
        record.update_time = now;
        self.push(WECHAT_SENDER, |e| {
            push::merchant_reviewed(e, merchant_id, refused)
        });
        Ok(())
    }
}

/// A new id, past the seeded ones too.
pub(super) fn next_id(state: &mut State, taken: impl Fn(&State, i64) -> bool) -> i64 {
    loop {
        state.serial += 1;
        let id = state.serial as i64;
        if !taken(state, id) {
            return id;
        }
    }
}

impl SubMerchantOperations for World {
    fn sub_merchant_submit(
        &self,
        request: sub_merchant::SubMerchantSubmitRequest,
    ) -> Result<sub_merchant::SubMerchantSubmitResponse, Failure> {
        let now = self.secs();
        let info = *request.info;
        let mut state = self.lock();
        let merchant_id = next_id(&mut state, |s, id| s.sub_merchants.contains_key(&id));
        let record = SubMerchantRecord {
            app_id: info.app_id,
            brand_name: info.brand_name,
            logo_url: info.logo_url,
            protocol: info.protocol,
            agreement_media_id: info.agreement_media_id,
            operator_media_id: info.operator_media_id,
            end_time: info.end_time,
            primary_category_id: info.primary_category_id,
            secondary_category_id: info.secondary_category_id,
            status: SubMerchantStatus::Checking,
            create_time: now,
            update_time: now,
        };
        let info = record.info(merchant_id);
        state.sub_merchants.insert(merchant_id, record);
        Ok(sub_merchant::SubMerchantSubmitResponse {
            info: Some(Box::new(info)),
            ..Default::default()
        })
    }

    fn sub_merchant_update(
        &self,
        request: sub_merchant::SubMerchantUpdateRequest,
    ) -> Result<sub_merchant::SubMerchantUpdateResponse, Failure> {
        let now = self.secs();
        let info = *request.info;
        let mut state = self.lock();
        let record = state
            .sub_merchants
            .get_mut(&info.merchant_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        record.brand_name = info.brand_name;
        record.logo_url = info.logo_url;
        record.protocol = info.protocol;
        record.end_time = info.end_time;
        record.primary_category_id = info.primary_category_id;
        record.secondary_category_id = info.secondary_category_id;
        // The optional ones change when given.
        record.app_id = info.app_id.or(record.app_id.take());
        record.agreement_media_id = info.agreement_media_id.or(record.agreement_media_id.take());
        record.operator_media_id = info.operator_media_id.or(record.operator_media_id.take());
        // New data is reviewed again.
        record.status = SubMerchantStatus::Checking;
        record.update_time = now;
        Ok(sub_merchant::SubMerchantUpdateResponse {
            info: Some(Box::new(record.info(info.merchant_id))),
            ..Default::default()
        })
    }

    fn sub_merchant_get(
        &self,
        request: sub_merchant::SubMerchantGetRequest,
    ) -> Result<sub_merchant::SubMerchantGetResponse, Failure> {
        let state = self.lock();
        let record = state
            .sub_merchants
            .get(&request.merchant_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        Ok(sub_merchant::SubMerchantGetResponse {
            info: Some(Box::new(record.info(request.merchant_id))),
            ..Default::default()
        })
    }

    fn sub_merchant_batch_get(
        &self,
        request: sub_merchant::SubMerchantBatchGetRequest,
    ) -> Result<sub_merchant::SubMerchantBatchGetResponse, Failure> {
        let state = self.lock();
        // next_begin_id is the last id listed (the page's words and example), and is
        // the next begin_id: so a page starts after begin_id.
        let list: Vec<SubMerchant> = state
            .sub_merchants
            .range((Bound::Excluded(request.begin_id), Bound::Unbounded))
            .filter(|(_, r)| request.status.as_ref().is_none_or(|s| *s == r.status))
            .take(request.limit.max(0) as usize)
            .map(|(id, r)| r.info(*id))
            .collect();
        let next = list
            .last()
            .and_then(|m| m.merchant_id)
            .unwrap_or(request.begin_id);
        Ok(sub_merchant::SubMerchantBatchGetResponse {
            info_list: Some(list),
            next_begin_id: Some(next),
            ..Default::default()
        })
    }
}

impl PayGiftOperations for World {
    fn pay_gift_add(
        &self,
        request: pay_gift::PayGiftAddRequest,
    ) -> Result<pay_gift::PayGiftAddResponse, Failure> {
        let now = self.secs();
        let mut rule = *request.rule_info;
        let mut state = self.lock();
        let card_id = rule
            .member_rule
            .as_ref()
            .and_then(|m| m.card_id.clone())
            .unwrap_or_default();
        if self.card(&mut state, &card_id)?.type_name() != "MEMBER_CARD" {
            return Err(fail(
                ErrCode::InvalidCardType,
                "a pay-gift rule gives a member card",
            ));
        }
        // A merchant number belongs to one rule at most, whichever account's: those
        // held already fail, naming the rule and the account holding them.
        let wanted = rule
            .base_info
            .as_mut()
            .and_then(|b| b.mchid_list.take())
            .unwrap_or_default();
        let (mut succ, mut failed) = (Vec::<String>::new(), Vec::new());
        for mchid in wanted {
            let holder = state
                .pay_gift_rules
                .iter()
                .find(|(_, r)| r.mchids().contains(&mchid));
            match holder {
                Some((id, r)) => failed.push(PayGiftFailMchid {
                    errcode: Some(MCHID_OCCUPIED),
                    errmsg: Some(format!("mchid {mchid} is occupied by rule {id}")),
                    occupy_rule_id: Some(*id),
                    occupy_appid: Some(r.appid.clone()),
                    ..PayGiftFailMchid::new(mchid)
                }),
                None if succ.contains(&mchid) => {}
                None => succ.push(mchid),
            }
        }
        if let Some(base) = rule.base_info.as_mut() {
            base.mchid_list = Some(succ.clone());
            base.status = Some(RULE_STATUS_OK.to_owned());
            base.create_time = Some(now);
            base.update_time = Some(now);
        }
        let rule_id = next_id(&mut state, |s, id| s.pay_gift_rules.contains_key(&id));
        let appid = self.tokens.appid.clone();
        state
            .pay_gift_rules
            .insert(rule_id, PayGiftRecord { appid, rule });
        Ok(pay_gift::PayGiftAddResponse {
            rule_id: Some(rule_id),
            succ_mchid_list: Some(succ),
            fail_mchid_list: Some(failed),
            ..Default::default()
        })
    }

    fn pay_gift_delete(
        &self,
        request: pay_gift::PayGiftDeleteRequest,
    ) -> Result<pay_gift::PayGiftDeleteResponse, Failure> {
        let mut state = self.lock();
        self.own_rule(&state, request.rule_id)?;
        state.pay_gift_rules.remove(&request.rule_id);
        Ok(pay_gift::PayGiftDeleteResponse::default())
    }

    fn pay_gift_get_by_id(
        &self,
        request: pay_gift::PayGiftGetByIdRequest,
    ) -> Result<pay_gift::PayGiftGetByIdResponse, Failure> {
        let state = self.lock();
        let record = self.own_rule(&state, request.rule_id)?;
        Ok(pay_gift::PayGiftGetByIdResponse {
            rule_info: Some(Box::new(record.rule.clone())),
            ..Default::default()
        })
    }

    fn pay_gift_batch_get(
        &self,
        request: pay_gift::PayGiftBatchGetRequest,
    ) -> Result<pay_gift::PayGiftBatchGetResponse, Failure> {
        let now = self.secs();
        let state = self.lock();
        let matching: Vec<&PayGiftRecord> = state
            .pay_gift_rules
            .values()
            .filter(|r| r.appid == self.tokens.appid)
            .filter(|r| r.rule.r#type.as_ref() == Some(&request.r#type))
            .filter(|r| !request.effective || r.in_effect(now))
            .collect();
        let page = matching
            .iter()
            .skip(request.offset.max(0) as usize)
            .take(request.count.max(0) as usize)
            .map(|r| r.rule.clone())
            .collect();
        Ok(pay_gift::PayGiftBatchGetResponse {
            total_count: Some(matching.len() as i64),
            rule_list: Some(page),
            ..Default::default()
        })
    }
}

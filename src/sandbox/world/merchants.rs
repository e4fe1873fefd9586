//! The merchant's own records (the `sub_merchant` and `pay_gift` endpoints):
//! sub-merchants a third party makes cards for, and the rules that give a member card
//! after a WeChat Pay payment.

use super::{World, fail, merge, reply, to_json};
use crate::ErrCode;
use crate::generated::sandbox::{PayGiftOperations, SubMerchantOperations};
use crate::sandbox::runtime::Failure;
use crate::{pay_gift, sub_merchant};
use serde_json::{Value, json};
use std::collections::HashMap;

impl SubMerchantOperations for World {
    fn sub_merchant_submit(
        &self,
        request: sub_merchant::SubMerchantSubmitRequest,
    ) -> Result<sub_merchant::SubMerchantSubmitResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let mut state = self.lock();
        state.serial += 1;
        let merchant_id = state.serial as i64;
        let mut info = to_json(&request.info);
        info["merchant_id"] = json!(merchant_id);
        info["create_time"] = json!(now);
        info["update_time"] = json!(now);
        info["status"] = json!("CHECKING");
        state.sub_merchants.insert(merchant_id, info.clone());
        reply(json!({ "info": info }))
    }

    fn sub_merchant_update(
        &self,
        request: sub_merchant::SubMerchantUpdateRequest,
    ) -> Result<sub_merchant::SubMerchantUpdateResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let patch = to_json(&request.info);
        let id = request.info.merchant_id;
        let mut state = self.lock();
        let info = state
            .sub_merchants
            .get_mut(&id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        merge(info, &patch);
        info["update_time"] = json!(now);
        info["status"] = json!("CHECKING");
        reply(json!({ "info": info }))
    }

    fn sub_merchant_get(
        &self,
        request: sub_merchant::SubMerchantGetRequest,
    ) -> Result<sub_merchant::SubMerchantGetResponse, Failure> {
        let state = self.lock();
        let info = state
            .sub_merchants
            .get(&request.merchant_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        reply(json!({ "info": info }))
    }

    fn sub_merchant_batch_get(
        &self,
        request: sub_merchant::SubMerchantBatchGetRequest,
    ) -> Result<sub_merchant::SubMerchantBatchGetResponse, Failure> {
        let state = self.lock();
        let wanted = request.status.as_ref().map(|s| s.as_str().to_owned());
        let list: Vec<&Value> = state
            .sub_merchants
            .range(request.begin_id..)
            .map(|(_, v)| v)
            .filter(|v| wanted.as_ref().is_none_or(|w| v["status"] == w.as_str()))
            .take(request.limit as usize)
            .collect();
        let next = list
            .last()
            .and_then(|v| v["merchant_id"].as_i64())
            .map_or(request.begin_id, |id| id + 1);
        reply(json!({"info_list": list, "next_begin_id": next}))
    }
}

impl PayGiftOperations for World {
    fn pay_gift_add(
        &self,
        request: pay_gift::PayGiftAddRequest,
    ) -> Result<pay_gift::PayGiftAddResponse, Failure> {
        let rule = to_json(&request.rule_info);
        let mut state = self.lock();
        let mchids: Vec<String> = rule["base_info"]["mchid_list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        let taken: HashMap<String, i64> = state
            .pay_gift_rules
            .iter()
            .flat_map(|(id, r)| {
                r["base_info"]["mchid_list"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str())
                    .map(move |m| (m.to_owned(), *id))
            })
            .collect();
        let (mut succ, mut failed) = (Vec::new(), Vec::new());
        for m in mchids {
            match taken.get(&m) {
                Some(other) => failed.push(json!({"mchid": m, "errcode": 72205, "errmsg": "mchid already used by another rule", "occupy_rule_id": other, "occupy_appid": self.tokens.appid})),
                None => succ.push(m),
            }
        }
        state.serial += 1;
        let rule_id = state.serial as i64;
        let mut stored = rule;
        stored["rule_id"] = json!(rule_id);
        state.pay_gift_rules.insert(rule_id, stored);
        reply(json!({"rule_id": rule_id, "succ_mchid_list": succ, "fail_mchid_list": failed}))
    }

    fn pay_gift_delete(
        &self,
        request: pay_gift::PayGiftDeleteRequest,
    ) -> Result<pay_gift::PayGiftDeleteResponse, Failure> {
        let mut state = self.lock();
        state
            .pay_gift_rules
            .remove(&request.rule_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid rule_id"))?;
        reply(json!({}))
    }

    fn pay_gift_get_by_id(
        &self,
        request: pay_gift::PayGiftGetByIdRequest,
    ) -> Result<pay_gift::PayGiftGetByIdResponse, Failure> {
        let state = self.lock();
        let rule = state
            .pay_gift_rules
            .get(&request.rule_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid rule_id"))?;
        reply(json!({"rule_info": rule}))
    }

    fn pay_gift_batch_get(
        &self,
        request: pay_gift::PayGiftBatchGetRequest,
    ) -> Result<pay_gift::PayGiftBatchGetResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let state = self.lock();
        let wanted = request.r#type.as_str();
        let matching: Vec<&Value> = state
            .pay_gift_rules
            .values()
            .filter(|r| r["type"] == wanted)
            .filter(|r| {
                let (begin, end) = (
                    r["base_info"]["begin_time"].as_i64().unwrap_or(0),
                    r["base_info"]["end_time"].as_i64().unwrap_or(i64::MAX),
                );
                !request.effective || (begin <= now && now < end)
            })
            .collect();
        let page: Vec<&Value> = matching
            .iter()
            .copied()
            .skip(request.offset as usize)
            .take(request.count as usize)
            .collect();
        reply(json!({"total_count": matching.len(), "rule_list": page}))
    }
}

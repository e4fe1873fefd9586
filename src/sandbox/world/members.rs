//! Member cards and general cards (the `member_card` and `general_card` endpoints):
//! activation, the activation form, points, balance and custom values. A code's
//! membership lives on its `CodeRecord`; what the member told WeChat (profile, answers
//! to the activation form) lives here.

use super::statistics::EventKind;
use super::{World, fail};
use crate::ErrCode;
use crate::generated::sandbox::{GeneralCardOperations, MemberCardOperations};
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{CommonFieldValue, CustomFieldValue, MemberFormInfo, UserFormInfoFlag};
use crate::{general_card, member_card};

/// What a member of a card told WeChat: userinfo/get shows it.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub(crate) nickname: String,
    pub(crate) sex: String,
    /// The answers to the card's activation form.
    pub(crate) answers: MemberFormInfo,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            nickname: "sandbox user".into(),
            sex: "MALE".into(),
            answers: answers(Vec::new(), Vec::new()),
        }
    }
}

/// Answers as the sandbox sends them: both lists, even empty, and each custom answer
/// with both `value` and `value_list` (the unused one empty), so that a reader finds
/// either whatever the question's type.
pub(crate) fn answers(
    common: Vec<CommonFieldValue>,
    custom: Vec<CustomFieldValue>,
) -> MemberFormInfo {
    let custom = custom
        .into_iter()
        .map(|mut answer| {
            answer.value.get_or_insert_with(String::new);
            answer.value_list.get_or_insert_with(Vec::new);
            answer
        })
        .collect();
    MemberFormInfo {
        common_field_list: Some(common),
        custom_field_list: Some(custom),
        ..Default::default()
    }
}

/// A user's answers typed in as (name, value) pairs: WeChat's own fields
/// (`USER_FORM_INFO_FLAG_…`) are common fields, any other name is the merchant's
/// question.
pub(super) fn typed_answers(fields: &[(&str, &str)]) -> MemberFormInfo {
    let (mut common, mut custom) = (Vec::new(), Vec::new());
    for (name, value) in fields {
        match UserFormInfoFlag::from(*name) {
            UserFormInfoFlag::Unknown(_) if !name.starts_with("USER_FORM_INFO_FLAG_") => {
                custom.push(CustomFieldValue::new(*name).value(*value));
            }
            flag => common.push(CommonFieldValue::new(flag).value(*value)),
        }
    }
    answers(common, custom)
}

impl GeneralCardOperations for World {
    fn general_card_activate(
        &self,
        request: general_card::GeneralCardActivateRequest,
    ) -> Result<general_card::GeneralCardActivateResponse, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        record.activated = true;
        record.membership_number = request.card_number.clone();
        record.custom_fields = [
            request.init_custom_field_value1,
            request.init_custom_field_value2,
            request.init_custom_field_value3,
        ];
        let openid = record.openid.clone();
        Self::event(
            &mut state,
            now,
            &request.card_id,
            &openid,
            EventKind::Activate,
        );
        Ok(general_card::GeneralCardActivateResponse::default())
    }

    fn general_card_unactivate(
        &self,
        request: general_card::GeneralCardUnactivateRequest,
    ) -> Result<general_card::GeneralCardUnactivateResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        if !record.activated {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                "the card is not activated",
            ));
        }
        record.activated = false;
        Ok(general_card::GeneralCardUnactivateResponse::default())
    }

    fn general_card_update_user(
        &self,
        request: general_card::GeneralCardUpdateUserRequest,
    ) -> Result<general_card::GeneralCardUpdateUserResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        if let Some(bonus) = request.bonus {
            record.bonus = bonus;
        }
        if let Some(balance) = request.balance {
            record.balance = balance;
        }
        record.update_custom_fields([
            request.custom_field_value1,
            request.custom_field_value2,
            request.custom_field_value3,
        ]);
        Ok(general_card::GeneralCardUpdateUserResponse {
            result_bonus: Some(record.bonus),
            result_balance: Some(record.balance),
            openid: Some(record.openid.clone()),
            ..Default::default()
        })
    }
}

impl MemberCardOperations for World {
    fn member_card_activate(
        &self,
        request: member_card::MemberCardActivateRequest,
    ) -> Result<member_card::MemberCardActivateResponse, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let card_id = self
            .code(&mut state, &request.code, request.card_id.as_deref())?
            .card_id
            .clone();
        // Checked before anything changes: a refused call leaves the code as it was.
        if state
            .cards
            .get(&card_id)
            .is_none_or(|c| c.type_name() != "MEMBER_CARD")
        {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        let record = state.codes.get_mut(&request.code).expect("found above");
        if record.activated {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                "the member card is already activated",
            ));
        }
        record.activated = true;
        record.membership_number = Some(request.membership_number);
        record.bonus = request.init_bonus.unwrap_or(0);
        record.balance = request.init_balance.unwrap_or(0);
        record.custom_fields = [
            request.init_custom_field_value1,
            request.init_custom_field_value2,
            request.init_custom_field_value3,
        ];
        let openid = record.openid.clone();
        Self::event(&mut state, now, &card_id, &openid, EventKind::Activate);
        Ok(member_card::MemberCardActivateResponse::default())
    }

    fn member_card_set_activate_form(
        &self,
        request: member_card::MemberCardSetActivateFormRequest,
    ) -> Result<member_card::MemberCardSetActivateFormResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        if card.type_name() != "MEMBER_CARD" {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        card.form = Some(Box::new(request));
        Ok(member_card::MemberCardSetActivateFormResponse::default())
    }

    fn member_card_user_info(
        &self,
        request: member_card::MemberCardUserInfoRequest,
    ) -> Result<member_card::MemberCardUserInfoResponse, Failure> {
        let mut state = self.lock();
        self.code(&mut state, &request.code, Some(&request.card_id))?;
        let status = self
            .code_status(&mut state, &request.code)
            .expect("checked");
        let r = &state.codes[&request.code];
        let profile = state
            .profiles
            .get(&(r.card_id.clone(), r.openid.clone()))
            .cloned()
            .unwrap_or_default();
        Ok(member_card::MemberCardUserInfoResponse {
            openid: Some(r.openid.clone()),
            nickname: Some(profile.nickname),
            membership_number: r.membership_number.clone(),
            bonus: Some(r.bonus),
            balance: Some(r.balance),
            sex: Some(profile.sex),
            user_info: Some(Box::new(profile.answers)),
            user_card_status: Some(status),
            has_active: Some(r.activated),
            ..Default::default()
        })
    }

    fn member_card_update_user(
        &self,
        request: member_card::MemberCardUpdateUserRequest,
    ) -> Result<member_card::MemberCardUpdateUserResponse, Failure> {
        let mut state = self.lock();
        let r = self.code(&mut state, &request.code, Some(&request.card_id))?;
        // The absolute value wins over the delta: that makes a repeated call harmless.
        let bonus = match (request.bonus, request.add_bonus) {
            (Some(bonus), _) => bonus,
            (None, Some(add)) => r.bonus + add,
            _ => r.bonus,
        };
        let balance = match (request.balance, request.add_balance) {
            (Some(balance), _) => balance,
            (None, Some(add)) => r.balance + add,
            _ => r.balance,
        };
        // Checked before anything changes: a refused call leaves the member as it was.
        if balance < 0 || bonus < 0 {
            return Err(fail(
                ErrCode::InvalidArgs,
                "bonus and balance may not go below 0",
            ));
        }
        let (bonus_change, balance_change) = (bonus - r.bonus, balance - r.balance);
        (r.bonus, r.balance) = (bonus, balance);
        if bonus_change != 0 || balance_change != 0 {
            let openid = r.openid.clone();
            self.push(&openid, |e| {
                push::member_updated(
                    e,
                    &request.card_id,
                    &request.code,
                    bonus_change,
                    balance_change,
                )
            });
        }

        r.update_custom_fields([
            request.custom_field_value1,
            request.custom_field_value2,
            request.custom_field_value3,
        ]);
        Ok(member_card::MemberCardUpdateUserResponse {
            result_bonus: Some(r.bonus),
            result_balance: Some(r.balance),
            openid: Some(r.openid.clone()),
            ..Default::default()
        })
    }

    fn member_card_activate_url(
        &self,
        request: member_card::MemberCardActivateUrlRequest,
    ) -> Result<member_card::MemberCardActivateUrlResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        if self.card(&mut state, &request.card_id)?.type_name() != "MEMBER_CARD" {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        let outer = request
            .outer_str
            .map(|o| format!("&outer_str={}", crate::call::url_encode(&o)))
            .unwrap_or_default();
        Ok(member_card::MemberCardActivateUrlResponse {
            url: Some(format!(
                "{base}/sandbox/activate?card_id={}{outer}",
                request.card_id
            )),
            ..Default::default()
        })
    }

    fn member_card_activate_temp_info(
        &self,
        request: member_card::MemberCardActivateTempInfoRequest,
    ) -> Result<member_card::MemberCardActivateTempInfoResponse, Failure> {
        let state = self.lock();
        let answers = state
            .activate_tickets
            .get(&request.activate_ticket)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid activate_ticket"))?;
        Ok(member_card::MemberCardActivateTempInfoResponse {
            info: Some(Box::new(answers.clone())),
            ..Default::default()
        })
    }
}

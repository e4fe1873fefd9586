//! The stores (pois) of the account's store mini-program and the card each one shows
//! (`store_wxa`).
//!
//! The sandbox does not simulate the 门店 API that creates stores: a store is one
//! added with `Sandbox::add_store` (or the `add_store` control action), seeded for an
//! example, or named in a card's `location_id_list` (WeChat only takes the account's
//! own stores there).

use super::{State, World, fail};
use crate::ErrCode;
use crate::generated::sandbox::StoreWxaOperations;
use crate::sandbox::runtime::Failure;
use crate::store_wxa;

/// A store of the account's store mini-program.
#[derive(Debug, Clone, Default)]
pub(super) struct StoreRecord {
    /// The card its store mini-program shows, as last set.
    pub(super) card_id: Option<String>,
}

impl World {
    /// Adds a store to the account's store mini-program (sandbox only); a store
    /// already there keeps its card.
    pub(crate) fn add_store(&self, poi_id: i64) {
        self.lock().stores.entry(poi_id).or_default();
    }

    /// The store `poi_id`, made a record on first use when a card lists it.
    fn store(state: &mut State, poi_id: i64) -> Result<&mut StoreRecord, Failure> {
        let listed = state.cards.values().any(|c| {
            c.base()
                .location_id_list
                .as_ref()
                .is_some_and(|l| l.contains(&poi_id))
        });
        if listed {
            state.stores.entry(poi_id).or_default();
        }
        // The page: poi_id需要属于调用api的公众号的门店小程序; it names no errcode.
        state.stores.get_mut(&poi_id).ok_or_else(|| {
            fail(
                ErrCode::InvalidArgs,
                format!("invalid poi_id {poi_id}: not a store of this account"),
            )
        })
    }
}

impl StoreWxaOperations for World {
    fn store_wxa_get(
        &self,
        request: store_wxa::StoreWxaGetRequest,
    ) -> Result<store_wxa::StoreWxaGetResponse, Failure> {
        let mut state = self.lock();
        let store = Self::store(&mut state, request.poi_id)?;
        // No card set: no card_id at all, as the page says.
        Ok(store_wxa::StoreWxaGetResponse {
            card_id: store.card_id.clone(),
            ..Default::default()
        })
    }

    fn store_wxa_set(
        &self,
        request: store_wxa::StoreWxaSetRequest,
    ) -> Result<store_wxa::StoreWxaSetResponse, Failure> {
        let mut state = self.lock();
        Self::store(&mut state, request.poi_id)?;
        let card = self.card(&mut state, &request.card_id)?;
        if card.status == crate::types::CardStatus::Delete {
            return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
        }
        if card.custom_code() {
            // card_id需要为非自定义code; the page names no errcode.
            return Err(fail(
                ErrCode::InvalidArgs,
                "the card uses custom codes (base_info.use_custom_code): a store mini-program takes a card without",
            ));
        }
        Self::store(&mut state, request.poi_id)?.card_id = Some(request.card_id);
        Ok(store_wxa::StoreWxaSetResponse::default())
    }
}

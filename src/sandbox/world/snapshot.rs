//! Read-only copies of the state for the console (`sandbox/console/`): the cards
//! and the codes as they stand, without the lock held while a page is written.

use super::World;
use crate::types::{BaseInfo, CardStatus, CardType, UserCardStatus};

/// A card as the console shows it.
#[derive(Debug, Clone)]
pub(crate) struct CardSnapshot {
    pub(crate) card_id: String,
    pub(crate) card_type: CardType,
    /// The card's `base_info` as created and updated (colour, logo, title, dates…).
    pub(crate) base_info: BaseInfo,
    pub(crate) status: CardStatus,
    pub(crate) remaining: i64,
    pub(crate) claimed: usize,
    pub(crate) consumed: usize,
}

/// A code as the console shows it.
#[derive(Debug, Clone)]
pub(crate) struct CodeSnapshot {
    pub(crate) code: String,
    pub(crate) card_id: String,
    pub(crate) openid: String,
    pub(crate) status: UserCardStatus,
    pub(crate) claimed_ms: u64,
    /// What the merchant set on a special ticket (seat, gate…), if anything.
    pub(crate) details: Option<String>,
}

impl World {
    /// Every card in creation order, its review and stock up to date.
    pub(crate) fn card_snapshots(&self) -> Vec<CardSnapshot> {
        // Reviews that fell due end first, as any look at a card would end them.
        self.sweep_reviews();
        let cards: Vec<CardSnapshot> = {
            let state = self.lock();
            state
                .card_order
                .iter()
                .filter_map(|id| Some((id, state.cards.get(id)?)))
                .map(|(id, record)| CardSnapshot {
                    card_id: id.clone(),
                    card_type: record.card_type().clone(),
                    base_info: record.base().clone(),
                    status: record.status.clone(),
                    remaining: 0,
                    claimed: 0,
                    consumed: 0,
                })
                .collect()
        };
        cards
            .into_iter()
            .map(|mut card| {
                // The numbers `Sandbox::stock` and the `stock` action report.
                if let Some((remaining, claimed, consumed)) = self.stock(&card.card_id) {
                    (card.remaining, card.claimed, card.consumed) = (remaining, claimed, consumed);
                }
                card
            })
            .collect()
    }

    /// Every code ever given out, oldest claim first, with its status now (a NORMAL
    /// code past its validity has expired, as code/get would find).
    pub(crate) fn code_snapshots(&self) -> Vec<CodeSnapshot> {
        let mut state = self.lock();
        let mut codes: Vec<(String, u64)> = state
            .codes
            .iter()
            .map(|(code, record)| (code.clone(), record.claimed_ms))
            .collect();
        codes.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        codes
            .into_iter()
            .filter_map(|(code, claimed_ms)| {
                let status = self.code_status(&mut state, &code)?;
                let record = &state.codes[&code];
                Some(CodeSnapshot {
                    card_id: record.card_id.clone(),
                    openid: record.openid.clone(),
                    status,
                    claimed_ms,
                    details: record.details.as_ref().map(|d| d.summary()),
                    code,
                })
            })
            .collect()
    }
}

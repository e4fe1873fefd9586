//! Special tickets (the `ticket` endpoints): what the merchant sets on a user's
//! boarding pass, meeting or movie ticket, and a red packet's balance.

use super::{World, fail, to_json};
use crate::ErrCode;
use crate::generated::sandbox::TicketOperations;
use crate::sandbox::runtime::Failure;
use crate::ticket;
use serde_json::Value;

impl TicketOperations for World {
    fn ticket_boarding_pass_checkin(
        &self,
        request: ticket::TicketBoardingPassCheckinRequest,
    ) -> Result<ticket::TicketBoardingPassCheckinResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "BOARDING_PASS",
            details,
        )
    }

    fn ticket_meeting_ticket_update_user(
        &self,
        request: ticket::TicketMeetingTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMeetingTicketUpdateUserResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "MEETING_TICKET",
            details,
        )
    }

    fn ticket_movie_ticket_update_user(
        &self,
        request: ticket::TicketMovieTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMovieTicketUpdateUserResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "MOVIE_TICKET",
            details,
        )
    }

    fn ticket_lucky_money_update_balance(
        &self,
        request: ticket::TicketLuckyMoneyUpdateBalanceRequest,
    ) -> Result<ticket::TicketLuckyMoneyUpdateBalanceResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, request.card_id.as_deref())?;
        record.balance = request.balance;
        Ok(ticket::TicketLuckyMoneyUpdateBalanceResponse::default())
    }
}

impl World {
    /// Special tickets: stores what the merchant set on a user's ticket.
    fn set_ticket_details<T: Default>(
        &self,
        code: &str,
        card_id: Option<&str>,
        card_type: &str,
        details: Value,
    ) -> Result<T, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, code, card_id)?.clone();
        if state
            .cards
            .get(&record.card_id)
            .is_none_or(|c| c.type_name() != card_type)
        {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!("not a {card_type} card"),
            ));
        }
        if let (Some(r), Value::Object(map)) = (state.codes.get_mut(code), details) {
            r.details.extend(map);
        }
        Ok(T::default())
    }
}

//! Special tickets (the `ticket` endpoints): what the merchant sets on a user's
//! boarding pass, meeting or movie ticket, and a red packet's balance.

use super::codes::TicketDetails;
use super::{World, fail};
use crate::ErrCode;
use crate::generated::sandbox::TicketOperations;
use crate::sandbox::runtime::Failure;
use crate::ticket;
use crate::types::CardType;

impl TicketOperations for World {
    fn ticket_boarding_pass_checkin(
        &self,
        request: ticket::TicketBoardingPassCheckinRequest,
    ) -> Result<ticket::TicketBoardingPassCheckinResponse, Failure> {
        let (code, card_id) = (request.code.clone(), request.card_id.clone());
        let details = TicketDetails::BoardingPass(Box::new(request));
        self.set_ticket_details(&code, card_id.as_deref(), CardType::BoardingPass, details)
    }

    fn ticket_meeting_ticket_update_user(
        &self,
        request: ticket::TicketMeetingTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMeetingTicketUpdateUserResponse, Failure> {
        let (code, card_id) = (request.code.clone(), request.card_id.clone());
        let details = TicketDetails::Meeting(Box::new(request));
        self.set_ticket_details(&code, card_id.as_deref(), CardType::MeetingTicket, details)
    }

    fn ticket_movie_ticket_update_user(
        &self,
        request: ticket::TicketMovieTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMovieTicketUpdateUserResponse, Failure> {
        let (code, card_id) = (request.code.clone(), request.card_id.clone());
        let details = TicketDetails::Movie(Box::new(request));
        self.set_ticket_details(&code, card_id.as_deref(), CardType::MovieTicket, details)
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
    /// Special tickets: keeps what the merchant set on a user's ticket of `card_type`.
    fn set_ticket_details<T: Default>(
        &self,
        code: &str,
        card_id: Option<&str>,
        card_type: CardType,
        details: TicketDetails,
    ) -> Result<T, Failure> {
        let mut state = self.lock();
        let held_by = self.code(&mut state, code, card_id)?.card_id.clone();
        if state
            .cards
            .get(&held_by)
            .is_none_or(|c| c.card_type() != &card_type)
        {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!("not a {} card", card_type.as_str()),
            ));
        }
        if let Some(record) = state.codes.get_mut(code) {
            record.details = Some(details);
        }
        Ok(T::default())
    }
}

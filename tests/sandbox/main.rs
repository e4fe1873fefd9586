//! The sandbox, in one test binary: the seeds' workflows end to end in both flavours
//! (`lifecycles`), the semantics it promises (`semantics`), tokens, faults and stock
//! under concurrency (`faults`), and the standalone server (`binary`).

use wechat_card::{ErrCode, Error};

#[path = "../support/cards.rs"]
mod cards;
#[path = "../support/net.rs"]
mod net;

mod binary;
mod faults;
mod lifecycles;
mod reply_lost;
mod semantics;
mod wire_faults;

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrCode {
    result
        .expect_err("an error")
        .errcode()
        .expect("an API error")
}

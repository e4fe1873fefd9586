//! The card a store mini-program shows (`card/storewxa/get`, `set`): set binds a card
//! to one store, get reads it back (no `card_id` before), and the sandbox refuses a
//! poi that is not the account's store, an unknown card and a custom-code card.

use super::cards::{create_discount, discount_card};
use super::errcode;
use wechat_card::ErrCode;
use wechat_card::sandbox::Sandbox;
use wechat_card::store_wxa::{StoreWxaGetRequest, StoreWxaSetRequest};

/// The poi `discount_card` lists in its `location_id_list`.
const LISTED_POI: i64 = 218384742;

#[tokio::test]
async fn set_binds_a_card_to_one_store_and_get_reads_it_back() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.add_store(1001);
    sandbox.add_store(1002);
    let client = sandbox.client().unwrap();
    let first = create_discount(&client, 10).await;
    let second = create_discount(&client, 10).await;
    let stores = client.store_wxa();

    // Nothing set yet: no card_id at all.
    let before = stores.get(&StoreWxaGetRequest::new(1001)).await.unwrap();
    assert_eq!(before.card_id, None);

    stores
        .set(&StoreWxaSetRequest::new(1001, first.as_str()))
        .await
        .unwrap();
    let got = stores.get(&StoreWxaGetRequest::new(1001)).await.unwrap();
    assert_eq!(got.card_id.as_deref(), Some(first.as_str()));
    // Another store is untouched.
    let other = stores.get(&StoreWxaGetRequest::new(1002)).await.unwrap();
    assert_eq!(other.card_id, None);

    // Setting again replaces; the same setting twice leaves it as it is.
    for _ in 0..2 {
        stores
            .set(&StoreWxaSetRequest::new(1001, second.as_str()))
            .await
            .unwrap();
    }
    let got = stores.get(&StoreWxaGetRequest::new(1001)).await.unwrap();
    assert_eq!(got.card_id.as_deref(), Some(second.as_str()));
    assert_eq!(sandbox.requests("store_wxa.set"), 3);
}

#[tokio::test]
async fn a_poi_a_card_lists_is_a_store_and_others_are_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let stores = client.store_wxa();
    // No card lists the poi yet: not the account's store.
    let unknown = stores.get(&StoreWxaGetRequest::new(LISTED_POI)).await;
    assert_eq!(errcode(unknown), ErrCode::InvalidArgs);

    let card_id = create_discount(&client, 10).await;
    let got = stores
        .get(&StoreWxaGetRequest::new(LISTED_POI))
        .await
        .unwrap();
    assert_eq!(got.card_id, None);
    stores
        .set(&StoreWxaSetRequest::new(LISTED_POI, card_id.as_str()))
        .await
        .unwrap();

    // A poi nobody added or listed, an unknown card.
    let unlisted = stores
        .set(&StoreWxaSetRequest::new(7, card_id.as_str()))
        .await;
    assert_eq!(errcode(unlisted), ErrCode::InvalidArgs);
    let no_card = stores
        .set(&StoreWxaSetRequest::new(LISTED_POI, "pNoSuchCard"))
        .await;
    assert_eq!(errcode(no_card), ErrCode::InvalidCardId);
    // The refusals changed nothing.
    let got = stores
        .get(&StoreWxaGetRequest::new(LISTED_POI))
        .await
        .unwrap();
    assert_eq!(got.card_id.as_deref(), Some(card_id.as_str()));
}

#[test]
fn a_custom_code_card_is_refused_blocking() {
    let sandbox = Sandbox::start_blocking().unwrap();
    sandbox.add_store(1234567);
    let client = sandbox.blocking_client().unwrap();
    let mut request = discount_card(10);
    let base = request
        .card
        .discount
        .as_mut()
        .unwrap()
        .base_info
        .as_mut()
        .unwrap();
    base.use_custom_code = Some(true);
    let custom = client.card().create(&request).unwrap().card_id.unwrap();
    let plain = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .unwrap();
    let stores = client.store_wxa();

    // card_id需要为非自定义code.
    let refused = stores.set(&StoreWxaSetRequest::new(1234567, custom.as_str()));
    assert_eq!(errcode(refused), ErrCode::InvalidArgs);
    assert_eq!(
        stores
            .get(&StoreWxaGetRequest::new(1234567))
            .unwrap()
            .card_id,
        None
    );

    stores
        .set(&StoreWxaSetRequest::new(1234567, plain.as_str()))
        .unwrap();
    let got = stores.get(&StoreWxaGetRequest::new(1234567)).unwrap();
    assert_eq!(got.card_id.as_deref(), Some(plain.as_str()));
}

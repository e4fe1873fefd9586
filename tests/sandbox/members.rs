//! What members tell WeChat (the activation form's answers, read back by the merchant)
//! and the member-card statistics, whose totals are a daily snapshot.

use super::cards::create_member_card;
use std::time::Duration;
use wechat_card::datacube::DatacubeMemberCardInfoRequest;
use wechat_card::member_card::{
    MemberCardActivateRequest, MemberCardActivateTempInfoRequest, MemberCardUserInfoRequest,
};
use wechat_card::sandbox::Sandbox;
use wechat_card::types::{CondSource, UserFormInfoFlag};

#[tokio::test]
async fn a_members_answers_come_back_typed_common_and_custom() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let member = sandbox.user("o_member");
    let code = member.claim(&card_id).unwrap();
    let fields = [
        ("USER_FORM_INFO_FLAG_MOBILE", "13800000000"),
        ("兴趣", "钢琴"),
    ];
    let ticket = member.fill_activation_form(&card_id, &fields).unwrap();

    let temp = client
        .member_card()
        .activate_temp_info(&MemberCardActivateTempInfoRequest::new(&ticket))
        .await
        .unwrap();
    let info = temp.info.expect("the answers");
    let common = info.common_field_list.expect("common answers");
    assert_eq!(common.len(), 1);
    assert_eq!(common[0].name, Some(UserFormInfoFlag::Mobile));
    assert_eq!(common[0].value.as_deref(), Some("13800000000"));
    let custom = info.custom_field_list.expect("custom answers");
    assert_eq!(custom.len(), 1);
    assert_eq!(
        (custom[0].name.as_deref(), custom[0].value.as_deref()),
        (Some("兴趣"), Some("钢琴"))
    );
    // A single answer comes with an empty value_list, as WeChat sends both.
    assert_eq!(custom[0].value_list.as_deref(), Some(&[][..]));

    let activate = MemberCardActivateRequest::new("M-0001", &code);
    client.member_card().activate(&activate).await.unwrap();
    let user = client
        .member_card()
        .user_info(&MemberCardUserInfoRequest::new(&card_id, &code))
        .await
        .unwrap();
    let answers = user.user_info.expect("the member's answers");
    assert_eq!(answers.common_field_list, Some(common));
    assert_eq!(answers.custom_field_list, Some(custom));
}

#[tokio::test]
async fn member_card_totals_are_counted_every_day_there_are_members() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let claimed_on = sandbox.today().to_string();
    sandbox.user("o_a").claim(&card_id).unwrap();
    sandbox.user("o_b").claim(&card_id).unwrap();
    sandbox.advance_clock(Duration::from_secs(2 * 86_400));
    let quiet_day = (sandbox.today() - time::Duration::days(1)).to_string();

    let window = DatacubeMemberCardInfoRequest::new(&claimed_on, &quiet_day, CondSource::Api);
    let list = client
        .datacube()
        .member_card_info(&window)
        .await
        .unwrap()
        .list
        .expect("rows");
    assert_eq!(list.len(), 2, "{list:?}");
    let (claims, quiet) = (&list[0], &list[1]);
    assert_eq!(claims.ref_date.as_deref(), Some(claimed_on.as_str()));
    assert_eq!(
        (claims.receive_cnt, claims.receive_user),
        (Some(2), Some(2))
    );
    assert_eq!(quiet.ref_date.as_deref(), Some(quiet_day.as_str()));
    assert_eq!(quiet.receive_cnt, Some(0));
    for row in [claims, quiet] {
        assert_eq!((row.total_user, row.total_receive_user), (Some(2), Some(2)));
    }

    // Today is not over: no row for it yet.
    let today = sandbox.today().to_string();
    let until_today = DatacubeMemberCardInfoRequest::new(&claimed_on, &today, CondSource::Api);
    let rows = client
        .datacube()
        .member_card_info(&until_today)
        .await
        .unwrap();
    assert_eq!(rows.list, Some(list));

    // The sandbox's cards are made through the API: none made on the platform.
    let platform =
        DatacubeMemberCardInfoRequest::new(&claimed_on, &quiet_day, CondSource::Platform);
    let rows = client.datacube().member_card_info(&platform).await.unwrap();
    assert_eq!(rows.list.map(|l| l.len()), Some(0));
}

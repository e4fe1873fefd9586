"""Drives the wechat-card sandbox with wechatpy: the coupon's life from Python."""
import json
import sys
import urllib.request

from wechatpy import WeChatClient

SANDBOX = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8848"


def action(name, **body):
    """A sandbox-only step (what a user or WeChat's review does)."""
    request = urllib.request.Request(
        f"{SANDBOX}/sandbox/{name}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    return json.load(urllib.request.urlopen(request))


class SandboxClient(WeChatClient):
    """wechatpy's client with its hosts pointed at the sandbox (its token URL is
    written out in full, so it is overridden too)."""

    API_BASE_URL = f"{SANDBOX}/cgi-bin/"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.card.API_BASE_URL = f"{SANDBOX}/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{SANDBOX}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


credentials = action("credentials")
client = SandboxClient(credentials["appid"], credentials["secret"])

card_id = client.card.create({"card": {
    "card_type": "DISCOUNT",
    "discount": {
        "base_info": {
            "logo_url": "http://mmbiz.qpic.cn/mmbiz/logo/0",
            "code_type": "CODE_TYPE_QRCODE",
            "brand_name": "Sandbox Cafe",
            "title": "9折券",
            "color": "Color010",
            "notice": "出示二维码",
            "description": "Not valid with other offers.",
            "date_info": {"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0},
            "sku": {"quantity": 100},
        },
        "discount": 10,
    },
}})
print("created", card_id)
action("approve", card_id=card_id)
code = action("claim", openid="o_python_user", card_id=card_id)["code"]
print("claimed", code, client.card.get_code(code, card_id)["user_card_status"])
client.card.consume_code(code, card_id)
print("consumed", client.card.get_code(code, card_id)["user_card_status"])

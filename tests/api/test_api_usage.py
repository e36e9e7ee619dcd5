"""``GET /v1/usage`` over HTTP: one's own tokens are what one's answers reported; admins see anyone's."""

from __future__ import annotations

import pytest

from tests.api.test_api_review import answered

pytestmark = pytest.mark.slow


def totals(rows: list[dict], user: str) -> tuple[int, int, int]:
    mine = [r for r in rows if r["user"] == user]
    return sum(r["calls"] for r in mine), sum(r["prompt_tokens"] for r in mine), sum(r["completion_tokens"] for r in mine)


def test_usage_is_what_ones_answers_used_and_only_admins_see_others(api):
    from docent.review.users import UserStore

    UserStore(api.state_url).add("uma", "password-uma", "member")  # a user of this test only: nothing else asks as her
    with api.client(api.key("uma")) as uma, api.client(api.key("root")) as root, api.client() as nobody:
        assert uma.get("/v1/usage").json() == []
        finals = [answered(uma, q)["final"] for q in ("Who approves expense reports over 500 euros?",
                                                      "When does the Porter P2 launch?")]
        called = [f["usage"] for f in finals if f["usage"]]  # an answer served from the cache made no call
        expected = (len(called), sum(u["prompt_tokens"] for u in called), sum(u["completion_tokens"] for u in called))

        own = uma.get("/v1/usage", params={"days": 2})
        assert own.status_code == 200 and {r["user"] for r in own.json()} <= {"uma"}
        assert totals(own.json(), "uma") == expected
        assert all(r["cost"] == 0.0 and r["unpriced_calls"] == 0 for r in own.json())  # the local model is free
        assert uma.get("/v1/usage", params={"user": "uma"}).json() == uma.get("/v1/usage").json()

        assert totals(root.get("/v1/usage", params={"user": "uma", "days": 2}).json(), "uma") == expected
        everyone = root.get("/v1/usage", params={"all": "true"}).json()
        assert totals(everyone, "uma") == expected and {r["user"] for r in root.get("/v1/usage").json()} <= {"root"}
        days = [r["day"] for r in everyone]
        assert days == sorted(days, reverse=True)

        for params, status, code in (({"all": "true"}, 403, "forbidden"), ({"user": "root"}, 403, "forbidden")):
            refused = uma.get("/v1/usage", params=params)
            assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
        assert root.get("/v1/usage", params={"user": "nobody-here"}).status_code == 404
        assert root.get("/v1/usage", params={"user": "uma", "all": "true"}).status_code == 400
        assert uma.get("/v1/usage", params={"days": 0}).status_code == 422
        assert nobody.get("/v1/usage").status_code == 401

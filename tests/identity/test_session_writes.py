"""A request that leaves the session as it found it does not store it again."""

from __future__ import annotations

from tests import factories
from tests.oidc_support import sign_in_person


def _session_cookies(response) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith("portal_session=")]


async def test_reading_pages_does_not_store_the_session_again(client):
    org = await factories.organisation()
    user = await factories.member(org)
    await sign_in_person(client, user["person_row"])
    for _ in range(3):
        page = await client.get("/organisation")
        assert page.status_code == 200
        assert _session_cookies(page) == []

    changed = await client.post_form(
        "/language", {"locale": "nl", "next": "/organisation"}, follow_redirects=False
    )
    assert len(_session_cookies(changed)) == 1
    assert '<html lang="nl">' in (await client.get("/organisation")).text

async def test_health_answers_while_the_process_lives(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_database_and_broker(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["database"] is True
    assert response.json()["broker"] is True


async def test_every_answer_carries_security_headers(client):
    response = await client.get("/health")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_security_headers_come_once_and_a_handlers_own_header_is_kept():
    from litestar import Litestar, Response, get
    from litestar.testing import AsyncTestClient

    from src.core.security import security_headers

    @get("/framed")
    async def framed() -> Response[str]:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    app = Litestar([framed], before_send=[security_headers(hsts=True)])
    async with AsyncTestClient(app) as client:
        response = await client.get("/framed")

    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    for name in (
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "permissions-policy",
        "strict-transport-security",
    ):
        assert len(response.headers.get_list(name)) == 1, name
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")

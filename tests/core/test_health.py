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

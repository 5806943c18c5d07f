def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_hello_greets_the_world_by_default(client):
    assert client.get("/hello").get_json() == {"message": "hello, world"}


def test_hello_greets_by_name(client):
    assert client.get("/hello?name=Ada").get_json() == {"message": "hello, Ada"}

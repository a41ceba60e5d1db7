import pytest


@pytest.mark.django_db
def test_the_home_page_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.url or "login" in response.url

import pytest


@pytest.mark.django_db
def test_portal_serves_home(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "在泉城，全办成" in response.content.decode()

"""Issue 20, English: the language comes from the switch (remembered) or Accept-Language;
Chinese stays the default."""
from __future__ import annotations

import re


def test_chinese_is_the_default_and_english_follows_accept_language(client):
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html and ">中文<" in html
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in html and ">English<" in html


def test_the_switch_is_remembered_and_only_returns_to_this_site(client):
    response = client.get("/lang/en?next=/practice/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/practice/")
    cookie = response.headers["Set-Cookie"]
    assert re.search(r"lang=en;", cookie) and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # Remembered over a Chinese browser.
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in html
    for elsewhere in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        location = client.get("/lang/zh", query_string={"next": elsewhere}).headers["Location"]
        assert "evil" not in location and "javascript" not in location
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
    client.get("/lang/xx")  # an unknown language changes nothing
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)


def test_english_pages_use_the_catalogue(organiser_client):
    html = organiser_client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">Dashboard</a>" in html and ">Log out</button>" in html


def test_the_switch_returns_to_the_page_it_was_pressed_on(client):
    response = client.get("/lang/en", headers={"Referer": "http://localhost/practice/?x=1"})
    assert response.headers["Location"].endswith("/practice/?x=1")
    response = client.get("/lang/en", headers={"Referer": "https://evil.example/steal"})
    assert "evil" not in response.headers["Location"] and "steal" not in response.headers["Location"]

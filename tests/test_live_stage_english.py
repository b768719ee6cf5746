"""Issue 20, English: the live round and the stage contest in every state the URL-map walk does
not reach (a question on, the reveal, the leaderboard, the end; a buzz with its order, a foul,
judgements), on the host's console, the projector and the phones, and their exports: no Chinese
but stored data."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from .english import data_strings, untranslated
from .test_live_pages import answer, control, create_round, join, right_letter
from .test_stage_pages import buzzer_links, host, post, stage, teams  # noqa: F401 - fixtures
from .test_stage_pages import join as join_buzzer

HX = {"HX-Request": "true"}


def english(*clients):
    for client in clients:
        client.set_cookie("lang", "en")
    return clients


def check(pages: dict[str, str]):
    data = data_strings()
    # The brand is the site's configured title (the campaign's or SITE_TITLE): data, not interface.
    left = {name: untranslated(re.sub(r'<a class="brand"[^>]*>[^<]*</a>', "", text), data)
            for name, text in pages.items()}
    assert not {name: found for name, found in left.items() if found}, left


def test_a_whole_live_round_in_english(app, organiser_client, enterprises, clock):
    round_ = create_round(organiser_client)
    phone = join(app, round_, enterprise=enterprises[0])
    english(organiser_client, phone)
    pages = {}

    def look(step):
        for name, client, path in (("host", organiser_client, f"/admin/live/{round_.id}"),
                                   ("stage", organiser_client, f"/admin/live/{round_.id}/stage"),
                                   ("phone", phone, f"/live/{round_.code}")):
            pages[f"{step} {name}"] = client.get(path).get_data(as_text=True)

    look("lobby")
    control(organiser_client, round_, "start")
    look("question")
    answer(phone, round_, right_letter(round_))
    look("answered")
    control(organiser_client, round_, "next")
    look("reveal")
    control(organiser_client, round_, "next")
    look("leaderboard")
    pages["conflict"] = control(organiser_client, round_, "start").get_data(as_text=True)
    control(organiser_client, round_, "end")
    look("final")
    assert "Round over" in pages["final phone"] and "Rank <b>1</b>" in pages["final phone"]
    check(pages)

    book = load_workbook(io.BytesIO(organiser_client.get(f"/admin/live/{round_.id}/export.xlsx").get_data()))
    assert book.sheetnames[:3] == ["Players", "Questions", "Question 1"]
    assert "Correct answer" in [c.value for c in book["Questions"][1]]


def test_a_stage_contest_in_english(app, host, stage, new_phone, clock):  # noqa: F811 - fixtures
    links = buzzer_links(host, stage)
    phones = [join_buzzer(new_phone(), link) for link in links]
    english(host, *(p.client for p in phones))
    pages = {"contests": host.get("/admin/stage").get_data(as_text=True),
             "idle buzzer": phones[0].get(links[0]).get_data(as_text=True)}
    refused = post(host, f"/admin/stage/{stage.id}/ask", {"segment": "required"})
    pages["refused"] = refused.get_data(as_text=True)
    assert "please choose the answering team" in pages["refused"]
    post(host, f"/admin/stage/{stage.id}/ask", {"segment": "buzz"})
    pages["locked screen"] = host.get(f"/admin/stage/{stage.id}/screen").get_data(as_text=True)
    pages["locked buzzer"] = phones[0].get(links[0]).get_data(as_text=True)
    pages["foul"] = phones[1].post(links[1] + "/press").get_data(as_text=True)
    post(host, f"/admin/stage/{stage.id}/control", {"action": "unlock"})
    phones[0].post(links[0] + "/press")
    pages["window screen"] = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    clock.advance(1)
    phones[2].post(links[2] + "/press")
    pages["pressed buzzer"] = phones[0].get(links[0]).get_data(as_text=True)
    pages["order screen"] = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    first, _, third = teams()
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": first.id, "correct": "0"})
    pages["console"] = host.get(f"/admin/stage/{stage.id}").get_data(as_text=True)
    post(host, f"/admin/stage/{stage.id}/judge", {"team_id": third.id, "correct": "1"})
    pages["scores screen"] = host.get(f"/admin/stage/{stage.id}/screen", headers=HX).get_data(as_text=True)
    pages["ended"] = post(host, f"/admin/stage/{stage.id}/control", {"action": "end"}).get_data(as_text=True)
    assert "False start" in pages["foul"] and "Buzz order" not in pages["console"]
    check(pages)

    book = load_workbook(io.BytesIO(host.get(f"/admin/stage/{stage.id}/export.xlsx").get_data()))
    assert book.sheetnames == ["Team scores", "Questions", "Buzzes", "Judgements", "Corrections"]
    assert [r[4] for r in book["Buzzes"].iter_rows(min_row=2, values_only=True)] == ["False start", "Valid", "Valid"]
    check({"export": "\n".join(str(v) for s in book.worksheets for r in s.iter_rows(values_only=True)
                               for v in r if v is not None)})

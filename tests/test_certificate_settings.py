"""The certificate as the app fills it in (issuer, seal, score, date) and the organiser's
form for the issuing body (主办单位) and its seal, on the campaign's settings page."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw

from quiz.contests import certificates
from quiz.extensions import db
from quiz.models import Attempt, Campaign

from .conftest import csrf_token, make_contest, staff_client
from .test_participant_journey import answer_all

needs_cjk = pytest.mark.skipif(certificates.find_cjk_font() is None,
                               reason="no font with Chinese glyphs (apt-get install fonts-noto-cjk)")


def passed_attempt(phone, enterprises, clock) -> Attempt:
    contest = make_contest(question_count=5, pass_score=30)
    clock.advance(hours=15, minutes=5)  # 00:05 on 17 June in Beijing, still the 16th in UTC
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    answer_all(phone, attempt_id)
    phone.post(f"/a/{attempt_id}/submit")
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.certificate_no and attempt.score == 50.0
    return attempt


def certificate_data(app, attempt):
    from quiz.contests.phone_routes import _certificate_data

    with app.test_request_context():
        return _certificate_data(db.session.get(Attempt, attempt.id))


def seal_bytes(fmt="PNG", size=(400, 400)) -> bytes:
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", size, (255, 255, 255, 0) if fmt == "PNG" else "white")
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), outline=(200, 20, 20), width=16)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_the_certificate_and_the_verification_page_agree(app, enterprises, phone, clock):
    attempt = passed_attempt(phone, enterprises, clock)
    campaign = attempt.contest.campaign
    data = certificate_data(app, attempt)
    assert data.issuer == campaign.name  # no issuing body set: as before, the campaign's name
    assert data.seal is None
    campaign.certificate_issuer = "某某市应急管理局"
    db.session.commit()
    data = certificate_data(app, attempt)
    assert data.issuer == "某某市应急管理局"
    assert str(data.date) == "2026-06-17"  # local day of submission
    page = phone.get(f"/cert/{attempt.certificate_no}").get_data(as_text=True)
    assert certificates.chinese_date(data.date) == "2026年6月17日"
    assert "2026年6月17日" in page  # the very string the certificate prints
    assert "某某市应急管理局" in page
    assert "50 分（满分 50 分）" in page


@needs_cjk
def test_the_certificate_prints_the_issuer_whole_scores_and_the_seal(app, enterprises, phone, clock):
    attempt = passed_attempt(phone, enterprises, clock)
    campaign = attempt.contest.campaign
    campaign.certificate_issuer = "某某市应急管理局"
    campaign.certificate_seal = certificates.prepare_seal(seal_bytes())
    db.session.commit()
    layout = certificates.certificate_layout(certificate_data(app, attempt))
    body = "".join(box.text for box in layout.boxes("body"))
    assert "成绩 50 分（满分 50 分）" in body and "50.0" not in body
    assert [box.text for box in layout.boxes("issuer")] == ["某某市应急管理局"]
    assert [box.text for box in layout.boxes("date")] == ["2026年6月17日"]
    assert layout.seal is not None
    png = phone.get(f"/a/{attempt.id}/certificate.png")
    assert png.status_code == 200 and png.mimetype == "image/png"


# ---- the organiser's form ------------------------------------------------------------------


def settings_url(campaign: Campaign) -> str:
    return f"/admin/league/{campaign.id}/settings"


def post_certificate(client, campaign, issuer="某某市应急管理局", seal=None, filename="seal.png"):
    data = {"csrf_token": csrf_token(client, settings_url(campaign)), "issuer": issuer}
    if seal is not None:
        data["seal"] = (io.BytesIO(seal), filename)
    return client.post(f"/admin/league/{campaign.id}/certificate", data=data,
                       content_type="multipart/form-data")


def test_the_organiser_sets_the_issuer_and_uploads_a_seal(app, contest, organiser_client):
    campaign = contest.campaign
    page = organiser_client.get(settings_url(campaign)).get_data(as_text=True)
    assert "证书" in page and "主办单位" in page and 'enctype="multipart/form-data"' in page
    assert "seal.png" not in page  # no seal yet: no preview, no remove button

    # Too big: refused, with the limit; nothing stored, the typed issuer kept.
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (certificates.SEAL_MAX_BYTES + 10)
    response = post_certificate(organiser_client, campaign, seal=big)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "300 KB" in html and "某某市应急管理局" in html
    # Not an image, whatever its name says; a GIF.
    response = post_certificate(organiser_client, campaign, seal=b"<svg onload=alert(1)>", filename="seal.png")
    assert response.status_code == 422 and "PNG 或 JPG" in response.get_data(as_text=True)
    gif = io.BytesIO()
    Image.new("RGB", (200, 200)).save(gif, "GIF")
    response = post_certificate(organiser_client, campaign, seal=gif.getvalue(), filename="seal.gif")
    assert response.status_code == 422 and "PNG 或 JPG" in response.get_data(as_text=True)
    # An issuer too long.
    response = post_certificate(organiser_client, campaign, issuer="主" * 81)
    assert response.status_code == 422 and "80" in response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.certificate_seal is None and campaign.certificate_issuer == ""

    # A good JPEG: stored as a PNG, with the issuer; the page previews it with a remove button.
    response = post_certificate(organiser_client, campaign, seal=seal_bytes("JPEG"), filename="章.jpg")
    assert response.status_code == 303
    db.session.refresh(campaign)
    assert campaign.certificate_issuer == "某某市应急管理局"
    assert campaign.certificate_seal.startswith(b"\x89PNG")
    page = organiser_client.get(settings_url(campaign)).get_data(as_text=True)
    assert "已保存" in page
    preview = re.search(r'<img[^>]+src="([^"]+seal\.png[^"]*)"', page).group(1).replace("&amp;", "&")
    image = organiser_client.get(preview)
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == campaign.certificate_seal
    assert "删除印章" in page
    if certificates.find_cjk_font() is not None:  # the sample certificate, with issuer and seal
        sample = organiser_client.get(f"/admin/league/{campaign.id}/certificate/sample.png")
        assert sample.status_code == 200 and sample.mimetype == "image/png"
        assert Image.open(io.BytesIO(sample.data)).size == (3508, 2480)

    # Saving the issuer again without a file keeps the seal; a blank issuer: as before.
    assert post_certificate(organiser_client, campaign, issuer="  ").status_code == 303
    db.session.refresh(campaign)
    assert campaign.certificate_issuer == "" and campaign.certificate_seal is not None

    # Removed.
    response = organiser_client.post(f"/admin/league/{campaign.id}/certificate/seal/delete",
                                     data={"csrf_token": csrf_token(organiser_client, settings_url(campaign))})
    assert response.status_code == 303
    db.session.refresh(campaign)
    assert campaign.certificate_seal is None
    assert organiser_client.get(preview).status_code == 404
    # Without the CSRF token nothing happens.
    response = organiser_client.post(f"/admin/league/{campaign.id}/certificate",
                                     data={"issuer": "伪造"}, content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.refresh(campaign)
    assert campaign.certificate_issuer == ""


def test_only_organisers_set_the_certificate(app, contest, enterprises, client):
    campaign = contest.campaign
    campaign.certificate_seal = certificates.prepare_seal(seal_bytes())
    db.session.commit()
    admin = staff_client(app, "qiye", enterprise=enterprises[0])
    token = csrf_token(admin, "/admin/contests/")
    paths = (f"/admin/league/{campaign.id}/certificate", f"/admin/league/{campaign.id}/certificate/seal/delete")
    for path in paths:
        response = admin.post(path, data={"issuer": "某单位", "csrf_token": token},
                              content_type="multipart/form-data")
        assert response.status_code == 403
    assert admin.get(f"/admin/league/{campaign.id}/certificate/seal.png").status_code == 403
    assert admin.get(f"/admin/league/{campaign.id}/certificate/sample.png").status_code == 403
    assert admin.get(settings_url(campaign)).status_code == 403
    # Not logged in: the login page.
    assert client.get(f"/admin/league/{campaign.id}/certificate/seal.png").status_code in (302, 303)
    db.session.refresh(campaign)
    assert campaign.certificate_issuer == "" and campaign.certificate_seal is not None

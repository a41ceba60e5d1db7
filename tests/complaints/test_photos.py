"""Photos: validated by content, size-capped, at most six a record, served as
attachments within the viewer's scope (ORG-01, ORG-02), through the desk, the
portal and the API."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from complaints.models import Complaint, Photo
from complaints.services import InvalidTransition, complaint_merge
from complaints.uploads import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_RECORD, photo_add
from servicedesk.core.models import Event
from tests.api import conftest as api_conftest
from tests.complaints.test_views import intake_data
from tests.factories import ResidentFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
api_as = api_conftest.api_as

URL = "/api/v1/complaints/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a temporary MEDIA_ROOT, never the working tree."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()


def upload(
    name: str = "厨房漏水.png", content: bytes | None = None, content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image() if content is None else content, content_type)


def text_as_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile("水管.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")


def big_png() -> SimpleUploadedFile:
    """A real PNG of over 6 MiB: random pixels do not compress."""
    side = 1500
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=1)
    content = buffer.getvalue()
    assert len(content) > 6 * 1024 * 1024 > MAX_PHOTO_BYTES
    return SimpleUploadedFile("大图.png", content, "image/png")


def downloaded(response) -> bytes:
    # Consuming the stream closes the file; the test client does that with the
    # close-DB-connections signal held off. Calling response.close() by hand
    # would fire it and close the test's PostgreSQL connection.
    return b"".join(response.streaming_content)


@pytest.fixture
def other_unit(project):
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    ResidentFactory(unit=unit, name="周平", user=UserFactory(username="owner11101"))
    return unit


# --- The write path ----------------------------------------------------------------


def test_a_real_png_and_jpeg_are_stored_under_generated_names(file_complaint, frontdesk, media):
    c = file_complaint()

    png = photo_add(complaint=c, upload=upload("../../厨房漏水.png"), by=frontdesk)
    jpeg = photo_add(
        complaint=c, upload=upload("现场.JPG", image("JPEG"), "image/jpeg"), by=frontdesk
    )

    assert (png.content_type, jpeg.content_type) == ("image/png", "image/jpeg")
    assert png.original_name == "厨房漏水.png" and jpeg.original_name == "现场.JPG"
    assert png.size == len(image()) and png.uploaded_by == frontdesk
    for photo in (png, jpeg):
        # The customer's file name is never a path: complaints/<id>/<random>.img
        assert photo.file.name.startswith(f"complaints/{c.pk}/")
        assert photo.file.name.endswith(".img")
        assert "厨房" not in photo.file.name and "现场" not in photo.file.name
        assert (media / photo.file.name).is_file()
    events = Event.objects.filter(action="photo_added", object_id=str(c.pk))
    assert sorted(events.values_list("reason", flat=True)) == ["厨房漏水.png", "现场.JPG"]
    assert events.first().actor == frontdesk


def test_the_content_decides_the_type_not_the_name_or_declared_type(file_complaint, frontdesk):
    c = file_complaint()

    photo = photo_add(
        complaint=c, upload=upload("photo.html", image("PNG"), "text/html"), by=frontdesk
    )
    webp = photo_add(complaint=c, upload=upload("x.jpg", image("WEBP"), "image/jpeg"), by=frontdesk)

    assert photo.content_type == "image/png" and photo.original_name == "photo.png"
    assert webp.content_type == "image/webp" and webp.original_name == "x.webp"


@pytest.mark.parametrize(
    "bad",
    [
        text_as_jpg(),
        SimpleUploadedFile("图.gif", image("GIF"), "image/gif"),
        SimpleUploadedFile("空.png", b"", "image/png"),
        SimpleUploadedFile("截断.png", image()[:40], "image/png"),
    ],
    ids=["text-renamed-jpg", "gif", "empty", "truncated-png"],
)
def test_anything_but_a_jpeg_png_or_webp_is_refused_naming_the_field_and_file(
    file_complaint, frontdesk, media, bad
):
    c = file_complaint()

    with pytest.raises(ValidationError) as err:
        photo_add(complaint=c, upload=bad, by=frontdesk)

    assert list(err.value.message_dict) == ["photos"]
    assert bad.name in err.value.message_dict["photos"][0]
    assert not Photo.objects.exists()
    assert not any(media.rglob("*.img"))


def test_a_6_mib_image_is_refused_naming_the_field(file_complaint, frontdesk):
    c = file_complaint()

    with pytest.raises(ValidationError) as err:
        photo_add(complaint=c, upload=big_png(), by=frontdesk)

    message = err.value.message_dict["photos"][0]
    assert "大图.png" in message and "超过每张 5.0\xa0MB" in message
    assert not Photo.objects.exists()


def test_the_seventh_photo_is_refused(file_complaint, frontdesk):
    c = file_complaint()
    for i in range(MAX_PHOTOS_PER_RECORD):
        photo_add(complaint=c, upload=upload(f"{i}.png"), by=frontdesk)

    with pytest.raises(ValidationError) as err:
        photo_add(complaint=c, upload=upload("7.png"), by=frontdesk)

    assert "最多 6 张" in err.value.message_dict["photos"][0]
    assert c.photos.count() == 6


def test_a_merged_duplicate_takes_no_photos(file_complaint, frontdesk):
    master, duplicate = file_complaint(), file_complaint()
    complaint_merge(complaint=duplicate, into=master, by=frontdesk)

    with pytest.raises(InvalidTransition):
        photo_add(complaint=duplicate, upload=upload(), by=frontdesk)


# --- Serving -----------------------------------------------------------------------


def test_a_photo_is_served_as_an_attachment_with_nosniff_and_its_real_type(
    client, frontdesk, file_complaint
):
    c = file_complaint()
    photo = photo_add(
        complaint=c, upload=upload("现场.jpg", image("PNG"), "image/jpeg"), by=frontdesk
    )
    client.force_login(frontdesk)

    response = client.get(reverse("complaints:photo", args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA.png" in response["Content-Disposition"]
    assert downloaded(response) == image("PNG")


def test_photos_outside_the_viewers_scope_are_404__ORG_01_02(
    client, frontdesk, outsider, owner, other_unit, file_complaint
):
    mine = photo_add(complaint=file_complaint(), upload=upload(), by=frontdesk)
    theirs = photo_add(
        complaint=file_complaint(unit=other_unit, reporter_name="周平"), upload=upload(), by=None
    )
    mine_url = reverse("complaints:photo", args=[mine.pk])
    theirs_url = reverse("complaints:photo", args=[theirs.pk])

    assert client.get(mine_url).status_code == 302  # to the login page
    client.force_login(outsider)  # another project's front desk
    assert client.get(mine_url).status_code == 404
    client.force_login(owner)  # the owner of 1-101: their own record only
    response = client.get(mine_url)
    assert response.status_code == 200
    assert downloaded(response)
    assert client.get(theirs_url).status_code == 404
    assert client.get(reverse("complaints:photo", args=[999999])).status_code == 404


# --- Desk ----------------------------------------------------------------------------


def test_intake_attaches_several_photos(client, frontdesk, unit):
    client.force_login(frontdesk)
    data = intake_data(unit)
    data["photos"] = [upload("1.png"), upload("2.jpg", image("JPEG"), "image/jpeg")]

    response = client.post(reverse("complaints:new"), data)

    c = Complaint.objects.get()
    assert response.status_code == 302
    assert sorted(c.photos.values_list("original_name", flat=True)) == ["1.png", "2.jpg"]
    page = client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert reverse("complaints:photo", args=[c.photos.first().pk]) in page
    assert "<img" not in page


def test_an_invalid_photo_at_intake_keeps_everything_else_typed(client, frontdesk, unit, media):
    client.force_login(frontdesk)
    data = intake_data(unit, location="3号电梯")
    data["photos"] = [upload("好.png"), text_as_jpg()]

    response = client.post(reverse("complaints:new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "照片：“水管.jpg”不是 JPEG、PNG 或 WebP 图片。" in body
    assert "请重新选择照片" in body
    assert 'value="3号电梯"' in body and "厨房水管漏水" in body
    assert 'enctype="multipart/form-data"' in body
    assert not Complaint.objects.exists() and not Photo.objects.exists()
    assert not any(media.rglob("*.img"))


def test_the_detail_page_adds_photos_and_refuses_the_seventh(client, frontdesk, file_complaint):
    c = file_complaint()
    client.force_login(frontdesk)
    url = reverse("complaints:action", args=[c.pk, "photos"])
    page = client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "添加照片" in page and 'enctype="multipart/form-data"' in page

    response = client.post(url, {"photos-photos": [upload(f"{i}.png") for i in range(5)]})
    assert response.status_code == 302
    response = client.post(url, {"photos-photos": [upload("6.png"), upload("7.png")]})

    body = response.content.decode()
    assert response.status_code == 400
    assert "选择照片：每条记录最多 6 张照片" in body
    assert "请重新选择照片" in body
    assert c.photos.count() == 5


def test_the_detail_page_names_the_bad_file(client, frontdesk, file_complaint):
    c = file_complaint()
    client.force_login(frontdesk)

    response = client.post(
        reverse("complaints:action", args=[c.pk, "photos"]), {"photos-photos": [big_png()]}
    )

    assert response.status_code == 400
    assert "选择照片：“大图.png”有" in response.content.decode()
    assert not c.photos.exists()


def test_residents_cannot_use_the_desk_photo_action(client, owner, file_complaint):
    c = file_complaint()
    client.force_login(owner)

    response = client.post(
        reverse("complaints:action", args=[c.pk, "photos"]), {"photos-photos": [upload()]}
    )

    assert response.status_code == 403


# --- Portal ----------------------------------------------------------------------------


def portal_data(unit, **overrides):
    data = {
        "unit": unit.pk,
        "kind": "report",
        "description": "卫生间天花板渗水",
        "location": "主卫",
        "expectation": "本周内修好",
    }
    data.update(overrides)
    return data


def test_the_owner_files_online_with_photos_and_sees_them_as_links(client, owner, unit):
    client.force_login(owner)
    form = client.get(reverse("complaints:portal-new")).content.decode()
    assert "暂未开放" not in form and 'type="file" name="photos"' in form
    assert 'accept="image/jpeg,image/png,image/webp"' in form and " multiple " in form

    response = client.post(
        reverse("complaints:portal-new"), portal_data(unit, photos=[upload("渗水.png")])
    )

    c = Complaint.objects.get()
    assert response.status_code == 302
    photo = c.photos.get()
    assert photo.uploaded_by == owner and photo.original_name == "渗水.png"
    page = client.get(reverse("complaints:portal-detail", args=[c.pk])).content.decode()
    assert reverse("complaints:photo", args=[photo.pk]) in page and "渗水.png" in page
    assert "<img" not in page


def test_an_invalid_photo_in_the_portal_keeps_the_rest(client, owner, unit):
    client.force_login(owner)

    response = client.post(
        reverse("complaints:portal-new"), portal_data(unit, photos=[text_as_jpg()])
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "照片：“水管.jpg”不是 JPEG、PNG 或 WebP 图片。" in body
    assert "请重新选择照片" in body
    assert 'value="主卫"' in body and "卫生间天花板渗水" in body
    assert not Complaint.objects.exists()


# --- API -------------------------------------------------------------------------------


def test_the_api_adds_a_photo_and_shows_it_on_the_detail_only(api_as, frontdesk, file_complaint):
    c = file_complaint()
    client = api_as(frontdesk)

    response = client.post(f"{URL}{c.pk}/photos/", {"file": upload("现场.png")}, format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    photo = Photo.objects.get()
    assert body == {
        "id": photo.pk,
        "name": "现场.png",
        "size": len(image()),
        "content_type": "image/png",
        "url": f"http://testserver/complaints/photos/{photo.pk}/",
    }
    assert client.get(f"{URL}{c.pk}/").json()["photos"] == [body]
    assert "photos" not in client.get(URL).json()["results"][0]


def test_the_api_refuses_bad_photos_naming_the_field(api_as, frontdesk, file_complaint):
    c = file_complaint()
    client = api_as(frontdesk)
    url = f"{URL}{c.pk}/photos/"

    text = client.post(url, {"file": text_as_jpg()}, format="multipart")
    big = client.post(url, {"file": big_png()}, format="multipart")
    missing = client.post(url, {}, format="multipart")
    for i in range(MAX_PHOTOS_PER_RECORD):
        assert client.post(url, {"file": upload(f"{i}.png")}, format="multipart").status_code == 201
    seventh = client.post(url, {"file": upload("7.png")}, format="multipart")

    for response in (text, big, missing, seventh):
        assert response.status_code == 400 and list(response.json()) == ["file"]
    assert "水管.jpg" in text.json()["file"][0]
    assert "大图.png" in big.json()["file"][0]
    assert c.photos.count() == MAX_PHOTOS_PER_RECORD


def test_the_api_photo_upload_is_scoped_and_staff_only(
    api_as, outsider, owner, frontdesk, file_complaint
):
    c = file_complaint()
    url = f"{URL}{c.pk}/photos/"

    assert api_as(outsider).post(url, {"file": upload()}, format="multipart").status_code == 404
    assert api_as(owner).post(url, {"file": upload()}, format="multipart").status_code == 403
    master = file_complaint()
    complaint_merge(complaint=c, into=master, by=frontdesk)
    merged = api_as(frontdesk).post(url, {"file": upload()}, format="multipart")
    assert merged.status_code == 409
    assert not Photo.objects.exists()


def test_the_owner_sees_their_records_photos_in_the_api(api_as, owner, frontdesk, file_complaint):
    c = file_complaint()
    photo_add(complaint=c, upload=upload("维修后.png"), by=frontdesk)

    body = api_as(owner).get(f"{URL}{c.pk}/").json()

    assert [p["name"] for p in body["photos"]] == ["维修后.png"]


def test_the_api_detail_costs_the_same_queries_with_one_photo_or_six(
    api_as, frontdesk, file_complaint
):
    c = file_complaint()
    client = api_as(frontdesk)
    photo_add(complaint=c, upload=upload(), by=frontdesk)
    client.get(f"{URL}{c.pk}/")  # warm the token and scope caches

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{URL}{c.pk}/").status_code == 200
        return len(ctx.captured_queries)

    one = count_queries()
    for i in range(5):
        photo_add(complaint=c, upload=upload(f"{i}.png"), by=frontdesk)
    assert count_queries() == one

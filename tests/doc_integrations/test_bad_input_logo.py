"""Bad input on the doc integration logo upload (beyond the format, size and dimension checks
of test_doc_integrations_views.py): an empty file, a text field named like the file, a cut
PNG, a body that is not multipart, NUL in the other fields, an unknown doc integration or
logo — 400 with the message beside the field (or 404), no logo stored, nothing audited."""

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from tests.bad_input import NON_ASCII, NUL, assert_nul_refused, error_beside
from tests.doc_integrations.test_doc_integrations_validation import image_bytes
from tests.doc_integrations.test_doc_integrations_views import audit_events, count, make_doc
from webapp.extensions import db
from webapp.models import DocIntegrationLogo

CHOOSE = "Choose an image file to upload."
UNREADABLE = "Invalid image format: not a readable image; PNG, JPEG or GIF."


def url(doc) -> str:
    return f"/doc-integrations/{doc.slug}/logo/"


def a_file(data: bytes, filename: str = "logo.png") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=filename)


@pytest.mark.parametrize(("body", "message"), [
    (lambda: {"data": {"logo": a_file(b"")}}, "Invalid image format: an empty file; PNG, JPEG or GIF."),
    (lambda: {"data": {"logo": a_file(image_bytes()[:40])}}, UNREADABLE),  # a cut PNG's header
    (lambda: {"data": {"logo": a_file(b"GIF89a" + b"\xff" * 64, "logo.gif")}}, UNREADABLE),
    (lambda: {"data": {"logo": "not a file"}}, CHOOSE),
    (lambda: {"data": {"logo": ""}}, CHOOSE),
    (lambda: {"data": image_bytes(), "content_type": "image/png"}, CHOOSE),  # the image as the body
    (lambda: {"data": b"--zz\r\ngarbage", "content_type": "multipart/form-data; boundary=zz"}, CHOOSE),
])
def test_a_bad_upload_is_400_beside_the_field_and_nothing_is_stored(client, login_as, body, message):
    login_as("staff")
    doc = make_doc()
    response = client.post(url(doc), **body())
    assert response.status_code == 400
    assert error_beside(response, "logo") == message
    db.session.expire_all()
    assert count(DocIntegrationLogo) == 0 and audit_events() == []


def test_nul_beside_the_file_is_400_and_nothing_is_stored(client, login_as):
    login_as("staff")
    doc = make_doc()
    response = client.post(url(doc), data={"logo": a_file(image_bytes()), "next": NUL})
    assert_nul_refused(response)
    assert count(DocIntegrationLogo) == 0 and audit_events() == []


def test_a_good_image_under_any_file_name_is_stored(client, login_as):
    """The name the browser sends is not used: NUL or any script in it changes nothing."""
    login_as("staff")
    doc = make_doc()
    for name in (f"{NON_ASCII}.png", "lo\x00go.png", "../../etc/passwd"):
        assert client.post(url(doc), data={"logo": a_file(image_bytes(), name)}).status_code == 302
    assert count(DocIntegrationLogo) == 1


def test_two_files_store_one_logo(client, login_as):
    login_as("staff")
    doc = make_doc()
    files = MultiDict([("logo", a_file(image_bytes())), ("logo", a_file(b"not an image"))])
    assert client.post(url(doc), data=files).status_code == 302
    assert count(DocIntegrationLogo) == 1


@pytest.mark.parametrize("path", [
    "/doc-integrations/no-such-doc/logo/",
    "/doc-integrations/" + "x" * 5000 + "/logo/",
    "/doc-integration-logo/not-a-uuid/",
    "/doc-integration-logo/" + "0" * 32 + "/",
    "/doc-integration-logo/" + "f" * 5000 + "/",
])
def test_an_unknown_doc_integration_or_logo_is_404(client, login_as, path):
    login_as("staff")
    method = client.post if path.endswith("/logo/") else client.get
    kwargs = {"data": {"logo": a_file(image_bytes())}} if method == client.post else {}
    assert method(path, **kwargs).status_code == 404
    assert count(DocIntegrationLogo) == 0

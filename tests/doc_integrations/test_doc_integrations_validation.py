"""The doc-integration validation core (SPEC §7.2): slugs, field rules, publish rule, logos."""

import io
import re

import pytest
from PIL import Image

from tests import factories
from webapp.extensions import db
from webapp.models import DocIntegration, DocIntegrationLogo
from webapp.services.doc_integrations import (
    LogoImage,
    logo_too_large,
    slugify_name,
    validate_doc_integration,
    validate_logo,
)
from webapp.services.errors import ValidationFailed


def image_bytes(width=300, height=300, fmt="PNG", noise=False) -> bytes:
    if noise:
        import os

        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (40, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def valid(**overrides) -> dict:
    return factories.doc_integration_data(**overrides)


def errors_of(data, **kwargs) -> dict:
    with pytest.raises(ValidationFailed) as info:
        validate_doc_integration(data, **kwargs)
    return info.value.field_errors


def make_doc(app, slug="taken", is_draft=True, logo=False) -> DocIntegration:
    doc = DocIntegration(name=slug.title(), slug=slug, author="a", description="d",
                         url="https://x.example", is_draft=is_draft, resources=[])
    if logo:
        doc.logo = DocIntegrationLogo(content_type="image/png", data=image_bytes(), width=300, height=300)
    db.session.add(doc)
    db.session.flush()
    return doc


# ----------------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Tracker", "acme-tracker"),
        ("  Hello,   World!  ", "hello-world"),
        ("Crème brûlée", "creme-brulee"),
        ("a -- b", "a-b"),
        ("_under_score_", "under_score"),
        ("-dash-", "dash"),
        ("Ünïcödé 2", "unicode-2"),
        ("日本語", ""),
        ("!!!", ""),
    ],
)
def test_slugify_name(name, slug):
    assert slugify_name(name) == slug


def test_all_digit_slug_gets_three_random_letters():
    slug = slugify_name("1234")
    assert re.fullmatch(r"1234-[a-z]{3}", slug)
    assert re.fullmatch(r"12-34", slugify_name("12 34"))  # has a hyphen: not all digits


def test_create_returns_cleaned_values_with_slug(app):
    cleaned = validate_doc_integration(valid(name="  Acme  Tracker ", features=["2", 1, 2, "1"],
                                             resources=[{"title": " Docs ", "url": " https://d.example "},
                                                        {"title": "", "url": ""}]))
    assert cleaned == {
        "name": "Acme  Tracker",
        "slug": "acme-tracker",
        "author": "Acme Inc.",
        "description": "Tracks things.",
        "url": "https://acme.example.com",
        "popularity": 10,
        "is_draft": True,
        "resources": [{"title": "Docs", "url": "https://d.example"}],
        "features": [1, 2],
    }


def test_all_digit_name_is_accepted_with_suffix(app):
    cleaned = validate_doc_integration(valid(name="1234"))
    assert re.fullmatch(r"1234-[a-z]{3}", cleaned["slug"])


def test_name_required_and_length(app):
    assert errors_of(valid(name="")) == {"name": ["This field is required."]}
    assert errors_of(valid(name="   ")) == {"name": ["This field is required."]}
    assert errors_of(valid(name="x" * 65)) == {"name": ["Ensure this field has no more than 64 characters."]}
    assert validate_doc_integration(valid(name="x" * 64))["slug"] == "x" * 64


def test_name_without_letters_or_digits(app):
    assert errors_of(valid(name="!!! ???")) == {"name": ["Name must contain at least one letter or digit."]}


def test_generated_slug_too_long(app):
    name = "1" * 62  # the random suffix makes the slug 66 characters long
    message = errors_of(valid(name=name))["name"][0]
    assert re.fullmatch(r"Generated slug '1{62}-[a-z]{3}' is too long, please use a shorter name\.", message)
    # NFKD can make a slug longer than its name: "㎒" becomes "MHz".
    message = errors_of(valid(name="㎒" * 30))["name"][0]
    assert message == f"Generated slug '{'mhz' * 30}' is too long, please use a shorter name."


def test_taken_slug_on_create(app):
    make_doc(app, slug="acme-tracker")
    assert errors_of(valid(name="Acme  TRACKER!")) == {
        "name": ["Name 'Acme  TRACKER!' is already taken, please use another."]
    }


def test_edit_keeps_slug_and_ignores_taken_check(app):
    doc = make_doc(app, slug="acme-tracker")
    cleaned = validate_doc_integration(valid(name="Acme Tracker"), instance=doc)
    assert "slug" not in cleaned
    cleaned = validate_doc_integration(valid(name="Something else"), instance=doc)
    assert "slug" not in cleaned and cleaned["name"] == "Something else"


def test_author_and_description_required(app):
    errors = errors_of(valid(author="", description=" "))
    assert errors == {"author": ["This field is required."], "description": ["This field is required."]}
    assert errors_of(valid(author="a" * 256)) == {"author": ["Ensure this field has no more than 255 characters."]}
    assert validate_doc_integration(valid(description="d" * 10000))["description"] == "d" * 10000


@pytest.mark.parametrize("url", ["", "ftp://x.example", "acme.example.com", "javascript:alert(1)",
                                 "http://", "https:///path", "//acme.example", "http://exa mple.com"])
def test_url_must_be_http_or_https(app, url):
    expected = ["This field is required."] if not url else ["URL must start with http[s]://"]
    assert errors_of(valid(url=url)) == {"url": expected}


def test_url_length_and_good_urls(app):
    assert errors_of(valid(url="https://e.example/" + "a" * 200)) == {
        "url": ["Ensure this field has no more than 200 characters."]
    }
    for url in ("http://acme.example", "HTTPS://Acme.example/path?q=1#x", "https://127.0.0.1:8080/"):
        assert validate_doc_integration(valid(url=url))["url"] == url


@pytest.mark.parametrize("value", [-1, 32768, "abc", "1.5", 1.5, True, "99999999999"])
def test_popularity_bounds(app, value):
    assert errors_of(valid(popularity=value)) == {
        "popularity": ["Popularity must be a whole number from 0 to 32767."]
    }


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (32767, 32767), ("42", 42), (" 7 ", 7),
                                                  (None, None), ("", None), (3.0, 3)])
def test_popularity_accepted(app, value, expected):
    assert validate_doc_integration(valid(popularity=value))["popularity"] == expected


def test_popularity_absent_defaults_to_one_on_create_and_keeps_on_edit(app):
    data = valid()
    del data["popularity"]
    assert validate_doc_integration(data)["popularity"] == 1
    doc = make_doc(app)
    doc.popularity = 77
    assert validate_doc_integration(data, instance=doc)["popularity"] == 77


def test_resource_rows(app):
    with pytest.raises(ValidationFailed) as info:
        validate_doc_integration(valid(resources=[
            {"title": "Good", "url": "https://ok.example"},
            {"title": "", "url": "https://no-title.example"},
            {"title": "", "url": ""},
            {"title": "No url", "url": ""},
            {"title": "Bad url", "url": "ftp://x"},
            {"title": "t" * 256, "url": "https://ok.example"},
            "not a row",
        ]))
    assert info.value.field_errors == {"resources": [
        "Row 2: title is required.",
        "Row 4: url is required.",
        "Row 5: URL must start with http[s]://",
        "Row 6: title must be at most 255 characters.",
        "Row 7: must be an object with a title and a url.",
    ]}
    assert info.value.resource_rows == {
        1: {"title": ["title is required."]},
        3: {"url": ["url is required."]},
        4: {"url": ["URL must start with http[s]://"]},
        5: {"title": ["title must be at most 255 characters."]},
        6: {"title": ["must be an object with a title and a url."]},
    }


def test_resources_empty_rows_dropped_and_bad_types(app):
    cleaned = validate_doc_integration(valid(resources=[{"title": " ", "url": None}, {}]))
    assert cleaned["resources"] == []
    assert validate_doc_integration(valid(resources=None))["resources"] == []
    assert errors_of(valid(resources="https://x.example")) == {"resources": ["Expected a list of resources."]}


def test_features(app):
    assert validate_doc_integration(valid(features=[12, "0", 0, 12, " 3 "]))["features"] == [0, 3, 12]
    assert validate_doc_integration(valid(features=[]))["features"] == []
    assert errors_of(valid(features=[10, "x", 1, True, 13])) == {
        "features": ["Unknown feature: 10", "Unknown feature: x", "Unknown feature: True",
                     "Unknown feature: 13"]
    }
    assert errors_of(valid(features="1")) == {"features": ["Expected a list of feature ids."]}


def test_non_text_values_are_refused(app):
    assert errors_of(valid(name=5, author=["x"])) == {"name": ["Must be text."], "author": ["Must be text."]}


def test_is_draft(app):
    assert validate_doc_integration(valid())["is_draft"] is True
    assert errors_of(valid(is_draft="no")) == {"is_draft": ["Must be true or false."]}
    doc = make_doc(app, is_draft=False, logo=True)
    assert validate_doc_integration(valid(), instance=doc)["is_draft"] is False  # absent keeps
    assert validate_doc_integration(valid(is_draft=True), instance=doc)["is_draft"] is True


def test_publish_needs_a_logo(app):
    doc = make_doc(app)
    assert errors_of(valid(is_draft=False), instance=doc) == {"avatar": ["A logo is required for publishing."]}
    assert validate_doc_integration(valid(is_draft=False), instance=doc, has_logo=True)["is_draft"] is False
    with_logo = make_doc(app, slug="with-logo", logo=True)
    assert validate_doc_integration(valid(is_draft=False), instance=with_logo)["is_draft"] is False
    # load-data creates published records: allowed with a logo, refused without.
    assert errors_of(valid(is_draft=False)) == {"avatar": ["A logo is required for publishing."]}
    assert validate_doc_integration(valid(is_draft=False), has_logo=True)["is_draft"] is False


def test_all_errors_reported_at_once(app):
    errors = errors_of({"name": "", "url": "x", "popularity": -5, "features": [99],
                        "resources": [{"title": "t"}]})
    assert set(errors) == {"name", "author", "description", "url", "popularity", "features", "resources"}


# ----------------------------------------------------------------------------- logos


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                                    ("GIF", "image/gif")])
def test_valid_logo_formats(fmt, content_type):
    assert validate_logo(image_bytes(256, 1024, fmt)) == LogoImage(content_type, 256, 1024, fmt)


def logo_error(data) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        validate_logo(data)
    return info.value.field_errors["logo"]


def test_text_file_is_not_an_image():
    assert logo_error(b"hello, I am a text file named logo.png\n") == ["Invalid image format."]
    assert logo_error(b"") == ["Invalid image format."]


def test_other_formats_refused():
    assert logo_error(image_bytes(300, 300, "BMP")) == ["Invalid image format."]
    assert logo_error(image_bytes(300, 300, "WEBP")) == ["Invalid image format."]


def test_truncated_png_refused():
    data = image_bytes(300, 300, "PNG", noise=True)
    assert logo_error(data[: len(data) // 2]) == ["Invalid image format."]


@pytest.mark.parametrize(("width", "height"), [(100, 100), (255, 300), (300, 1025), (2000, 2000)])
def test_logo_dimensions(width, height):
    assert logo_error(image_bytes(width, height)) == ["Invalid image dimensions."]


def test_logo_too_large():
    big = image_bytes(1024, 1024, "PNG", noise=True)  # ~3 MB of incompressible pixels
    assert len(big) > 2 * 1024 * 1024
    assert logo_error(big) == ["Image too large"]
    assert logo_error(b"\x89PNG" + b"\0" * (1024 * 1024)) == ["Image too large"]


def test_decompression_bomb_is_refused_not_crashing():
    # A tiny file claiming a huge canvas: Pillow's bomb guard must become a clean error.
    image = Image.new("1", (12000, 12000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 1024 * 1024
    assert logo_error(buffer.getvalue()) == ["Invalid image dimensions."]


@pytest.mark.parametrize(("size", "at_least", "explained"), [
    (int(3.1 * 1024 * 1024), None, "Image too large: 3.1 MB; at most 1 MB."),
    (1024 * 1024 + 1, None, "Image too large: 1,048,577 bytes; at most 1,048,576 bytes (1 MB)."),
    (None, 2 * 1024 * 1024, "Image too large: more than 2 MB; at most 1 MB."),
])
def test_logo_too_large_says_how_large_against_the_limit(size, at_least, explained):
    error = logo_too_large(size, at_least=at_least)
    assert error.explained == explained
    assert error.field_errors == {"logo": ["Image too large"]}  # the API's and load-data's words

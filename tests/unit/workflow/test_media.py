"""Media input values: https URLs and strict base64 data URIs; which inputs count as media."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diagnostics import Severity
from reconciler.workflow.media import MediaKind, check_media_value, guess_media_kind


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com/a.png",
        "HTTPS://example.com/a.png?sig=abc&x=1",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/jpeg;name=x.jpg;base64,/9j/",
        "DATA:IMAGE/PNG;BASE64,AAAA",
    ],
)
def test_accepted_image_values(value: str) -> None:
    assert check_media_value(value, MediaKind.IMAGE) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("http://example.com/a.png", "plain http URL"),
        ("https://", "not a valid https URL"),
        ("https://exa mple.com/a.png", "not a valid https URL"),
        ("https://[::1/a.png", "not a valid URL"),
        ("s3://bucket/a.png", "s3:// scheme"),
        ("data:image/png;base64", "no ','"),
        ("data:;base64,AAAA", "MIME type '(none)'"),
        ("data:image;base64,AAAA", "MIME type 'image'"),
        ("data:image/png;base64,", "empty payload"),
        ("data:image/png;base64,AAAA\nAAAA", "not valid base64"),
        ("data:image/png;base64,AA-_", "not valid base64"),
        (" https://example.com/a.png", "space-padded"),
        ("", "empty"),
    ],
)
def test_rejected_image_values(value: str, text: str) -> None:
    problem = check_media_value(value, MediaKind.IMAGE)
    assert problem is not None and problem.severity is Severity.ERROR
    assert text in problem.message


@pytest.mark.parametrize("value", [None, 3, True, ["https://x.y/a.png"], {"url": "https://x.y"}])
def test_non_strings_are_errors(value: Any) -> None:
    problem = check_media_value(value, MediaKind.VIDEO)
    assert problem is not None and "expected an https URL" in problem.message


def test_data_uri_kind_must_match_the_input() -> None:
    assert check_media_value("data:audio/wav;base64,AAAA", MediaKind.AUDIO) is None
    assert check_media_value("data:audio/wav;base64,AAAA", MediaKind.VIDEO) is not None


def test_file_names_are_fine_when_listed_else_a_warning() -> None:
    assert check_media_value("example.png", MediaKind.IMAGE, known_files=("example.png",)) is None
    problem = check_media_value("mine.png", MediaKind.IMAGE)
    assert problem is not None and problem.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("class_type", "name", "kind"),
    [
        ("LoadImage", "image", MediaKind.IMAGE),
        ("LoadVideo", "file", MediaKind.VIDEO),
        ("VHS_LoadVideo", "video", MediaKind.VIDEO),
        ("LoadAudio", "audio", MediaKind.AUDIO),
        ("LoadImage //Inspire", "image", MediaKind.IMAGE),
        ("LoadMaskFromFile", "mask", MediaKind.IMAGE),
        ("LoadImage", "upload", None),
        ("ImageScale", "image", None),
        ("LoadCheckpoint", "image", None),
    ],
)
def test_guess_media_kind(class_type: str, name: str, kind: MediaKind | None) -> None:
    assert guess_media_kind(class_type, name) is kind

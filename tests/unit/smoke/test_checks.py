"""Every expectation kind, passing and failing, against hand-made run outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.manifest.model import ChannelExpectation, SmokeExpectation
from reconciler.smoke import checks
from reconciler.smoke.report import SmokeStatus
from tests.unit.smoke import samples

PASS, FAIL, ERROR = SmokeStatus.PASS, SmokeStatus.FAIL, SmokeStatus.ERROR


def _item(name: str) -> dict[str, Any]:
    return {"url": f"https://cdn.example/{name}", "filename": name, "type": "output"}


def outcome(
    files: list[bytes] | None = None, *, node: str = "9", channel: str = "images", **kw: Any
) -> checks.RunOutcome:
    files = files if files is not None else [samples.png(512, 512)]
    outputs = {node: {channel: [_item(f"f{i}") for i in range(len(files))]}}
    data = {(node, channel, i): b for i, b in enumerate(files)}
    return checks.RunOutcome(status=kw.pop("status", "succeeded"), outputs=kw.pop("outputs", outputs),
                             files=kw.pop("data", data), **kw)


def expect(node: str = "9", channel: str = "images", **rules: Any) -> SmokeExpectation:
    return SmokeExpectation.model_validate({"outputs": {node: {channel: rules}}})


def find(results: list[Any], name: str) -> Any:
    return next(r for r in results if r.name == name)


def run(e: SmokeExpectation, o: checks.RunOutcome, name: str) -> Any:
    return find(checks.check_all(e, o), name)


def test_status_defaults_to_succeeded() -> None:
    assert run(SmokeExpectation(), outcome(), "status").status is PASS
    failed = run(SmokeExpectation(), outcome(status="failed", errors=("CUDA out of memory",)), "status")
    assert failed.status is FAIL
    assert failed.message == "expected succeeded, run failed: CUDA out of memory"


def test_an_expected_failure_passes_and_an_unexpected_success_fails() -> None:
    e = SmokeExpectation(status="failed")
    assert run(e, outcome(status="failed"), "status").status is PASS
    assert run(e, outcome(), "status").status is FAIL


def test_outputs_of_a_run_that_did_not_succeed_are_not_checked() -> None:
    results = checks.check_all(expect(count=1), outcome(status="failed", outputs={}))
    assert [r.name for r in results] == ["status"]


@pytest.mark.parametrize(
    ("rules", "n", "status", "message"),
    [
        ({"count": 2}, 2, PASS, "2 items (expected exactly 2)"),
        ({"count": 2}, 3, FAIL, "3 items (expected exactly 2)"),
        ({"min_count": 2}, 2, PASS, "2 items (expected at least 2)"),
        ({"min_count": 2}, 1, FAIL, "1 item (expected at least 2)"),
        ({"max_count": 2}, 2, PASS, "2 items (expected between 1 and 2)"),
        ({"max_count": 2}, 3, FAIL, "3 items (expected between 1 and 2)"),
        ({"min_count": 1, "max_count": 1}, 4, FAIL, "4 items (expected between 1 and 1)"),
    ],
)
def test_counts(rules: dict[str, int], n: int, status: SmokeStatus, message: str) -> None:
    result = run(expect(**rules), outcome([samples.png(8, 8)] * n), 'outputs."9".images.count')
    assert (result.status, result.message) == (status, message)


def test_count_zero_accepts_a_node_that_produced_nothing() -> None:
    results = checks.check_all(expect(count=0), outcome(outputs={}))
    assert find(results, 'outputs."9".images.count').status is PASS


FORMAT_CASES = [
    ("png", samples.png(8, 8), samples.jpeg(8, 8)),
    ("jpeg", samples.jpeg(8, 8), samples.png(8, 8)),
    ("webp", samples.webp_vp8(8, 8), samples.gif(8, 8)),
    ("gif", samples.gif(8, 8), samples.webp_vp8l(8, 8)),
    ("mp4", samples.mp4(8, 8), samples.webm()),
    ("webm", samples.webm(), samples.mp4(8, 8)),
]


@pytest.mark.parametrize(("fmt", "good", "bad"), FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_format_from_the_signature(fmt: str, good: bytes, bad: bytes) -> None:
    e = expect(format=fmt)
    assert run(e, outcome([good]), 'outputs."9".images.format').status is PASS
    failed = run(e, outcome([good, bad]), 'outputs."9".images.format')
    assert failed.status is FAIL
    assert failed.message.startswith("item 2 (f1) is ")
    assert failed.message.endswith(f", expected {fmt}")


def test_format_of_unknown_bytes_fails() -> None:
    failed = run(expect(format="png"), outcome([b"<html>not found</html>"]), 'outputs."9".images.format')
    assert (failed.status, failed.message) == (FAIL, "item 1 (f0) is of an unknown format, expected png")


@pytest.mark.parametrize(
    ("rules", "axis", "status", "message"),
    [
        ({"min_width": 640}, "width", PASS, "png 640x480"),
        ({"min_width": 641}, "width", FAIL, "item 1 (f0) width 640 is below the minimum 641"),
        ({"max_width": 640}, "width", PASS, "png 640x480"),
        ({"max_width": 639}, "width", FAIL, "item 1 (f0) width 640 is above the maximum 639"),
        ({"min_height": 480}, "height", PASS, "png 640x480"),
        ({"min_height": 481}, "height", FAIL, "item 1 (f0) height 480 is below the minimum 481"),
        ({"max_height": 480}, "height", PASS, "png 640x480"),
        ({"max_height": 479}, "height", FAIL, "item 1 (f0) height 480 is above the maximum 479"),
    ],
)
def test_size_bounds(rules: dict[str, int], axis: str, status: SmokeStatus, message: str) -> None:
    result = run(expect(**rules), outcome([samples.png(640, 480)]), f'outputs."9".images.{axis}')
    assert (result.status, result.message) == (status, message)


def test_size_of_a_file_without_a_readable_header_fails() -> None:
    result = run(expect(min_width=1), outcome([samples.webm()]), 'outputs."9".images.width')
    assert (result.status, result.message) == (FAIL, "item 1 (f0) has no readable width (webm)")


def test_video_size_comes_from_the_track_header() -> None:
    e = expect(channel="gifs", format="mp4", min_width=1024)
    o = outcome([samples.mp4(1280, 720)], channel="gifs")
    assert run(e, o, 'outputs."9".gifs.width').status is PASS


def test_non_empty_text() -> None:
    e = expect(node="50", channel="text", non_empty=True)
    good = checks.RunOutcome(status="succeeded", outputs={"50": {"text": ["a caption"]}})
    blank = checks.RunOutcome(status="succeeded", outputs={"50": {"text": ["ok", "  \n"]}})
    assert run(e, good, 'outputs."50".text.non_empty').status is PASS
    failed = run(e, blank, 'outputs."50".text.non_empty')
    assert (failed.status, failed.message) == (FAIL, "item 2 is empty")


def test_non_empty_file_output() -> None:
    e = expect(non_empty=True)
    assert run(e, outcome([samples.png(2, 2)]), 'outputs."9".images.non_empty').status is PASS
    assert run(e, outcome([b""]), 'outputs."9".images.non_empty').status is FAIL


def test_a_listed_node_that_produced_nothing_names_what_the_run_produced() -> None:
    o = checks.RunOutcome(
        status="succeeded", outputs={"9": {"images": [_item("a"), _item("b")]}, "50": {"text": ["hi"]}}
    )
    result = run(expect(node="38:42", channel="gifs", format="mp4"), o, 'outputs."38:42".gifs')
    assert result.status is FAIL
    assert result.message == 'node "38:42" produced nothing; the run produced "9" (images: 2), "50" (text: 1)'


def test_a_node_that_produced_another_channel_says_which() -> None:
    result = run(expect(channel="gifs"), outcome(), 'outputs."9".gifs')
    assert (result.status, result.message) == (FAIL, 'node "9" produced no gifs; it produced "9" (images: 1)')


def test_a_run_with_no_outputs_at_all() -> None:
    result = run(expect(), outcome(outputs={}), 'outputs."9".images')
    assert result.message == 'node "9" produced nothing; the run produced nothing'


def test_a_file_that_could_not_be_downloaded_is_an_error_not_a_failure() -> None:
    o = outcome(data={}, download_errors={("9", "images", 0): "GET https://cdn.example/f0: HTTP 404 not found"})
    result = run(expect(format="png"), o, 'outputs."9".images.format')
    assert result.status is ERROR
    assert "could not be read: GET https://cdn.example/f0: HTTP 404" in result.message
    assert checks.verdict(checks.check_all(expect(format="png"), o))[0] is ERROR


def test_max_duration() -> None:
    e = SmokeExpectation(max_duration_seconds=30)
    assert run(e, outcome(duration_seconds=29.5), "max_duration_seconds").status is PASS
    failed = run(e, outcome(duration_seconds=31.0), "max_duration_seconds")
    assert (failed.status, failed.message) == (FAIL, "took 31.0s, more than the limit of 30s")
    assert run(e, outcome(duration_seconds=None), "max_duration_seconds").status is ERROR


def test_needs_bytes_only_for_checks_that_look_inside_files() -> None:
    assert not checks.needs_bytes(ChannelExpectation(count=1))
    assert checks.needs_bytes(ChannelExpectation(format="png"))
    assert checks.needs_bytes(ChannelExpectation(max_height=10))
    assert checks.needs_bytes(ChannelExpectation(non_empty=True))


def test_verdict_prefers_errors_then_failures_and_counts_the_rest() -> None:
    results = checks.check_all(expect(count=2, format="jpeg"), outcome([samples.png(1, 1)]))
    assert checks.verdict(results) == (FAIL, 'outputs."9".images.count: 1 item (expected exactly 2) (and 1 more)')
    assert checks.verdict(checks.check_all(SmokeExpectation(), outcome())) == (PASS, "1 check passed")


def test_an_animated_saver_expected_on_gifs_names_its_images_channel_without_the_flag() -> None:
    """ComfyUI reports SaveAnimatedWEBP under ``images`` with ``animated: [true]``; the flag is not an output."""
    o = checks.RunOutcome(status="succeeded", outputs={"12": {"images": [_item("a.webp")], "animated": [True]}})
    result = run(expect(node="12", channel="gifs"), o, 'outputs."12".gifs')
    assert (result.status, result.message) == (FAIL, 'node "12" produced no gifs; it produced "12" (images: 1)')

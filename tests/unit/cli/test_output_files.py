"""Output files named by the remote: safe, bounded, never overwriting one another (issue 19 §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.runcomfy import wire
from reconciler.session.output_names import MAX_NAME, safe_name, unique_name
from reconciler.session.running import save_outputs


class FakeDownloads:
    """A client whose every download is the URL's own bytes."""

    def download(self, url: str) -> bytes:
        return url.encode()


def _save(outputs: dict[str, Any], folder: Path) -> list[Path]:
    result = wire.RequestResult.model_validate({"status": "succeeded", "outputs": outputs})
    return save_outputs(FakeDownloads(), result, folder)  # type: ignore[arg-type]


def test_three_outputs_with_one_file_name_are_three_files(tmp_path: Path) -> None:
    images = [{"url": f"https://x.test/{i}", "filename": "out.png"} for i in range(3)]
    written = _save({"9": {"images": images[:2]}, "12": {"images": images[2:]}}, tmp_path)
    assert [p.name for p in written] == ["out.png", "out-2.png", "out-3.png"]
    assert [p.read_bytes() for p in written] == [f"https://x.test/{i}".encode() for i in range(3)]


def test_a_file_name_of_5000_characters_is_cut_keeping_its_extension(tmp_path: Path) -> None:
    [written] = _save({"9": {"images": [{"url": "https://x.test/a", "filename": "a" * 5000 + ".png"}]}}, tmp_path)
    assert written.parent == tmp_path and len(written.name) == MAX_NAME and written.name.endswith("a.png")
    assert written.read_bytes() == b"https://x.test/a"


def test_names_never_leave_the_folder_nor_overwrite_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "keep.png").write_bytes(b"mine")
    outputs = {"9": {"images": [{"url": "https://x.test/1", "filename": "../../etc/passwd"},
                                {"url": "https://x.test/2", "filename": "KEEP.png"}]}}
    written = _save(outputs, tmp_path)
    assert [p.name for p in written] == ["_.._etc_passwd", "KEEP-2.png"]
    assert (tmp_path / "keep.png").read_bytes() == b"mine"


def test_unique_name_and_safe_name_edges() -> None:
    assert unique_name("x", {"x", "x-2"}) == "x-3"
    assert safe_name("...") == "output" and safe_name("") == "output"
    assert len(unique_name("b" * MAX_NAME, {"b" * MAX_NAME})) == MAX_NAME

"""Production's static storage: hashed URLs as whitenoise gives them, each worked out once per process
(the manifest does not change under a running process) and again after collectstatic's post-processing;
the gzip and Brotli copies only with STATIC_COMPRESS (the fault tests collect without them)."""

import json

import pytest
from django.core.files.storage import FileSystemStorage

from lms.files.storage import StaticFilesStorage


def test_urls_are_the_manifests_and_kept_until_a_new_manifest(tmp_path):
    storage = StaticFilesStorage(location=str(tmp_path), base_url="/static/")
    storage.hashed_files = {"lms/site.css": "lms/site.0123abcd.css"}
    assert storage.url("lms/site.css") == "/static/lms/site.0123abcd.css"
    storage.hashed_files = {"lms/site.css": "lms/site.4567ef01.css"}
    assert storage.url("lms/site.css") == "/static/lms/site.0123abcd.css"  # kept for the process
    list(storage.post_process({}, dry_run=True))  # collectstatic writes a new manifest: forgotten
    storage.hashed_files = {"lms/site.css": "lms/site.4567ef01.css"}
    assert storage.url("lms/site.css") == "/static/lms/site.4567ef01.css"


CSS = "body { background: url('dot.svg'); }\n" * 200  # large enough for whitenoise to compress
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\n'


def collect(source, target) -> set[str]:
    """What collectstatic does: copy the files, then post-process them; the names written."""
    (source / "site.css").write_text(CSS)
    (source / "dot.svg").write_text(SVG)
    storage = StaticFilesStorage(location=str(target), base_url="/static/")
    found = FileSystemStorage(location=str(source))
    paths = {}
    for name in ("site.css", "dot.svg"):
        with found.open(name) as handle:
            storage.save(name, handle)
        paths[name] = (found, name)
    errors = [
        processed
        for _name, _hashed, processed in storage.post_process(paths)
        if isinstance(processed, Exception)
    ]
    assert errors == []
    manifest = json.loads((target / "staticfiles.json").read_text())
    assert set(manifest["paths"]) == {"site.css", "dot.svg"}
    hashed_css = manifest["paths"]["site.css"]
    assert hashed_css != "site.css" and manifest["paths"]["dot.svg"] in (target / hashed_css).read_text()
    return {path.name for path in target.iterdir()}


@pytest.mark.parametrize("compress", [True, False])
def test_compressed_copies_follow_the_setting(settings, tmp_path, compress):
    settings.STATIC_COMPRESS = compress
    (tmp_path / "source").mkdir()
    written = collect(tmp_path / "source", tmp_path / "collected")
    compressed = {name for name in written if name.endswith((".gz", ".br"))}
    if compress:
        assert any(name.startswith("site.") and name.endswith(".css.gz") for name in compressed), written
        assert any(name.endswith(".css.br") for name in compressed), written
    else:
        assert compressed == set(), written

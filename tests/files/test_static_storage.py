"""Production's static storage: hashed URLs as whitenoise gives them, each worked out once per process
(the manifest does not change under a running process) and again after collectstatic's post-processing."""

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

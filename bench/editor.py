"""The editor's side of the benchmark: a 500-node flow opened in Chromium."""


def editor_render(web_url: str, user) -> dict:
    from django.conf import settings

    if not (settings.EDITOR_DIST_DIR / "index.html").exists():
        return {"skipped": "the editor is not built"}
    return {"skipped": "not measured yet"}

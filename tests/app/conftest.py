"""App tests: Streamlit's AppTest over one ingested sample corpus, users in the same state store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "app" / "streamlit_app.py")


@pytest.fixture(scope="session")
def app_env(tmp_path_factory):
    """A data directory with samples/acme ingested and one user per role (password: 'password-<name>')."""
    from docent.review.users import UserStore
    from docent.settings import load_settings
    from docent.workspace import Workspace

    root = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "samples" / "acme", root / "docs")
    (root / "docs" / "broken scan.pdf").write_bytes(b"%PDF-1.4 not really")
    from docent.devtools.hostile import encoded, page

    (root / "docs" / "receipt.png").write_bytes(encoded(page(["Receipt: two espressos at the Harbour Cafe"]), "PNG"))
    settings = load_settings(data_dir=root / "data", embedding={"backend": "torch", "batch_size": 32})
    ws = Workspace(settings)
    ws.ingest(str(root / "docs"))
    ws.close()
    users = UserStore(settings.state_url)
    for name, role in (("rita", "reviewer"), ("ann", "analyst"), ("ada", "admin"), ("mo", "member")):
        users.add(name, f"password-{name}", role)
    # No random review sampling: a test that expects an answer queued for a reason must not find it queued by chance.
    return {"DOCENT_DATA_DIR": str(root / "data"), "DOCENT_EMBEDDING__BACKEND": "torch", "DOCENT_REVIEW__SAMPLE_RATE": "0",
            "DOCENT_SYNC__SOURCES": f'["{root / "docs"}"]', "state_url": settings.state_url}


@pytest.fixture
def app(app_env, monkeypatch):
    """A fresh AppTest of the app (resources are shared by the process, as in a real server)."""
    from streamlit.testing.v1 import AppTest

    for key, value in app_env.items():
        if key.startswith("DOCENT_"):
            monkeypatch.setenv(key, value)

    def session_for(user: str) -> str:
        from docent.review.sessions import Sessions
        from docent.review.users import UserStore
        from docent.settings import load_settings

        return Sessions.for_settings(load_settings()).open(UserStore(app_env["state_url"]).get(user))

    def make(user: str | None = None) -> AppTest:
        at = AppTest.from_file(ENTRY, default_timeout=120)
        if user:  # a real session, as the sign-in page opens one (AppTest sends no cookies)
            at.session_state["session_token"] = session_for(user)
        return at.run()

    make.session_for = session_for
    return make

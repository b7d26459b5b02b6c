from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from designer_bff.config import ConfigError, Settings


def settings(tmp_path: Path, **kw) -> Settings:
    base = {"data_dir": tmp_path, "database_url": None, "redis_url": None, "jwt_secret": None}
    base.update(kw)
    return Settings(_env_file=None, **base)


def test_embedded_defaults(tmp_path: Path):
    s = settings(tmp_path)
    assert s.sqlalchemy_url == f"sqlite+aiosqlite:///{(tmp_path / 'designer_bff.db').resolve()}"
    assert s.media_root == tmp_path / "media"
    assert s.port == 5000
    assert not s.is_postgres and not s.uses_s3


def test_postgres_urls_are_normalised(tmp_path: Path):
    for raw in ("postgres://u@h/db", "postgresql://u@h/db"):
        assert settings(tmp_path, database_url=raw).sqlalchemy_url == "postgresql+asyncpg://u@h/db"


def test_generated_secret_is_private_and_stable(tmp_path: Path):
    s = settings(tmp_path)
    first = s.resolve_jwt_secret()
    path = tmp_path / "jwt_secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= 32
    assert settings(tmp_path).resolve_jwt_secret() == first  # a restart keeps tokens valid


def test_configured_secret_wins(tmp_path: Path):
    assert settings(tmp_path, jwt_secret="s" * 40).resolve_jwt_secret() == "s" * 40
    assert not (tmp_path / "jwt_secret").exists()


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"database_url": "postgresql://u@h/db"}, "JWT_SECRET"),
        ({"database_url": "postgresql://u@h/db", "jwt_secret": "short"}, "JWT_SECRET"),
        ({"jwt_secret": "x" * 40}, "PostgreSQL"),
    ],
)
def test_production_refuses_weak_configuration(tmp_path: Path, kw, fragment):
    with pytest.raises(ConfigError, match=fragment):
        settings(tmp_path, app_env="production", **kw).check_production()


def test_production_accepts_strong_configuration(tmp_path: Path):
    settings(
        tmp_path, app_env="production", jwt_secret="x" * 40, database_url="postgresql://u@h/db"
    ).check_production()


def test_cors_origins_from_comma_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert settings(tmp_path).cors_origins == ["https://a.example", "https://b.example"]


def test_cors_origins_from_json_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CORS_ORIGINS", '["https://c.example"]')
    assert settings(tmp_path).cors_origins == ["https://c.example"]


def test_env_example_lists_every_setting():
    root = Path(__file__).resolve().parents[2]
    names = {
        line.split("=", 1)[0]
        for line in (root / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - names == set(), "settings missing from .env.example"
    assert names - expected == set(), ".env.example names unknown settings"

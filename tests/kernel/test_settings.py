from pathlib import Path

import pytest

from danvan.kernel.settings import DEMO_SECRET_KEY, Settings, SettingsError


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_database_password_is_masked() -> None:
    settings = make(database_url="postgresql://danvan:s3cret@db:5432/danvan")
    assert "s3cret" not in settings.masked_database_url()
    assert "db:5432/danvan" in settings.masked_database_url()


def test_the_demo_placeholder_key_is_refused_outside_the_demo(tmp_path: Path) -> None:
    settings = make(database_url=f"sqlite:///{tmp_path}/x.db", secret_key=DEMO_SECRET_KEY)
    with pytest.raises(SettingsError):
        settings.resolve_secret_key()


def test_the_demo_uses_its_own_key(tmp_path: Path) -> None:
    settings = make(database_url=f"sqlite:///{tmp_path}/x.db", demo=True)
    assert settings.resolve_secret_key() == DEMO_SECRET_KEY


def test_a_sqlite_deployment_generates_and_keeps_a_private_key(tmp_path: Path) -> None:
    settings = make(database_url=f"sqlite:///{tmp_path}/x.db")
    first = settings.resolve_secret_key()
    assert len(first) >= 32
    assert settings.resolve_secret_key() == first
    key_file = tmp_path / "x.db.secret_key"
    assert key_file.stat().st_mode & 0o077 == 0


def test_postgresql_without_a_key_is_refused() -> None:
    settings = make(database_url="postgresql://u@db/danvan")
    with pytest.raises(SettingsError, match="DANVAN_SECRET_KEY"):
        settings.resolve_secret_key()


def test_a_secret_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "oa_secret"
    secret.write_text("from-a-file-0123456789\n")
    monkeypatch.setenv("DANVAN_ZALO_OA_SECRET_KEY_FILE", str(secret))
    assert make().zalo_oa_secret_key == "from-a-file-0123456789"


def test_the_app_signs_everything_with_the_resolved_key(tmp_path: Path) -> None:
    from danvan.kernel.db import Database
    from danvan.web.app import create_app

    settings = make(database_url=f"sqlite:///{tmp_path}/x.db")
    database = Database(settings.database_url)
    app = create_app(settings, database)
    # The web form signs its tokens with settings.secret_key: never the empty default.
    assert app.state.settings.secret_key == settings.resolve_secret_key()
    assert len(app.state.settings.secret_key) >= 32
    database.dispose()


def test_the_embedded_database_file_stays_var_danvan_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """Existing single-machine deployments keep their data: the default file never moves."""
    monkeypatch.delenv("DANVAN_DATABASE_URL", raising=False)
    url = Settings(_env_file=None).database_url  # type: ignore[call-arg]
    assert url.startswith("sqlite:///")
    assert url.endswith("/var/danvan.db")


def test_outside_the_demo_the_base_url_must_be_set() -> None:
    with pytest.raises(SettingsError, match="DANVAN_BASE_URL"):
        make().require_base_url()
    assert make(demo=True).require_base_url() == "http://127.0.0.1:8000"
    assert make(base_url="https://danvan.example.vn").require_base_url() == (
        "https://danvan.example.vn"
    )
    with pytest.raises(SettingsError, match="https://"):
        make(base_url="danvan.example.vn").require_base_url()


def test_trusted_proxies_are_ips_or_cidrs_from_a_list_or_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert make().trusted_proxies == ["127.0.0.1/32", "::1/128"]
    monkeypatch.setenv("DANVAN_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")
    assert make().trusted_proxies == ["10.0.0.0/8", "192.168.1.5"]
    monkeypatch.setenv("DANVAN_TRUSTED_PROXIES", '["fd00::/8"]')
    assert make().trusted_proxies == ["fd00::/8"]
    monkeypatch.setenv("DANVAN_TRUSTED_PROXIES", "nginx.local")
    with pytest.raises(ValueError, match=r"nginx\.local"):
        make()

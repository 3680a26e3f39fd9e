"""Settings of the REST API's access rules: ATP_API_TOKEN and DASHBOARD_ORIGIN."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from atp.settings import Settings


def test_settings_validate_token_and_origin() -> None:
    def build(**env: str) -> Settings:
        return Settings(_env_file=None, **env)  # type: ignore[call-arg, arg-type]

    assert build(ATP_API_TOKEN="  ").api_token.get_secret_value() == ""
    with pytest.raises(ValidationError, match="at least 16 printable ASCII characters"):
        build(ATP_API_TOKEN="short")
    assert build(DASHBOARD_ORIGIN="http://localhost:3000/").dashboard_origin_list == (
        "http://localhost:3000",
    )
    assert build(DASHBOARD_ORIGIN="").dashboard_origin_list == ()
    for bad in ("localhost:3000", "http://a.example/path", "*"):
        with pytest.raises(ValidationError, match="DASHBOARD_ORIGIN"):
            build(DASHBOARD_ORIGIN=bad)


def test_the_token_is_not_in_the_settings_repr() -> None:
    settings = Settings(_env_file=None, ATP_API_TOKEN="s3cret-token-0123456789")  # type: ignore[call-arg]
    assert settings.api_token.get_secret_value() == "s3cret-token-0123456789"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "s3cret-token" not in text

"""qtui's settings: a TOML file in the XDG config dir, overridden by `QTUI_*` variables.

    QTUI_THEME=qtui-high-contrast            -> theme
    QTUI_QUESTRA_API_KEY=...                 -> questra.api_key
    QTUI_QUALTRICS_BASE_URL=https://...      -> qualtrics.base_url
    QTUI_RELAY_TOKEN=...                     -> relay.token

A section's variables split once after the section name, so `QTUI_QUALTRICS_BASE_URL`
names `qualtrics.base_url`. Errors name the file and the key and suggest the nearest valid
key. Secrets are never printed: `Settings.redacted()` is what `qtui config` would show.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ConfigError(ValueError):
    """A config file or variable qtui cannot use; the message says which and how to fix it."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestraSettings(Section):
    url: str = "https://api.questra.ai"
    api_key: SecretStr | None = None
    org_id: str | None = None


class RelaySettings(Section):
    url: str | None = None
    token: SecretStr | None = None


class QualtricsSettings(Section):
    base_url: str | None = None
    token: SecretStr | None = None
    hook_secret: SecretStr | None = None  # the secret in event-subscription callback URLs


class OktaveSettings(Section):
    secret: SecretStr | None = None  # the account's webhook secret (signs Oktave-Signature)


class UISettings(Section):
    coalesce_ms: int = Field(200, ge=16, le=5000)
    flash_ms: int = Field(1200, ge=0, le=10000)
    min_width: int = Field(60, ge=40)
    min_height: int = Field(15, ge=10)


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "qtui"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qtui"


def config_path() -> Path:
    return Path(os.environ.get("QTUI_CONFIG") or config_dir() / "config.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QTUI_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        validate_default=True,
    )

    theme: str = "qtui-dark"
    keymap: dict[str, str] = Field(default_factory=dict)
    webhook_secret: SecretStr | None = None
    questra: QuestraSettings = Field(default_factory=QuestraSettings)
    relay: RelaySettings = Field(default_factory=RelaySettings)
    qualtrics: QualtricsSettings = Field(default_factory=QualtricsSettings)
    oktave: OktaveSettings = Field(default_factory=OktaveSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with every secret replaced by '***' (or None)."""
        return self.model_dump(mode="json")


def _known_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(_known_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _describe(exc: ValidationError, source: str) -> str:
    err = exc.errors(include_url=False)[0]
    key = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        near = difflib.get_close_matches(key, _known_keys(Settings), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return f"{source}: unknown key '{key}'{hint}"
    return f"{source}: '{key}': {err['msg']}"


def load_settings(**overrides: Any) -> Settings:
    """Read the config file and QTUI_* variables; raise `ConfigError` naming the bad key."""
    path = config_path()
    source = f"{path} or QTUI_* variables" if path.exists() else "QTUI_* variables"
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc

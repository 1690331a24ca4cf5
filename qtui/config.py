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
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from qtui.text import one_line


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


MAX_CONFIG_BYTES = 1_000_000  # a config is a few lines; anything this big is not one
MAX_CONFIG_DEPTH = 8  # the deepest valid key is two tables down


def _depth(value: Any, limit: int) -> int:
    """How deeply tables and arrays nest in `value` (counting stops past `limit`)."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML at `path` as a dict; `ConfigError` saying what is wrong and how to fix it."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; point QTUI_CONFIG at a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than 1 MB, so not a qtui config; check the path")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {one_line(str(exc))}") from None
    except RecursionError:
        raise ConfigError(f"{path}: arrays or tables nested too deeply to be a config") from None
    except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
        what = "an integer thousands of digits long" if "digits" in str(exc) else "a value"
        raise ConfigError(f"{path}: {what} qtui cannot read: {one_line(str(exc), 80)}") from None
    if _depth(parsed, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise ConfigError(
            f"{path}: nested more than {MAX_CONFIG_DEPTH} levels deep; "
            "a qtui config is at most a table of tables"
        )
    return parsed


class _ConfigFile(TomlConfigSettingsSource):
    """The TOML config file, read with clear errors (and `QTUI_CONFIG` checked)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        path = config_path()
        named = os.environ.get("QTUI_CONFIG")
        if named and not path.exists():
            raise ConfigError(
                f"QTUI_CONFIG names {one_line(str(path))}, which does not exist; "
                "create it or unset QTUI_CONFIG"
            )
        if named and path.is_dir():
            raise ConfigError(
                f"QTUI_CONFIG names {one_line(str(path))}, a directory; point it at a TOML file"
            )
        super().__init__(settings_cls, toml_file=path)

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        return read_config_file(file_path)


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
        return (init_settings, env_settings, _ConfigFile(settings_cls))

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
    key = one_line(".".join(str(part) for part in err["loc"]), 80)
    if err["type"] == "extra_forbidden":
        near = difflib.get_close_matches(key, _known_keys(Settings), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return f"{source}: unknown key '{key}'{hint}"
    return f"{source}: '{key}': {one_line(err['msg'], 120)}"


def _unreadable_json_variable() -> str | None:
    """The first QTUI_* variable that looks like JSON but does not decode."""
    for name, value in sorted(os.environ.items()):
        if name.upper().startswith("QTUI_") and value.lstrip()[:1] in ("{", "["):
            try:
                json.loads(value)
            except (ValueError, RecursionError):
                return name
    return None


def _env_problem(exc: Exception) -> str:
    """A QTUI_* variable pydantic-settings could not decode, named with how to fix it."""
    found = re.search(r'field "([^"]+)"', str(exc))
    field = found.group(1) if found else ""
    name = next((n for n in os.environ if n.upper() == f"QTUI_{field.upper()}"), None)
    name = name or _unreadable_json_variable() or "a QTUI_* variable"
    if field == "keymap":
        return f"""{name}: not a JSON object; set it like {name}='{{"qtui.pause": "p"}}'"""
    return (
        f"{name}: not a JSON object qtui can read; set one key per variable instead, "
        "e.g. QTUI_UI_COALESCE_MS=100"
    )


def load_settings(**overrides: Any) -> Settings:
    """Read the config file and QTUI_* variables; raise `ConfigError` naming the bad key."""
    path = config_path()
    shown = one_line(str(path))
    source = f"{shown} or QTUI_* variables" if path.is_file() else "QTUI_* variables"
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
    except (SettingsError, RecursionError) as exc:
        raise ConfigError(_env_problem(exc)) from None

"""Builds the Microsoft Teams app package: ``python -m bot.teams_package --out build/teams-app.zip``.

The zip holds ``manifest.json`` (schema 1.16, from ``teams/manifest.template.json``),
``color.png`` (192×192) and ``outline.png`` (32×32, white on transparent),
the icons drawn here with Pillow. Upload it in Teams (Apps → Manage your
apps → Upload an app) after registering the bot in Azure.

Environment:
  MICROSOFT_APP_ID      the Azure bot's app id (required)
  TEAMS_APP_ID          the Teams app's own id (default: MICROSOFT_APP_ID)
  TEAMS_APP_VERSION     default: the template's version
  TEAMS_DEVELOPER_NAME, TEAMS_DEVELOPER_URL, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL
                        the publisher's details; the template's placeholders
                        are used, with a warning, when unset
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw
from bot.paths import ROOT

COLOR_SIZE = 192
OUTLINE_SIZE = 32

_DEVELOPER_FIELDS = (
    ("TEAMS_DEVELOPER_NAME", "name"),
    ("TEAMS_DEVELOPER_URL", "websiteUrl"),
    ("TEAMS_PRIVACY_URL", "privacyUrl"),
    ("TEAMS_TERMS_URL", "termsOfUseUrl"),
)


class PackageError(Exception):
    """The package cannot be built as configured."""


def default_template() -> Path:
    return ROOT / "teams" / "manifest.template.json"


def _guid(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise PackageError(f"{name} is not set: set it to the Azure bot's Microsoft App ID (a GUID).")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PackageError(f"{name} must be a GUID like 00000000-0000-0000-0000-000000000000, not {value!r}.") from None


def build_manifest(template: Mapping[str, Any], env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The manifest for this bot, and warnings about placeholders left in it."""
    manifest: dict[str, Any] = json.loads(json.dumps(template))
    bot_id = _guid(env, "MICROSOFT_APP_ID")
    manifest["id"] = _guid(env, "TEAMS_APP_ID") if env.get("TEAMS_APP_ID", "").strip() else bot_id
    manifest["version"] = env.get("TEAMS_APP_VERSION", "").strip() or manifest["version"]
    manifest["bots"][0]["botId"] = bot_id
    warnings = []
    for variable, field in _DEVELOPER_FIELDS:
        value = env.get(variable, "").strip()
        if value:
            manifest["developer"][field] = value
        else:
            placeholder = manifest["developer"][field]
            warnings.append(f"{variable} is not set: developer.{field} is the placeholder {placeholder!r}")
    return manifest, warnings


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _bubble(draw: ImageDraw.ImageDraw, size: int, fill: str | None, outline: str | None, width: int) -> None:
    """A speech bubble filling the middle of a square icon."""
    margin = size * 0.18
    box = (margin, margin, size - margin, size * 0.68)
    draw.rounded_rectangle(box, radius=size * 0.12, fill=fill, outline=outline, width=width)
    tail = [(size * 0.32, size * 0.66), (size * 0.30, size * 0.84), (size * 0.48, size * 0.66)]
    draw.polygon(tail, fill=fill or outline)


def color_icon(accent: str) -> bytes:
    """192×192: a white bubble on the accent colour (Teams' full-colour icon)."""
    image = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), accent)
    _bubble(ImageDraw.Draw(image), COLOR_SIZE, fill="white", outline=None, width=0)
    return _png(image)


def outline_icon() -> bytes:
    """32×32: a white bubble outline on transparent (Teams requires exactly this)."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (0, 0, 0, 0))
    _bubble(ImageDraw.Draw(image), OUTLINE_SIZE, fill=None, outline="white", width=2)
    return _png(image)


def build_package(out: Path, env: Mapping[str, str], template: Path | None = None) -> list[str]:
    """Writes the zip; returns the warnings."""
    template_path = template or default_template()
    try:
        template_data = json.loads(template_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackageError(f"cannot read the manifest template {template_path}: {error}") from None
    manifest, warnings = build_manifest(template_data, env)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        package.writestr(manifest["icons"]["color"], color_icon(manifest["accentColor"]))
        package.writestr(manifest["icons"]["outline"], outline_icon())
    return warnings


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.teams_package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/teams-app.zip"), help="the zip to write")
    parser.add_argument(
        "--template", type=Path, default=None, help="manifest template (default: teams/manifest.template.json)"
    )
    args = parser.parse_args(argv)
    try:
        warnings = build_package(args.out, os.environ if env is None else env, args.template)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

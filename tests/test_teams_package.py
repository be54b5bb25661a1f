"""The Microsoft Teams app package: python -m bot.teams_package --out build/teams-app.zip."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot.teams_package import main
from bot.paths import ROOT

BOT_ID = "3f1c2d4e-0000-4000-8000-00000000a11d"
ENV = {
    "MICROSOFT_APP_ID": BOT_ID,
    "TEAMS_DEVELOPER_NAME": "Example Safeguarding Children Partnership",
    "TEAMS_DEVELOPER_URL": "https://partnership.example.org/",
    "TEAMS_PRIVACY_URL": "https://partnership.example.org/privacy",
    "TEAMS_TERMS_URL": "https://partnership.example.org/terms",
}


def build(tmp_path: Path, env: dict[str, str]) -> zipfile.ZipFile:
    out = tmp_path / "build" / "teams-app.zip"
    assert main(["--out", str(out)], env=env) == 0
    return zipfile.ZipFile(out)


def test_the_package_holds_a_manifest_and_two_icons(tmp_path: Path) -> None:
    package = build(tmp_path, ENV)
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["manifestVersion"] == "1.16"
    assert manifest["$schema"].endswith("/v1.16/MicrosoftTeams.schema.json")
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["id"] == BOT_ID
    assert sorted(manifest["bots"][0]["scopes"]) == ["personal", "team"]
    assert manifest["developer"] == {
        "name": ENV["TEAMS_DEVELOPER_NAME"],
        "websiteUrl": ENV["TEAMS_DEVELOPER_URL"],
        "privacyUrl": ENV["TEAMS_PRIVACY_URL"],
        "termsOfUseUrl": ENV["TEAMS_TERMS_URL"],
    }
    # Teams' own limits on these fields.
    assert 0 < len(manifest["name"]["short"]) <= 30
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4000
    assert "999" in manifest["description"]["full"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_icons_have_the_sizes_teams_requires(tmp_path: Path) -> None:
    package = build(tmp_path, ENV)
    color = Image.open(io.BytesIO(package.read("color.png")))
    outline = Image.open(io.BytesIO(package.read("outline.png")))
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size) == ("PNG", (32, 32))
    # The outline icon: white on transparent only.
    pixels = outline.convert("RGBA")
    seen = {pixels.getpixel((x, y)) for x in range(32) for y in range(32)}
    assert {p[:3] for p in seen if p[3] > 0} == {(255, 255, 255)}
    assert any(p[3] == 0 for p in seen)


def test_a_separate_teams_app_id_and_version_can_be_given(tmp_path: Path) -> None:
    other = "99999999-8888-4777-8666-555555555555"
    package = build(tmp_path, {**ENV, "TEAMS_APP_ID": other, "TEAMS_APP_VERSION": "1.2.3"})
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["id"] == other
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["version"] == "1.2.3"


def test_placeholders_are_kept_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads(build(tmp_path, {"MICROSOFT_APP_ID": BOT_ID}).read("manifest.json"))
    assert manifest["developer"]["websiteUrl"].startswith("https://")
    assert "TEAMS_PRIVACY_URL is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "MICROSOFT_APP_ID is not set"),
        ({"MICROSOFT_APP_ID": "  "}, "MICROSOFT_APP_ID is not set"),
        ({"MICROSOFT_APP_ID": "not-a-guid"}, "must be a GUID"),
        ({"MICROSOFT_APP_ID": BOT_ID, "TEAMS_APP_ID": "nope"}, "TEAMS_APP_ID must be a GUID"),
    ],
)
def test_a_missing_or_malformed_bot_id_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], env: dict[str, str], message: str
) -> None:
    out = tmp_path / "teams-app.zip"
    assert main(["--out", str(out)], env=env) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_the_command_line_reads_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "teams-app.zip"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "TEAMS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot.teams_package", "--out", str(out)],
        cwd=ROOT, env={**env, **ENV}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["bots"][0]["botId"] == BOT_ID
    missing = subprocess.run(
        [sys.executable, "-m", "bot.teams_package", "--out", str(tmp_path / "x.zip")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert missing.returncode == 2
    assert "MICROSOFT_APP_ID is not set" in missing.stderr

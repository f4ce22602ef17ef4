"""The SAM template's settings for a function whose only writable place is ``/tmp``."""

from __future__ import annotations

import re
from pathlib import Path

from cms.core.config import Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _variables() -> dict[str, str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    block = text.split("        Variables:\n", 1)[1]
    found = re.findall(r"^          ([A-Z_]+): (.+)$", block, flags=re.MULTILINE)
    return {name: value.strip().strip('"') for name, value in found}


def test_backups_go_to_tmp_and_are_pruned() -> None:
    variables = _variables()

    assert variables["BACKUP_DIR"].startswith("/tmp/")
    settings = Settings(backup_retention=variables["BACKUP_RETENTION"])  # type: ignore[arg-type]
    assert 1 <= settings.backup_retention <= 20


def test_the_static_site_is_optional_and_routes_what_the_copy_cannot_answer() -> None:
    from cfnlint.decode import decode

    template, problems = decode(str(TEMPLATE))
    assert not problems and template is not None
    resources = template["Resources"]
    static = ["StaticBucket", "StaticBucketPolicy", "StaticOriginAccess", "StaticRouting"]
    static += ["StaticDistribution", "StaticCachePolicy"]
    assert all(resources[name]["Condition"] == "HasStaticSite" for name in static)

    config = resources["StaticDistribution"]["Properties"]["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "static" and "PUT" in default["AllowedMethods"]
    [routing] = default["FunctionAssociations"]
    assert routing["EventType"] == "viewer-request"
    code = resources["StaticRouting"]["Properties"]["FunctionCode"]
    for rule in ("querystring", "authorization", "x-api-key", "method", "selectRequestOriginById"):
        assert rule in code
    assert {b["PathPattern"]: b["TargetOriginId"] for b in config["CacheBehaviors"]}["/admin*"] == (
        "app"
    )
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    assert "OriginAccessControlId" in origins["static"]

    function = resources["CmsFunction"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["PUBLISH_S3_BUCKET"]["Fn::If"][:2] == [
        "HasStaticSite",
        {"Ref": "StaticBucket"},
    ]
    assert variables["PUBLISH_CLOUDFRONT_DISTRIBUTION_ID"]["Fn::If"][0] == "InvalidatesStaticSite"
    schedule = function["Events"]["RebuildCheck"]["Properties"]["State"]
    assert schedule == "ENABLED"  # the static copy's retries need it (and scheduled publishing)

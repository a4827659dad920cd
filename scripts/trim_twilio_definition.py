"""Trim Twilio's OpenAPI definition of the 2010-04-01 API to the operations Voicecast uses.

The carrier conformance and simulator tests validate what we send to Twilio (and what the
simulator answers) against Twilio's own definition (twilio/twilio-oai, MIT). The full file is
1.8 MB; the tests carry a trimmed copy in `tests/twilio_definition/` so that a fresh clone can
run them. This script makes that copy: `openapi`, `info`, `servers`, `security`, the security
schemes, the operations in `KEPT` (each path whole, less the methods we never send), the tags
those operations name, and every component they reference, followed transitively. Keys are
sorted and the indentation fixed, so the same source always gives the same bytes; a test
(`tests/carrier/test_twilio_definition.py`) checks the copy against the full definition
whenever `../shared/twilio/` is beside the clone.

Regenerate: `python scripts/trim_twilio_definition.py` (options: `--source`, `--output`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json"
DEFAULT_OUTPUT = REPO_ROOT / "tests" / "twilio_definition" / "twilio_api_v2010.json"
ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
# What voicecast/carrier sends and voicecast/simulator serves (its REST routes), nothing more.
KEPT: dict[str, tuple[str, ...]] = {
    f"{ACCOUNT}/Calls.json": ("get", "post"),
    f"{ACCOUNT}/Calls/{{Sid}}.json": ("get", "post"),
    f"{ACCOUNT}/IncomingPhoneNumbers.json": ("get", "post"),
    f"{ACCOUNT}/IncomingPhoneNumbers/{{Sid}}.json": ("delete", "get", "post"),
    f"{ACCOUNT}/Messages.json": ("get", "post"),
    f"{ACCOUNT}/Messages/{{Sid}}.json": ("get",),
    f"{ACCOUNT}/Recordings/{{Sid}}.json": ("get",),
}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
TOP_LEVEL = ("openapi", "info", "servers", "security")


def references(node: Any) -> Iterator[str]:
    """Every `$ref` value anywhere inside `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def component_of(ref: str) -> tuple[str, str]:
    """`#/components/<section>/<name>[/...]` as (section, name); anything else is refused,
    since the trimmed copy must stand alone."""
    parts = [part.replace("~1", "/").replace("~0", "~") for part in ref.split("/")]
    if len(parts) < 4 or parts[:2] != ["#", "components"]:
        raise ValueError(f"unsupported reference {ref!r}: only #/components/... can be kept")
    return parts[2], parts[3]


def kept_paths(paths: dict[str, Any]) -> dict[str, Any]:
    """The `KEPT` paths, each with its own fields (servers, description, ...) and only the
    methods we use; a missing path or method is an error, not a silent gap."""
    kept = {}
    for path, methods in KEPT.items():
        if path not in paths:
            raise KeyError(f"the definition has no path {path}")
        item = paths[path]
        missing = [method for method in methods if method not in item]
        if missing:
            raise KeyError(f"the definition has no {', '.join(missing)} for {path}")
        kept[path] = {
            key: value for key, value in item.items() if key not in HTTP_METHODS or key in methods
        }
    return kept


def referenced_components(components: dict[str, Any], roots: Any) -> dict[str, Any]:
    """The components `roots` reference, and those they reference in turn."""
    kept: dict[str, dict[str, Any]] = {}
    pending = list(references(roots))
    while pending:
        section, name = component_of(pending.pop())
        if name in kept.get(section, {}):
            continue
        target = components[section][name]
        kept.setdefault(section, {})[name] = target
        pending += references(target)
    return kept


def trim(definition: dict[str, Any]) -> dict[str, Any]:
    """The trimmed definition (see the module's docstring)."""
    paths = kept_paths(definition["paths"])
    components = referenced_components(definition["components"], paths)
    if "securitySchemes" in definition["components"]:
        components["securitySchemes"] = definition["components"]["securitySchemes"]
    used_tags = {tag for item in paths.values() for op in item.values() for tag in _tags(op)}
    trimmed = {key: definition[key] for key in TOP_LEVEL if key in definition}
    trimmed["paths"] = paths
    trimmed["components"] = components
    tags = [tag for tag in definition.get("tags", []) if tag.get("name") in used_tags]
    if tags:
        trimmed["tags"] = tags
    return trimmed


def _tags(operation: Any) -> list[str]:
    return operation.get("tags", []) if isinstance(operation, dict) else []


def render(definition: dict[str, Any]) -> bytes:
    """Stable bytes: sorted keys, two-space indentation, UTF-8, a final newline."""
    text = json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def trimmed_bytes(source: Path) -> bytes:
    """What `source` (Twilio's full definition) trims to, as written to the copy."""
    return render(trim(json.loads(source.read_bytes())))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the full definition")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the trimmed copy")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"no definition at {args.source} (pass --source)")
    content = trimmed_bytes(args.source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(content)
    print(f"{args.output}: {len(content):,} bytes, {len(KEPT)} paths from {args.source}")


if __name__ == "__main__":
    main()

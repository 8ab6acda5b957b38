#!/usr/bin/env python3
"""Prints the ids of the targets that an edit of policy-watch.toml touches.

Usage: changed_targets.py BASE HEAD

BASE and HEAD are two versions of the config file (the pull request's base and
head). Prints, one per line and in HEAD's order, the id of every `[[target]]`
of HEAD that is new or whose table differs from the table with the same id in
BASE. A target that was only removed is not printed: there is nothing left to
validate. When a setting outside the targets changes (`snapshot_dir`, `[http]`,
`[links]`, ...), every target of HEAD is printed, since any of them may fetch
or extract differently now. A BASE that does not exist or does not parse counts
as empty, so every target of HEAD is printed.

Exit status: 0 with the ids printed (possibly none); 2 when HEAD cannot be read
or is not a config this script understands (the binary then gives the exact
error: run `policy-watch targets`).

Only the Python standard library is used (tomllib, Python 3.11+).
"""

import sys
import tomllib


class ConfigError(Exception):
    """HEAD is not a config whose targets can be told apart."""


def load(path, *, missing_ok):
    """The parsed TOML at `path`; an empty table when it is missing and `missing_ok`."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise ConfigError(f"{path}: no such file")
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}")


def targets(config, path):
    """The `[[target]]` tables of a config by id, in file order."""
    tables = config.get("target", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: `target` must be an array of tables: write [[target]], not [target]")
    by_id = {}
    for n, table in enumerate(tables, start=1):
        if not isinstance(table, dict) or not isinstance(table.get("id"), str):
            raise ConfigError(f"{path}: target number {n} has no string `id`")
        by_id[table["id"]] = table
    return by_id


def settings(config):
    """Everything in a config but its targets."""
    return {key: value for key, value in config.items() if key != "target"}


def changed_ids(base, head, base_path="BASE", head_path="HEAD"):
    """Ids of HEAD's targets that differ from BASE, in HEAD's order."""
    head_targets = targets(head, head_path)
    try:
        base_targets = targets(base, base_path)
    except ConfigError:
        base_targets = {}
    if settings(base) != settings(head):
        return list(head_targets)
    return [id for id, table in head_targets.items() if base_targets.get(id) != table]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    base_path, head_path = argv[1], argv[2]
    try:
        head = load(head_path, missing_ok=False)
        try:
            base = load(base_path, missing_ok=True)
        except ConfigError as e:
            print(f"changed_targets: {e}; every target counts as changed", file=sys.stderr)
            base = {}
        ids = changed_ids(base, head, base_path, head_path)
    except ConfigError as e:
        print(f"changed_targets: {e}", file=sys.stderr)
        return 2
    for id in ids:
        print(id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

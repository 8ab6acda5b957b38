#!/usr/bin/env python3
"""Reads the JSON report of `policy-watch check --format json` for the watch workflow.

Usage:
  watch_report.py failed REPORT
      the ids of the targets that failed (fetch failed, page extracted to almost
      nothing, damaged snapshot), one per line: their stored files are uploaded
      for a person to inspect
  watch_report.py summary REPORT [--diff-url URL]
      a short Markdown summary for the run's page ($GITHUB_STEP_SUMMARY): one row
      per target, then what happened to each target with news, with errors and
      findings. URL is the commit that stored the new snapshots: each changed
      target links to its full diff there (snapshots/<id>.md).

Only the Python standard library is used. Unknown fields are ignored and missing
ones have defaults, so that a newer report still reads.
"""

import hashlib
import json
import sys

STATUS_WORDS = {
    "watching": "now watching",
    "changed": "changed",
    "unchanged": "unchanged",
    "failed": "fetch failed",
    "no_snapshot": "no snapshot yet",
}


def load(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    if not isinstance(report, dict) or not isinstance(report.get("targets"), list):
        raise ValueError(f"{path}: not a policy-watch report (no `targets` list)")
    return report


def failed_ids(report):
    return [t["id"] for t in report["targets"] if t.get("status") == "failed" and "id" in t]


def escape(text):
    """Text shown as written in GitHub Markdown: no markup, no HTML."""
    out = []
    for c in str(text):
        if c in "\\*_~`[]|#":
            out.append("\\" + c)
        elif c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == "&":
            out.append("&amp;")
        else:
            out.append(c)
    return "".join(out)


def plural(n, one, many=None):
    return f"{n} {one if n == 1 else (many or one + 's')}"


def headline(t):
    status = t.get("status", "")
    if status == "failed" and t.get("unreachable_alert"):
        parts = ["unreachable"]
    elif status == "changed" and not t.get("changes") and t.get("moved_from"):
        parts = ["moved"]
    else:
        parts = [STATUS_WORDS.get(status, status)]
    if t.get("back"):
        parts.insert(0, "back")
    if t.get("new_findings"):
        parts.append("new findings")
    if t.get("resolved_findings"):
        parts.append("findings resolved")
    if t.get("delivery_error"):
        parts.append("not delivered")
    return ", ".join(parts)


def diff_anchor(commit_url, target_id):
    """GitHub's anchor of one file on a commit page: `#diff-` and the SHA-256 of its path."""
    path = f"snapshots/{target_id}.md"
    return f"{commit_url}#diff-{hashlib.sha256(path.encode()).hexdigest()}"


def summary(report, diff_url=None):
    title = "policy-watch check (dry run)" if report.get("dry_run") else "policy-watch check"
    lines = [f"## {title}", ""]
    lines += ["| Target | Status | Changes | Open findings |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(
            f"| [{escape(t.get('name') or t.get('id', '?'))}]({t.get('url', '')}) | {headline(t)} "
            f"| {len(t.get('changes', []))} | {len(t.get('open_findings', []))} |"
        )
    for t in report["targets"]:
        details = []
        if t.get("moved_from"):
            details.append(f"Now lands on <{t.get('final_url', '?')}> (was <{t['moved_from']}>).")
        if t.get("error"):
            runs = t.get("consecutive_failures", 0)
            details.append(
                f"**Fetch failed:** {escape(t['error'])} ({plural(runs, 'failed run')} in a row); "
                "the snapshot was not touched. Its stored files, if any, are in the run's artifact."
            )
        changes = t.get("changes", [])
        if changes:
            if diff_url:
                where = f" — [full diff]({diff_anchor(diff_url, t['id'])})"
            elif report.get("dry_run"):
                where = f" — nothing was stored: `policy-watch diff {t['id']}` shows it in full"
            else:
                where = ""
            details.append(f"{plural(len(changes), 'block')} changed{where}.")
        for f in t.get("new_findings", []):
            details.append(f"⚠️ **new finding:** {escape(f.get('message', ''))}")
        for f in t.get("resolved_findings", []):
            details.append(f"✅ **resolved:** {escape(f.get('message', ''))}")
        if t.get("delivery_error"):
            details.append(
                f"**Notification not delivered:** {escape(t['delivery_error'])} — the snapshot "
                "was kept; the next run sends it again."
            )
        if details:
            lines += ["", f"### {escape(t.get('name') or t.get('id', '?'))} — {headline(t)}", ""]
            lines += [f"- {d}" for d in details]
    return "\n".join(lines) + "\n"


def main(argv):
    args = argv[1:]
    try:
        if len(args) == 2 and args[0] == "failed":
            for id in failed_ids(load(args[1])):
                print(id)
            return 0
        if args[:1] == ["summary"] and len(args) in (2, 4):
            diff_url = None
            if len(args) == 4:
                if args[2] != "--diff-url":
                    raise SystemExit(__doc__)
                diff_url = args[3] or None
            sys.stdout.write(summary(load(args[1]), diff_url))
            return 0
    except (OSError, ValueError) as e:
        print(f"watch_report: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

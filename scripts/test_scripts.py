"""Tests of the workflow helper scripts: python3 -m unittest discover -s scripts -p 'test_*.py'"""

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import changed_targets  # noqa: E402
import watch_report  # noqa: E402

BASE = textwrap.dedent(
    """\
    snapshot_dir = "snapshots"

    [http]
    timeout_secs = 30

    [[target]]
    id = "crossengage-privacy"
    name = "CrossEngage privacy policy"
    url = "https://documentation.crossengage.io/privacy-policy"
    select = ["[data-content-ref-root]", "main"]

    [[target]]
    id = "appcues-privacy"
    name = "Appcues privacy policy"
    url = "https://www.appcues.com/privacy"

    [[target]]
    id = "mixpanel-privacy"
    name = "Mixpanel privacy policy"
    url = "https://mixpanel.com/privacy/"
    """
)


class ChangedTargets(unittest.TestCase):
    def run_script(self, base, head):
        """(exit code, stdout lines, stderr) of the script on two file contents; None: no file."""
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, text in (("base.toml", base), ("head.toml", head)):
                path = os.path.join(d, name)
                if text is not None:
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                paths.append(path)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = changed_targets.main(["changed_targets.py", *paths])
            return code, out.getvalue().splitlines(), err.getvalue()

    def test_an_untouched_config_names_no_target(self):
        edited = BASE.replace('timeout_secs = 30', 'timeout_secs = 30  # a comment only')
        self.assertEqual(self.run_script(BASE, edited), (0, [], ""))

    def test_an_edited_target_is_named_alone(self):
        head = BASE.replace('url = "https://www.appcues.com/privacy"',
                            'url = "https://www.appcues.com/privacy"\nremove = [".cookie"]')
        self.assertEqual(self.run_script(BASE, head), (0, ["appcues-privacy"], ""))

    def test_a_new_target_is_named(self):
        head = BASE + '\n[[target]]\nid = "new-privacy"\nname = "New"\nurl = "https://n.example/"\n'
        self.assertEqual(self.run_script(BASE, head), (0, ["new-privacy"], ""))

    def test_a_removed_target_is_not_named_and_reordering_is_no_change(self):
        tables = BASE.split("[[target]]")
        head = tables[0] + "[[target]]" + tables[3].rstrip() + "\n\n[[target]]" + tables[1]
        self.assertEqual(self.run_script(BASE, head), (0, [], ""))

    def test_a_shared_setting_names_every_target(self):
        head = BASE.replace("timeout_secs = 30", "timeout_secs = 60")
        code, ids, _ = self.run_script(BASE, head)
        self.assertEqual((code, ids), (0, ["crossengage-privacy", "appcues-privacy", "mixpanel-privacy"]))

    def test_a_new_config_file_names_every_target(self):
        code, ids, _ = self.run_script(None, BASE)
        self.assertEqual((code, len(ids)), (0, 3))

    def test_a_base_that_does_not_parse_names_every_target(self):
        code, ids, err = self.run_script("[[target]\n", BASE)
        self.assertEqual((code, len(ids)), (0, 3))
        self.assertIn("every target counts as changed", err)

    def test_a_head_that_does_not_parse_is_trouble(self):
        code, ids, err = self.run_script(BASE, BASE + "\n[http\n")
        self.assertEqual((code, ids), (2, []))
        self.assertIn("not valid TOML", err)

    def test_single_brackets_are_explained(self):
        code, _, err = self.run_script(BASE, 'snapshot_dir = "s"\n[target]\nid = "a"\n')
        self.assertEqual(code, 2)
        self.assertIn("write [[target]]", err)

    def test_the_shipped_config_parses(self):
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with open(os.path.join(repo, "policy-watch.toml"), encoding="utf-8") as f:
            shipped = f.read()
        code, ids, _ = self.run_script(None, shipped)
        self.assertEqual(code, 0)
        self.assertIn("crossengage-privacy", ids)


def target(id, status, **extra):
    return {"id": id, "name": f"{id} <policy>", "url": f"https://{id}.example/", "status": status,
            "blocks": 3, **extra}


REPORT = {
    "generated_at": "2026-05-01T00:00:00Z",
    "command": "check",
    "dry_run": False,
    "targets": [
        target("a", "unchanged"),
        target("b", "failed", error="HTTP 503 after 3 attempts", consecutive_failures=2,
               unreachable_alert=True),
        target("c", "changed", changes=[{"kind": "added", "text": "x"}],
               new_findings=[{"id": "f", "kind": "empty_link", "message": "Empty link *here*"}]),
        target("d", "failed", error="snapshots/d.json is damaged: bad hash", consecutive_failures=1),
    ],
}


class WatchReport(unittest.TestCase):
    def run_script(self, *args, report=REPORT):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "report.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(report if isinstance(report, str) else json.dumps(report))
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = watch_report.main(["watch_report.py", args[0], path, *args[1:]])
            return code, out.getvalue(), err.getvalue()

    def test_failed_lists_failed_and_damaged_targets(self):
        self.assertEqual(self.run_script("failed"), (0, "b\nd\n", ""))

    def test_summary_has_a_row_per_target_and_escapes_page_text(self):
        code, out, _ = self.run_script("summary")
        self.assertEqual(code, 0)
        self.assertIn("| [a &lt;policy&gt;](https://a.example/) | unchanged | 0 | 0 |", out)
        self.assertIn("| unreachable |", out)
        self.assertIn("HTTP 503 after 3 attempts (2 failed runs in a row)", out)
        self.assertIn("(1 failed run in a row)", out)
        self.assertIn("Empty link \\*here\\*", out)
        self.assertNotIn("### a ", out)  # nothing to say about an unchanged target

    def test_summary_links_each_changed_target_to_its_diff(self):
        url = "https://github.com/o/r/commit/0123abc"
        code, out, _ = self.run_script("summary", "--diff-url", url)
        self.assertEqual(code, 0)
        # GitHub anchors a file on a commit page by the SHA-256 of its path.
        anchor = url + "#diff-" + hashlib.sha256(b"snapshots/c.md").hexdigest()
        self.assertIn(f"1 block changed — [full diff]({anchor}).", out)

    def test_a_dry_run_says_how_to_see_the_diff(self):
        code, out, _ = self.run_script("summary", report={**REPORT, "dry_run": True})
        self.assertEqual(code, 0)
        self.assertIn("## policy-watch check (dry run)", out)
        self.assertIn("`policy-watch diff c` shows it in full", out)

    def test_a_report_that_is_not_one_is_trouble(self):
        code, out, err = self.run_script("failed", report="not json")
        self.assertEqual((code, out), (2, ""))
        self.assertIn("watch_report:", err)
        code, _, err = self.run_script("summary", report={"targets": "x"})
        self.assertEqual(code, 2)
        self.assertIn("not a policy-watch report", err)


if __name__ == "__main__":
    unittest.main()

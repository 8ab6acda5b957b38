#!/usr/bin/env bash
# Commits what changed under snapshots/ in one commit whose message names the targets whose
# snapshot changed, and pushes it (scripts/push.sh). Used by the watch job, and — with the
# targets split over shards — by the job that gathers the shards' changes into one commit.
#
# Writes `sha=<commit>` to $GITHUB_OUTPUT when it pushed; exits 0 without a commit when
# nothing changed, 1 when the push failed.
set -euo pipefail

if [ -z "$(git status --porcelain -- snapshots/)" ]; then
  echo "No snapshot changed."
  exit 0
fi
git add -A -- snapshots/
# Target ids from snapshots/<id>.md|.json|.html|.pdf. Every target has an .md,
# so a name without one (alert state, .heartbeat) is not a target.
changed=$(git diff --cached --name-only -- snapshots/ \
  | sed -n -E 's#^snapshots/([^/]+)\.(md|json|html|pdf)$#\1#p' \
  | sort -u \
  | while read -r id; do
      if [ -e "snapshots/$id.md" ] || git cat-file -e "HEAD:snapshots/$id.md" 2>/dev/null; then
        echo "$id"
      fi
    done \
  | paste -s -d, - | sed 's/,/, /g')
if [ -n "$changed" ]; then
  message="snapshots: changed $changed"
else
  message="snapshots: alert state updated"
fi
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git commit --quiet -m "$message" -m "Run: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
echo "Committed: $message"
# Someone may have pushed meanwhile (an `accept` from a reviewer): the
# script rebases onto it and tries again a couple of times.
if scripts/push.sh; then
  echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
  exit 0
fi
echo "::error::could not push the snapshots (is the bot allowed to push to $GITHUB_REF_NAME? See the README, Branch protection)"
exit 1

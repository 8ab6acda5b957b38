#!/usr/bin/env bash
# Pushes the commit the watch or heartbeat job just made to the branch the workflow runs on,
# rebasing onto whatever was pushed meanwhile (an `accept` from a reviewer), up to 3 times.
#
# The checkouts keep no credentials (`persist-credentials: false`), so that the build's
# dependency scripts never see a write token. This step alone holds one, from its
# environment, and writes it nowhere in the work tree:
#   SNAPSHOT_DEPLOY_KEY  a deploy key allowed to push (for a protected branch, see the README,
#                        "Branch protection"); pushed over SSH to github.com, whose host key
#                        is pinned below;
#   GITHUB_TOKEN         otherwise: the workflow's token, handed to git as an HTTP header
#                        through git's environment config (not on a command line, not in
#                        .git/config).
# With neither (a local test), it pushes to `origin` as it is configured.
set -euo pipefail

branch="${GITHUB_REF_NAME:?GITHUB_REF_NAME names the branch to push to}"
remote=origin

if [ -n "${SNAPSHOT_DEPLOY_KEY:-}" ]; then
  dir=$(mktemp -d "${RUNNER_TEMP:-/tmp}/push.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  (umask 077 && printf '%s\n' "$SNAPSHOT_DEPLOY_KEY" > "$dir/key")
  # GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints").
  printf '%s\n' 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' > "$dir/known_hosts"
  export GIT_SSH_COMMAND="ssh -i $dir/key -o IdentitiesOnly=yes -o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes"
  remote="git@github.com:${GITHUB_REPOSITORY:?}.git"
elif [ -n "${GITHUB_TOKEN:-}" ]; then
  basic=$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')
  echo "::add-mask::$basic"
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
  export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi

for attempt in 1 2 3; do
  if git pull --rebase --quiet "$remote" "$branch" && git push --quiet "$remote" "HEAD:$branch"; then
    exit 0
  fi
  git rebase --abort 2>/dev/null || true
  echo "::warning::push failed (attempt $attempt of 3)"
  if [ "$attempt" -lt 3 ]; then
    sleep $((attempt * 10))
  fi
done
exit 1

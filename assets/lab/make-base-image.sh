#!/usr/bin/env bash
# Make the lab's base image (debian:bookworm-slim) locally, for engines that cannot pull from a registry.
set -euo pipefail
tag=${1:-debian:bookworm-slim}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag is already present"; exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
root=$(mktemp -d /tmp/celery-tutor-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm into $root (about 35 s)"
debootstrap --variant=minbase bookworm "$root" >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
rm -f "$root.log"
tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$tag" >/dev/null
echo "made $tag"

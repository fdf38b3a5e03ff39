#!/usr/bin/env bash
# Make the lab's base image (debian:bookworm-slim) locally, for engines that cannot pull from a registry.
#   make-base-image.sh [TAG]        bootstrap Debian and `docker import` it as TAG (debian:bookworm-slim)
#   make-base-image.sh --tar FILE   bootstrap Debian and write its root file system to FILE (the tutor imports it)
set -euo pipefail
tar_file=""
if [ "${1:-}" = "--tar" ]; then
  tar_file=${2:?--tar needs a FILE}
else
  tag=${1:-debian:bookworm-slim}
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag is already present"; exit 0
  fi
fi
if ! command -v debootstrap >/dev/null; then
  echo "installing debootstrap"
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi
root=$(mktemp -d /tmp/celery-tutor-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm into $root (about 35 s)"
debootstrap --variant=minbase bookworm "$root" 2>&1
if [ -n "$tar_file" ]; then
  tar -C "$root" -cf "$tar_file" .
  echo "wrote $tar_file"
else
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' --change 'LABEL celery-tutor.image=base' - "$tag" >/dev/null
  echo "made $tag"
fi

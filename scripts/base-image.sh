#!/usr/bin/env bash
# The Dockerfile's base image, made on this machine from Debian's packages alone (no registry, no Docker
# daemon): a minimal Debian 12 by debootstrap, slimmed the way debian:bookworm-slim is, committed to
# buildah's local storage. Where Docker Hub is reachable, `docker build` uses debian:bookworm-slim itself.
#
#   scripts/base-image.sh [IMAGE]      (default localhost/debian:bookworm-slim; nothing to do when it exists)
set -euo pipefail
image=${1:-localhost/debian:bookworm-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if buildah inspect --type image "$image" >/dev/null 2>&1; then
    echo "base image $image: present"
    exit 0
fi
work=$(mktemp -d /var/tmp/verifier-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "base image $image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }

# What debian:bookworm-slim leaves out: documentation, manuals, translations, package caches.
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
cat >"$root/etc/apt/apt.conf.d/slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
cat >"$root/etc/apt/sources.list" <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
LIST
find "$root/usr/share/doc" -mindepth 2 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash \
    --label org.opencontainers.image.description="Debian 12 minbase, slim, made by debootstrap" "$container"
buildah commit --quiet --rm "$container" "$image" >/dev/null
echo "base image $image: $(buildah images --format '{{.Size}}' "$image")"

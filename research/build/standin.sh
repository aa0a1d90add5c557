#!/bin/sh
# A locally built stand-in for a registry's Debian image: Debian SUITE made from Debian's own
# packages (mmdebstrap, minbase variant, ca-certificates added) as a one-layer OCI archive,
# with the official image's CMD. Not the registry's image: its files and size differ.
#   nice -n 15 sh research/build/standin.sh SUITE OUT.tar [EXTRA-PACKAGES]
# EXTRA-PACKAGES (comma-separated) are installed from the same suite, for an image the
# registry builds on Debian (nodejs for node:12-buster, nginx for nginx:1.14).
set -eu
suite=$1 out=$2 extra=${3:-}
work=$(mktemp -d)
trap 'buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs rm -a >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
include=ca-certificates${extra:+,$extra}
mmdebstrap --variant=minbase --include="$include" "$suite" "$work/rootfs.tar"
b() { buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs "$@"; }
c=$(b from scratch)
b add "$c" "$work/rootfs.tar" /
b config --cmd bash "$c"
b commit -q "$c" standin >/dev/null
rm -f "$out"
b push -q standin "oci-archive:$out:latest"
echo "$suite${extra:+ +$extra}: $(stat -c %s "$work/rootfs.tar") bytes of files, archive $out"

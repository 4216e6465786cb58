#!/usr/bin/env bash
# Builds cordon-probe_1.0_all.deb into OUTDIR with dpkg-deb and prints its path: a tiny
# package (architecture all, no dependencies) for testing that dpkg and apt-get work in
# an instance, from a local file, without a network. What it holds:
#
#   /var/lib/cordon-probe/owned    a file owned by 1000:1000 (mode 0644), so unpacking it
#                                  needs chown to work
#   /var/lib/cordon-probe/shared/  a directory owned by 0:1000 with mode 2775 (set-group-ID)
#   /var/lib/cordon-probe/x        a file owned by root that the postinst gives to 1:1, so
#                                  a maintainer script's chown is seen too
#
# The tree is built as root with chown and packed without --root-owner-group, so the
# owners are in the archive. Exit status: 0 built; 64 usage; 77 not root; 1 dpkg-deb failed.
set -euo pipefail

if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: mkdeb.sh OUTDIR (the directory to write cordon-probe_1.0_all.deb into)" >&2
  exit 64
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "mkdeb.sh: needs root (the package's files are owned by other users)" >&2
  exit 77
fi
outdir=$1
mkdir -p "$outdir"
# Fixed times: the same script builds the same .deb.
export SOURCE_DATE_EPOCH=1735689600

tree=$(mktemp -d "$outdir/.cordon-probe.XXXXXX")
trap 'rm -rf "$tree"' EXIT
chmod 0755 "$tree"

mkdir -p "$tree/DEBIAN" "$tree/var/lib/cordon-probe/shared"
cat >"$tree/DEBIAN/control" <<'CONTROL'
Package: cordon-probe
Version: 1.0
Architecture: all
Maintainer: cordon tests <root@localhost>
Section: misc
Priority: optional
Description: cordon's test package
 Files owned by other users, a set-group-ID directory and a postinst that
 changes an owner: proves that dpkg and maintainer scripts can change
 ownership inside an instance.
CONTROL
cat >"$tree/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  chown 1:1 /var/lib/cordon-probe/x
fi
POSTINST
chmod 0755 "$tree/DEBIAN/postinst"

echo "owned by 1000:1000" >"$tree/var/lib/cordon-probe/owned"
echo "given to 1:1 by the postinst" >"$tree/var/lib/cordon-probe/x"
chmod 0644 "$tree/var/lib/cordon-probe/owned" "$tree/var/lib/cordon-probe/x"
chown 1000:1000 "$tree/var/lib/cordon-probe/owned"
chown 0:1000 "$tree/var/lib/cordon-probe/shared"
chmod 2775 "$tree/var/lib/cordon-probe/shared"
chmod 0755 "$tree/var" "$tree/var/lib" "$tree/var/lib/cordon-probe"

deb="$outdir/cordon-probe_1.0_all.deb"
dpkg-deb --build -Zgzip "$tree" "$deb.tmp" >/dev/null
mv -f "$deb.tmp" "$deb"
echo "$deb"

#!/bin/bash
# One EC2 instance's first boot on this machine (FirstBootIT, docs/aws.md "The first boot, tested").
# Runs as root of a user namespace (unshare --user --map-root-user --mount: root here is the real
# unprivileged user) with a private mount namespace. What an instance has to itself and this machine
# shares gets a private copy: a copy-on-write overlay over /etc and the /usr folders the first boot
# and the package write into, and an empty folder over /var/lib/postgresql and /run/postgresql. The
# test (the cloud-init stand-in) has already put the user data's write_files into the overlays.
# Then the user data's runcmd: /usr/local/sbin/baton-install, unchanged.
set -euo pipefail
R=$FIRSTBOOT_ROOT
overlay() {
  local n=${1//\//_}
  mkdir -p "$R/upper/$n" "$R/overlay-work/$n"
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$R/upper/$n,workdir=$R/overlay-work/$n" "$1"
}
empty() {
  local n=${1//\//_}
  mkdir -p "$R/own/$n"
  mount --bind "$R/own/$n" "$1"
}
# This machine (a container image) has a /usr/sbin/policy-rc.d of its own, which a fresh instance
# lacks and which the namespace could not replace (a file of the real root is not copied up):
# the instance starts with a copy of its own, which the script overwrites and deletes.
if [ -e /usr/sbin/policy-rc.d ]; then
  mkdir -p "$R/upper/_usr_sbin" && cp /usr/sbin/policy-rc.d "$R/upper/_usr_sbin/"
fi
for m in /etc /usr/bin /usr/sbin /usr/share /usr/lib/systemd/system /usr/local/bin /usr/local/sbin /usr/local/lib; do
  overlay "$m"
done
for m in /var/lib/postgresql /run/postgresql; do
  empty "$m"
done
echo "first boot of $FIRSTBOOT_INSTANCE at $(date -u +%FT%TZ)"
exec /usr/local/sbin/baton-install

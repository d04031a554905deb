#!/bin/sh
# Installs the .deb with dpkg into ROOT, a fresh root: an empty dpkg database
# and a merged /usr (Debian 12's layout), plus stand-ins for what the
# systemd and procps packages put on a real system and the unit refers to
# (systemd's targets, /bin/kill), so that `systemd-analyze verify --root`
# can check the unit in there. Needs no root privileges: --force-not-root
# lets dpkg install as the calling user; --force-script-chrootless runs the
# maintainer scripts unchrooted with DPKG_ROOT=ROOT, which they honour
# (deb-systemd-helper too), so the host is never touched. --force-depends:
# ROOT has none of the libraries (the binary runs with the host's).
# Usage: install_into_root.sh DEB ROOT LOG
set -eu
deb=$1 root=$2 log=$3

rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/usr/sbin" \
  "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/sbin "$root/sbin"

cp /usr/lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
cat >"$root/usr/bin/kill" <<'STANDIN'
#!/bin/sh
# Stand-in for procps' kill: systemd-analyze verify only checks ExecReload's
# program is there and executable.
exit 1
STANDIN
chmod 0755 "$root/usr/bin/kill"

dpkg --root="$root" --log="$log" --force-not-root --force-depends --force-script-chrootless \
  -i "$deb"

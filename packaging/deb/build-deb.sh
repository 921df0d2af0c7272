#!/usr/bin/env bash
# Builds the Debian package baton_<version>_all.deb with dpkg-deb. Run by `mvn package` in the cli
# module, after the shaded jar (cli/pom.xml); by hand:
#   bash packaging/deb/build-deb.sh 0.1.0-SNAPSHOT cli/target/baton.jar cli/target
# The package's version is the Maven version with "-" turned into "~" (0.1.0-SNAPSHOT becomes
# 0.1.0~SNAPSHOT, which sorts before 0.1.0): a native package, no Debian revision.
# The systemd units are deploy/systemd/*.service with the package's paths. Without dpkg-deb
# (not a Debian machine) it builds nothing and says so; BATON_DEB_REQUIRED=1 makes that an error.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: build-deb.sh MAVEN_VERSION JAR OUTPUT_DIR" >&2; exit 2; }
maven_version="$1" jar="$2" out="$3"
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/../.." && pwd)"

if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "[WARNING] dpkg-deb not found (package dpkg): no .deb built" >&2
  [ "${BATON_DEB_REQUIRED:-}" = 1 ] && exit 1
  exit 0
fi
[ -f "$jar" ] || { echo "build-deb.sh: $jar not found" >&2; exit 1; }
case "$maven_version" in
  *[!A-Za-z0-9.+~-]* | [!0-9]*) echo "build-deb.sh: cannot make a Debian version of '$maven_version'" >&2; exit 2 ;;
esac
version="${maven_version//-/\~}"

# Reproducible: every date and timestamp comes from SOURCE_DATE_EPOCH when it is set.
epoch="${SOURCE_DATE_EPOCH:-$(date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"

root="$out/deb-root"
rm -rf "$root"
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/baton" "$root/usr/lib/systemd/system" \
  "$root/etc/baton" "$root/usr/share/doc/baton" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"

install -m 0755 "$here/baton" "$root/usr/bin/baton"
install -m 0644 "$jar" "$root/usr/share/baton/baton.jar"
# The fencing watchdog (a perl script): baton-watchdog.service runs it directly, and the agent
# runs this copy too when it is the same as the one in its jar.
install -m 0755 "$top/agent/src/main/resources/dev/baton/agent/watchdog/baton-watchdog.pl" \
  "$root/usr/share/baton/baton-watchdog"
# The agent's JVM options, read by the launcher for `baton agent` (java @FILE).
install -m 0644 "$top/deploy/baton-agent.jvmopts" "$root/usr/share/baton/baton-agent.jvmopts"
# The postinst writes the command line's class-data sharing archive with it (a dynamic archive
# is valid only for the jar at the path it was written for, and for the installed java).
install -d "$root/usr/lib/baton"
install -m 0755 "$top/packaging/cds-archive.sh" "$root/usr/lib/baton/cds-archive"
# deploy/baton.example.yml without bin_dir: the agent finds the installed PostgreSQL, whichever
# major version the Depends brought in.
sed -e 's|^  bin_dir: /usr/lib/postgresql/[0-9]*/bin$|  #bin_dir: /usr/lib/postgresql/16/bin|' \
  "$top/deploy/baton.example.yml" > "$root/etc/baton/baton.example.yml"
grep -q '^  #bin_dir:' "$root/etc/baton/baton.example.yml" \
  || { echo "build-deb.sh: no bin_dir line to comment out in deploy/baton.example.yml" >&2; exit 1; }
chmod 0644 "$root/etc/baton/baton.example.yml"

# The units of deploy/systemd with the package's paths; their install notes point at
# docs/install.md instead of a manual copy.
for unit in baton.service baton-watchdog.service; do
  sed -e '/^# Manual install: install -m 0755 .*baton-watchdog.pl$/,/^#   \/usr\/local\/lib\/baton\/baton-watchdog$/d' \
      -e 's|/usr/local/bin/baton|/usr/bin/baton|g' \
      -e 's|/usr/local/lib/baton/baton.jar|/usr/share/baton/baton.jar|g' \
      -e 's|/usr/local/lib/baton/baton-watchdog|/usr/share/baton/baton-watchdog|g' \
      -e 's|/usr/local/lib/baton/baton-agent.jvmopts|/usr/share/baton/baton-agent.jvmopts|g' \
      -e 's|^Documentation=.*|Documentation=file:///usr/share/doc/baton/install.md|' \
      -e 's|(see deploy/README.md)|(see /usr/share/doc/baton/install.md)|' \
      -e '/^#   install -m 0644 baton.service \/etc\/systemd\/system\/baton.service$/d' \
      -e 's|^#   2\. install -m 0644 baton-watchdog.service /etc/systemd/system/$|#   2. (installed by the package)|' \
      "$top/deploy/systemd/$unit" > "$root/usr/lib/systemd/system/$unit"
  chmod 0644 "$root/usr/lib/systemd/system/$unit"
  if grep -q /usr/local "$root/usr/lib/systemd/system/$unit"; then
    echo "build-deb.sh: $unit still names /usr/local:" >&2
    grep -n /usr/local "$root/usr/lib/systemd/system/$unit" >&2
    exit 1
  fi
done

gzip -9n < "$here/baton.1" > "$root/usr/share/man/man1/baton.1.gz"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/baton"
install -m 0644 "$here/copyright" "$root/usr/share/doc/baton/copyright"
install -m 0644 "$top/docs/install.md" "$root/usr/share/doc/baton/install.md"
install -m 0644 "$top/deploy/README.md" "$root/usr/share/doc/baton/README.deploy.md"
{
  printf 'baton (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Build of Baton %s.\n\n' "$maven_version"
  printf ' -- Baton developers <baton@example.org>  %s\n' "$(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n > "$root/usr/share/doc/baton/changelog.gz"
chmod 0644 "$root/usr/share/doc/baton/changelog.gz" "$root/usr/share/man/man1/baton.1.gz"

installed_size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" "$here/control.in" > "$root/DEBIAN/control"
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"
install -m 0644 "$here/triggers" "$root/DEBIAN/triggers"
for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$epoch" {} +

deb="$out/baton_${version}_all.deb"
rm -f "$out"/baton_*_all.deb
# gzip, not xz: the jar is compressed already; xz gains 4 % and takes minutes.
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "[INFO] Debian package: $deb"

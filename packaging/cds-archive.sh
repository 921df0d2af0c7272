#!/bin/sh
# Writes the class-data sharing (AppCDS) archive of the baton command line for one jar and one JVM
# (issue 19): a training run of the read-only commands (dev.baton.cli.CdsTraining, against a fake
# etcd gateway on 127.0.0.1: no network, etcd or PostgreSQL needed) lists the classes they load
# (-XX:DumpLoadedClassList), and -Xshare:dump writes a static archive of those classes, the JDK's
# included. The launchers (bin/baton, /usr/bin/baton) pass it with -XX:SharedArchiveFile and
# -Xshare:auto, so `baton list` maps the classes it needs already parsed and verified instead of
# loading them from the 77 MB jar.
#
# Static, not dynamic (-XX:ArchiveClassesAtExit): JDK 17 leaves classes of old class-file versions
# out of a dynamic archive, and picocli is Java 5 bytecode (version 49), about 180 classes that
# `baton list` then loaded from the jar; a static archive takes them (docs/performance.md, Footprint).
#
# The archive is valid only for the JVM build that wrote it and for the jar at the same path
# with the same size and modification time, given with -cp (not -jar); the JVM ignores it otherwise
# (the launchers silence the warning). So it is written where it is used: by `mvn package`
# (cli/pom.xml) for cli/target/baton.jar, and by the Debian package's postinst for
# /usr/share/baton/baton.jar and the installed java, again whenever a package installs files under
# /usr/lib/jvm (a dpkg trigger).
#
#   cds-archive.sh JAR ARCHIVE [JAVA]
# JAVA: the java to write it for (default: the first java on PATH, which the launchers run).
# It never fails: when no archive can be made it warns, removes ARCHIVE and exits 0 (the command line
# works without it, only slower). The archive is written to a temporary file, checked with
# -Xshare:on (a JVM that maps a truncated archive can crash) and then renamed into place.
set -u
[ $# -ge 2 ] || { echo "usage: cds-archive.sh JAR ARCHIVE [JAVA]" >&2; exit 2; }
jar="$1" archive="$2" java="${3:-java}"
# The options of the launchers' command-line case (bin/baton, packaging/deb/baton): an archive
# written with other heap or class-pointer settings may not map.
opts="-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=2 -XX:+UseSerialGC -Xss512k -Xmx256m -XX:-UsePerfData"

warn() {
  echo "[WARNING] cds-archive.sh: $*; the baton command line works without it, only slower" >&2
  rm -f "$archive" "$tmp" "$tmp.log" "$tmp.classes"
  exit 0
}

tmp="$archive.tmp.$$"
command -v "$java" >/dev/null 2>&1 || warn "no $java to write $archive for"
[ -f "$jar" ] || warn "$jar not found"
# The path the launchers give: the archive records it.
jar="$(readlink -f "$jar")"
rm -f "$tmp" "$tmp.classes"
# shellcheck disable=SC2086 # opts is a list of options
if ! "$java" $opts -Xshare:auto -XX:DumpLoadedClassList="$tmp.classes" -cp "$jar" dev.baton.cli.CdsTraining \
    >"$tmp.log" 2>&1; then
  sed 's/^/  /' "$tmp.log" >&2
  warn "the training run failed"
fi
[ -s "$tmp.classes" ] || { sed 's/^/  /' "$tmp.log" >&2; warn "$java listed no classes (a JVM without CDS?)"; }
# The dump warns about every class it leaves out (picocli's interfaces that lambdas implement, ...):
# shown only when it fails.
# shellcheck disable=SC2086
if ! "$java" $opts -Xshare:dump -XX:SharedClassListFile="$tmp.classes" -XX:SharedArchiveFile="$tmp" \
    -cp "$jar" >"$tmp.log" 2>&1 || [ ! -s "$tmp" ]; then
  sed 's/^/  /' "$tmp.log" >&2
  warn "$java wrote no archive (a JVM without CDS?)"
fi
rm -f "$tmp.classes"
# shellcheck disable=SC2086
"$java" $opts -Xshare:on -XX:SharedArchiveFile="$tmp" -cp "$jar" dev.baton.cli.Baton --version >"$tmp.log" 2>&1 \
  || { sed 's/^/  /' "$tmp.log" >&2; warn "$java cannot map the archive it wrote"; }
chmod 0644 "$tmp"
mv -f "$tmp" "$archive"
rm -f "$tmp.log"
echo "[INFO] class-data sharing archive: $archive ($(du -k "$archive" | cut -f1) KB, for $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.vm.version = //p'))"

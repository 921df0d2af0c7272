package dev.baton.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.AgentPreflight.Problem;
import dev.baton.agent.AgentPreflight.Scope;
import dev.baton.agent.watchdog.WatchdogDevice;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import dev.baton.config.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's start-time checks, the ones --validate-config runs too, over a fake machine. */
class AgentPreflightTest {

    private static final String BASE = """
            scope: demo
            name: node1
            restapi: {listen: 127.0.0.1:8008}
            etcd3: {host: 127.0.0.1:2379}
            """;
    private static final String PASSWORD = "      superuser: {username: postgres, password: secret}\n";

    /** A machine with everything the agent needs, changed by each test. */
    private static final class FakeHost implements AgentPreflight.Host {
        Optional<String> binaries = Optional.empty();
        WatchdogDevice.Probe watchdog = new WatchdogDevice.Probe(true, null, OptionalInt.empty());
        Set<Path> files = Set.of();
        Set<Path> directories = Set.of();
        Optional<Path> pgbackrest = Optional.of(Path.of("/usr/bin/pgbackrest"));
        Optional<Path> perl = Optional.of(Path.of("/usr/bin/perl"));

        @Override
        public Optional<Path> perl() {
            return perl;
        }

        @Override
        public Optional<Path> onPath(String program) {
            return program.equals("pgbackrest") ? pgbackrest : Optional.empty();
        }

        @Override
        public Optional<String> binariesProblem(Path binDir) {
            return binaries;
        }

        @Override
        public WatchdogDevice.Probe watchdog(Path device) {
            return watchdog;
        }

        @Override
        public boolean exists(Path path) {
            return files.contains(path) || directories.contains(path);
        }

        @Override
        public boolean isDirectory(Path path) {
            return directories.contains(path);
        }
    }

    private static BatonConfig config(String authentication, String postgresExtra, String extra) {
        String yaml = BASE + """
                postgresql:
                  listen: 127.0.0.1:5432
                  data_dir: /srv/pg/data
                  authentication:
                """ + authentication + postgresExtra + extra;
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> "test config: " + r.errors());
        return r.config();
    }

    private static BatonConfig config(String postgresExtra) {
        return config(PASSWORD, postgresExtra, "");
    }

    private static final String BACKUP = "backup:\n  repository: {type: posix, path: /srv/backup}\n";

    @Test
    void withABackupRepositoryPgBackRestMustBeThere() {
        FakeHost host = new FakeHost();
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", BACKUP), host));
        host.pgbackrest = Optional.empty();
        List<Problem> p = AgentPreflight.check(config(PASSWORD, "", BACKUP), host);
        assertEquals(List.of("backup.pgbackrest"), p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.get(0).message().contains("not on the PATH"), p::toString);
        assertEquals(Scope.HOST, p.get(0).scope());
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", ""), host), "no repository, no pgbackrest needed");
        String own = BACKUP + "  pgbackrest: /opt/pgbr/pgbackrest\n";
        p = AgentPreflight.check(config(PASSWORD, "", own), host);
        assertEquals(List.of(new Problem("backup.pgbackrest", "/opt/pgbr/pgbackrest does not exist (install "
                + "pgBackRest, Debian package pgbackrest)", Scope.HOST)), p);
        host.files = Set.of(Path.of("/opt/pgbr/pgbackrest"));
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", own), host));
    }

    @Test
    void withABackupRepositoryTheSocketPathMustFitAUnixSocket() {
        String longDir = "/" + "d".repeat(100);
        String yaml = BASE + "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: " + longDir + "/data\n"
                + "  authentication:\n" + PASSWORD + BACKUP;
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> r.errors().toString());
        List<Problem> p = AgentPreflight.check(r.config(), new FakeHost());
        assertEquals(List.of("postgresql.data_dir"), p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.get(0).message().contains("more than 100"), p::toString);
        p = AgentPreflight.check(config(PASSWORD, "  parameters: {unix_socket_directories: '" + longDir + "'}\n",
                BACKUP), new FakeHost());
        assertEquals(List.of("postgresql.parameters.unix_socket_directories"), p.stream().map(Problem::key).toList(),
                p::toString);
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "  parameters: {unix_socket_directories: "
                + "'/run/pg'}\n", BACKUP), new FakeHost()));
    }

    @Test
    void backupServersCertificateNeedsTheCommonNameItIsAcceptedBy(@TempDir Path dir) throws Exception {
        java.time.Instant now = java.time.Instant.now();
        dev.baton.config.tls.CertificateAuthority ca = dev.baton.config.tls.CertificateAuthority.create("ca",
                java.time.Duration.ofDays(1), now);
        ca.self().write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        ca.issueNode(List.of("n1.example.com"), java.time.Duration.ofDays(1), now)
                .write(dir.resolve("plain.crt"), dir.resolve("plain.key"));
        ca.issue("baton-backup", List.of("n1.example.com"), java.util.EnumSet.allOf(
                dev.baton.config.tls.CertificateAuthority.Usage.class), java.time.Duration.ofDays(1), now)
                .write(dir.resolve("backup.crt"), dir.resolve("backup.key"));
        java.util.function.Function<String, String> server = cert -> BACKUP + "  server: {connect_address: "
                + "'n1.example.com:8432', certfile: " + dir.resolve(cert + ".crt") + ", keyfile: "
                + dir.resolve(cert + ".key") + ", cafile: " + dir.resolve("ca.crt") + "}\n";
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", server.apply("backup")), new FakeHost()));
        List<Problem> p = AgentPreflight.check(config(PASSWORD, "", server.apply("plain")), new FakeHost());
        assertEquals(List.of("backup.server.certfile"), p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.get(0).message().contains("has no CommonName") && p.get(0).message().contains("--cn"),
                p::toString);
        p = AgentPreflight.check(config(PASSWORD, "", server.apply("missing")), new FakeHost());
        assertTrue(p.get(0).message().startsWith("cannot read a certificate from "), p::toString);
    }

    @Test
    void aCompleteConfigurationOnAReadyMachineHasNoProblem() {
        assertEquals(List.of(), AgentPreflight.check(config(""), new FakeHost()));
    }

    @Test
    void aMissingSuperuserPasswordIsAProblemOfTheFile() {
        List<Problem> p = AgentPreflight.check(config("      superuser: {username: postgres}\n", "", ""),
                new FakeHost());
        assertEquals(List.of(new Problem("postgresql.authentication.superuser.password",
                "is required (the agent connects to PostgreSQL over TCP)", Scope.FILE)), p);
    }

    @Test
    void eachCallbackThatCannotBeSplitIsNamed() {
        List<Problem> p = AgentPreflight.check(config("""
                  callbacks:
                    on_start: /bin/echo 'unbalanced
                    on_stop: /bin/echo fine
                    on_role_change: "/bin/echo \\\\"
                """), new FakeHost());
        assertEquals(List.of("postgresql.callbacks.on_start", "postgresql.callbacks.on_role_change"),
                p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.get(0).message().contains("no closing single quote"), p::toString);
        assertTrue(p.stream().allMatch(x -> x.scope() == Scope.FILE));
    }

    @Test
    void prePromoteAndBeforeStopMustSplitLikeCallbacks() {
        List<Problem> p = AgentPreflight.check(config("""
                  pre_promote: /bin/fence 'unbalanced
                  before_stop: "/bin/drain \\\\"
                """), new FakeHost());
        assertEquals(List.of("postgresql.pre_promote", "postgresql.before_stop"),
                p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.stream().allMatch(x -> x.scope() == Scope.FILE));
    }

    @Test
    void useUnixSocketNeedsAnAbsoluteSocketDirectory() {
        List<Problem> p = AgentPreflight.check(config("""
                  use_unix_socket: true
                  parameters: {unix_socket_directories: 'relative/dir'}
                """), new FakeHost());
        assertEquals(List.of("postgresql.parameters.unix_socket_directories"),
                p.stream().map(Problem::key).toList(), p::toString);
        assertTrue(p.get(0).message().contains("use_unix_socket connects to"), p::toString);
    }

    @Test
    void aReplicaMethodCommandThatCannotBeSplitIsNamed() {
        List<Problem> p = AgentPreflight.check(config("""
                  create_replica_methods: [snap, basebackup]
                  snap: {command: "/bin/snap 'unbalanced"}
                """), new FakeHost());
        assertEquals(List.of("postgresql.snap.command"), p.stream().map(Problem::key).toList(), p::toString);
    }

    @Test
    void aRequiredWatchdogWithoutPerlIsAProblemOfThisMachine() {
        FakeHost host = new FakeHost();
        host.perl = Optional.empty();
        List<Problem> p = AgentPreflight.check(config(PASSWORD, "", "watchdog: {mode: required, device: /dev/wd9}\n"),
                host);
        assertEquals(1, p.size(), p::toString);
        assertEquals("watchdog.mode", p.get(0).key());
        assertTrue(p.get(0).message().startsWith("is required, but perl is not on PATH"), p::toString);
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", "watchdog: {mode: automatic}\n"), host),
                "automatic starts without perl (and logs SEVERE)");
    }

    @Test
    void aRequiredWatchdogWithoutAUsableDeviceIsAProblemOfThisMachine() {
        FakeHost host = new FakeHost();
        host.watchdog = new WatchdogDevice.Probe(false, "does not exist", OptionalInt.empty());
        List<Problem> p = AgentPreflight.check(config(PASSWORD, "", "watchdog: {mode: required, device: /dev/wd9}\n"),
                host);
        assertEquals(1, p.size(), p::toString);
        assertEquals("watchdog.mode", p.get(0).key());
        assertEquals(Scope.HOST, p.get(0).scope());
        assertTrue(p.get(0).message().startsWith("is required, but watchdog.device /dev/wd9 does not exist"),
                p::toString);
        // automatic and off start without the device.
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", "watchdog: {mode: automatic}\n"), host));
        assertEquals(List.of(), AgentPreflight.check(config(PASSWORD, "", "watchdog: {mode: off}\n"), host));
    }

    @Test
    void missingBinariesAndADataDirThatIsAFileAreProblemsOfThisMachine() {
        FakeHost host = new FakeHost();
        host.binaries = Optional.of("no executable pg_ctl in /opt/pg/bin");
        host.files = Set.of(Path.of("/srv/pg/data"));
        List<Problem> p = AgentPreflight.check(config(""), host);
        assertEquals(List.of(
                new Problem("postgresql.data_dir", "/srv/pg/data exists and is not a directory", Scope.HOST),
                new Problem("postgresql.bin_dir", "no executable pg_ctl in /opt/pg/bin", Scope.HOST)), p);
        // A data directory that exists, or not yet, is fine.
        host.files = Set.of();
        host.directories = Set.of(Path.of("/srv/pg/data"));
        assertEquals(1, AgentPreflight.check(config(""), host).size());
    }

    @Test
    void theAgentRefusesWithEveryProblemAtOnce() {
        FakeHost host = new FakeHost();
        host.binaries = Optional.of("PostgreSQL server binaries not found");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentPreflight.requireNoProblems(
                config("      superuser: {username: postgres}\n", "  callbacks: {on_stop: \"x 'y\"}\n", ""), host));
        assertEquals("""
                postgresql.authentication.superuser.password: is required (the agent connects to PostgreSQL over TCP)
                postgresql.callbacks.on_stop: no closing single quote in: x 'y
                postgresql.bin_dir: PostgreSQL server binaries not found""", e.getMessage());
    }

    @Test
    void restApiTlsFilesAndCiphersThatCannotBeUsedAreProblems(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("ca", Duration.ofDays(1), Instant.now());
        ca.issueNode(List.of("127.0.0.1"), Duration.ofDays(1), Instant.now()).write(dir.resolve("s.crt"), dir.resolve("s.key"));
        Path otherKey = dir.resolve("other.key");
        ca.issueNode(List.of("127.0.0.1"), Duration.ofDays(1), Instant.now()).write(dir.resolve("o.crt"), otherKey);
        String yaml = BASE.replace("restapi: {listen: 127.0.0.1:8008}", "restapi: {listen: 127.0.0.1:8008, certfile: "
                + dir.resolve("s.crt") + ", keyfile: " + otherKey + ", ciphers: 'HIGH:!aNULL'}") + """
                postgresql:
                  listen: 127.0.0.1:5432
                  data_dir: /srv/pg/data
                  authentication:
                """ + PASSWORD;
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> "test config: " + r.errors());
        List<Problem> p = AgentPreflight.check(r.config(), new FakeHost());
        assertEquals(List.of("restapi.ciphers", "restapi.keyfile"), p.stream().map(Problem::key).toList());
        assertEquals(List.of(Scope.FILE, Scope.HOST), p.stream().map(Problem::scope).toList());
        assertTrue(p.get(1).message().startsWith(otherKey + ": the private key does not belong"), p.get(1).message());
    }

    @Test
    void etcdKeyFilesThatCannotBeReadAreNamedByTheirKey() {
        String yaml = BASE.replace("etcd3: {host: 127.0.0.1:2379}",
                "etcd3: {host: 127.0.0.1:2379, cacert: /nonexistent/etcd-ca.pem}") + """
                postgresql:
                  listen: 127.0.0.1:5432
                  data_dir: /srv/pg/data
                  authentication:
                """ + PASSWORD;
        LoadResult r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), () -> "test config: " + r.errors());
        List<Problem> p = AgentPreflight.check(r.config(), new FakeHost());
        assertEquals(1, p.size(), p::toString);
        assertEquals("etcd3.cacert", p.get(0).key());
        assertTrue(p.get(0).message().contains("/nonexistent/etcd-ca.pem"), p.get(0).message());
    }
}

package dev.baton.config;

import static dev.baton.config.ConfigLoaderTest.MINIMAL;
import static dev.baton.config.ConfigLoaderTest.load;
import static dev.baton.config.ConfigLoaderTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.PostgresConfig.ReplicaMethod;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** backup, bootstrap.method: restore, bootstrap.restore and postgresql.create_replica_methods. */
class BackupSectionTest {
    private static final String POSIX = """
            backup:
              repository: {type: posix, path: /var/lib/baton/backup}
              schedule: {full: "0 3 * * 0", diff: "0 3 * * 1-6"}
              retention_full: 3
              archive_timeout: 30
            """;

    @Test
    void aPosixRepositoryWithASchedule() throws ConfigException {
        BatonConfig c = load(MINIMAL + POSIX).orThrow();
        BackupConfig b = c.backup();
        assertEquals(BackupConfig.RepositoryType.POSIX, b.repository().type());
        assertEquals("/var/lib/baton/backup", b.repository().path());
        assertEquals("0 3 * * 0", b.schedule().full().expression());
        assertEquals("0 3 * * 1-6", b.schedule().diff().expression());
        assertNull(b.schedule().incr());
        assertEquals(3, b.retentionFull());
        assertEquals(30, b.archiveTimeout());
        assertEquals(List.of(ReplicaMethod.BACKUP, ReplicaMethod.BASEBACKUP), c.replicaMethods());
    }

    @Test
    void withoutABackupSectionNothingIsArchivedAndReplicasAreBaseBackups() throws ConfigException {
        BatonConfig c = load(MINIMAL).orThrow();
        assertNull(c.backup());
        assertEquals(List.of(ReplicaMethod.BASEBACKUP), c.replicaMethods());
        assertEquals(BootstrapConfig.Method.INITDB, c.bootstrap().method());
    }

    @Test
    void anS3RepositoryDefaultsToAwsEndpointAndHostStyle() throws ConfigException {
        BackupConfig b = load(MINIMAL + """
                backup:
                  repository: {type: s3, path: /baton/demo, bucket: my-bucket, region: eu-west-1}
                """).orThrow().backup();
        assertEquals("s3.eu-west-1.amazonaws.com", b.repository().endpoint());
        assertEquals("host", b.repository().uriStyle());
        assertTrue(b.repository().verifyTls());
        assertEquals(BackupConfig.DEFAULT_RETENTION_FULL, b.retentionFull());
        assertNull(b.repository().caFile());
        assertEquals(java.nio.file.Path.of("/etc/ssl/private-ca.pem"), load(MINIMAL + """
                backup:
                  repository: {type: s3, path: /p, bucket: my-bucket, region: eu-west-1, ca_file: /etc/ssl/private-ca.pem}
                """).orThrow().backup().repository().caFile());
        assertEquals(BackupConfig.DEFAULT_ARCHIVE_TIMEOUT, b.archiveTimeout());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "repository: {type: nfs, path: /x}                 | backup.repository.type | must be posix or s3, got \"nfs\"",
        "repository: {type: posix}                         | backup.repository.path | is required: a directory",
        "repository: {type: posix, path: relative/dir}     | backup.repository.path | must be an absolute path of letters, digits and ._/+@=:- (no \"..\"), got \"relative/dir\"",
        "repository: {type: posix, path: '/a/../b'}        | backup.repository.path | must be an absolute path of letters, digits and ._/+@=:- (no \"..\"), got \"/a/../b\"",
        "repository: {type: posix, path: '/a b'}           | backup.repository.path | must be an absolute path of letters, digits and ._/+@=:- (no \"..\"), got \"/a b\"",
        "repository: {type: posix, path: /x, bucket: b}    | backup.repository.bucket | is only for an s3 repository (type is posix)",
        "repository: {type: s3, path: /x, region: eu-west-1} | backup.repository.bucket | is required for an s3 repository",
        "repository: {type: s3, path: /x, bucket: B_x, region: eu-west-1} | backup.repository.bucket | must be an S3 bucket name (3-63 characters: a-z 0-9 . -), got \"B_x\"",
        "repository: {type: s3, path: /x, bucket: bb1, region: eu-west-1, endpoint: 'http://h:9'} | backup.repository.endpoint | must be an https endpoint: pgBackRest speaks only TLS to S3",
        "repository: {type: s3, path: /x, bucket: bb1, region: eu-west-1, uri_style: virtual} | backup.repository.uri_style | must be host or path, got \"virtual\"",
        "{repository: {path: /x}, schedule: {full: '0 3 * *'}} | backup.schedule.full | must be a cron expression of five fields (minute hour day-of-month month day-of-week), got 4 fields (in \"0 3 * *\")",
        "repository: {type: s3, path: /x, bucket: bb1, region: eu-west-1, verify_tls: false, ca_file: /ca.pem} | backup.repository.ca_file | is of no use with verify_tls: false; remove one of them",
        "repository: {type: posix, path: /x, ca_file: /ca.pem} | backup.repository.ca_file | is only for an s3 repository (type is posix)",
        "{repository: {path: /x}, retention_full: 0}       | backup.retention_full | must be between 1 and 9999999, got 0",
        "{repository: {path: /x}, archive_timeout: -1}     | backup.archive_timeout | must be a number of seconds >= 0 (0: off), got -1",
        "{repository: {path: /x}, from_replica: true}      | backup.from_replica | " + BackupConfig.FROM_REPLICA_NEEDS_SERVER,
        "{repository: {path: /x}, server: {certfile: /c, keyfile: /k, cafile: /a}} | backup.server.connect_address | is required",
        "{repository: {path: /x}, server: {connect_address: '10.0.0.1:8432', certfile: /c, keyfile: /k, cafile: /a}} | backup.server.connect_address | must be a DNS name and port, e.g. node1.example.com:8432, got \"10.0.0.1:8432\": pgBackRest checks the server's certificate against its DNS names only",
        "{repository: {path: /x}, server: {connect_address: '0.0.0.0:8432', certfile: /c, keyfile: /k, cafile: /a}} | backup.server.connect_address | must be an address other members can connect to, got \"0.0.0.0:8432\"",
        "{repository: {path: /x}, server: {connect_address: 'n1:8432', keyfile: /k, cafile: /a}} | backup.server.certfile | is required: the member's certificate (server and client use, with a CommonName and the connect_address host as a DNS name)",
        "{repository: {path: /x}, server: {connect_address: 'n1:8432', certfile: /c, keyfile: 'k', cafile: /a}} | backup.server.keyfile | must be an absolute path of letters, digits and ._/+@=:-, got \"k\"",
        "{repository: {path: /x}, server: {connect_address: 'n1:8432', certfile: /c, keyfile: /k, cafile: /a, keyfile_password: x}} | backup.server.keyfile_password | is not supported: pgBackRest's TLS server reads only an unencrypted key (keep it readable by the agent's user only)",
        "{repository: {path: /x}, pgbackrest: bin/pgbackrest} | backup.pgbackrest | must be an absolute path, got \"bin/pgbackrest\"",
    })
    void refused(String section, String path, String expected) {
        LoadResult r = load(MINIMAL + "backup: " + (section.startsWith("{") ? section : "{" + section + "}") + "\n");
        assertEquals(expected, message(r, path));
    }

    @Test
    void aServerListensOnEveryInterfaceAtTheConnectPortUnlessTold() throws ConfigException {
        BackupConfig b = load(MINIMAL + """
                backup:
                  repository: {path: /x}
                  from_replica: true
                  server: {connect_address: "node1.example.com:8433", certfile: /tls/n1.crt, keyfile: /tls/n1.key,
                           cafile: /tls/ca.crt}
                """).orThrow().backup();
        assertTrue(b.fromReplica());
        assertEquals(new HostPort("0.0.0.0", 8433), b.server().listen());
        assertEquals(new HostPort("node1.example.com", 8433), b.server().connectAddress());
        assertEquals(java.nio.file.Path.of("/tls/n1.crt"), b.server().tls().certfile());
        assertEquals(java.nio.file.Path.of("/tls/ca.crt"), b.server().tls().cafile());
        BackupConfig.Server s = load(MINIMAL + """
                backup:
                  repository: {path: /x}
                  server: {listen: "127.0.0.1:9000", connect_address: "localhost:9000", certfile: /c, keyfile: /k,
                           cafile: /a}
                """).orThrow().backup().server();
        assertEquals(new HostPort("127.0.0.1", 9000), s.listen());
        assertNull(load(MINIMAL + POSIX).orThrow().backup().server());
    }

    @Test
    void restoreNeedsARepositoryAndTakesOneTarget() throws ConfigException {
        LoadResult r = load(MINIMAL + "bootstrap: {method: restore}\n");
        assertEquals("restore needs a backup repository: add backup.repository", message(r, "bootstrap.method"));

        r = load(MINIMAL + POSIX + """
                bootstrap:
                  method: restore
                  restore: {target_time: "2026-12-03T15:00:00Z", target_lsn: "0/3000060"}
                """);
        assertEquals("give only one of target_time, target_lsn and target", message(r, "bootstrap.restore"));

        r = load(MINIMAL + POSIX + "bootstrap: {method: wal_e}\n");
        assertEquals("must be initdb, restore or the name of a custom bootstrap method (a section bootstrap.<name> "
                + "with a command), got \"wal_e\": there is no section bootstrap.wal_e",
                message(r, "bootstrap.method"));

        r = load(MINIMAL + POSIX + "bootstrap: {method: restore, restore: {target_time: '2026-12-03 15:00:00'}}\n");
        assertEquals("must be an ISO 8601 time with a UTC offset, e.g. \"2026-12-03T15:00:00Z\", got "
                + "\"2026-12-03 15:00:00\"", message(r, "bootstrap.restore.target_time"));

        r = load(MINIMAL + POSIX + "bootstrap: {method: restore, restore: {target_lsn: 'zz'}}\n");
        assertEquals("must be a WAL position such as \"0/3000060\", got \"zz\"", message(r, "bootstrap.restore.target_lsn"));
    }

    @Test
    void restoreTargets() throws ConfigException {
        RestoreConfig latest = load(MINIMAL + POSIX + "bootstrap: {method: restore}\n").orThrow().bootstrap().restore();
        assertTrue(latest.latest());
        assertNull(latest.fromScope());
        assertEquals("latest", latest.describeTarget());

        RestoreConfig time = load(MINIMAL + POSIX + """
                bootstrap:
                  method: restore
                  restore: {from_scope: old, target_time: "2026-12-03 16:00:00.5+01:00"}
                """).orThrow().bootstrap().restore();
        assertEquals("old", time.fromScope());
        assertEquals(Instant.parse("2026-12-03T15:00:00.5Z"), time.targetTime());

        RestoreConfig lsn = load(MINIMAL + POSIX + "bootstrap: {method: restore, restore: {target_lsn: 0/3a}}\n")
                .orThrow().bootstrap().restore();
        assertEquals("0/3A", lsn.targetLsn());
    }

    @Test
    void replicaMethods() throws ConfigException {
        BatonConfig c = load(MINIMAL.replace("data_dir: /var/lib/pg/data}", "data_dir: /d, "
                + "create_replica_methods: [basebackup]}") + POSIX).orThrow();
        assertEquals(List.of(ReplicaMethod.BASEBACKUP), c.replicaMethods());

        LoadResult r = load(MINIMAL.replace("data_dir: /var/lib/pg/data}", "data_dir: /d, "
                + "create_replica_methods: [backup, basebackup]}"));
        assertEquals("backup needs a backup repository: add backup.repository, or remove backup from the list",
                message(r, "postgresql.create_replica_methods"));

        r = load(MINIMAL.replace("data_dir: /var/lib/pg/data}", "data_dir: /d, create_replica_methods: [wal_e]}"));
        assertEquals("must be backup, basebackup or a custom method with its section postgresql.wal_e (holding its "
                + "command), got \"wal_e\"",
                message(r, "postgresql.create_replica_methods[0]"));
    }

    @Test
    void archiveParametersAreBatons() throws ConfigException {
        LoadResult r = load(MINIMAL.replace("data_dir: /var/lib/pg/data}", "data_dir: /d, "
                + "parameters: {archive_command: 'cp %p /x'}}") + POSIX);
        assertEquals("is set by Baton when backup.repository is configured (pgBackRest archiving); remove it",
                message(r, "postgresql.parameters.archive_command"));
    }
}

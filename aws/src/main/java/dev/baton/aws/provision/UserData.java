package dev.baton.aws.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.baton.agent.AgentJvmOptions;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The cloud-init user data of one member, rendered from the template {@code
 * baton-user-data.yaml} (the copy of {@code deploy/cloud-init/baton-user-data.yaml} on the class
 * path) with the systemd unit {@code baton.service} (the copy of {@code
 * deploy/systemd/baton.service}) inside.
 */
public final class UserData {
    /** EC2 refuses user data over 16 KB (before base64). */
    public static final int LIMIT = 16384;
    /** Stands for the instance's address where it is not known before launch; replaced on first boot. */
    public static final String PRIVATE_IP_TOKEN = "__PRIVATE_IP__";
    static final String TEMPLATE = "baton-user-data.yaml";
    static final String SERVICE = "baton.service";
    static final String CONFIG_PATH = "/etc/baton/baton.yml";

    private UserData() {
    }

    /**
     * The passwords of a cluster: PostgreSQL's superuser and replication user, and the REST API's
     * Basic credentials ({@link #RESTAPI_USER}). {@code toString} hides them.
     */
    public record Passwords(String superuser, String replication, String restapi) {
        public Passwords {
            Objects.requireNonNull(superuser, "superuser");
            Objects.requireNonNull(replication, "replication");
            Objects.requireNonNull(restapi, "restapi");
        }

        @Override
        public String toString() {
            return "Passwords[hidden]";
        }
    }

    /** The secrets every member of a cluster shares. {@code toString} hides them. */
    public record Secrets(Passwords passwords, ClusterCa ca) {
        public Secrets {
            Objects.requireNonNull(passwords, "passwords");
            Objects.requireNonNull(ca, "ca");
        }

        @Override
        public String toString() {
            return "Secrets[hidden]";
        }
    }

    /** The REST API's Basic user (restapi.authentication.username). */
    public static final String RESTAPI_USER = "baton";
    static final String CA_CERT_PATH = "/etc/baton/tls/ca.crt";
    static final String CA_KEY_PATH = "/etc/baton/tls/ca.key";

    /**
     * The cluster's CA, PEM text: each instance issues its own node certificate with it on first
     * boot (its address is known only then) and deletes the key from its disk. {@code toString}
     * hides the key.
     */
    public record ClusterCa(String certificate, String key) {
        public ClusterCa {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }

        /** A new CA for {@code cluster}, valid ten years from {@code now}. */
        public static ClusterCa create(String cluster, java.time.Instant now) {
            CertificateAuthority ca = CertificateAuthority.create("Baton cluster " + cluster + " CA",
                    java.time.Duration.ofDays(3650), now);
            return new ClusterCa(Pem.encode(ca.certificate()), Pem.encode(ca.self().key()));
        }

        @Override
        public String toString() {
            return "ClusterCa[key hidden]";
        }
    }

    /**
     * A colocated etcd member: its name, the initial cluster ({@code name=http://ip:2380,...})
     * and the cluster token, all the same on every run.
     */
    public record Etcd(String name, String initialCluster, String token) {
    }

    /**
     * The S3 repository of a cluster's backups: the node YAML's {@code backup} section (archiving
     * on, a weekly full and daily differential backups) and the pgBackRest package.
     *
     * @param path the prefix in the bucket, {@code /NAME}
     */
    public record Backup(String bucket, String region, String path) {
        public Backup {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * The Baton package in the cluster's bucket: the first boot fetches it with the instance
     * role and checks its SHA-256 before installing it.
     *
     * @param deb a Debian package (installed with apt), else a jar
     */
    public record Package(String bucket, String key, String region, String sha256, boolean deb) {
        public Package {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(sha256, "sha256");
        }

        /** The file name of the package. */
        public String file() {
            return key.substring(key.lastIndexOf('/') + 1);
        }
    }

    /** Stands for a secret in baton.yml until the first boot fills it in from SSM: {@code __SUPERUSER_PASSWORD__}. */
    static String token(String name) {
        return "__" + name + "__";
    }

    /**
     * Everything one member's user data says.
     *
     * @param privateIp the member's address, or null when AWS assigns it (then {@link
     *                  #PRIVATE_IP_TOKEN}, replaced on first boot)
     * @param etcd      the colocated etcd member, or null with an external etcd
     * @param backup    the backup repository, or null without backups
     * @param parameterPrefix where the secrets are in SSM Parameter Store ({@code /baton/NAME/}): the
     *                  user data then holds no password and no CA key, only the parameter names, and
     *                  the first boot reads them with the instance role; null puts them in the user
     *                  data (the layout before SSM, kept for callers without an SSM client)
     * @param pkg       the Baton package in the cluster's bucket, or null: {@code batonUrl}
     */
    public record Member(String cluster, String member, String privateIp, List<String> etcdHosts, String region,
                         String targetGroupArn, String vpcCidr, List<String> clientCidrs, Passwords passwords,
                         ClusterCa ca, String batonUrl, String batonSha256, Etcd etcd, Backup backup,
                         String parameterPrefix, Package pkg) {
        public Member {
            etcdHosts = List.copyOf(etcdHosts);
            clientCidrs = List.copyOf(clientCidrs);
        }

        /** A member whose secrets and package travel in the user data (no SSM, no bucket). */
        public Member(String cluster, String member, String privateIp, List<String> etcdHosts, String region,
                      String targetGroupArn, String vpcCidr, List<String> clientCidrs, Passwords passwords,
                      ClusterCa ca, String batonUrl, String batonSha256, Etcd etcd, Backup backup) {
            this(cluster, member, privateIp, etcdHosts, region, targetGroupArn, vpcCidr, clientCidrs, passwords, ca,
                    batonUrl, batonSha256, etcd, backup, null, null);
        }

        /** A member without backups. */
        public Member(String cluster, String member, String privateIp, List<String> etcdHosts, String region,
                      String targetGroupArn, String vpcCidr, List<String> clientCidrs, Passwords passwords,
                      ClusterCa ca, String batonUrl, String batonSha256, Etcd etcd) {
            this(cluster, member, privateIp, etcdHosts, region, targetGroupArn, vpcCidr, clientCidrs, passwords, ca,
                    batonUrl, batonSha256, etcd, null);
        }

        @Override
        public String toString() {
            return "Member[" + member + " of " + cluster + "]";
        }
    }

    /** The user data as text (a {@code #cloud-config} document). */
    public static String render(Member m) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("CLUSTER", m.cluster());
        s.put("MEMBER", m.member());
        s.put("PG_VERSION", ClusterSpec.PG_VERSION);
        s.put("PG_PORT", Integer.toString(ClusterSpec.PG_PORT));
        s.put("RESTAPI_PORT", Integer.toString(ClusterSpec.RESTAPI_PORT));
        s.put("PRIVATE_IP", m.privateIp() == null ? PRIVATE_IP_TOKEN : m.privateIp());
        s.put("VPC_CIDR", m.vpcCidr());
        s.put("REGION", m.region());
        s.put("TARGET_GROUP_ARN", m.targetGroupArn());
        boolean ssm = m.parameterPrefix() != null;
        s.put("SUPERUSER_PASSWORD", ssm ? token("SUPERUSER_PASSWORD") : m.passwords().superuser());
        s.put("REPLICATION_PASSWORD", ssm ? token("REPLICATION_PASSWORD") : m.passwords().replication());
        s.put("RESTAPI_USER", RESTAPI_USER);
        s.put("RESTAPI_PASSWORD", ssm ? token("RESTAPI_PASSWORD") : m.passwords().restapi());
        Map<String, List<String>> b = new LinkedHashMap<>();
        b.put("ETCD_HOSTS", m.etcdHosts().stream().map(h -> "- " + h).toList());
        b.put("CLIENT_HBA", m.clientCidrs().stream().filter(c -> !c.equals(m.vpcCidr()))
                .map(c -> "- hostssl all all " + c + " scram-sha-256").toList());
        b.put("CA_CERT", m.ca().certificate().lines().toList());
        if (ssm) {
            b.put("CA_KEY_FILE", List.of("# The CA's key is not here: the first boot reads it from SSM (" + m.parameterPrefix()
                    + ParameterStore.CA_KEY + ")."));
        } else {
            List<String> key = new ArrayList<>(List.of("- path: " + CA_KEY_PATH, "  permissions: '0600'", "  content: |"));
            m.ca().key().lines().forEach(l -> key.add("    " + l));
            b.put("CA_KEY_FILE", key);
        }
        b.put("BATON_SERVICE", unit());
        b.put("AGENT_JVM_OPTIONS", AgentJvmOptions.options());
        b.put("BATON_FETCH", fetch(m));
        b.put("SECRETS_FETCH", ssm ? secretsFetch(m) : List.of());
        if (m.backup() == null) {
            b.put("BACKUP", List.of());
            b.put("BACKUP_INSTALL", List.of());
        } else {
            b.put("BACKUP", List.of(
                    "# WAL archiving and scheduled backups with pgBackRest to S3 (docs/backup.md). Credentials",
                    "# come from the instance role, which may use only this prefix of the bucket.",
                    "backup:",
                    "  repository:",
                    "    type: s3",
                    "    bucket: " + m.backup().bucket(),
                    "    region: " + m.backup().region(),
                    "    path: " + m.backup().path(),
                    "  schedule:",
                    "    full: \"" + BackupPolicy.FULL_SCHEDULE + "\"",
                    "    diff: \"" + BackupPolicy.DIFF_SCHEDULE + "\""));
            b.put("BACKUP_INSTALL", List.of("apt-get install -y pgbackrest"));
        }
        if (m.etcd() == null) {
            b.put("ETCD_FILES", List.of());
            b.put("ETCD_TLS", List.of("# The etcd given with --etcd, used as it is: to reach it over TLS, add protocol: https",
                    "# and cacert, cert, key here (docs/security.md)."));
            b.put("ETCD_CERTS", List.of());
            b.put("ETCD_INSTALL", List.of());
            b.put("ETCD_START", List.of());
        } else {
            String peer = "https://" + m.privateIp() + ":" + ClusterSpec.ETCD_PEER_PORT;
            String client = "https://" + m.privateIp() + ":" + ClusterSpec.ETCD_CLIENT_PORT;
            b.put("ETCD_FILES", List.of(
                    "# This member's etcd, one of the cluster's own (--colocate-etcd). Written before the",
                    "# package is installed, so that etcd's first start already joins the cluster.",
                    "- path: /etc/default/etcd",
                    "  content: |",
                    "    ETCD_NAME=" + m.etcd().name(),
                    "    ETCD_INITIAL_CLUSTER=" + m.etcd().initialCluster(),
                    "    ETCD_INITIAL_CLUSTER_STATE=new",
                    "    ETCD_INITIAL_CLUSTER_TOKEN=" + m.etcd().token(),
                    "    ETCD_INITIAL_ADVERTISE_PEER_URLS=" + peer,
                    "    ETCD_LISTEN_PEER_URLS=" + peer,
                    "    ETCD_LISTEN_CLIENT_URLS=" + client + ",https://127.0.0.1:" + ClusterSpec.ETCD_CLIENT_PORT,
                    "    ETCD_ADVERTISE_CLIENT_URLS=" + client,
                    "    # TLS with the node's certificate (made on first boot); clients and peers must",
                    "    # present a certificate of the cluster CA.",
                    "    ETCD_CERT_FILE=/etc/etcd/tls/node.crt",
                    "    ETCD_KEY_FILE=/etc/etcd/tls/node.key",
                    "    ETCD_TRUSTED_CA_FILE=/etc/etcd/tls/ca.crt",
                    "    ETCD_CLIENT_CERT_AUTH=true",
                    "    ETCD_PEER_CERT_FILE=/etc/etcd/tls/node.crt",
                    "    ETCD_PEER_KEY_FILE=/etc/etcd/tls/node.key",
                    "    ETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/tls/ca.crt",
                    "    ETCD_PEER_CLIENT_CERT_AUTH=true"));
            b.put("ETCD_TLS", List.of("protocol: https", "cacert: " + CA_CERT_PATH, "cert: /etc/baton/tls/node.crt",
                    "key: /etc/baton/tls/node.key"));
            b.put("ETCD_CERTS", List.of(
                    "# etcd's copy of the node certificate, owned by its user (made here as the package would).",
                    "getent passwd etcd >/dev/null || adduser --system --group --disabled-login --disabled-password \\",
                    "  --home /var/lib/etcd/ etcd",
                    "install -d -o etcd -g etcd -m 0700 /etc/etcd/tls",
                    "install -o etcd -g etcd -m 0644 /etc/baton/tls/ca.crt /etc/baton/tls/node.crt /etc/etcd/tls/",
                    "install -o etcd -g etcd -m 0600 /etc/baton/tls/node.key /etc/etcd/tls/"));
            b.put("ETCD_INSTALL", List.of(
                    "apt-get install -y -o Dpkg::Options::=--force-confold etcd-server \\",
                    "  || apt-get install -y -o Dpkg::Options::=--force-confold etcd"));
            b.put("ETCD_START", List.of("systemctl enable --now etcd"));
        }
        String text = Template.render(resource(TEMPLATE), s, b);
        int size = text.getBytes(StandardCharsets.UTF_8).length;
        if (size > LIMIT) {
            throw new IllegalStateException("the user data of " + m.member() + " is " + size + " bytes, more than the "
                    + LIMIT + " EC2 accepts");
        }
        return text;
    }

    /** How the first boot gets Baton: from the cluster's bucket (checked), or from {@code batonUrl}. */
    static List<String> fetch(Member m) {
        List<String> out = new ArrayList<>();
        if (m.pkg() == null) {
            String url = m.batonUrl() == null ? ClusterSpec.DEFAULT_BATON_URL : m.batonUrl();
            out.add("curl -fsSL --retry 5 -o /usr/local/lib/baton/baton.jar.download '" + url + "'");
            if (m.batonSha256() != null) {
                out.add("echo '" + m.batonSha256().toLowerCase(java.util.Locale.ROOT)
                        + "  /usr/local/lib/baton/baton.jar.download' | sha256sum -c -");
            }
            out.add("mv /usr/local/lib/baton/baton.jar.download /usr/local/lib/baton/baton.jar");
            return out;
        }
        Package p = m.pkg();
        String download = "/var/tmp/" + p.file();
        out.add("# This build's package from the cluster's private bucket, with the instance role; its SHA-256");
        out.add("# is checked before it is installed.");
        out.add("apt-get install -y awscli");
        out.add("aws s3 cp --only-show-errors --region " + p.region() + " 's3://" + p.bucket() + "/" + p.key() + "' '"
                + download + ".download'");
        out.add("echo '" + p.sha256().toLowerCase(java.util.Locale.ROOT) + "  " + download + ".download' | sha256sum -c -");
        out.add("mv '" + download + ".download' '" + download + "'");
        if (p.deb()) {
            out.add("# Installed without starting anything: the agent starts once its configuration is complete.");
            out.add("printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d");
            out.add("apt-get install -y '" + download + "' || { rm -f /usr/sbin/policy-rc.d; exit 1; }");
            out.add("rm -f /usr/sbin/policy-rc.d");
            out.add("ln -sf \"$(ls /usr/share/baton/*.jar | head -n 1)\" /usr/local/lib/baton/baton.jar");
        } else {
            out.add("install -m 0644 '" + download + "' /usr/local/lib/baton/baton.jar");
        }
        return out;
    }

    /**
     * The first boot's read of the secrets from SSM Parameter Store (with the instance role): the
     * CA's key into its file (until the node certificate is made), the passwords into baton.yml
     * in place of their tokens.
     */
    static List<String> secretsFetch(Member m) {
        String prefix = m.parameterPrefix();
        List<String> out = new ArrayList<>();
        out.add("# The cluster's secrets: SecureString parameters under " + prefix + " in SSM Parameter Store,");
        out.add("# read with the instance role (none is in this user data).");
        out.add("param() {");
        out.add("  aws ssm get-parameter --region " + m.region() + " --with-decryption --name \"$1\" \\");
        out.add("    --query Parameter.Value --output text");
        out.add("}");
        out.add("if [ ! -f /etc/baton/tls/node.crt ]; then");
        out.add("  (umask 077; param " + prefix + ParameterStore.CA_KEY + " > " + CA_KEY_PATH + ".download)");
        out.add("  mv " + CA_KEY_PATH + ".download " + CA_KEY_PATH);
        out.add("fi");
        out.add("export SUPERUSER_PASSWORD REPLICATION_PASSWORD RESTAPI_PASSWORD");
        out.add("SUPERUSER_PASSWORD=$(param " + prefix + ParameterStore.SUPERUSER + ")");
        out.add("REPLICATION_PASSWORD=$(param " + prefix + ParameterStore.REPLICATION + ")");
        out.add("RESTAPI_PASSWORD=$(param " + prefix + ParameterStore.RESTAPI + ")");
        out.add("python3 - <<'PY'");
        out.add("import os");
        out.add("path = '" + CONFIG_PATH + "'");
        out.add("text = open(path).read()");
        out.add("for name in ('SUPERUSER_PASSWORD', 'REPLICATION_PASSWORD', 'RESTAPI_PASSWORD'):");
        out.add("    text = text.replace('__' + name + '__', os.environ[name].replace(\"'\", \"''\"))");
        out.add("open(path, 'w').write(text)");
        out.add("PY");
        out.add("unset SUPERUSER_PASSWORD REPLICATION_PASSWORD RESTAPI_PASSWORD");
        return out;
    }

    /**
     * The systemd unit without its comment lines: they explain it to a reader of deploy/, and
     * would take a third of the 16 KB EC2 allows for user data that also carries the CA.
     */
    static List<String> unit() {
        return resource(SERVICE).lines().filter(l -> !l.startsWith("#")).toList();
    }

    /** Base64, as RunInstances wants it (the SDK does not encode it). */
    public static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes user data as RunInstances and DescribeInstanceAttribute carry it. */
    public static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    /** The agent configuration ({@code /etc/baton/baton.yml}) inside rendered user data, as text. */
    public static String agentConfig(String userDataText) {
        JsonNode files = yaml(userDataText).path("write_files");
        for (JsonNode f : files) {
            if (CONFIG_PATH.equals(f.path("path").asText())) {
                return f.path("content").asText();
            }
        }
        throw new IllegalArgumentException("the user data writes no " + CONFIG_PATH);
    }

    /** A file written by the user data ({@code write_files}), or null. */
    public static String file(String userDataText, String path) {
        for (JsonNode f : yaml(userDataText).path("write_files")) {
            if (path.equals(f.path("path").asText())) {
                return f.path("content").asText();
            }
        }
        return null;
    }

    /**
     * The passwords in a member's user data (base64, as DescribeInstanceAttribute returns it):
     * how a later run gives new members the passwords of the existing ones.
     */
    public static Passwords passwords(String base64) {
        JsonNode config = yaml(agentConfig(decode(base64)));
        JsonNode auth = config.path("postgresql").path("authentication");
        String su = auth.path("superuser").path("password").asText(null);
        String repl = auth.path("replication").path("password").asText(null);
        if (su == null || repl == null) {
            throw new IllegalArgumentException("the agent configuration in the user data has no passwords");
        }
        String rest = config.path("restapi").path("authentication").path("password").asText(null);
        if (rest == null) {
            throw new IllegalArgumentException("the agent configuration in the user data has no REST API "
                    + "authentication (made by a Baton without TLS and authentication)");
        }
        return new Passwords(su, repl, rest);
    }

    /** The cluster CA in a member's user data (base64): how a later run gives new members the same CA. */
    public static ClusterCa ca(String base64) {
        String text = decode(base64);
        String cert = file(text, CA_CERT_PATH);
        String key = file(text, CA_KEY_PATH);
        if (cert == null || key == null) {
            throw new IllegalArgumentException("the user data has no cluster CA (made by a Baton without TLS)");
        }
        return new ClusterCa(cert, key);
    }

    /** The etcd initial cluster in a member's user data (base64), or null without a colocated etcd. */
    public static String etcdInitialCluster(String base64) {
        String env = file(decode(base64), "/etc/default/etcd");
        if (env == null) {
            return null;
        }
        for (String line : env.split("\n")) {
            if (line.startsWith("ETCD_INITIAL_CLUSTER=")) {
                return line.substring("ETCD_INITIAL_CLUSTER=".length());
            }
        }
        return null;
    }

    private static JsonNode yaml(String text) {
        try {
            return new YAMLMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not YAML: " + e.getMessage(), e);
        }
    }

    /** The etcd hosts list of the agent configuration. */
    static List<String> etcdHosts(String agentConfigText) {
        List<String> out = new ArrayList<>();
        for (JsonNode h : yaml(agentConfigText).path("etcd3").path("hosts")) {
            out.add(h.asText());
        }
        return out;
    }

    /** A text resource next to this class. */
    static String resource(String name) {
        try (InputStream in = UserData.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.baton.aws.provision;

import dev.baton.aws.provision.ProvisionReport.Status;
import dev.baton.aws.provision.UserData.ClusterCa;
import dev.baton.aws.provision.UserData.Passwords;
import dev.baton.aws.provision.UserData.Secrets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.Tag;

/**
 * A cluster's secrets in SSM Parameter Store, so that none travels in EC2 user data: the
 * PostgreSQL superuser, replication and REST API passwords and the cluster CA's key are
 * {@code SecureString} parameters under {@code /baton/NAME/}, the CA certificate (public) a
 * {@code String}. The instances read them at first boot with their role ({@link
 * BackupPolicy#secretsPolicy}); a later create-cluster run reads them here to give new members the
 * same ones. Also where the default image comes from ({@link #DEBIAN_AMI_PARAMETER}).
 */
public final class ParameterStore {
    /** AWS's public parameter with the current Debian 12 (bookworm) amd64 image id. */
    public static final String DEBIAN_AMI_PARAMETER = "/aws/service/debian/release/bookworm/latest/amd64";
    public static final String SUPERUSER = "superuser-password";
    public static final String REPLICATION = "replication-password";
    public static final String RESTAPI = "restapi-password";
    public static final String CA_KEY = "ca-key";
    public static final String CA_CERT = "ca-cert";
    /** Every parameter, in the order they are written. */
    static final List<String> ALL = List.of(SUPERUSER, REPLICATION, RESTAPI, CA_KEY, CA_CERT);
    static final String KIND = "parameter";

    private final SsmClient ssm;

    public ParameterStore(SsmClient ssm) {
        this.ssm = Objects.requireNonNull(ssm, "ssm");
    }

    /** {@code /baton/NAME/}: the path every parameter of the cluster is under. */
    public static String prefix(String cluster) {
        return "/baton/" + cluster + "/";
    }

    /** The full name of one of the cluster's parameters. */
    public static String name(String cluster, String parameter) {
        return prefix(cluster) + parameter;
    }

    /** The image id of the current Debian 12 image, from AWS's public parameter. */
    public String debianAmi() {
        return ssm.getParameter(r -> r.name(DEBIAN_AMI_PARAMETER)).parameter().value();
    }

    /** The cluster's parameters by short name (values decrypted). */
    Map<String, String> read(String cluster) {
        Map<String, String> out = new LinkedHashMap<>();
        String prefix = prefix(cluster);
        ssm.getParametersByPathPaginator(r -> r.path(prefix).recursive(false).withDecryption(true)).stream().flatMap(p -> p.parameters().stream())
                .forEach(p -> out.put(p.name().substring(prefix.length()), p.value()));
        return out;
    }

    /**
     * The secrets stored for the cluster, or null when there are none; throws {@link
     * InvalidSpecException} when only some are there (a run interrupted between two writes is
     * completed by the next one instead: see {@link #write}).
     */
    public Secrets secrets(String cluster) {
        Map<String, String> have = read(cluster);
        if (!have.keySet().containsAll(ALL)) {
            return null;
        }
        return new Secrets(new Passwords(have.get(SUPERUSER), have.get(REPLICATION), have.get(RESTAPI)),
                new ClusterCa(have.get(CA_CERT), have.get(CA_KEY)));
    }

    /** The names of the cluster's parameters that exist. */
    public List<String> names(String cluster) {
        return read(cluster).keySet().stream().map(n -> name(cluster, n)).toList();
    }

    /**
     * Writes the parameters that are missing (tagged with the cluster); one that exists is left
     * as it is, so two runs never give members different secrets. Returns the secrets stored now.
     */
    Secrets write(String cluster, Secrets secrets, ProvisionReport report) {
        Map<String, String> have = read(cluster);
        Map<String, String> values = new LinkedHashMap<>();
        values.put(SUPERUSER, secrets.passwords().superuser());
        values.put(REPLICATION, secrets.passwords().replication());
        values.put(RESTAPI, secrets.passwords().restapi());
        values.put(CA_KEY, secrets.ca().key());
        values.put(CA_CERT, secrets.ca().certificate());
        List<Tag> tags = Names.resourceTags(cluster).entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String full = name(cluster, e.getKey());
            if (have.containsKey(e.getKey())) {
                report.put(KIND, full, full, Status.EXISTS, type(e.getKey()).toString());
                continue;
            }
            try {
                ssm.putParameter(r -> r.name(full).value(e.getValue()).type(type(e.getKey())).overwrite(false)
                        .tags(tags).description("Baton cluster " + cluster));
                report.put(KIND, full, full, Status.CREATED, type(e.getKey()).toString());
            } catch (ParameterAlreadyExistsException x) {
                report.put(KIND, full, full, Status.EXISTS, type(e.getKey()).toString());
            }
        }
        Secrets stored = secrets(cluster);
        if (stored == null) {
            throw new IllegalStateException("the parameters under " + prefix(cluster) + " are incomplete after writing them");
        }
        return stored;
    }

    private static ParameterType type(String parameter) {
        return parameter.equals(CA_CERT) ? ParameterType.STRING : ParameterType.SECURE_STRING;
    }

    /** Deletes every parameter under {@code /baton/NAME/} (10 per call); returns how many went. */
    public int deleteAll(String cluster, ProvisionReport report) {
        List<String> names = new ArrayList<>(names(cluster));
        int deleted = 0;
        for (int i = 0; i < names.size(); i += 10) {
            List<String> batch = names.subList(i, Math.min(names.size(), i + 10));
            deleted += ssm.deleteParameters(r -> r.names(batch)).deletedParameters().size();
            for (String n : batch) {
                report.put(KIND, n, n, Status.DELETED, "");
            }
        }
        return deleted;
    }

    /** True when the parameter exists. */
    boolean exists(String full) {
        try {
            Parameter p = ssm.getParameter(r -> r.name(full)).parameter();
            return p != null;
        } catch (ParameterNotFoundException e) {
            return false;
        }
    }
}

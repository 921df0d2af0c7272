package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;

/**
 * Step 2: the agents' instance role and profile, {@code baton-NAME}, when backups are on and no
 * {@code --instance-profile} is given: EC2 may assume the role; its inline policies allow the load
 * balancer calls ({@value BackupPolicy#ROUTING_POLICY}) and S3 on the cluster's own prefix only
 * ({@value BackupPolicy#BACKUP_POLICY}). A missing part is made, a policy that differs is put
 * again; a role named so without the cluster's tag is never adopted. A profile given with
 * {@code --instance-profile} is not changed: the report says which policy its role needs.
 */
record RoleStep(IamClient iam, Progress progress, String region, boolean ssm) {
    static final String ROLE = "instance-role";
    static final String PROFILE = "instance-profile";

    /** As before SSM: a role only with backups. */
    RoleStep(IamClient iam, Progress progress) {
        this(iam, progress, null, false);
    }

    /**
     * True when Baton makes the role: no profile of the operator's, and backups on or the secrets
     * in SSM (the instances read them, and the package, with the role).
     */
    boolean wanted(ClusterSpec spec) {
        return spec.instanceProfile() == null && (spec.backup() || ssm);
    }

    /** The role, or null when there is none. */
    Role role(String name) {
        try {
            return iam.getRole(r -> r.roleName(name)).role();
        } catch (NoSuchEntityException e) {
            return null;
        }
    }

    InstanceProfile profile(String name) {
        try {
            return iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
        } catch (NoSuchEntityException e) {
            return null;
        }
    }

    /** What the plan reports. */
    void plan(ProvisionReport report, ClusterSpec spec) {
        String name = Names.resource(spec.name());
        if (!wanted(spec)) {
            if (spec.backup() || ssm) {
                report.put(PROFILE, spec.instanceProfile(), spec.instanceProfile(), Status.EXISTS,
                        "given with --instance-profile: its role needs the policies of docs/aws.md ("
                                + (ssm ? BackupPolicy.SECRETS_POLICY + ", " + BackupPolicy.PACKAGE_POLICY : "")
                                + (ssm && spec.backup() ? ", " : "") + (spec.backup() ? BackupPolicy.BACKUP_POLICY : "")
                                + ")");
            }
            return;
        }
        Role role = role(name);
        InstanceProfile profile = profile(name);
        report.put(ROLE, name, role == null ? null : role.arn(), role == null ? Status.MISSING : Status.EXISTS,
                ssm ? "load balancer calls, SSM " + ParameterStore.prefix(spec.name()) + "* and S3 under /"
                        + spec.name() + " only" : "load balancer calls, S3 under /" + spec.name() + " only");
        report.put(PROFILE, name, profile == null ? null : profile.arn(),
                profile == null ? Status.MISSING : Status.EXISTS, "role " + name);
    }

    /**
     * With backups: makes what is missing; returns the instance profile's name for the instances
     * (null with {@code --instance-profile}: none made here).
     */
    String apply(Plan plan, String bucket) {
        return apply(plan, bucket, false);
    }

    /**
     * As above; {@code bucket} is null without one, {@code pkg} says whether the package is in it.
     */
    String apply(Plan plan, String bucket, boolean pkg) {
        ClusterSpec spec = plan.spec();
        if (!wanted(spec)) {
            ClusterProvisioner.step(progress, 2, "instance profile " + spec.instanceProfile()
                    + ": given, not changed; its role must allow what docs/aws.md lists (SSM parameters "
                    + ParameterStore.prefix(spec.name()) + "*" + (bucket == null ? "" : ", S3 under s3://" + bucket
                    + "/" + spec.name() + "/") + ")");
            return null;
        }
        String name = Names.resource(spec.name());
        List<String> made = new ArrayList<>();
        Role role = role(name);
        if (role == null) {
            role = iam.createRole(r -> r.roleName(name).assumeRolePolicyDocument(BackupPolicy.trustPolicy())
                    .description("Baton cluster " + spec.name() + ": the agents' load balancer calls and backups")
                    .tags(tags(spec))).role();
            made.add("role");
            plan.report().put(ROLE, name, role.arn(), Status.CREATED, plan.report().get(ROLE, name).detail());
        } else if (!spec.name().equals(tag(role.tags()))) {
            throw new ProvisionException("instance role", "an IAM role named " + name + " exists but is not tagged "
                    + Names.CLUSTER_TAG + "=" + spec.name() + " (rename or delete it, or give --instance-profile)",
                    plan.report(), null);
        }
        Map<String, String> policies = new LinkedHashMap<>();
        policies.put(BackupPolicy.ROUTING_POLICY, ssm ? BackupPolicy.routingPolicy(region, spec.name())
                : BackupPolicy.routingPolicy());
        if (spec.backup()) {
            policies.put(BackupPolicy.BACKUP_POLICY, BackupPolicy.backupPolicy(bucket, spec.name()));
        }
        if (ssm) {
            policies.put(BackupPolicy.SECRETS_POLICY, BackupPolicy.secretsPolicy(region, spec.name()));
        }
        if (pkg) {
            policies.put(BackupPolicy.PACKAGE_POLICY, BackupPolicy.packagePolicy(bucket, spec.name()));
        }
        for (Map.Entry<String, String> p : policies.entrySet()) {
            String have = rolePolicy(name, p.getKey());
            if (!p.getValue().equals(have)) {
                iam.putRolePolicy(r -> r.roleName(name).policyName(p.getKey()).policyDocument(p.getValue()));
                made.add("policy " + p.getKey());
            }
        }
        InstanceProfile profile = profile(name);
        if (profile == null) {
            profile = iam.createInstanceProfile(r -> r.instanceProfileName(name).tags(tags(spec))).instanceProfile();
            made.add("instance profile");
            plan.report().put(PROFILE, name, profile.arn(), Status.CREATED, plan.report().get(PROFILE, name).detail());
        }
        if (profile.roles().stream().noneMatch(r -> r.roleName().equals(name))) {
            iam.addRoleToInstanceProfile(r -> r.instanceProfileName(name).roleName(name));
            made.add("role added to the profile");
        }
        ClusterProvisioner.step(progress, 2, "instance role and profile " + name + ": "
                + (made.isEmpty() ? "exist" : String.join(", ", made) + " made")
                + (bucket == null ? "" : "; S3 only under s3://" + bucket + "/" + spec.name() + "/")
                + (ssm ? "; SSM only " + ParameterStore.prefix(spec.name()) + "*" : ""));
        return name;
    }

    private String rolePolicy(String role, String policy) {
        try {
            return URLDecoder.decode(iam.getRolePolicy(r -> r.roleName(role).policyName(policy)).policyDocument(),
                    StandardCharsets.UTF_8);
        } catch (NoSuchEntityException e) {
            return null;
        }
    }

    private static List<Tag> tags(ClusterSpec spec) {
        return Names.resourceTags(spec.name()).entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    private static String tag(List<Tag> tags) {
        return tags.stream().filter(t -> Names.CLUSTER_TAG.equals(t.key())).map(Tag::value).findFirst().orElse(null);
    }
}

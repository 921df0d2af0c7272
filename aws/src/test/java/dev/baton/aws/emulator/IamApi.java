package dev.baton.aws.emulator;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The IAM operations Baton's provisioning uses (API version 2010-05-08, query protocol): roles
 * with inline policies and instance profiles. Policy documents come back URL-encoded, as AWS
 * sends them. Called with the world's lock held.
 */
final class IamApi {
    static final String VERSION = "2010-05-08";
    static final String NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

    static final class Role {
        final String name;
        final String id;
        final String trust;
        final Map<String, String> tags;
        final Map<String, String> policies = new TreeMap<>();

        Role(String name, String id, String trust, Map<String, String> tags) {
            this.name = name;
            this.id = id;
            this.trust = trust;
            this.tags = tags;
        }
    }

    static final class Profile {
        final String name;
        final String id;
        final Map<String, String> tags;
        final List<String> roles = new ArrayList<>();

        Profile(String name, String id, Map<String, String> tags) {
            this.name = name;
            this.id = id;
            this.tags = tags;
        }
    }

    final Map<String, Role> roles = new TreeMap<>();
    final Map<String, Profile> profiles = new TreeMap<>();
    private final World w;

    IamApi(World w) {
        this.w = w;
    }

    void handle(String action, Query q, Xml x) {
        switch (action) {
            case "CreateRole" -> {
                String name = q.require("RoleName");
                if (roles.containsKey(name)) {
                    throw ApiError.bad("EntityAlreadyExists", "Role with name " + name + " already exists.");
                }
                Role r = new Role(name, "AROA" + w.hex16().toUpperCase(), q.require("AssumeRolePolicyDocument"),
                        q.tags("Tags.member"));
                roles.put(name, r);
                role(x, r);
            }
            case "GetRole" -> role(x, role(q.require("RoleName")));
            case "DeleteRole" -> {
                Role r = role(q.require("RoleName"));
                if (!r.policies.isEmpty() || profiles.values().stream().anyMatch(p -> p.roles.contains(r.name))) {
                    throw new ApiError(409, "DeleteConflict", "Cannot delete entity, must remove policies and "
                            + "instance profiles first.");
                }
                roles.remove(r.name);
            }
            case "PutRolePolicy" -> role(q.require("RoleName")).policies.put(q.require("PolicyName"),
                    q.require("PolicyDocument"));
            case "GetRolePolicy" -> {
                Role r = role(q.require("RoleName"));
                String doc = r.policies.get(q.require("PolicyName"));
                if (doc == null) {
                    throw new ApiError(404, "NoSuchEntity", "The role policy with name " + q.get("PolicyName")
                            + " cannot be found.");
                }
                x.leaf("RoleName", r.name).leaf("PolicyName", q.get("PolicyName")).leaf("PolicyDocument", encode(doc));
            }
            case "DeleteRolePolicy" -> {
                Role r = role(q.require("RoleName"));
                if (r.policies.remove(q.require("PolicyName")) == null) {
                    throw new ApiError(404, "NoSuchEntity", "The role policy with name " + q.get("PolicyName")
                            + " cannot be found.");
                }
            }
            case "CreateInstanceProfile" -> {
                String name = q.require("InstanceProfileName");
                if (profiles.containsKey(name)) {
                    throw ApiError.bad("EntityAlreadyExists", "Instance Profile " + name + " already exists.");
                }
                Profile p = new Profile(name, "AIPA" + w.hex16().toUpperCase(), q.tags("Tags.member"));
                profiles.put(name, p);
                profile(x, p);
            }
            case "GetInstanceProfile" -> profile(x, profile(q.require("InstanceProfileName")));
            case "AddRoleToInstanceProfile" -> {
                Profile p = profile(q.require("InstanceProfileName"));
                Role r = role(q.require("RoleName"));
                if (!p.roles.isEmpty()) {
                    throw new ApiError(409, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
                }
                p.roles.add(r.name);
            }
            case "RemoveRoleFromInstanceProfile" -> {
                Profile p = profile(q.require("InstanceProfileName"));
                if (!p.roles.remove(q.require("RoleName"))) {
                    throw new ApiError(404, "NoSuchEntity", "The role " + q.get("RoleName") + " is not in profile "
                            + p.name);
                }
            }
            case "DeleteInstanceProfile" -> {
                Profile p = profile(q.require("InstanceProfileName"));
                if (!p.roles.isEmpty()) {
                    throw new ApiError(409, "DeleteConflict", "Cannot delete entity, must remove roles from instance "
                            + "profile first.");
                }
                profiles.remove(p.name);
            }
            default -> throw ApiError.bad("InvalidAction", "Could not find operation " + action + " for version " + VERSION);
        }
    }

    private Role role(String name) {
        Role r = roles.get(name);
        if (r == null) {
            throw new ApiError(404, "NoSuchEntity", "The role with name " + name + " cannot be found.");
        }
        return r;
    }

    private Profile profile(String name) {
        Profile p = profiles.get(name);
        if (p == null) {
            throw new ApiError(404, "NoSuchEntity", "Instance Profile " + name + " cannot be found.");
        }
        return p;
    }

    private static String arn(String kind, String name) {
        return "arn:aws:iam::" + World.ACCOUNT + ":" + kind + "/" + name;
    }

    private void role(Xml x, Role r) {
        x.open("Role");
        roleFields(x, r);
        x.end();
    }

    private static void roleFields(Xml x, Role r) {
        x.leaf("Path", "/").leaf("RoleName", r.name).leaf("RoleId", r.id).leaf("Arn", arn("role", r.name))
                .leaf("CreateDate", "2026-01-01T00:00:00Z").leaf("AssumeRolePolicyDocument", encode(r.trust));
        tags(x, r.tags);
    }

    private void profile(Xml x, Profile p) {
        x.open("InstanceProfile").leaf("Path", "/").leaf("InstanceProfileName", p.name).leaf("InstanceProfileId", p.id)
                .leaf("Arn", arn("instance-profile", p.name)).leaf("CreateDate", "2026-01-01T00:00:00Z");
        x.list("Roles", p.roles, (xx, name) -> {
            xx.open("member");
            roleFields(xx, roles.get(name));
            xx.end();
        });
        tags(x, p.tags);
        x.end();
    }

    private static void tags(Xml x, Map<String, String> tags) {
        if (!tags.isEmpty()) {
            x.list("Tags", new LinkedHashMap<>(tags).entrySet(), (xx, e) -> xx.open("member").leaf("Key", e.getKey())
                    .leaf("Value", e.getValue()).end());
        }
    }

    private static String encode(String doc) {
        return URLEncoder.encode(doc, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

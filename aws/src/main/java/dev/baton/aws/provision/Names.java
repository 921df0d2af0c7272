package dev.baton.aws.provision;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a cluster's AWS resources are named and tagged, so that any run finds what an earlier one
 * made: every resource carries {@code baton:cluster=NAME}; the security group, target group and
 * load balancer are named {@code baton-NAME}; instances are members {@code NAME-1}, {@code
 * NAME-2}, ... tagged {@code baton:member} and {@code Name}.
 */
public final class Names {
    /** Tag on every resource of a cluster; its value is the cluster name. */
    public static final String CLUSTER_TAG = "baton:cluster";
    /** Tag on instances: the member name (also the agent's {@code name}). */
    public static final String MEMBER_TAG = "baton:member";
    /** The longest cluster name: {@code baton-NAME} must fit the 32 characters of ELB names. */
    public static final int MAX_NAME = 26;

    private static final Pattern CLUSTER_NAME = Pattern.compile("[a-z]([a-z0-9-]{0," + (MAX_NAME - 2) + "}[a-z0-9])?");

    /** A cluster name: 1 to {@link #MAX_NAME} lowercase letters, digits and '-', from a letter, not ending with '-'. */
    public static boolean isClusterName(String name) {
        return name != null && CLUSTER_NAME.matcher(name).matches();
    }

    private Names() {
    }

    /** The name of the security group, target group and load balancer: {@code baton-NAME}. */
    public static String resource(String cluster) {
        return "baton-" + cluster;
    }

    /** Member {@code index} (from 0) is {@code NAME-(index+1)}. */
    public static String member(String cluster, int index) {
        return cluster + "-" + (index + 1);
    }

    /** The member index (from 0) of a member name of this cluster, or -1. */
    public static int index(String cluster, String member) {
        String prefix = cluster + "-";
        if (member == null || !member.startsWith(prefix) || !member.substring(prefix.length()).matches("[1-9][0-9]{0,3}")) {
            return -1;
        }
        return Integer.parseInt(member.substring(prefix.length())) - 1;
    }

    /**
     * The RunInstances client token of a member: the same on every run, so that a retried or
     * repeated launch returns the instance made before instead of a second one. {@code
     * generation} counts the member's instances that were terminated, so that a member whose
     * instance was terminated gets a new one (AWS would answer a used token with the terminated
     * instance).
     */
    public static String clientToken(String cluster, int index, int generation) {
        return "baton-" + member(cluster, index) + (generation > 0 ? "-g" + generation : "");
    }

    /** The tags of the security group, target group and load balancer. */
    public static Map<String, String> resourceTags(String cluster) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(CLUSTER_TAG, cluster);
        tags.put("Name", resource(cluster));
        return tags;
    }

    /** The tags of a member's instance. */
    public static Map<String, String> memberTags(String cluster, int index) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(CLUSTER_TAG, cluster);
        tags.put(MEMBER_TAG, member(cluster, index));
        tags.put("Name", member(cluster, index));
        return tags;
    }
}

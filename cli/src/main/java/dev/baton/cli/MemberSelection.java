package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Option;

/** The members a rolling action (restart, reload) goes to: named ones or all, optionally of one role. */
final class MemberSelection {

    /** The members named (the command's MEMBER... after CLUSTER_NAME, as in patronictl); empty: all. */
    List<String> members = new ArrayList<>();

    @Option(names = {"-r", "--role"}, defaultValue = "any", paramLabel = "ROLE",
            description = "Only members with this role: primary (leader, master), replica (standby) or any "
                    + "(default: ${DEFAULT-VALUE}).")
    String role;

    /** The role asked for: primary, replica or any; exit 2 for anything else. */
    String role() {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "primary", "leader", "master" -> "primary";
            case "replica", "standby" -> "replica";
            case "any" -> "any";
            case "standby-leader" -> throw ExitException.failed("not supported yet: --role standby-leader (Baton "
                    + "runs no standby clusters)");
            default -> throw ExitException.badInput("--role: must be primary, leader, master, replica, standby or any, got \""
                    + role + "\"");
        };
    }

    /** The named members (or all), filtered by role, replicas first (by name), the leader last. */
    List<MemberStatus> select(ClusterView view, String scope) {
        String r = role();
        Set<String> chosen = new LinkedHashSet<>();
        for (String n : members) {
            chosen.add(ClusterSession.member(view, n, scope).name());
        }
        if (chosen.isEmpty()) {
            chosen.addAll(view.members().keySet());
        }
        List<MemberStatus> replicas = new ArrayList<>();
        MemberStatus leader = null;
        for (MemberStatus m : view.members().values()) {
            if (!chosen.contains(m.name())) {
                continue;
            }
            if (m.name().equals(view.leader())) {
                leader = m;
            } else {
                replicas.add(m);
            }
        }
        List<MemberStatus> order = new ArrayList<>();
        if (!r.equals("primary")) {
            order.addAll(replicas);
        }
        if (leader != null && !r.equals("replica")) {
            order.add(leader);
        }
        return order;
    }

    /** "There is no replica member to restart" and the like, when {@link #select} found none. */
    String none(String action) {
        String r = role();
        return "no " + (r.equals("any") ? "" : r + " ") + "member to " + action
                + (members.isEmpty() ? "" : " among " + String.join(", ", members));
    }

    static String names(List<MemberStatus> ms) {
        return String.join(", ", ms.stream().map(MemberStatus::name).toList());
    }
}

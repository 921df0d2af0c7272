package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
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
            description = "Only members with this role: leader (the key holder: the primary or the standby leader), "
                    + "primary (master), standby-leader, replica (standby) or any (default: ${DEFAULT-VALUE}).")
    String role;

    /**
     * The role asked for, as patronictl's get_all_members reads it: leader (the key holder), primary
     * (the key holder unless it is a standby leader), standby-leader (the key holder unless it is a
     * primary), replica or any; exit 2 for anything else.
     */
    String role() {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "leader" -> "leader";
            case "primary", "master" -> "primary";
            case "standby-leader" -> "standby-leader";
            case "replica", "standby" -> "replica";
            case "any" -> "any";
            default -> throw ExitException.badInput("--role: must be leader, primary, master, standby-leader, replica, "
                    + "standby or any, got \"" + role + "\"");
        };
    }

    /**
     * The role the agent checks itself ({@code role} of POST /restart): primary or replica; null when
     * the selection alone decides (any, leader, standby-leader).
     */
    String agentRole() {
        String r = role();
        return r.equals("primary") || r.equals("replica") ? r : null;
    }

    /** Whether the key holder {@code leader} has the role asked for. */
    private static boolean leaderMatches(String r, MemberStatus leader) {
        return switch (r) {
            case "any", "leader" -> true;
            case "primary" -> leader.role() != Role.STANDBY_LEADER;
            case "standby-leader" -> leader.role() != Role.PRIMARY;
            default -> false;
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
        if (r.equals("any") || r.equals("replica")) {
            order.addAll(replicas);
        }
        if (leader != null && leaderMatches(r, leader)) {
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

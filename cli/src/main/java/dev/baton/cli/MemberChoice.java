package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The one member {@code query} and {@code dsn} go to, as patronictl picks it: {@code -m NAME}, or
 * the first member of {@code -r ROLE} (default the leader); running members first, then by name.
 */
final class MemberChoice {
    private MemberChoice() {
    }

    /**
     * patronictl's role names, as Baton reads them: leader (the key holder), primary (master),
     * standby-leader, replica (standby) or any.
     */
    static String role(String role) {
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

    /** The member asked for; exit 2 for both -r and -m or an unknown member, exit 1 when none has the role. */
    static MemberStatus choose(ClusterView view, String scope, String role, String member) {
        if (member != null && role != null) {
            throw ExitException.badInput("--role and --member are mutually exclusive options");
        }
        if (member != null) {
            return ClusterSession.member(view, member, scope);
        }
        String r = role(role == null ? "leader" : role);
        List<MemberStatus> candidates = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            boolean leader = m.name().equals(view.leader());
            // As patronictl: primary is the key holder unless it is a standby leader, and standby-leader
            // the key holder unless it is a primary.
            boolean matches = switch (r) {
                case "any" -> true;
                case "replica" -> !leader;
                case "primary" -> leader && m.role() != Role.STANDBY_LEADER;
                case "standby-leader" -> leader && m.role() != Role.PRIMARY;
                default -> leader;
            };
            if (matches) {
                candidates.add(m);
            }
        }
        return candidates.stream()
                .sorted(Comparator.comparing((MemberStatus m) -> !m.isRunning()).thenComparing(MemberStatus::name))
                .findFirst()
                .orElseThrow(() -> ExitException.failed("cluster " + scope + " has no member with role " + r
                        + (view.hasLeader() || r.equals("any") || r.equals("replica") ? "" : " (it has no leader)")));
    }

    /** patronictl dsn's line: {@code host=HOST port=PORT}; exit 1 for a member that publishes no conn_url. */
    static String dsn(MemberStatus m) {
        if (m.host() == null) {
            throw ExitException.failed("member " + m.name() + " publishes no conn_url: its PostgreSQL address is unknown");
        }
        return "host=" + m.host() + " port=" + m.port();
    }
}

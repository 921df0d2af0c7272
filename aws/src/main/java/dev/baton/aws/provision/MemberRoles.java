package dev.baton.aws.provision;

import java.util.List;
import java.util.Map;

/** Asks members for their role. */
@FunctionalInterface
public interface MemberRoles {
    /** What answered for an unreachable member. */
    String UNREACHABLE = "unreachable";

    /**
     * The role of the member at each address ({@code primary}, {@code replica}, ..., or {@link
     * #UNREACHABLE}), by address. Never throws for a member that does not answer.
     */
    Map<String, String> roles(List<String> privateIps);
}

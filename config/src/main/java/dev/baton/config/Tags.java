package dev.baton.config;

import java.util.Map;

/**
 * {@code tags}: the tags Baton acts on, plus {@code all} tags exactly as given (known ones
 * included, in file order) for publishing in the member key. {@code failoverPriority} is null
 * when not set.
 */
public record Tags(boolean nofailover, boolean noloadbalance, boolean nosync, boolean clonefrom,
        Integer failoverPriority, Map<String, Object> all) {

    public Tags {
        all = Copies.map(all);
    }

    public static Tags none() {
        return new Tags(false, false, false, false, null, Map.of());
    }
}

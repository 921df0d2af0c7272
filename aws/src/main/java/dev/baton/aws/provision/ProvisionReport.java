package dev.baton.aws.provision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a create or delete found, made and removed: one entry per resource of the cluster, in the
 * order they are made. Thread-confined (one command fills it).
 */
public final class ProvisionReport {

    /** Where a resource stands. */
    public enum Status {
        /** Was there before this run. */
        EXISTS("exists"),
        /** Made by this run. */
        CREATED("created"),
        /** Not there (not created yet, or a failure stopped the run before it). */
        MISSING("not created"),
        /** Removed by this run. */
        DELETED("deleted");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * One resource. {@code kind}: security-group, target-group, load-balancer, listener,
     * instance, target (an instance's registration). {@code id} is null while it does not exist.
     */
    public record Resource(String kind, String name, String id, Status status, String detail) {
        /** True for resources that exist now. */
        public boolean present() {
            return status == Status.EXISTS || status == Status.CREATED;
        }
    }

    private final String cluster;
    private final Map<String, Resource> resources = new LinkedHashMap<>();
    private String endpoint;

    public ProvisionReport(String cluster) {
        this.cluster = cluster;
    }

    public String cluster() {
        return cluster;
    }

    /** Adds or replaces the entry of (kind, name). */
    public void put(String kind, String name, String id, Status status, String detail) {
        resources.put(kind + " " + name, new Resource(kind, name, id, status, detail));
    }

    /** The entry of (kind, name), or null. */
    public Resource get(String kind, String name) {
        return resources.get(kind + " " + name);
    }

    public List<Resource> resources() {
        return List.copyOf(resources.values());
    }

    /** The resources that exist now (found or created). */
    public List<Resource> present() {
        return resources.values().stream().filter(Resource::present).toList();
    }

    /** The resources that do not exist: not created (yet). */
    public List<Resource> missing() {
        return resources.values().stream().filter(r -> r.status() == Status.MISSING).toList();
    }

    /** The resources with {@code status}. */
    public List<Resource> with(Status status) {
        List<Resource> out = new ArrayList<>();
        for (Resource r : resources.values()) {
            if (r.status() == status) {
                out.add(r);
            }
        }
        return out;
    }

    /** Where clients connect ({@code DNS:5432}), once the load balancer exists; else null. */
    public String endpoint() {
        return endpoint;
    }

    void endpoint(String value) {
        endpoint = value;
    }
}

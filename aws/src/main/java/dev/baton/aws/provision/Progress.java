package dev.baton.aws.provision;

/** Where provisioning reports what it is doing, one line at a time (never secrets). */
@FunctionalInterface
public interface Progress {
    /** Reports nothing. */
    Progress NONE = line -> { };

    void step(String line);
}

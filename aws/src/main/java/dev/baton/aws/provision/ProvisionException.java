package dev.baton.aws.provision;

/**
 * Provisioning (or deletion) stopped at {@link #step()}: {@link #report()} tells what exists
 * and what was not done, so that the caller can show it. Running the same command again resumes.
 */
public final class ProvisionException extends RuntimeException {
    private final String step;
    private final ProvisionReport report;

    public ProvisionException(String step, String cause, ProvisionReport report, Throwable source) {
        super(step + ": " + cause, source);
        this.step = step;
        this.report = report;
    }

    /** The step that failed, e.g. "load balancer". */
    public String step() {
        return step;
    }

    public ProvisionReport report() {
        return report;
    }
}

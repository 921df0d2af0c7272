package dev.baton.aws.emulator;

import java.io.IOException;
import java.time.Duration;

/**
 * The emulator as the provisioning tests (aws and cli) use it: on virtual time that moves {@link
 * #PER_REQUEST} with every request, every transition (pending, provisioning, shutting-down,
 * draining) taking {@link #TRANSITION} of it, and one subnet in each of two zones of the default
 * VPC. A provisioning run then waits the same number of polls on any machine.
 */
public record Sandbox(AwsEmulator emu, String subnetA, String subnetB) implements AutoCloseable {
    public static final Duration PER_REQUEST = Duration.ofMillis(10);
    public static final Duration TRANSITION = Duration.ofMillis(50);

    /** Starts the emulator and adds us-east-1a 10.0.1.0/24 and us-east-1b 10.0.2.0/24. */
    public static Sandbox start() throws IOException {
        AwsEmulator emu = AwsEmulator.startVirtual(PER_REQUEST);
        emu.setTransitionTimes(TRANSITION);
        return new Sandbox(emu, emu.addSubnet("us-east-1a", "10.0.1.0/24"), emu.addSubnet("us-east-1b", "10.0.2.0/24"));
    }

    @Override
    public void close() {
        emu.close();
    }
}

package dev.baton.aws.provision;

import java.util.List;

/** The request cannot be carried out as given (bad flags, unknown subnets, ...): nothing was changed. */
public final class InvalidSpecException extends RuntimeException {
    private final List<String> problems;

    public InvalidSpecException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public InvalidSpecException(String problem) {
        this(List.of(problem));
    }

    /** Each problem, naming the flag or value at fault. */
    public List<String> problems() {
        return problems;
    }
}

package dev.baton.aws.provision;

import java.security.SecureRandom;
import java.util.function.Supplier;

/** New PostgreSQL passwords: 32 letters and digits (190 bits) from a {@link SecureRandom}. */
public final class RandomPasswords implements Supplier<String> {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int LENGTH = 32;
    private final SecureRandom random;

    public RandomPasswords(SecureRandom random) {
        this.random = random;
    }

    @Override
    public String get() {
        StringBuilder sb = new StringBuilder(LENGTH);
        for (int i = 0; i < LENGTH; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}

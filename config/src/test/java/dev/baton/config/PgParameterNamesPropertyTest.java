package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** Whatever string is offered as a parameter name, an accepted one is a single configuration-file token. */
class PgParameterNamesPropertyTest {
    @Property
    void anAcceptedNameHasNoCharacterThatCouldEndTheLine(@ForAll String name) {
        if (PgParameterNames.problem(name).isEmpty()) {
            assertTrue(name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_' || c == '.'), name);
        }
    }
}

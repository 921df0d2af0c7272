package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The training run of the CLI's class-data sharing archive runs every read-only command cleanly. */
class CdsTrainingTest {

    @Test
    void everyCommandOfTheTrainingRunSucceeds() throws Exception {
        assertEquals(List.of(), CdsTraining.train());
    }
}

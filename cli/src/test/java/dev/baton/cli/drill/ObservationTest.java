package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObservationTest {
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private static Observation of(Map<String, Integer> primary, Map<String, Integer> replica) {
        return new Observation(0, MEMBERS, primary, replica, null, List.of(), false, null);
    }

    @Test
    void wholeMeansOnePrimaryAndEveryOtherMemberStreaming() {
        assertEquals("n2", of(Map.of("n1", 503, "n2", 200, "n3", 503), Map.of("n1", 200, "n2", 503, "n3", 200))
                .wholePrimary());
        assertNull(of(Map.of("n1", 503, "n2", 200, "n3", 503), Map.of("n1", 503, "n2", 503, "n3", 200)).wholePrimary(),
                "n1 does not stream");
        assertNull(of(Map.of("n1", 200, "n2", 200, "n3", 503), Map.of("n3", 200)).wholePrimary(), "two primaries");
        assertNull(of(Map.of(), Map.of()).wholePrimary(), "nobody answered");
    }

    @Test
    void describeShowsTheReplicaAnswersOfTheNonPrimariesOrOfAll() {
        Observation o = of(Map.of("n1", 503, "n2", 200), Map.of("n1", 200, "n2", 503, "n3", -1));
        assertEquals("n1 /primary 503, /replica 200; n2 /primary 200; n3 /primary no answer, /replica no answer",
                o.describe(false));
        assertEquals("n1 /primary 503, /replica 200; n2 /primary 200, /replica 503; n3 /primary no answer, /replica no answer",
                o.describe(true));
        Observation none = of(Map.of(), Map.of());
        assertEquals("n1 /primary no answer; n2 /primary no answer; n3 /primary no answer", none.describe(false));
    }

    @Test
    void aSwitchoverAnswerReadsAsTheDrillReportsIt() {
        assertEquals("no answer", new Observation.Answer(-1, "").toString());
        assertEquals("HTTP 200 Successfully switched over", new Observation.Answer(200, "Successfully switched over\n")
                .toString());
    }
}

package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code baton demo} end to end: a real cluster, SIGKILL of the primary under writes, the old primary rejoining. */
class DemoIT {

    @Test
    void demoShowsAFailoverAndTheClusterHeals() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(out), new PrintWriter(err)).execute("demo", "--no-wait");
        String text = out + "\n--- stderr\n" + err;
        assertEquals(0, code, text);
        String o = out.toString();
        for (String line : new String[] {"Cluster ready", "fault: SIGKILL of", "promoted: ",
                "first write through HAProxy on the new primary", "restarted ", "streams again from",
                "acknowledged writes: ", "lost: ", "Summary: writes unavailable for", "cluster healed",
                "Demo cluster stopped and removed"}) {
            assertTrue(o.contains(line), "missing '" + line + "' in:\n" + text);
        }
        assertTrue(o.indexOf("fault: SIGKILL of") < o.indexOf("promoted: ")
                && o.indexOf("promoted: ") < o.indexOf("streams again from"), "timeline out of order:\n" + text);
    }
}

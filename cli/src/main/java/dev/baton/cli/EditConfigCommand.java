package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "edit-config", description = {"Change the dynamic configuration (the config key in etcd).",
        "The result is validated before anything is written, shown as a diff, confirmed, and written by",
        "compare-and-set: if another edit lands in between, the same changes are applied again to the new",
        "version, so concurrent edits are not lost. Agents pick the change up (reload, or a pending restart).",
        "Edits apply in this order: --replace, --apply, then --pg, then --set (as in patronictl).",
        "Without any of them, an editor opens on the current config (EDITOR, else editor or vi), as in",
        "patronictl; the saved text replaces the config, after the same checks and confirmation."})
public final class EditConfigCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Set a dotted key (loop_wait=2, postgresql.use_slots=false). The value is read as YAML; "
                    + "an empty value or null removes the key. Repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = {"-p", "--pg"}, paramLabel = "NAME=VALUE",
            description = "Set postgresql.parameters.NAME (max_connections=200); an empty value removes it. Repeatable.")
    List<String> pgs = new ArrayList<>();

    @Option(names = "--apply", paramLabel = "FILE|-",
            description = "Merge a YAML or JSON document into the config (- reads standard input); null removes a key.")
    String apply;

    @Option(names = "--replace", paramLabel = "FILE|-",
            description = "Replace the whole config by a YAML or JSON document (- reads standard input).")
    String replace;

    @Option(names = {"-q", "--quiet"}, description = "Do not show the changes (nor 'Not changed').")
    boolean quiet;

    @Mixin
    ForceOption force;

    @Override
    protected int execute() {
        List<ConfigEdit.Edit> edits = new ArrayList<>();
        if ("-".equals(apply) && "-".equals(replace)) {
            throw ExitException.badInput("--apply - and --replace - cannot both read standard input");
        }
        if (replace != null) {
            if (replace.equals("-") && !force.force) {
                throw ExitException.badInput("--replace - reads the new configuration from standard input, so nobody can "
                        + "confirm it there: add --force");
            }
            ConfigEdit.Merge doc = ConfigEdit.parseDocument("--replace", read("--replace", replace),
                    replace.equals("-") ? "(standard input)" : replace);
            edits.add(new ConfigEdit.Replace(doc.document(), doc.source()));
        }
        if (apply != null) {
            if (apply.equals("-") && !force.force) {
                throw ExitException.badInput("--apply - reads the changes from standard input, so nobody can confirm "
                        + "them there: add --force");
            }
            edits.add(ConfigEdit.parseDocument(read("--apply", apply), apply.equals("-") ? "(standard input)" : apply));
        }
        for (String kv : pgs) {
            edits.add(ConfigEdit.parsePg(kv));
        }
        for (String kv : sets) {
            edits.add(ConfigEdit.parseSet(kv));
        }
        boolean editorMode = edits.isEmpty();
        EditorSession editor = editorMode ? editorSession() : null;
        if (editorMode && !force.force) {
            requireInteractive();
        }
        if (editorMode && !editor.editorGiven() && !input().interactive()) {
            throw ExitException.badInput("nothing to change, and no terminal for an editor: give --set KEY=VALUE, "
                    + "--pg NAME=VALUE, --apply FILE or --replace FILE, or set EDITOR");
        }
        try (ClusterSession s = cluster.connect(err())) {
            ConfigKey k = ConfigKey.read(s);
            if (editorMode) {
                String saved = editor.edit(ConfigEdit.yaml(k.json()), s.scope());
                ConfigEdit.Merge doc = ConfigEdit.parseDocument("the edited configuration", saved, "(editor)");
                edits.add(new ConfigEdit.Replace(doc.document(), doc.source()));
            }
            ParameterCheck parameters = ParameterCheck.locate(localBinDir(), err());
            for (int attempt = 0; attempt < ConfigKey.MAX_ATTEMPTS; attempt++) {
                ObjectNode after = ConfigEdit.apply(k.json(), edits);
                List<String> errors = new ArrayList<>(ConfigEdit.validate(after));
                ParameterCheck.Findings server = errors.isEmpty() ? parameters.check(k.json(), after)
                        : new ParameterCheck.Findings(List.of(), List.of());
                errors.addAll(server.errors());
                if (!errors.isEmpty()) {
                    String list = "\n  " + String.join("\n  ", errors);
                    if (attempt == 0) {
                        throw ExitException.badInput("the edited configuration is invalid, nothing was written:" + list);
                    }
                    throw ExitException.failed("the config key changed meanwhile, and with these edits it would be "
                            + "invalid, nothing was written:" + list);
                }
                if (after.equals(k.json())) {
                    if (!quiet) {
                        out().println("Not changed: the config key already holds these values.");
                    }
                    return EXIT_OK;
                }
                if (attempt == 0) {
                    ConfigEdit.warnings(k.json(), after).forEach(w -> err().println("baton: warning: " + w));
                    server.warnings().forEach(w -> err().println("baton: warning: " + w));
                    if (!quiet) {
                        out().print(ConfigEdit.diff(ConfigEdit.yaml(k.json()), ConfigEdit.yaml(after), "before", "after"));
                        out().println();
                    }
                    confirm("Apply these changes?", force.force);
                }
                if (k.write(s, after)) {
                    out().println("Configuration changed.");
                    return EXIT_OK;
                }
                if (editorMode) {
                    throw ExitException.failed("the config key changed while the editor was open; nothing was "
                            + "written: run edit-config again to edit the new version");
                }
                err().println("baton: the config key changed meanwhile; applying the same edits to the new version");
                k = ConfigKey.read(s);
            }
            throw ExitException.failed("the config key kept changing: gave up after " + ConfigKey.MAX_ATTEMPTS
                    + " attempts, nothing was written");
        }
    }

    /** The root command's editor (tests replace it there). */
    private EditorSession editorSession() {
        Object root = spec.root().userObject();
        return root instanceof Baton b ? b.editor : EditorSession.system();
    }

    /** postgresql.bin_dir of the local configuration (-c), or null. */
    private Path localBinDir() {
        if (cluster.config() == null) {
            return null;
        }
        return ConfigSupport.load(cluster.config(), System.getenv(), new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .postgresql().binDir();
    }

    private String read(String option, String file) {
        if (file.equals("-")) {
            return input().readAll();
        }
        Path p = Path.of(file);
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw ExitException.badInput(option + ": cannot read " + p + ": " + e.getMessage());
        }
    }
}

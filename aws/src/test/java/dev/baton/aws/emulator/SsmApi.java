package dev.baton.aws.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SSM Parameter Store operations Baton uses (AWS JSON 1.1 protocol: a POST to {@code /} with
 * {@code X-Amz-Target: AmazonSSM.ACTION} and a JSON body): PutParameter, GetParameter,
 * GetParameters, GetParametersByPath, DeleteParameter and DeleteParameters, with String and
 * SecureString parameters. A SecureString comes back in clear text only WithDecryption; without
 * it, as an opaque base64 text (as AWS returns the ciphertext). The public parameter of the
 * current Debian 12 image ({@value #DEBIAN_AMI_PARAMETER}) is always there. Called with the
 * world's lock held.
 */
final class SsmApi {
    static final String TARGET_PREFIX = "AmazonSSM.";
    static final String DEBIAN_AMI_PARAMETER = "/aws/service/debian/release/bookworm/latest/amd64";
    /** The image id the public Debian parameter answers. */
    static final String DEBIAN_AMI = "ami-0deb12b00c5e1a7f3";
    private static final ObjectMapper JSON = new ObjectMapper();

    record Parameter(String name, String type, String value, long version, Map<String, String> tags) {
    }

    /** An SSM error: HTTP status and the {@code __type} the SDK maps to an exception class. */
    static final class SsmError extends RuntimeException {
        final int status;
        final String type;

        SsmError(int status, String type, String message) {
            super(message);
            this.status = status;
            this.type = type;
        }

        String json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("__type", type);
            n.put("message", getMessage());
            return n.toString();
        }
    }

    final Map<String, Parameter> parameters = new TreeMap<>();
    private final World w;

    SsmApi(World w) {
        this.w = w;
        parameters.put(DEBIAN_AMI_PARAMETER, new Parameter(DEBIAN_AMI_PARAMETER, "String", DEBIAN_AMI, 1, Map.of()));
    }

    /** The parameters a test or a cluster made (the public ones aside). */
    List<String> ownNames() {
        return parameters.keySet().stream().filter(n -> !n.startsWith("/aws/service/")).toList();
    }

    static JsonNode parse(String body) {
        try {
            return JSON.readTree(body.isEmpty() ? "{}" : body);
        } catch (java.io.IOException e) {
            throw new SsmError(400, "SerializationException", "not JSON: " + e.getMessage());
        }
    }

    String handle(String action, JsonNode in) {
        ObjectNode out = JSON.createObjectNode();
        switch (action) {
            case "PutParameter" -> {
                String name = require(in, "Name");
                String value = require(in, "Value");
                String type = in.path("Type").asText("String");
                if (!List.of("String", "StringList", "SecureString").contains(type)) {
                    throw new SsmError(400, "ValidationException", "Type must be String, StringList or SecureString");
                }
                if (name.startsWith("/aws/") || name.startsWith("aws") || name.startsWith("ssm")) {
                    throw new SsmError(400, "AccessDeniedException", "No access to reserved parameter name: " + name);
                }
                if (value.length() > 4096) {
                    throw new SsmError(400, "ParameterMaxVersionLimitExceeded", "value longer than 4096 characters");
                }
                Parameter have = parameters.get(name);
                boolean overwrite = in.path("Overwrite").asBoolean(false);
                if (have != null && !overwrite) {
                    throw new SsmError(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite "
                            + "this value, set the overwrite option in the request to true.");
                }
                Map<String, String> tags = new LinkedHashMap<>();
                for (JsonNode t : in.path("Tags")) {
                    tags.put(t.path("Key").asText(), t.path("Value").asText());
                }
                if (overwrite && !tags.isEmpty()) {
                    throw new SsmError(400, "ValidationException", "Invalid request: tags and overwrite can't be used "
                            + "together. To create a parameter with tags, please remove overwrite flag.");
                }
                long version = have == null ? 1 : have.version() + 1;
                parameters.put(name, new Parameter(name, type, value, version, have == null ? tags : have.tags()));
                out.put("Version", version);
                out.put("Tier", "Standard");
            }
            case "GetParameter" -> {
                Parameter p = parameters.get(require(in, "Name"));
                if (p == null) {
                    throw new SsmError(400, "ParameterNotFound", "Parameter " + in.path("Name").asText() + " not found.");
                }
                out.set("Parameter", json(p, in.path("WithDecryption").asBoolean(false)));
            }
            case "GetParameters" -> {
                ArrayNode found = out.putArray("Parameters");
                ArrayNode invalid = out.putArray("InvalidParameters");
                for (JsonNode n : in.path("Names")) {
                    Parameter p = parameters.get(n.asText());
                    if (p == null) {
                        invalid.add(n.asText());
                    } else {
                        found.add(json(p, in.path("WithDecryption").asBoolean(false)));
                    }
                }
            }
            case "GetParametersByPath" -> {
                String path = require(in, "Path");
                String prefix = path.endsWith("/") ? path : path + "/";
                boolean recursive = in.path("Recursive").asBoolean(false);
                int max = in.path("MaxResults").asInt(10);
                String after = in.path("NextToken").asText("");
                List<Parameter> matching = new ArrayList<>();
                for (Parameter p : parameters.values()) {
                    if (p.name().startsWith(prefix) && (recursive || p.name().indexOf('/', prefix.length()) < 0)
                            && p.name().compareTo(after) > 0) {
                        matching.add(p);
                    }
                }
                ArrayNode found = out.putArray("Parameters");
                for (int i = 0; i < Math.min(max, matching.size()); i++) {
                    found.add(json(matching.get(i), in.path("WithDecryption").asBoolean(false)));
                }
                if (matching.size() > max) {
                    out.put("NextToken", matching.get(max - 1).name());
                }
            }
            case "DeleteParameter" -> {
                if (parameters.remove(require(in, "Name")) == null) {
                    throw new SsmError(400, "ParameterNotFound", "Parameter " + in.path("Name").asText() + " not found.");
                }
            }
            case "DeleteParameters" -> {
                ArrayNode deleted = out.putArray("DeletedParameters");
                ArrayNode invalid = out.putArray("InvalidParameters");
                for (JsonNode n : in.path("Names")) {
                    (parameters.remove(n.asText()) == null ? invalid : deleted).add(n.asText());
                }
            }
            default -> throw new SsmError(400, "InvalidAction", "the emulator does not implement " + action);
        }
        return out.toString();
    }

    private ObjectNode json(Parameter p, boolean decrypt) {
        ObjectNode n = JSON.createObjectNode();
        n.put("Name", p.name());
        n.put("Type", p.type());
        n.put("Value", p.type().equals("SecureString") && !decrypt
                ? Base64.getEncoder().encodeToString(("kms:" + p.value()).getBytes(StandardCharsets.UTF_8)) : p.value());
        n.put("Version", p.version());
        n.put("ARN", "arn:aws:ssm:" + w.region + ":" + World.ACCOUNT + ":parameter"
                + (p.name().startsWith("/") ? "" : "/") + p.name());
        n.put("DataType", "text");
        return n;
    }

    private static String require(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            throw new SsmError(400, "ValidationException", "1 validation error detected: Value null at '"
                    + Character.toLowerCase(field.charAt(0)) + field.substring(1) + "' failed to satisfy constraint: "
                    + "Member must not be null");
        }
        return v.asText();
    }
}

package io.wslfleet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * RFC 6902 JSON Patch, the operations an overlay uses ({@code add}, {@code replace}, {@code remove}), applied the way
 * kustomize applies them: a {@code replace} or {@code remove} of a path that does not exist is an error, not a no-op,
 * so a patch aimed at a field the base no longer has fails here instead of silently doing nothing.
 */
final class JsonPatch {

    private JsonPatch() {
    }

    static void apply(JsonNode operations, ObjectNode document) {
        if (!operations.isArray()) {
            throw new IllegalArgumentException("a JSON patch is a list of operations, not " + operations.getNodeType());
        }
        for (JsonNode op : operations) {
            String kind = op.path("op").asText();
            String path = op.path("path").asText();
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("patch path must start with '/': " + path);
            }
            String[] tokens = path.substring(1).split("/", -1);
            JsonNode parent = document;
            for (int i = 0; i < tokens.length - 1; i++) {
                parent = child(parent, unescape(tokens[i]), path);
            }
            String last = unescape(tokens[tokens.length - 1]);
            switch (kind) {
                case "replace" -> {
                    child(parent, last, path);
                    set(parent, last, op.get("value"), false, path);
                }
                case "add" -> set(parent, last, op.get("value"), true, path);
                case "remove" -> {
                    child(parent, last, path);
                    if (parent instanceof ObjectNode object) {
                        object.remove(last);
                    } else {
                        ((ArrayNode) parent).remove(Integer.parseInt(last));
                    }
                }
                default -> throw new IllegalArgumentException("unsupported patch operation '" + kind + "' at " + path);
            }
        }
    }

    private static JsonNode child(JsonNode parent, String token, String path) {
        JsonNode next;
        if (parent instanceof ArrayNode array) {
            next = token.matches("\\d+") ? array.get(Integer.parseInt(token)) : null;
        } else {
            next = parent.get(token);
        }
        if (next == null) {
            throw new IllegalArgumentException("patch path " + path + " does not exist in the target (at '" + token + "')");
        }
        return next;
    }

    private static void set(JsonNode parent, String token, JsonNode value, boolean insert, String path) {
        if (value == null) {
            throw new IllegalArgumentException("patch operation at " + path + " has no value");
        }
        if (parent instanceof ObjectNode object) {
            object.set(token, value.deepCopy());
        } else if (parent instanceof ArrayNode array) {
            if (token.equals("-")) {
                array.add(value.deepCopy());
            } else if (insert) {
                array.insert(Integer.parseInt(token), value.deepCopy());
            } else {
                array.set(Integer.parseInt(token), value.deepCopy());
            }
        } else {
            throw new IllegalArgumentException("patch path " + path + " goes through a scalar");
        }
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }
}

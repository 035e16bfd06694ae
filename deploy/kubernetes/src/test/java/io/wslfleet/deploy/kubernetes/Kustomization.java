package io.wslfleet.deploy.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * A kustomization directory rendered as kustomize renders the parts the fleet's manifests use: {@code resources}
 * (files, or directories with their own kustomization), {@code namespace} (on every namespaced resource),
 * {@code labels} (pairs, on metadata only) and {@code patches} (JSON 6902, by {@code target} kind and name). Anything
 * else in a kustomization is refused, so a manifest cannot use a feature this rendering would silently skip.
 */
final class Kustomization {

    static final YAMLMapper YAML = new YAMLMapper();

    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "namespace", "labels", "patches");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

    /** One overlay patch: the file, what it targets, and its operations. */
    record Patch(Path file, String kind, String name, JsonNode operations) {
    }

    private final Path dir;
    private final JsonNode spec;

    private Kustomization(Path dir, JsonNode spec) {
        this.dir = dir;
        this.spec = spec;
    }

    static Kustomization at(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        JsonNode spec = readOne(file);
        spec.fieldNames().forEachRemaining(field -> {
            if (!SUPPORTED.contains(field)) {
                throw new IllegalArgumentException(file + ": '" + field + "' is not rendered by this test (only " + SUPPORTED + ")");
            }
        });
        return new Kustomization(dir, spec);
    }

    List<Patch> patches() {
        List<Patch> patches = new ArrayList<>();
        for (JsonNode p : spec.path("patches")) {
            Path file = dir.resolve(p.path("path").asText());
            JsonNode target = p.path("target");
            patches.add(new Patch(file, target.path("kind").asText(null), target.path("name").asText(null), readOne(file)));
        }
        return patches;
    }

    /** The resources this kustomization produces, in order. */
    List<ObjectNode> render() {
        List<ObjectNode> resources = new ArrayList<>();
        for (JsonNode entry : spec.path("resources")) {
            Path path = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(path)) {
                resources.addAll(at(path).render());
            } else {
                resources.addAll(readAll(path));
            }
        }
        for (Patch patch : patches()) {
            List<ObjectNode> targets = resources.stream()
                    .filter(r -> r.path("kind").asText().equals(patch.kind()) && name(r).equals(patch.name()))
                    .toList();
            if (targets.size() != 1) {
                throw new IllegalArgumentException(patch.file() + " targets " + patch.kind() + "/" + patch.name()
                        + ", which the base has " + targets.size() + " times");
            }
            try {
                JsonPatch.apply(patch.operations(), targets.get(0));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(patch.file() + ": " + e.getMessage(), e);
            }
        }
        String namespace = spec.path("namespace").asText(null);
        for (ObjectNode r : resources) {
            ObjectNode metadata = r.with("metadata");
            if (namespace != null && !CLUSTER_SCOPED.contains(r.path("kind").asText())) {
                metadata.put("namespace", namespace);
            }
            for (JsonNode label : spec.path("labels")) {
                label.path("pairs").fields().forEachRemaining(
                        (Map.Entry<String, JsonNode> e) -> metadata.with("labels").set(e.getKey(), e.getValue()));
            }
        }
        return resources;
    }

    static String name(JsonNode resource) {
        return resource.path("metadata").path("name").asText();
    }

    static List<ObjectNode> readAll(Path file) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<ObjectNode> out = new ArrayList<>();
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc instanceof ObjectNode object && !object.isEmpty()) {
                    out.add(object);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static JsonNode readOne(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}

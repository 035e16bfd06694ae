package io.wslfleet.deploy.kubernetes;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;

/**
 * A rendered set of manifests read into the real model classes: fabric8's for Kubernetes' own kinds, Strimzi's
 * {@code io.strimzi:api} for Kafka, KafkaNodePool, KafkaTopic and KafkaUser; kinds without a model on the classpath
 * (CloudNativePG, the Prometheus operator) as {@link GenericKubernetesResource}.
 */
final class Fleet {

    static final String STRIMZI_API_VERSION = "kafka.strimzi.io/v1beta2";
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    static {
        // the manifests use kafka.strimzi.io/v1beta2 (served by every KRaft release of Strimzi, 0.49 included); the
        // model classes read it as well as v1
        for (Class<? extends KubernetesResource> strimzi : List.of(Kafka.class, KafkaNodePool.class, KafkaTopic.class, KafkaUser.class)) {
            SERIALIZATION.registerKubernetesResource(STRIMZI_API_VERSION, strimzi.getSimpleName(), strimzi);
        }
    }

    final List<ObjectNode> documents;
    final List<HasMetadata> resources;

    private Fleet(List<ObjectNode> documents, List<HasMetadata> resources) {
        this.documents = documents;
        this.resources = resources;
    }

    static Fleet of(List<ObjectNode> documents) {
        List<HasMetadata> resources = new ArrayList<>();
        for (ObjectNode doc : documents) {
            KubernetesResource r = SERIALIZATION.unmarshal(doc.toString(), KubernetesResource.class);
            if (!(r instanceof HasMetadata m)) {
                throw new IllegalArgumentException("not a Kubernetes object: " + doc);
            }
            resources.add(m);
        }
        return new Fleet(documents, resources);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(r -> r.getClass() == type).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    List<GenericKubernetesResource> generic(String kind) {
        return all(GenericKubernetesResource.class).stream().filter(r -> kind.equals(r.getKind())).toList();
    }

    /**
     * Fields a typed model did not know (fabric8 and Strimzi models keep them in {@code additionalProperties} instead
     * of failing): a misspelt or misplaced field is silently ignored by the API server's older versions and by us, so
     * it is reported here, with its path.
     */
    List<String> unknownFields() {
        List<String> problems = new ArrayList<>();
        for (HasMetadata r : resources) {
            if (!(r instanceof GenericKubernetesResource)) {
                walk(r, r.getKind() + "/" + r.getMetadata().getName(), problems, 0);
            }
        }
        return problems;
    }

    private static void walk(Object value, String path, List<String> problems, int depth) {
        if (value == null || depth > 40) {
            return;
        }
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object o : c) {
                walk(o, path + "[" + i++ + "]", problems, depth + 1);
            }
            return;
        }
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, problems, depth + 1));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.kubernetes.api.model") && !pkg.startsWith("io.strimzi.api")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            walk(child, path + "." + field, problems, depth + 1);
        }
    }
}

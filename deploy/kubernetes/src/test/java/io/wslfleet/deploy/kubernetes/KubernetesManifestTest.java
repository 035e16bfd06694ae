package io.wslfleet.deploy.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.wslfleet.protocol.Topics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * deploy/kubernetes, read with fabric8's and Strimzi's model classes and checked against the code (see
 * {@link FleetChecks}); no cluster runs here. Every check runs on the base and on each rendered overlay, and each is
 * shown to fail on a copy of the base with one thing wrong.
 */
class KubernetesManifestTest {

    static final Path KUBERNETES = ProgramSettings.repoRoot().resolve("deploy/kubernetes");

    static Set<String> orchestratorReads;
    static Set<String> buildWorkerReads;
    static Properties orchestratorProperties;
    static String readme;

    @BeforeAll
    static void readTheCode() throws IOException {
        Path root = ProgramSettings.repoRoot();
        orchestratorProperties = ProgramSettings.orchestratorProperties();
        orchestratorReads = new HashSet<>(ProgramSettings.orchestratorReads());
        orchestratorReads.addAll(ProgramSettings.containerfileEnv(root.resolve("deploy/containers/orchestrator/Containerfile")));
        buildWorkerReads = new HashSet<>(ProgramSettings.buildWorkerReads());
        buildWorkerReads.addAll(ProgramSettings.containerfileEnv(root.resolve("deploy/containers/build-worker/Containerfile")));
        readme = Files.readString(KUBERNETES.resolve("README.md"), StandardCharsets.UTF_8);
    }

    static List<ObjectNode> render(String layout) {
        return Kustomization.at(KUBERNETES.resolve(layout)).render();
    }

    static Fleet fleet(String layout) {
        return Fleet.of(render(layout));
    }

    // --- the real manifests --------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void everyManifestReadsIntoAModelClassWithNoUnknownField(String layout) {
        Fleet fleet = fleet(layout);
        assertThat(FleetChecks.models(fleet)).isEmpty();
        assertThat(fleet.all(Kafka.class)).hasSize(1);
        assertThat(fleet.all(KafkaTopic.class)).hasSize(Topics.ALL.size());
        assertThat(fleet.generic("Cluster")).hasSize(1);
        assertThat(fleet.resources).allSatisfy(r -> {
            if (!r.getKind().equals("Namespace")) {
                assertThat(r.getMetadata().getNamespace()).as(r.getKind() + " " + r.getMetadata().getName()).isEqualTo("wsl-fleet");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void topicsAreTheProtocolsTopicsWithThreeReplicasAndTwoInSync(String layout) {
        assertThat(FleetChecks.topics(fleet(layout))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void kafkaIsKraftWithThreeBrokersTlsScramAndSimpleAuthorization(String layout) {
        assertThat(FleetChecks.kafkaCluster(fleet(layout))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void kafkaUsersCarryExactlyTheAclsOfFleetAcls(String layout) {
        assertThat(FleetChecks.acls(fleet(layout))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void programsGetOnlyVariablesTheyReadAndSecretsByReference(String layout) {
        assertThat(FleetChecks.environment(fleet(layout), orchestratorReads, buildWorkerReads)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void orchestratorProbesServiceAndMonitorMatchItsHttpConfiguration(String layout) {
        assertThat(FleetChecks.orchestratorEndpoints(fleet(layout), orchestratorProperties)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void everySecretNoOperatorMakesIsCreatedByTheReadmesRecipe(String layout) {
        assertThat(FleetChecks.secretRecipe(fleet(layout), readme)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/small", "overlays/large"})
    void eachOverlayPatchTargetsOneBaseResource(String overlay) {
        List<ObjectNode> base = render("base");
        List<Kustomization.Patch> patches = Kustomization.at(KUBERNETES.resolve(overlay)).patches();
        assertThat(patches).isNotEmpty();
        for (Kustomization.Patch p : patches) {
            assertThat(base.stream().filter(r -> r.path("kind").asText().equals(p.kind())
                    && Kustomization.name(r).equals(p.name())).count())
                    .as(p.file() + " targets " + p.kind() + "/" + p.name()).isEqualTo(1);
        }
        // and each changes what it says: the rendered overlay differs from the base in every patched resource
        List<ObjectNode> rendered = render(overlay);
        for (Kustomization.Patch p : patches) {
            assertThat(find(rendered, p.kind(), p.name())).as(p.file().toString()).isNotEqualTo(find(base, p.kind(), p.name()));
        }
    }

    @Test
    void theLargeFleetHasMorePartitionsAndInstancesThanTheSmallOne() {
        Fleet small = fleet("overlays/small");
        Fleet large = fleet("overlays/large");
        for (String topic : List.of(Topics.AGENT_EVENTS, Topics.COMMANDS)) {
            assertThat(large.one(KafkaTopic.class, topic).getSpec().getPartitions())
                    .isGreaterThan(small.one(KafkaTopic.class, topic).getSpec().getPartitions());
        }
        assertThat(large.one(Deployment.class, FleetChecks.ORCHESTRATOR).getSpec().getReplicas())
                .isGreaterThan(small.one(Deployment.class, FleetChecks.ORCHESTRATOR).getSpec().getReplicas());
        // every orchestrator instance can own a partition of the agent events: more instances would idle
        for (Fleet f : List.of(small, large)) {
            assertThat(f.one(KafkaTopic.class, Topics.AGENT_EVENTS).getSpec().getPartitions())
                    .isGreaterThanOrEqualTo(f.one(Deployment.class, FleetChecks.ORCHESTRATOR).getSpec().getReplicas());
        }
    }

    /** Where kubectl is installed (not on every machine of this project), its kustomize renders what this test does. */
    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void kubectlKustomizeRendersTheSameResources(String layout) throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed: the own rendering stands alone");
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", KUBERNETES.resolve(layout).toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS)).isTrue();
        Assumptions.assumeTrue(p.exitValue() == 0 || out.length > 0, "kubectl kustomize could not run here");
        assertThat(p.exitValue()).isZero();
        Path file = Files.createTempFile("kustomize-", ".yaml");
        try {
            Files.write(file, out);
            Set<JsonNode> theirs = new HashSet<>(Kustomization.readAll(file));
            Set<JsonNode> ours = new HashSet<>(render(layout));
            assertThat(ours).isEqualTo(theirs);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // --- each check fails on a wrong manifest --------------------------------------------------------------------

    @Test
    void aMisspeltFieldOrKindIsReported() {
        List<ObjectNode> docs = mutate(render("base"), "Deployment", "fleet-orchestrator",
                "- {op: add, path: /spec/replcas, value: 3}");
        assertThat(FleetChecks.models(Fleet.of(docs))).anyMatch(p -> p.contains("replcas"));
        docs = mutate(render("base"), "KafkaUser", "fleet-agent",
                "- {op: add, path: /spec/authorization/acls/0/resource/patern, value: literal}");
        assertThat(FleetChecks.models(Fleet.of(docs))).anyMatch(p -> p.contains("patern"));
        docs = mutate(render("base"), "Kafka", "fleet", "- {op: replace, path: /apiVersion, value: kafka.strimzi.io/v1beta9}");
        assertThat(FleetChecks.models(Fleet.of(docs))).anyMatch(p -> p.contains("no model class"));
    }

    @Test
    void aTopicMissingRenamedOrUnderReplicatedIsReported() {
        List<ObjectNode> docs = mutate(render("base"), "KafkaTopic", Topics.COMMANDS,
                "- {op: add, path: /spec/topicName, value: fleet.command}");
        assertThat(FleetChecks.topics(Fleet.of(docs)))
                .contains("topic fleet.command is not a fleet topic (Topics.ALL: " + Topics.ALL + ")", "no KafkaTopic for " + Topics.COMMANDS);
        docs = mutate(render("base"), "KafkaTopic", Topics.AGENT_EVENTS,
                "- {op: replace, path: /spec/config/min.insync.replicas, value: 1}");
        assertThat(FleetChecks.topics(Fleet.of(docs))).anyMatch(p -> p.contains("min.insync.replicas 1"));
        docs = mutate(render("overlays/large"), "KafkaTopic", Topics.COMMANDS,
                "- {op: replace, path: /spec/partitions, value: 96}");
        assertThat(FleetChecks.topics(Fleet.of(docs)))
                .contains("topic fleet.commands has 96 partitions, the orchestrator's FLEET_COMMANDS_PARTITIONS is 240");
    }

    @Test
    void aWeakKafkaClusterIsReported() {
        List<ObjectNode> docs = mutate(render("base"), "KafkaNodePool", "broker", "- {op: replace, path: /spec/replicas, value: 2}");
        docs = mutate(docs, "Kafka", "fleet", """
                - {op: replace, path: /spec/kafka/listeners/1/tls, value: false}
                - {op: add, path: /spec/kafka/authorization/superUsers/-, value: fleet-agent}
                """);
        assertThat(FleetChecks.kafkaCluster(Fleet.of(docs))).contains(
                "2 brokers: replication factor 3 needs 3",
                "listener external is not TLS with SCRAM-SHA-512",
                "super users are [fleet-admin, fleet-agent], not only fleet-admin");
    }

    @Test
    void anAclMoreOrLessThanFleetAclsIsReported() {
        // the agent may not read other topics; the orchestrator must keep its group
        List<ObjectNode> docs = mutate(render("base"), "KafkaUser", "fleet-agent",
                "- {op: add, path: /spec/authorization/acls/0/operations/-, value: Read}");
        docs = mutate(docs, "KafkaUser", "fleet-orchestrator", "- {op: remove, path: /spec/authorization/acls/5}");
        docs = mutate(docs, "KafkaUser", "fleet-build-worker",
                "- {op: replace, path: /spec/authorization/acls/3/resource/patternType, value: prefix}");
        assertThat(FleetChecks.acls(Fleet.of(docs))).containsExactlyInAnyOrder(
                "KafkaUser fleet-agent has ACLs FleetAcls does not give it: [TOPIC LITERAL fleet.agent-events READ]",
                "KafkaUser fleet-orchestrator lacks FleetAcls' [GROUP LITERAL orchestrator READ]",
                "KafkaUser fleet-build-worker lacks FleetAcls' [GROUP LITERAL build-workers READ]",
                "KafkaUser fleet-build-worker has ACLs FleetAcls does not give it: [GROUP PREFIXED build-workers READ]");
    }

    @Test
    void aVariableNoProgramReadsOrASecretInTheManifestIsReported() {
        List<ObjectNode> docs = mutate(render("base"), "Deployment", "fleet-orchestrator", """
                - {op: replace, path: /spec/template/spec/containers/0/env/3/name, value: FLEET_KAFKA_USER}
                - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: FLEET_VIEWER_PASSWORD, value: hunter2}}
                """);
        docs = mutate(docs, "StatefulSet", "fleet-build-worker",
                "- {op: replace, path: /spec/template/spec/containers/0/env/4/valueFrom/secretKeyRef/name, value: fleet-orchestrator}");
        assertThat(FleetChecks.environment(Fleet.of(docs), orchestratorReads, buildWorkerReads)).contains(
                "orchestrator sets FLEET_KAFKA_USER, which it does not read",
                "orchestrator lacks FLEET_KAFKA_USERNAME",
                "orchestrator FLEET_VIEWER_PASSWORD has a value in the manifest: it must come from a Secret",
                "build worker password is not the KafkaUser fleet-build-worker's secret (key password)");
    }

    @Test
    void downloadsOutsideTheTrustedPrefixOrTheStoreOffItsVolumeAreReported() {
        List<ObjectNode> docs = mutate(render("base"), "ConfigMap", "fleet-config",
                "- {op: replace, path: /data/artifact-public-url, value: 'https://artifacts.fleet.example.com'}");
        docs = mutate(docs, "StatefulSet", "fleet-build-worker",
                "- {op: replace, path: /spec/template/spec/containers/0/env/10/value, value: /tmp/artifacts}");
        assertThat(FleetChecks.environment(Fleet.of(docs), orchestratorReads, buildWorkerReads)).contains(
                "trusted artifact base https://artifacts.fleet.example.com does not end in '/': any host name it begins would pass",
                "FLEET_STORE_DIR /tmp/artifacts is not on a volume claim of the StatefulSet [store]");
    }

    @Test
    void aProbeOrScrapeThatMissesTheOrchestratorsEndpointsIsReported() {
        List<ObjectNode> docs = mutate(render("base"), "Deployment", "fleet-orchestrator", """
                - {op: replace, path: /spec/template/spec/containers/0/readinessProbe/httpGet/path, value: /q/health/readyz}
                - {op: replace, path: /spec/template/spec/containers/0/livenessProbe/httpGet/port, value: 9000}
                """);
        docs = mutate(docs, "ServiceMonitor", "fleet-orchestrator", "- {op: remove, path: /spec/endpoints/0/basicAuth}");
        docs = mutate(docs, "PodDisruptionBudget", "fleet-orchestrator", "- {op: replace, path: /spec/minAvailable, value: 2}");
        assertThat(FleetChecks.orchestratorEndpoints(Fleet.of(docs), orchestratorProperties)).contains(
                "readiness probe at /q/health/readyz, the orchestrator serves it at /q/health/ready",
                "liveness probe on port 9000, the orchestrator's health is on 8080",
                "ServiceMonitor has no basicAuth, but /q/metrics needs a login",
                "PodDisruptionBudget minAvailable 2 leaves no pod to drain of 2");
    }

    @Test
    void aSecretTheRecipeDoesNotCreateIsReported() {
        String withoutTrust = readme.replace("create secret generic fleet-trust ", "create secret generic fleet-trusts ");
        assertThat(FleetChecks.secretRecipe(fleet("base"), withoutTrust))
                .contains("secret fleet-trust is referenced but the README's recipe does not create it");
        String withoutViewer = readme.replace("--from-literal=viewer=", "--from-literal=viewers=");
        assertThat(FleetChecks.secretRecipe(fleet("base"), withoutViewer))
                .contains("the README's recipe for secret fleet-orchestrator-users does not give key viewer");
    }

    @Test
    void aPatchAimedAtNothingFailsTheRendering() throws IOException {
        Path overlay = Files.createTempDirectory("overlay-");
        try {
            Files.writeString(overlay.resolve("kustomization.yaml"), """
                    resources: [%s]
                    patches:
                      - path: p.yaml
                        target: {kind: Deployment, name: fleet-orchestrater}
                    """.formatted(KUBERNETES.resolve("base")));
            Files.writeString(overlay.resolve("p.yaml"), "- {op: replace, path: /spec/replicas, value: 3}\n");
            assertThatThrownBy(() -> Kustomization.at(overlay).render()).hasMessageContaining("Deployment/fleet-orchestrater");
            Files.writeString(overlay.resolve("kustomization.yaml"), """
                    resources: [%s]
                    patches:
                      - path: p.yaml
                        target: {kind: Deployment, name: fleet-orchestrator}
                    """.formatted(KUBERNETES.resolve("base")));
            Files.writeString(overlay.resolve("p.yaml"), "- {op: replace, path: /spec/replica, value: 3}\n");
            assertThatThrownBy(() -> Kustomization.at(overlay).render()).hasMessageContaining("/spec/replica does not exist");
        } finally {
            try (var files = Files.list(overlay)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(overlay);
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    static List<ObjectNode> mutate(List<ObjectNode> docs, String kind, String name, String patchYaml) {
        List<ObjectNode> copy = docs.stream().map(ObjectNode::deepCopy).collect(Collectors.toCollection(ArrayList::new));
        ObjectNode target = find(copy, kind, name);
        try {
            JsonPatch.apply(Kustomization.YAML.readTree(patchYaml), target);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
        return copy;
    }

    static ObjectNode find(List<ObjectNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind) && Kustomization.name(d).equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + "/" + name));
    }
}

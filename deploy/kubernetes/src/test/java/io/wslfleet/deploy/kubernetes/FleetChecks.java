package io.wslfleet.deploy.kubernetes;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.KafkaAuthorizationSimple;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerAuthenticationScramSha512;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerType;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleType;
import io.wslfleet.embedded.FleetAcls;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclPermissionType;

/**
 * The checks of a rendered fleet against the code. Each returns what is wrong (empty: nothing), so a test can show
 * that a wrong manifest fails it as well as that the real ones pass.
 */
final class FleetChecks {

    static final String ORCHESTRATOR = "fleet-orchestrator";
    static final String BUILD_WORKER = "fleet-build-worker";
    static final String CONFIG = "fleet-config";

    /** The keys CloudNativePG puts into a cluster's {@code <name>-app} secret. */
    static final Set<String> CNPG_APP_SECRET_KEYS = Set.of("username", "password", "host", "port", "dbname", "uri",
            "jdbc-uri", "pgpass", "fqdn-uri", "fqdn-jdbc-uri", "user");
    /** The keys of Strimzi's {@code <cluster>-cluster-ca-cert} secret. */
    static final Set<String> STRIMZI_CA_KEYS = Set.of("ca.crt", "ca.p12", "ca.password");
    /** The keys of the secret Strimzi's User Operator makes for a SCRAM-SHA-512 KafkaUser. */
    static final Set<String> STRIMZI_USER_KEYS = Set.of("password", "sasl.jaas.config");

    /** What the orchestrator's Deployment must set for a production cluster. */
    static final Set<String> ORCHESTRATOR_REQUIRED = Set.of(KafkaClientSettings.BOOTSTRAP, KafkaClientSettings.USERNAME,
            KafkaClientSettings.PASSWORD, KafkaClientSettings.TRUSTSTORE, KafkaClientSettings.TRUSTSTORE_PASSWORD,
            "FLEET_DB_URL", "FLEET_DB_USER", "FLEET_DB_PASSWORD", "FLEET_ORCHESTRATOR_KEY_FILE", "FLEET_TRUST_BUILD_KEYS",
            "FLEET_TRUST_ARTIFACT_BASE_URLS", "FLEET_ADMIN_PASSWORD");
    /** What the build worker's StatefulSet must set. */
    static final Set<String> BUILD_WORKER_REQUIRED = Set.of(KafkaClientSettings.BOOTSTRAP, KafkaClientSettings.USERNAME,
            KafkaClientSettings.PASSWORD, KafkaClientSettings.TRUSTSTORE, KafkaClientSettings.TRUSTSTORE_PASSWORD,
            "FLEET_SIGNING_KEY", "FLEET_SIGNING_KEY_ID", "FLEET_STORE_DIR", "FLEET_ARTIFACT_PORT",
            "FLEET_ARTIFACT_PUBLIC_URL", "FLEET_TRUST_ORCHESTRATOR_KEYS");

    private FleetChecks() {
    }

    /** Every document read into a model class; Strimzi's kinds into Strimzi's, nothing a model did not know. */
    static List<String> models(Fleet fleet) {
        List<String> problems = new ArrayList<>();
        Set<String> generic = Set.of("postgresql.cnpg.io/v1:Cluster", "postgresql.cnpg.io/v1:ScheduledBackup",
                "monitoring.coreos.com/v1:ServiceMonitor");
        fleet.resources.forEach(r -> {
            String what = r.getApiVersion() + ":" + r.getKind();
            if (r instanceof GenericKubernetesResource && !generic.contains(what)) {
                problems.add(what + " " + r.getMetadata().getName() + " has no model class (a typo in apiVersion or kind?)");
            }
        });
        problems.addAll(fleet.unknownFields());
        return problems;
    }

    /**
     * The KafkaTopics are protocol's {@link Topics#ALL}, each replicated 3 times with min.insync.replicas 2, and
     * {@code fleet.commands} has the partitions the orchestrator is configured for.
     */
    static List<String> topics(Fleet fleet) {
        List<String> problems = new ArrayList<>();
        String cluster = kafka(fleet).getMetadata().getName();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (KafkaTopic t : fleet.all(KafkaTopic.class)) {
            String name = t.getSpec().getTopicName() != null ? t.getSpec().getTopicName() : t.getMetadata().getName();
            seen.merge(name, 1, Integer::sum);
            if (!cluster.equals(label(t.getMetadata().getLabels(), "strimzi.io/cluster"))) {
                problems.add("topic " + name + " is not labelled strimzi.io/cluster=" + cluster);
            }
            if (!Integer.valueOf(3).equals(t.getSpec().getReplicas())) {
                problems.add("topic " + name + " has " + t.getSpec().getReplicas() + " replicas, not 3");
            }
            Object isr = t.getSpec().getConfig() == null ? null : t.getSpec().getConfig().get("min.insync.replicas");
            if (isr == null || !"2".equals(String.valueOf(isr))) {
                problems.add("topic " + name + " has min.insync.replicas " + isr + ", not 2");
            }
            if (t.getSpec().getPartitions() == null || t.getSpec().getPartitions() < 1) {
                problems.add("topic " + name + " has no partition count");
            }
            if (name.equals(Topics.COMMANDS)) {
                // the orchestrator refuses to start unless FLEET_COMMANDS_PARTITIONS is the topic's count
                String configured = resolve(fleet, container(orchestratorPod(fleet)), "FLEET_COMMANDS_PARTITIONS");
                if (!String.valueOf(t.getSpec().getPartitions()).equals(configured)) {
                    problems.add("topic " + name + " has " + t.getSpec().getPartitions()
                            + " partitions, the orchestrator's FLEET_COMMANDS_PARTITIONS is " + configured);
                }
            }
        }
        seen.forEach((name, count) -> {
            if (count > 1) {
                problems.add("topic " + name + " is declared " + count + " times");
            }
            if (!Topics.ALL.contains(name)) {
                problems.add("topic " + name + " is not a fleet topic (Topics.ALL: " + Topics.ALL + ")");
            }
        });
        Topics.ALL.stream().filter(t -> !seen.containsKey(t)).forEach(t -> problems.add("no KafkaTopic for " + t));
        return problems;
    }

    /** KRaft with 3 controllers and 3 brokers, TLS and SCRAM-SHA-512 on every listener, simple authorization. */
    static List<String> kafkaCluster(Fleet fleet) {
        List<String> problems = new ArrayList<>();
        if (fleet.all(Kafka.class).size() != 1) {
            return List.of("expected one Kafka, found " + fleet.all(Kafka.class).size());
        }
        Kafka kafka = kafka(fleet);
        String name = kafka.getMetadata().getName();
        int brokers = 0;
        int controllers = 0;
        for (KafkaNodePool pool : fleet.all(KafkaNodePool.class)) {
            if (!name.equals(label(pool.getMetadata().getLabels(), "strimzi.io/cluster"))) {
                problems.add("node pool " + pool.getMetadata().getName() + " does not belong to Kafka " + name);
                continue;
            }
            if (pool.getSpec().getRoles().contains(ProcessRoles.BROKER)) {
                brokers += pool.getSpec().getReplicas();
            }
            if (pool.getSpec().getRoles().contains(ProcessRoles.CONTROLLER)) {
                controllers += pool.getSpec().getReplicas();
            }
        }
        if (brokers < 3) {
            problems.add(brokers + " brokers: replication factor 3 needs 3");
        }
        if (controllers < 3 || controllers % 2 == 0) {
            problems.add(controllers + " KRaft controllers: a quorum needs an odd number, at least 3");
        }
        if (!"enabled".equals(label(kafka.getMetadata().getAnnotations(), "strimzi.io/node-pools"))) {
            problems.add("Kafka " + name + " lacks the annotation strimzi.io/node-pools: enabled");
        }
        List<GenericKafkaListener> listeners = kafka.getSpec().getKafka().getListeners();
        for (GenericKafkaListener l : listeners) {
            if (!l.isTls() || !(l.getAuth() instanceof KafkaListenerAuthenticationScramSha512)) {
                problems.add("listener " + l.getName() + " is not TLS with SCRAM-SHA-512");
            }
        }
        if (listeners.stream().noneMatch(l -> l.getType() == KafkaListenerType.INTERNAL)) {
            problems.add("no internal listener for the orchestrator and the build worker");
        }
        if (!(kafka.getSpec().getKafka().getAuthorization() instanceof KafkaAuthorizationSimple simple)) {
            problems.add("authorization is not simple");
        } else if (!List.of(KafkaRole.ADMIN.username()).equals(simple.getSuperUsers())) {
            problems.add("super users are " + simple.getSuperUsers() + ", not only " + KafkaRole.ADMIN.username());
        }
        Map<String, Object> config = kafka.getSpec().getKafka().getConfig();
        expectConfig(problems, config, "default.replication.factor", "3");
        expectConfig(problems, config, "min.insync.replicas", "2");
        expectConfig(problems, config, "offsets.topic.replication.factor", "3");
        expectConfig(problems, config, "auto.create.topics.enable", "false");
        return problems;
    }

    /** One KafkaUser per role, each with exactly {@link FleetAcls#all()}'s bindings of its principal. */
    static List<String> acls(Fleet fleet) {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        for (KafkaRole role : KafkaRole.values()) {
            expected.put(role.principal(), new TreeSet<>());
        }
        for (AclBinding b : FleetAcls.all()) {
            if (b.entry().permissionType() != AclPermissionType.ALLOW || !"*".equals(b.entry().host())) {
                problems.add("FleetAcls has a binding this check does not model: " + b);
            }
            expected.get(b.entry().principal()).add(acl(b.pattern().resourceType().name(), b.pattern().patternType().name(),
                    b.pattern().name(), b.entry().operation().name()));
        }
        Map<String, KafkaUser> users = fleet.all(KafkaUser.class).stream()
                .collect(Collectors.toMap(u -> "User:" + u.getMetadata().getName(), u -> u, (a, b) -> a, LinkedHashMap::new));
        users.keySet().stream().filter(p -> !expected.containsKey(p))
                .forEach(p -> problems.add("KafkaUser " + p + " is no KafkaRole"));
        for (KafkaRole role : KafkaRole.values()) {
            KafkaUser user = users.get(role.principal());
            if (user == null) {
                problems.add("no KafkaUser " + role.username() + " (" + role + ")");
                continue;
            }
            if (!(user.getSpec().getAuthentication() instanceof KafkaUserScramSha512ClientAuthentication)) {
                problems.add("KafkaUser " + role.username() + " does not authenticate with SCRAM-SHA-512");
            }
            Set<String> actual = new TreeSet<>();
            if (user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple simple && simple.getAcls() != null) {
                for (AclRule rule : simple.getAcls()) {
                    if (rule.getType() != null && rule.getType() != AclRuleType.ALLOW
                            || rule.getHost() != null && !rule.getHost().equals("*")) {
                        problems.add("KafkaUser " + role.username() + " has a rule that is not ALLOW from any host: " + rule);
                    }
                    List<AclOperation> ops = rule.getOperations() != null ? rule.getOperations()
                            : rule.getOperation() != null ? List.of(rule.getOperation()) : List.of();
                    var resource = rule.getResource();
                    String pattern = patternOf(resource);
                    String name = nameOf(resource);
                    for (AclOperation op : ops) {
                        actual.add(acl(resource.getType(), pattern, name, op.name()));
                    }
                }
            } else if (user.getSpec().getAuthorization() != null) {
                problems.add("KafkaUser " + role.username() + " has an authorization other than simple");
            }
            Set<String> missing = new TreeSet<>(expected.get(role.principal()));
            missing.removeAll(actual);
            Set<String> extra = new TreeSet<>(actual);
            extra.removeAll(expected.get(role.principal()));
            if (!missing.isEmpty()) {
                problems.add("KafkaUser " + role.username() + " lacks FleetAcls' " + missing);
            }
            if (!extra.isEmpty()) {
                problems.add("KafkaUser " + role.username() + " has ACLs FleetAcls does not give it: " + extra);
            }
        }
        return problems;
    }

    /** The environment of both programs: only names they read, the ones production needs, secrets by reference. */
    static List<String> environment(Fleet fleet, Set<String> orchestratorReads, Set<String> buildWorkerReads) {
        List<String> problems = new ArrayList<>();
        Container orchestrator = container(orchestratorPod(fleet));
        Container worker = container(buildWorkerPod(fleet));
        problems.addAll(names("orchestrator", orchestrator, orchestratorReads, ORCHESTRATOR_REQUIRED));
        problems.addAll(names("build worker", worker, buildWorkerReads, BUILD_WORKER_REQUIRED));
        problems.addAll(kafkaClient(fleet, "orchestrator", orchestratorPod(fleet), KafkaRole.ORCHESTRATOR));
        problems.addAll(kafkaClient(fleet, "build worker", buildWorkerPod(fleet), KafkaRole.BUILD_WORKER));

        // the database: CloudNativePG's generated app secret
        String appSecret = cnpgAppSecret(fleet);
        for (String name : List.of("FLEET_DB_URL", "FLEET_DB_USER", "FLEET_DB_PASSWORD")) {
            env(orchestrator, name).ifPresent(e -> {
                var ref = e.getValueFrom() == null ? null : e.getValueFrom().getSecretKeyRef();
                if (ref == null || !ref.getName().equals(appSecret) || !CNPG_APP_SECRET_KEYS.contains(ref.getKey())) {
                    problems.add("orchestrator " + name + " does not come from CloudNativePG's secret " + appSecret);
                }
            });
        }
        // the signing key file: a mounted Secret without subPath (an update reaches the file: rotation without restart)
        env(orchestrator, "FLEET_ORCHESTRATOR_KEY_FILE").map(EnvVar::getValue).ifPresent(path ->
                mountFor(orchestratorPod(fleet), orchestrator, path).ifPresentOrElse(mount -> {
                    Volume v = volume(orchestratorPod(fleet), mount.getName());
                    if (v == null || v.getSecret() == null || mount.getSubPath() != null) {
                        problems.add("FLEET_ORCHESTRATOR_KEY_FILE " + path + " is not in a Secret volume mounted without subPath");
                    }
                }, () -> problems.add("FLEET_ORCHESTRATOR_KEY_FILE " + path + " is on no mounted volume")));
        // the artifact store on the StatefulSet's volume claim; the port the container and Service use
        StatefulSet sts = fleet.one(StatefulSet.class, BUILD_WORKER);
        env(worker, "FLEET_STORE_DIR").map(EnvVar::getValue).ifPresent(dir -> {
            Optional<VolumeMount> mount = mountFor(buildWorkerPod(fleet), worker, dir);
            Set<String> claims = sts.getSpec().getVolumeClaimTemplates().stream()
                    .map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
            if (mount.isEmpty() || !claims.contains(mount.get().getName())) {
                problems.add("FLEET_STORE_DIR " + dir + " is not on a volume claim of the StatefulSet " + claims);
            }
        });
        env(worker, "FLEET_ARTIFACT_PORT").map(EnvVar::getValue).ifPresent(port -> {
            if (worker.getPorts().stream().noneMatch(p -> String.valueOf(p.getContainerPort()).equals(port))) {
                problems.add("FLEET_ARTIFACT_PORT " + port + " is not a port of the build worker's container");
            }
        });
        // downloads: the public URL is the build worker's Ingress, and the orchestrator trusts exactly that prefix
        String publicUrl = resolve(fleet, worker, "FLEET_ARTIFACT_PUBLIC_URL");
        String trusted = resolve(fleet, orchestrator, "FLEET_TRUST_ARTIFACT_BASE_URLS");
        if (publicUrl != null) {
            URI uri = URI.create(publicUrl);
            Set<String> hosts = ingressHosts(fleet, BUILD_WORKER);
            if (!"https".equals(uri.getScheme()) || !hosts.contains(uri.getHost())) {
                problems.add("FLEET_ARTIFACT_PUBLIC_URL " + publicUrl + " is not https on the build worker's Ingress " + hosts);
            }
            if (trusted == null) {
                problems.add("FLEET_TRUST_ARTIFACT_BASE_URLS is unset: the orchestrator would accept any download URL");
            } else {
                for (String base : trusted.split(",")) {
                    if (!base.endsWith("/")) {
                        problems.add("trusted artifact base " + base + " does not end in '/': any host name it begins would pass");
                    }
                    if (!(publicUrl.replaceAll("/+$", "") + "/artifacts/").startsWith(base)) {
                        problems.add("trusted artifact base " + base + " does not cover the download URLs under " + publicUrl);
                    }
                }
            }
        }
        // secrets only by reference
        for (Container c : List.of(orchestrator, worker)) {
            for (EnvVar e : c.getEnv()) {
                if (e.getValue() != null && secretLike(e.getName())) {
                    problems.add(c.getName() + " " + e.getName() + " has a value in the manifest: it must come from a Secret");
                }
            }
        }
        fleet.resources.stream().filter(r -> r.getKind().equals("Secret"))
                .forEach(r -> problems.add("Secret " + r.getMetadata().getName() + " in a manifest: create it with kubectl (README)"));
        return problems;
    }

    /** Probes, Service, Ingress, PDB and ServiceMonitor against the orchestrator's HTTP configuration. */
    static List<String> orchestratorEndpoints(Fleet fleet, Properties properties) {
        List<String> problems = new ArrayList<>();
        Deployment deployment = fleet.one(Deployment.class, ORCHESTRATOR);
        PodSpec pod = orchestratorPod(fleet);
        Container c = container(pod);
        boolean management = Boolean.parseBoolean(ProgramSettings.prodProperty(properties, "quarkus.management.enabled"));
        int port = Integer.parseInt(Objects.requireNonNullElse(ProgramSettings.prodProperty(properties,
                management ? "quarkus.management.port" : "quarkus.http.port"), management ? "9000" : "8080"));
        int httpPort = Integer.parseInt(Objects.requireNonNullElse(
                ProgramSettings.prodProperty(properties, "quarkus.http.port"), "8080"));
        String root = "/" + Objects.requireNonNullElse(ProgramSettings.prodProperty(properties,
                management ? "quarkus.management.root-path" : "quarkus.http.non-application-root-path"), "q")
                .replaceAll("^/|/$", "");
        String health = root + "/" + Objects.requireNonNullElse(
                ProgramSettings.prodProperty(properties, "quarkus.smallrye-health.root-path"), "health").replaceAll("^/|/$", "");
        String metrics = root + "/" + Objects.requireNonNullElse(
                ProgramSettings.prodProperty(properties, "quarkus.micrometer.export.prometheus.path"), "metrics").replaceAll("^/|/$", "");

        problems.addAll(probe("readiness", c, c.getReadinessProbe(), health + "/ready", port));
        problems.addAll(probe("liveness", c, c.getLivenessProbe(), health + "/live", port));
        if (c.getStartupProbe() != null) {
            problems.addAll(probe("startup", c, c.getStartupProbe(), health + "/started", port));
        }
        if (!permittedWithoutLogin(properties, health + "/ready") || !permittedWithoutLogin(properties, health + "/live")) {
            problems.add("the health paths need a login (application.properties): the kubelet has none");
        }
        Integer replicas = deployment.getSpec().getReplicas();
        if (replicas == null || replicas < 2) {
            problems.add("orchestrator replicas " + replicas + ": at least 2");
        }
        if (c.getResources() == null || c.getResources().getRequests() == null || c.getResources().getLimits() == null
                || !c.getResources().getLimits().containsKey("memory")) {
            problems.add("orchestrator container without requests and a memory limit");
        }
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        PodDisruptionBudget pdb = fleet.find(PodDisruptionBudget.class, ORCHESTRATOR).orElse(null);
        if (pdb == null || !selects(pdb.getSpec().getSelector().getMatchLabels(), podLabels)) {
            problems.add("no PodDisruptionBudget selecting the orchestrator's pods");
        } else if (pdb.getSpec().getMinAvailable() == null || replicas == null
                || pdb.getSpec().getMinAvailable().getIntVal() == null || pdb.getSpec().getMinAvailable().getIntVal() >= replicas) {
            problems.add("PodDisruptionBudget minAvailable " + show(pdb.getSpec().getMinAvailable())
                    + " leaves no pod to drain of " + replicas);
        }
        Service service = fleet.find(Service.class, ORCHESTRATOR).orElse(null);
        if (service == null || !selects(service.getSpec().getSelector(), podLabels)) {
            problems.add("no Service selecting the orchestrator's pods");
            return problems;
        }
        for (ServicePort sp : service.getSpec().getPorts()) {
            if (containerPort(c, sp.getTargetPort()) != httpPort) {
                problems.add("Service port " + sp.getName() + " targets " + show(sp.getTargetPort()) + ", not the HTTP port " + httpPort);
            }
        }
        for (Ingress ingress : fleet.all(Ingress.class)) {
            ingress.getSpec().getRules().forEach(rule -> rule.getHttp().getPaths().forEach(path -> {
                IngressBackend b = path.getBackend();
                Optional<Service> target = fleet.find(Service.class, b.getService().getName());
                boolean portExists = target.isPresent() && target.get().getSpec().getPorts().stream().anyMatch(sp ->
                        Objects.equals(sp.getName(), b.getService().getPort().getName())
                                || Objects.equals(sp.getPort(), b.getService().getPort().getNumber()));
                if (!portExists) {
                    problems.add("Ingress " + ingress.getMetadata().getName() + " routes to " + b.getService().getName()
                            + ":" + b.getService().getPort() + ", which no Service has");
                }
            }));
        }
        List<GenericKubernetesResource> monitors = fleet.generic("ServiceMonitor");
        if (monitors.isEmpty()) {
            problems.add("no ServiceMonitor for the orchestrator");
        }
        for (GenericKubernetesResource m : monitors) {
            Map<String, String> selector = m.get("spec", "selector", "matchLabels");
            if (!selects(selector, service.getMetadata().getLabels())) {
                problems.add("ServiceMonitor " + m.getMetadata().getName() + " does not select the orchestrator's Service");
            }
            List<Map<String, Object>> endpoints = m.get("spec", "endpoints");
            for (Map<String, Object> e : endpoints) {
                if (!metrics.equals(e.get("path"))) {
                    problems.add("ServiceMonitor scrapes " + e.get("path") + ", the orchestrator serves metrics at " + metrics);
                }
                if (service.getSpec().getPorts().stream().noneMatch(sp -> Objects.equals(sp.getName(), e.get("port")))) {
                    problems.add("ServiceMonitor scrapes port " + e.get("port") + ", which the Service lacks");
                }
                if (!permittedWithoutLogin(properties, metrics) && e.get("basicAuth") == null) {
                    problems.add("ServiceMonitor has no basicAuth, but " + metrics + " needs a login");
                }
            }
        }
        return problems;
    }

    /**
     * Every Secret the manifests reference that no operator makes (Strimzi: a KafkaUser's and the cluster CA's;
     * CloudNativePG: the app secret) is created, with each key referenced, by the README's recipe.
     */
    static List<String> secretRecipe(Fleet fleet, String readme) {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> referenced = referencedSecrets(fleet);
        Set<String> generated = new HashSet<>();
        fleet.all(KafkaUser.class).forEach(u -> generated.add(u.getMetadata().getName()));
        generated.add(kafka(fleet).getMetadata().getName() + "-cluster-ca-cert");
        generated.add(cnpgAppSecret(fleet));
        referenced.forEach((name, keys) -> {
            if (generated.contains(name)) {
                Set<String> allowed = name.endsWith("-cluster-ca-cert") ? STRIMZI_CA_KEYS
                        : name.equals(cnpgAppSecret(fleet)) ? CNPG_APP_SECRET_KEYS : STRIMZI_USER_KEYS;
                keys.stream().filter(k -> !allowed.contains(k))
                        .forEach(k -> problems.add("secret " + name + " (made by an operator) has no key " + k));
                return;
            }
            java.util.regex.Matcher create = java.util.regex.Pattern.compile("kubectl (-n \\S+ )?create secret (generic|tls) "
                    + java.util.regex.Pattern.quote(name) + "\\s").matcher(readme);
            int at = create.find() ? create.start() : -1;
            if (at < 0) {
                problems.add("secret " + name + " is referenced but the README's recipe does not create it");
                return;
            }
            int end = readme.indexOf("\n\n", at);
            String command = readme.substring(at, end < 0 ? readme.length() : end);
            for (String key : keys) {
                if (!command.contains("--from-literal=" + key + "=") && !command.contains("--from-file=" + key + "=")) {
                    problems.add("the README's recipe for secret " + name + " does not give key " + key);
                }
            }
        });
        return problems;
    }

    static Map<String, Set<String>> referencedSecrets(Fleet fleet) {
        Map<String, Set<String>> refs = new LinkedHashMap<>();
        for (PodSpec pod : List.of(orchestratorPod(fleet), buildWorkerPod(fleet))) {
            for (Container c : pod.getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                        refs.computeIfAbsent(e.getValueFrom().getSecretKeyRef().getName(), k -> new TreeSet<>())
                                .add(e.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
            }
            // a file a program is pointed at inside a whole-Secret volume is a key of that Secret
            for (Container c : pod.getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getValue() == null || !e.getValue().startsWith("/")) {
                        continue;
                    }
                    mountFor(pod, c, e.getValue()).ifPresent(m -> {
                        Volume v = volume(pod, m.getName());
                        if (v != null && v.getSecret() != null && v.getSecret().getItems() == null) {
                            refs.computeIfAbsent(v.getSecret().getSecretName(), k -> new TreeSet<>())
                                    .add(e.getValue().substring(m.getMountPath().length()).replaceAll("^/", ""));
                        }
                    });
                }
            }
            for (Volume v : pod.getVolumes()) {
                if (v.getSecret() != null) {
                    Set<String> keys = refs.computeIfAbsent(v.getSecret().getSecretName(), k -> new TreeSet<>());
                    if (v.getSecret().getItems() != null) {
                        v.getSecret().getItems().forEach(i -> keys.add(i.getKey()));
                    }
                }
            }
        }
        for (Ingress ingress : fleet.all(Ingress.class)) {
            ingress.getSpec().getTls().forEach(tls -> refs.computeIfAbsent(tls.getSecretName(), k -> new TreeSet<>()));
        }
        for (GenericKubernetesResource m : fleet.generic("ServiceMonitor")) {
            List<Map<String, Object>> endpoints = m.get("spec", "endpoints");
            for (Map<String, Object> e : endpoints) {
                if (e.get("basicAuth") instanceof Map<?, ?> auth) {
                    for (Object part : auth.values()) {
                        Map<?, ?> ref = (Map<?, ?>) part;
                        refs.computeIfAbsent(String.valueOf(ref.get("name")), k -> new TreeSet<>()).add(String.valueOf(ref.get("key")));
                    }
                }
            }
        }
        for (GenericKubernetesResource cluster : fleet.generic("Cluster")) {
            Map<String, Object> s3 = cluster.get("spec", "backup", "barmanObjectStore", "s3Credentials");
            if (s3 != null) {
                for (Object part : s3.values()) {
                    Map<?, ?> ref = (Map<?, ?>) part;
                    refs.computeIfAbsent(String.valueOf(ref.get("name")), k -> new TreeSet<>()).add(String.valueOf(ref.get("key")));
                }
            }
        }
        return refs;
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private static List<String> names(String program, Container c, Set<String> reads, Set<String> required) {
        List<String> problems = new ArrayList<>();
        Set<String> set = c.getEnv().stream().map(EnvVar::getName).collect(Collectors.toCollection(TreeSet::new));
        for (String name : set) {
            if (!reads.contains(name)) {
                problems.add(program + " sets " + name + ", which it does not read");
            }
        }
        for (String name : required) {
            if (!set.contains(name)) {
                problems.add(program + " lacks " + name);
            }
        }
        return problems;
    }

    private static List<String> kafkaClient(Fleet fleet, String program, PodSpec pod, KafkaRole role) {
        List<String> problems = new ArrayList<>();
        Container c = container(pod);
        Kafka kafka = kafka(fleet);
        String cluster = kafka.getMetadata().getName();
        Set<String> bootstraps = kafka.getSpec().getKafka().getListeners().stream()
                .filter(l -> l.getType() == KafkaListenerType.INTERNAL && l.isTls())
                .map(l -> cluster + "-kafka-bootstrap:" + l.getPort()).collect(Collectors.toSet());
        env(c, KafkaClientSettings.BOOTSTRAP).map(EnvVar::getValue).ifPresent(b -> {
            if (!bootstraps.contains(b)) {
                problems.add(program + " bootstrap " + b + " is not an internal TLS listener " + bootstraps);
            }
        });
        env(c, KafkaClientSettings.USERNAME).map(EnvVar::getValue).ifPresent(u -> {
            if (!role.username().equals(u)) {
                problems.add(program + " connects as " + u + ", its role is " + role.username());
            }
        });
        env(c, KafkaClientSettings.PASSWORD).ifPresent(e -> {
            var ref = e.getValueFrom() == null ? null : e.getValueFrom().getSecretKeyRef();
            if (ref == null || !ref.getName().equals(role.username()) || !ref.getKey().equals("password")) {
                problems.add(program + " password is not the KafkaUser " + role.username() + "'s secret (key password)");
            }
        });
        String caSecret = cluster + "-cluster-ca-cert";
        env(c, KafkaClientSettings.TRUSTSTORE_PASSWORD).ifPresent(e -> {
            var ref = e.getValueFrom() == null ? null : e.getValueFrom().getSecretKeyRef();
            if (ref == null || !ref.getName().equals(caSecret) || !ref.getKey().equals("ca.password")) {
                problems.add(program + " truststore password is not " + caSecret + "'s ca.password");
            }
        });
        env(c, KafkaClientSettings.TRUSTSTORE).map(EnvVar::getValue).ifPresent(path -> {
            Optional<VolumeMount> mount = mountFor(pod, c, path);
            Volume v = mount.map(m -> volume(pod, m.getName())).orElse(null);
            String file = mount.map(m -> path.substring(m.getMountPath().length()).replaceAll("^/", "")).orElse("");
            boolean fromCa = v != null && v.getSecret() != null && caSecret.equals(v.getSecret().getSecretName())
                    && (v.getSecret().getItems() == null ? file.equals("ca.p12")
                    : v.getSecret().getItems().stream().anyMatch(i -> i.getKey().equals("ca.p12") && i.getPath().equals(file)));
            if (!fromCa || !path.endsWith(".p12")) {
                problems.add(program + " truststore " + path + " is not " + caSecret + "'s ca.p12 (PKCS12)");
            }
        });
        return problems;
    }

    private static List<String> probe(String what, Container c, Probe probe, String path, int port) {
        if (probe == null || probe.getHttpGet() == null) {
            return List.of("orchestrator has no HTTP " + what + " probe");
        }
        HTTPGetAction get = probe.getHttpGet();
        List<String> problems = new ArrayList<>();
        if (!path.equals(get.getPath())) {
            problems.add(what + " probe at " + get.getPath() + ", the orchestrator serves it at " + path);
        }
        if (containerPort(c, get.getPort()) != port) {
            problems.add(what + " probe on port " + show(get.getPort()) + ", the orchestrator's health is on " + port);
        }
        return problems;
    }

    /** Whether application.properties' HTTP permissions let an anonymous request reach {@code path}. */
    static boolean permittedWithoutLogin(Properties p, String path) {
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("quarkus.http.auth.permission.") && key.endsWith(".paths")) {
                String name = key.substring(0, key.length() - ".paths".length());
                if ("permit".equals(p.getProperty(name + ".policy"))) {
                    for (String pattern : p.getProperty(key).split(",")) {
                        pattern = pattern.trim();
                        if (pattern.equals(path) || pattern.endsWith("/*") && path.startsWith(pattern.substring(0, pattern.length() - 1))) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static String show(IntOrString v) {
        return v == null ? "none" : v.getIntVal() != null ? String.valueOf(v.getIntVal()) : v.getStrVal();
    }

    private static int containerPort(Container c, IntOrString port) {
        if (port == null) {
            return -1;
        }
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .mapToInt(p -> p.getContainerPort()).findFirst().orElse(-1);
    }

    private static Optional<VolumeMount> mountFor(PodSpec pod, Container c, String path) {
        return c.getVolumeMounts().stream()
                .filter(m -> path.equals(m.getMountPath()) || path.startsWith(m.getMountPath().replaceAll("/$", "") + "/"))
                .findFirst();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElse(null);
    }

    /** An env var's value, through a ConfigMap reference if it has one. */
    static String resolve(Fleet fleet, Container c, String name) {
        EnvVar e = env(c, name).orElse(null);
        if (e == null) {
            return null;
        }
        if (e.getValue() != null) {
            return e.getValue();
        }
        var ref = e.getValueFrom() == null ? null : e.getValueFrom().getConfigMapKeyRef();
        if (ref == null) {
            return null;
        }
        return fleet.find(ConfigMap.class, ref.getName()).map(cm -> cm.getData().get(ref.getKey())).orElse(null);
    }

    private static Set<String> ingressHosts(Fleet fleet, String service) {
        Set<String> hosts = new TreeSet<>();
        for (Ingress ingress : fleet.all(Ingress.class)) {
            ingress.getSpec().getRules().forEach(rule -> rule.getHttp().getPaths().forEach(path -> {
                if (service.equals(path.getBackend().getService().getName())) {
                    hosts.add(rule.getHost());
                }
            }));
        }
        return hosts;
    }

    static boolean secretLike(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return n.contains("PASSWORD") || n.contains("TOKEN") || n.contains("SECRET")
                || n.endsWith("_KEY") || n.endsWith("_KEYS") && !n.startsWith("FLEET_TRUST");
    }

    private static Optional<EnvVar> env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    static PodSpec orchestratorPod(Fleet fleet) {
        return fleet.one(Deployment.class, ORCHESTRATOR).getSpec().getTemplate().getSpec();
    }

    static PodSpec buildWorkerPod(Fleet fleet) {
        return fleet.one(StatefulSet.class, BUILD_WORKER).getSpec().getTemplate().getSpec();
    }

    private static Container container(PodSpec pod) {
        return pod.getContainers().get(0);
    }

    private static Kafka kafka(Fleet fleet) {
        return fleet.all(Kafka.class).get(0);
    }

    private static String cnpgAppSecret(Fleet fleet) {
        List<GenericKubernetesResource> clusters = fleet.generic("Cluster");
        if (clusters.size() != 1) {
            return "(no CloudNativePG Cluster)";
        }
        GenericKubernetesResource cluster = clusters.get(0);
        String named = cluster.get("spec", "bootstrap", "initdb", "secret", "name");
        return named != null ? named : cluster.getMetadata().getName() + "-app";
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    private static String label(Map<String, String> labels, String key) {
        return labels == null ? null : labels.get(key);
    }

    private static void expectConfig(List<String> problems, Map<String, Object> config, String key, String value) {
        Object actual = config == null ? null : config.get(key);
        if (actual == null || !value.equals(String.valueOf(actual))) {
            problems.add("Kafka config " + key + " is " + actual + ", not " + value);
        }
    }

    private static String acl(String type, String pattern, String name, String operation) {
        return type.toUpperCase(Locale.ROOT).replace("_", "") + " " + pattern + " " + name + " "
                + operation.toUpperCase(Locale.ROOT).replace("_", "");
    }

    private static String patternOf(Object resource) {
        AclResourcePatternType p = invoke(resource, "getPatternType");
        return p == null || p == AclResourcePatternType.LITERAL ? "LITERAL" : "PREFIXED";
    }

    private static String nameOf(Object resource) {
        String name = invoke(resource, "getName");
        return name == null ? "kafka-cluster" : name;
    }

    @SuppressWarnings("unchecked")
    private static <T> T invoke(Object target, String method) {
        try {
            return (T) target.getClass().getMethod(method).invoke(target);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.wslfleet.embedded;

import java.util.ArrayList;
import java.util.List;

import io.wslfleet.protocol.Topics;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * What each {@link KafkaRole} may do on the bus; with {@code StandardAuthorizer} and no
 * {@code allow.everyone.if.no.acl.found}, everything else is denied. WRITE on a topic also allows an idempotent
 * producer (KIP-679), so no role needs cluster rights. {@link KafkaRole#ADMIN} is a super user and has no entry here.
 */
public final class FleetAcls {

    /** The orchestrator instances' consumer group (application.properties, both channels). */
    public static final String ORCHESTRATOR_GROUP = "orchestrator";
    /** The build workers' consumer group ({@code BuildWorker.GROUP}). */
    public static final String BUILD_WORKER_GROUP = "build-workers";
    /** Each agent commits its position under {@code agent-<machine>_<user>} ({@code Agent}). */
    public static final String AGENT_GROUP_PREFIX = "agent-";

    private FleetAcls() {
    }

    public static List<AclBinding> all() {
        List<AclBinding> acls = new ArrayList<>();
        KafkaRole agent = KafkaRole.AGENT;
        allowTopic(acls, agent, Topics.AGENT_EVENTS, AclOperation.WRITE, AclOperation.DESCRIBE);
        allowTopic(acls, agent, Topics.COMMANDS, AclOperation.READ, AclOperation.DESCRIBE);
        // Interim, against DESIGN's trust model: the agent dead-letters a command it cannot decode (Agent.deadLetter
        // through its outbox, which retries a refused record forever and so would stall every later event).
        // Remove with that path (e.g. the agent reports the refusal as an agent event instead).
        allowTopic(acls, agent, Topics.DEAD_LETTER, AclOperation.WRITE);
        allow(acls, agent, ResourceType.GROUP, AGENT_GROUP_PREFIX, PatternType.PREFIXED, AclOperation.READ);

        KafkaRole worker = KafkaRole.BUILD_WORKER;
        allowTopic(acls, worker, Topics.BUILD_REQUESTS, AclOperation.READ, AclOperation.DESCRIBE);
        allowTopic(acls, worker, Topics.ARTIFACTS, AclOperation.WRITE, AclOperation.DESCRIBE);
        allowTopic(acls, worker, Topics.DEAD_LETTER, AclOperation.WRITE, AclOperation.DESCRIBE);
        allow(acls, worker, ResourceType.GROUP, BUILD_WORKER_GROUP, PatternType.LITERAL, AclOperation.READ);

        KafkaRole orchestrator = KafkaRole.ORCHESTRATOR;
        allowTopic(acls, orchestrator, Topics.AGENT_EVENTS, AclOperation.READ, AclOperation.DESCRIBE);
        allowTopic(acls, orchestrator, Topics.ARTIFACTS, AclOperation.READ, AclOperation.DESCRIBE);
        allowTopic(acls, orchestrator, Topics.COMMANDS, AclOperation.WRITE, AclOperation.DESCRIBE);
        allowTopic(acls, orchestrator, Topics.BUILD_REQUESTS, AclOperation.WRITE, AclOperation.DESCRIBE);
        allowTopic(acls, orchestrator, Topics.DEAD_LETTER, AclOperation.WRITE, AclOperation.DESCRIBE);
        allow(acls, orchestrator, ResourceType.GROUP, ORCHESTRATOR_GROUP, PatternType.LITERAL, AclOperation.READ);
        return acls;
    }

    private static void allowTopic(List<AclBinding> acls, KafkaRole role, String topic, AclOperation... operations) {
        allow(acls, role, ResourceType.TOPIC, topic, PatternType.LITERAL, operations);
    }

    private static void allow(List<AclBinding> acls, KafkaRole role, ResourceType type, String name,
                              PatternType pattern, AclOperation... operations) {
        for (AclOperation operation : operations) {
            acls.add(new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(role.principal(), "*", operation, AclPermissionType.ALLOW)));
        }
    }
}

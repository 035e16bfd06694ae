package io.wslfleet.embedded;

import io.wslfleet.protocol.Topics;

/**
 * The Kafka principals of the fleet, one per role (SASL/SCRAM user {@code User:<name>}); what each may do is in
 * {@link FleetAcls}. {@link #ADMIN} is a super user, for operators and their console tools.
 */
public enum KafkaRole {
    ADMIN("fleet-admin"),
    ORCHESTRATOR("fleet-orchestrator"),
    BUILD_WORKER("fleet-build-worker"),
    AGENT("fleet-agent");

    private final String username;

    KafkaRole(String username) {
        this.username = username;
    }

    public String username() {
        return username;
    }

    public String principal() {
        return "User:" + username;
    }

    /**
     * The role that writes {@code topic} in the fleet, for a test or tool standing in for that program: agents write
     * agent events, build workers artifacts, the orchestrator the other topics.
     */
    public static KafkaRole writerOf(String topic) {
        if (Topics.AGENT_EVENTS.equals(topic)) {
            return AGENT;
        }
        if (Topics.ARTIFACTS.equals(topic)) {
            return BUILD_WORKER;
        }
        return ORCHESTRATOR;
    }
}

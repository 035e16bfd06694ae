package io.wslfleet.protocol;

import java.util.List;

/** The Kafka topics of the event bus (see DESIGN.md). Channel names in the services equal these names. */
public final class Topics {
    /** Key: build id. Orchestrator to build workers (one consumer group). */
    public static final String BUILD_REQUESTS = "fleet.build-requests";
    /** Key: release id (build id for progress and failures). Build worker to orchestrator. */
    public static final String ARTIFACTS = "fleet.artifacts";
    /** Key: agent id. Orchestrator to agents; each agent reads only the partition its key hashes to. */
    public static final String COMMANDS = "fleet.commands";
    /** Key: agent id. Agents to orchestrator. */
    public static final String AGENT_EVENTS = "fleet.agent-events";
    /** Key: as received. What a consumer could not process, with the reason and origin in headers. */
    public static final String DEAD_LETTER = "fleet.dead-letter";

    public static final List<String> ALL = List.of(BUILD_REQUESTS, ARTIFACTS, COMMANDS, AGENT_EVENTS, DEAD_LETTER);

    /** Partitions each topic is created with by the embedded broker and the deploy manifests. */
    public static final int DEFAULT_PARTITIONS = 4;

    private Topics() {
    }
}

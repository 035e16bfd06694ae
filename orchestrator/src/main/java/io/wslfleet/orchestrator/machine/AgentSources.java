package io.wslfleet.orchestrator.machine;

/** The CloudEvents source an agent's events carry: {@code urn:wsl-fleet:agent:<agent id>}, nothing else. */
public final class AgentSources {
    public static final String PREFIX = "urn:wsl-fleet:agent:";

    private AgentSources() {
    }

    public static String of(String agentId) {
        return PREFIX + agentId;
    }
}

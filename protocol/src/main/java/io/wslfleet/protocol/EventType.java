package io.wslfleet.protocol;

import io.wslfleet.protocol.events.*;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every event type on the bus: its CloudEvents type string ({@code io.wslfleet.<noun>.<verb>.v<N>}), the record that
 * carries its data, and the topic it travels on.
 */
public enum EventType {
    BUILD_REQUESTED("io.wslfleet.build.requested.v1", BuildRequested.class, Topics.BUILD_REQUESTS),
    BUILD_PROGRESS("io.wslfleet.build.progressed.v1", BuildProgress.class, Topics.ARTIFACTS),
    BUILD_FAILED("io.wslfleet.build.failed.v1", BuildFailed.class, Topics.ARTIFACTS),
    RELEASE_PUBLISHED("io.wslfleet.release.published.v1", ReleasePublished.class, Topics.ARTIFACTS),

    INSTALL_COMMAND("io.wslfleet.distro.install.v1", InstallCommand.class, Topics.COMMANDS),
    UPGRADE_COMMAND("io.wslfleet.distro.upgrade.v1", UpgradeCommand.class, Topics.COMMANDS),
    ROLLBACK_COMMAND("io.wslfleet.distro.rollback.v1", RollbackCommand.class, Topics.COMMANDS),
    BACKUP_COMMAND("io.wslfleet.distro.backup.v1", BackupCommand.class, Topics.COMMANDS),
    HEALTH_CHECK_COMMAND("io.wslfleet.distro.healthcheck.v1", HealthCheckCommand.class, Topics.COMMANDS),

    AGENT_REGISTERED("io.wslfleet.agent.registered.v1", AgentRegistered.class, Topics.AGENT_EVENTS),
    AGENT_HEARTBEAT("io.wslfleet.agent.heartbeat.v1", AgentHeartbeat.class, Topics.AGENT_EVENTS),
    COMMAND_PROGRESS("io.wslfleet.command.progressed.v1", CommandProgress.class, Topics.AGENT_EVENTS),
    COMMAND_RESULT("io.wslfleet.command.completed.v1", CommandResult.class, Topics.AGENT_EVENTS),
    COMMAND_REFUSED("io.wslfleet.command.refused.v1", CommandRefused.class, Topics.AGENT_EVENTS);

    private static final Map<String, EventType> BY_CE_TYPE =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::ceType, Function.identity()));
    private static final Map<Class<?>, EventType> BY_CLASS =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::dataClass, Function.identity()));

    private final String ceType;
    private final Class<? extends EventData> dataClass;
    private final String topic;

    EventType(String ceType, Class<? extends EventData> dataClass, String topic) {
        this.ceType = ceType;
        this.dataClass = dataClass;
        this.topic = topic;
    }

    public String ceType() {
        return ceType;
    }

    public Class<? extends EventData> dataClass() {
        return dataClass;
    }

    public String topic() {
        return topic;
    }

    public static Optional<EventType> fromCeType(String ceType) {
        return Optional.ofNullable(BY_CE_TYPE.get(ceType));
    }

    public static EventType of(EventData data) {
        EventType type = BY_CLASS.get(data.getClass());
        if (type == null) {
            throw new IllegalArgumentException("no event type for " + data.getClass().getName());
        }
        return type;
    }
}

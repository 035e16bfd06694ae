package io.wslfleet.protocol.events;

/** Events about a build: requested by the orchestrator, reported by a build worker. Keyed by build id, except a release. */
public sealed interface BuildEvent extends EventData permits BuildRequested, BuildProgress, BuildFailed, ReleasePublished {
    String buildId();

    @Override
    default String key() {
        return buildId();
    }
}

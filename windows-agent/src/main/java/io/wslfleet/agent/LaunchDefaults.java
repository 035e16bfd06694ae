package io.wslfleet.agent;

import java.util.List;

/**
 * The JVM settings the agent is launched with (scheduled task, bundled runtime, sandbox): an agent idles for days
 * and sends a few events a minute, so a small heap, the serial collector, C1 only, few compiler threads and a small
 * code cache keep it under 128 MB resident. Measured in docs/benchmarks/windows-agent.md.
 */
public final class LaunchDefaults {

    public static final List<String> JVM_OPTIONS = List.of(
            "-Xms8m", "-Xmx48m", "-Xss512k",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
            "-XX:ReservedCodeCacheSize=16m", "-XX:MaxMetaspaceSize=48m", "-XX:MaxDirectMemorySize=16m",
            "-XX:-UsePerfData", "-Xshare:auto");

    private LaunchDefaults() {
    }
}

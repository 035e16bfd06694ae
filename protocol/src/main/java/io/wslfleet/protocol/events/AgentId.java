package io.wslfleet.protocol.events;

import java.util.Locale;

/**
 * An agent's identity: machine plus Windows user, since WSL distros belong to a Windows user. Rendered
 * {@code <machine id>/<user>}, lower case, so that the Kafka key (and so the partition) is stable.
 */
public final class AgentId {
    private AgentId() {
    }

    public static String of(String machineId, String windowsUser) {
        String machine = Require.nonBlank(machineId, "machineId").trim().toLowerCase(Locale.ROOT);
        String user = Require.nonBlank(windowsUser, "windowsUser").trim().toLowerCase(Locale.ROOT);
        if (machine.contains("/")) {
            throw new IllegalArgumentException("machine id must not contain '/': " + machineId);
        }
        return machine + "/" + user;
    }
}

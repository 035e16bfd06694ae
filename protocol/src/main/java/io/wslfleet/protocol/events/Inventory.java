package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;
import java.util.Map;

/** What a workstation has: reported at registration and whenever it changes. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Inventory(String machineId, String windowsUser, String hostname, String windowsBuild,
                        String wslVersion, String kernelVersion, long freeDiskBytes, Map<String, String> labels,
                        List<DistroInfo> distros) {
    public Inventory {
        Require.nonBlank(machineId, "inventory.machineId");
        Require.nonBlank(windowsUser, "inventory.windowsUser");
        Require.name(machineId, "inventory.machineId", 64);
        Require.name(windowsUser, "inventory.windowsUser", 64);
        Require.name(hostname, "inventory.hostname", 255);
        Require.name(windowsBuild, "inventory.windowsBuild", 64);
        Require.name(wslVersion, "inventory.wslVersion", 64);
        Require.name(kernelVersion, "inventory.kernelVersion", 256);
        labels = Require.labels(labels, "inventory.labels", 64);
        distros = Require.list(distros, "inventory.distros", 64);
    }
}

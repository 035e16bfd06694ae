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
        labels = Require.map(labels);
        distros = Require.list(distros);
    }
}

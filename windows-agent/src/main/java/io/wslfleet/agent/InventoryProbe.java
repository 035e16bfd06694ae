package io.wslfleet.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.GenerationInfo;
import io.wslfleet.protocol.events.Inventory;

/** Inventory: WSL and Windows versions, the distros, and the managed distro's generations. */
final class InventoryProbe {

    private static final Pattern NIXOS_VERSION = Pattern.compile("nixos-system-.+?-(\\d+\\.\\d+\\S*)$");
    private static final Pattern WINDOWS = Pattern.compile("(?m)^Windows[^:\\n]*:\\s*(\\S+)");

    private final AgentConfig config;
    private final Wsl wsl;
    private final Generations generations;
    private final Path staging;

    InventoryProbe(AgentConfig config, Wsl wsl, Generations generations, Path staging) {
        this.config = config;
        this.wsl = wsl;
        this.generations = generations;
        this.staging = staging;
    }

    Inventory take() throws WslException {
        String wslVersion = wsl.wslVersion().orElse("inbox");
        Duration timeout = config.wslTimeout();
        List<DistroInfo> distros = new ArrayList<>();
        for (Wsl.Distro d : wsl.distros()) {
            Integer generation = null;
            String systemPath = null;
            List<GenerationInfo> gens = new ArrayList<>();
            String nixosVersion = null;
            if (d.name().equalsIgnoreCase(config.distroName())) {
                try {
                    systemPath = wsl.exec(d.name(), timeout, "readlink", "-f", Generations.PROFILE).stdout().trim();
                    generation = generations.current(d.name());
                    for (Integer g : generations.all(d.name())) {
                        gens.add(new GenerationInfo(g, wsl.exec(d.name(), timeout, "readlink", "-f",
                                Generations.PROFILE + "-" + g + "-link").stdout().trim()));
                    }
                    Matcher m = NIXOS_VERSION.matcher(systemPath);
                    nixosVersion = m.find() ? m.group(1) : null;
                } catch (WslException e) {
                    if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                        throw e;
                    }
                }
            }
            distros.add(new DistroInfo(d.name(), d.state(), d.version(), d.isDefault(), generation,
                    systemPath == null || systemPath.isEmpty() ? null : systemPath, nixosVersion, null, gens));
        }
        long free;
        try {
            free = Files.getFileStore(staging).getUsableSpace();
        } catch (IOException e) {
            free = -1;
        }
        String versions = wsl.versionText();
        Matcher windows = WINDOWS.matcher(versions);
        return new Inventory(config.machineId(), config.windowsUser(), config.machineId(),
                windows.find() ? windows.group(1) : null, wslVersion, wsl.kernelVersion().orElse(null), free,
                Map.copyOf(config.labels()), distros);
    }
}

package io.wslfleet.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The distro's system generations ({@code /nix/var/nix/profiles/system-N-link}) and which one the profile names,
 * read inside the distro or, when it will not start, from WSL's system distro ({@code /mnt/wslg/distro}).
 */
final class Generations {

    static final String PROFILE = "/nix/var/nix/profiles/system";
    static final String PROFILES = "/nix/var/nix/profiles";
    static final String SYSTEM_ROOT = "/mnt/wslg/distro";
    private static final Pattern LINK = Pattern.compile("system-(\\d+)-link");

    private final Wsl wsl;
    private final Duration timeout;

    Generations(Wsl wsl, Duration timeout) {
        this.wsl = wsl;
        this.timeout = timeout;
    }

    /** The generation the profile link names, read inside the distro (which starts it). */
    Integer current(String distro) throws WslException {
        return number(wsl.exec(distro, timeout, "readlink", PROFILE).stdout().trim());
    }

    List<Integer> all(String distro) throws WslException {
        List<Integer> gens = new ArrayList<>();
        for (String line : wsl.exec(distro, timeout, "nix-env", "-p", PROFILE, "--list-generations").stdout().split("\n")) {
            String t = line.trim();
            if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
                gens.add(Integer.parseInt(t.split("\\s+")[0]));
            }
        }
        gens.sort(Integer::compare);
        return gens;
    }

    /** The current generation, from the system distro: the distro itself is not started. */
    Integer currentFromSystemDistro(String distro) throws WslException {
        return number(wsl.execSystem(distro, timeout, "readlink", SYSTEM_ROOT + PROFILE).stdout().trim());
    }

    List<Integer> allFromSystemDistro(String distro) throws WslException {
        List<Integer> gens = new ArrayList<>();
        for (String name : wsl.execSystem(distro, timeout, "ls", "-1", SYSTEM_ROOT + PROFILES).stdout().split("\n")) {
            Integer n = number(name.trim());
            if (n != null) {
                gens.add(n);
            }
        }
        gens.sort(Integer::compare);
        return gens;
    }

    /** The current generation, inside when the distro starts, else from the system distro. */
    Integer currentAnyway(String distro) throws WslException {
        try {
            return current(distro);
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                throw e;
            }
            return currentFromSystemDistro(distro);
        }
    }

    static Optional<Integer> before(List<Integer> gens, Integer current) {
        return gens.stream().filter(g -> current == null || g < current).reduce((a, b) -> b);
    }

    static Integer number(String link) {
        Matcher m = LINK.matcher(link.substring(link.lastIndexOf('/') + 1));
        return m.matches() ? Integer.valueOf(m.group(1)) : null;
    }
}
